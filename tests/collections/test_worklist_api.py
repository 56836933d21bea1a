"""COLL-7 / COLL-13 through the JSON API: the worklist and call outcomes."""

import pytest

from robinet.collections.models import CollectionEvent
from robinet.organisation.services import api_token_create
from tests.collections import worklist_fixtures
from tests.customers.api.test_api import ApiClient

officer = worklist_fixtures.officer
outsider = worklist_fixtures.outsider
reader = worklist_fixtures.reader
debtors = worklist_fixtures.debtors

pytestmark = pytest.mark.django_db


def test_coll_7_worklist_through_the_api(officer, outsider, debtors):
    big, medium, small = debtors
    api = ApiClient(api_token_create(user=officer))
    body = api.get("/collections/worklist").json()
    assert body["count"] == 3
    assert body["model"] == "fallback"
    assert [r["account"] for r in body["results"]] == [big.number, medium.number, small.number]
    top = body["results"][0]
    assert top["amount_at_stake"] == "1350.00"
    assert isinstance(top["expected_loss"], str)
    assert top["next_action"] == "call"
    assert top["next_action_label"] == "Appeler"
    assert top["reasons"][0] == "montant en jeu : 1\u202f350,00\xa0€"
    page = api.get("/collections/worklist", limit=1, offset=1).json()
    assert [r["account"] for r in page["results"]] == [medium.number]
    assert api.get("/collections/worklist", min_amount="300").json()["count"] == 1
    other = ApiClient(api_token_create(user=outsider)).get("/collections/worklist").json()
    assert other["count"] == 0


def test_coll_13_record_a_call_through_the_api(officer, reader, debtors):
    big = debtors[0]
    url = f"/collections/accounts/{big.number}/contacts"
    refused = ApiClient(api_token_create(user=reader)).post(url, {"outcome": "reached"})
    assert refused.status_code == 403
    api = ApiClient(api_token_create(user=officer))
    bad = api.post(url, {"outcome": "insulte"})
    assert bad.status_code == 400
    assert "outcome" in bad.json()["extra"]["fields"]
    assert not CollectionEvent.objects.filter(kind="contact").exists()
    created = api.post(url, {"outcome": "wrong_number", "note": "Numéro non attribué.",
                             "next_step": "Vérifier l'adresse"})  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["summary"] == "Appel : Faux numéro. Numéro non attribué."
    assert (
        api.post("/collections/accounts/999999999/contacts", {"outcome": "absent"}).status_code
        == 404
    )
