"""COLL-9 / COLL-12 through the JSON API."""

import datetime as dt

import pytest

from robinet.collections.models import LitigationFile
from robinet.organisation.services import api_token_create
from tests.collections import notice_factories
from tests.collections.conftest import TODAY, bill
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


def test_coll9_litigation_through_the_api(procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="250.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    api = ApiClient(api_token_create(user=collector))
    refused = api.post("/collections/litigation", {"account": household.number})
    assert refused.status_code == 400
    reasons = refused.json()["extra"]["fields"]["eligibility"]
    assert any("naissance" in r for r in reasons)
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save()
    created = api.post("/collections/litigation", {"account": household.number})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["principal"] == "550.00"
    assert body["stage"] == "draft"
    bad = api.post(f"/collections/litigation/{body['number']}/stage", {"stage": "served"})
    assert bad.status_code == 409
    moved = api.post(f"/collections/litigation/{body['number']}/stage",
                     {"stage": "filed", "on": "2026-03-02"})  # fmt: skip
    assert moved.status_code == 200
    assert moved.json()["filed_on"] == "2026-03-02"
    assert [f["number"] for f in api.get("/collections/litigation").json()] == [body["number"]]
    pdf = api.get(f"/collections/litigation/{body['number']}/bundle")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert LitigationFile.objects.count() == 1


def test_coll12_insolvency_through_the_api(procedures, shop, collector):
    bill(shop, issued=TODAY - dt.timedelta(days=90), amount="400.00")
    api = ApiClient(api_token_create(user=collector))
    created = api.post("/collections/insolvency", {
        "account": shop.number, "kind": "liquidation", "opened_on": "2026-02-01",
        "bodacc_on": "2026-02-10"})  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["claim_deadline"] == "2026-04-10"
    assert body["prior_debt"] == "400.00"
    assert [f["number"] for f in api.get("/collections/insolvency").json()] == [body["number"]]


def test_coll9_costs_recovery_and_unenforceable_through_the_api(procedures, household, collector):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save()
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    api = ApiClient(api_token_create(user=collector))
    number = api.post("/collections/litigation", {"account": household.number}).json()["number"]
    cost = api.post(
        f"/collections/litigation/{number}/costs", {"kind": "bailiff", "amount": "45.50"}
    )
    assert cost.status_code == 201, cost.content
    assert cost.json()["costs"] == "45.50"
    refused = api.post(f"/collections/litigation/{number}/reinvoice", {})
    assert refused.status_code == 422
    assert refused.json()["code"] == "costs_not_rechargeable"
    invoiced = api.post(f"/collections/litigation/{number}/reinvoice", {"court_order": True})
    assert invoiced.status_code == 201, invoiced.content
    assert invoiced.json()["total"] == "45.50"
    recovered = api.post(f"/collections/litigation/{number}/recoveries", {"amount": "100.00"})
    assert recovered.status_code == 201, recovered.content
    assert recovered.json()["recovered"] == "100.00"
    closed = api.post(
        f"/collections/litigation/{number}/unenforceable", {"reason": "PV de carence"}
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["stage"] == "abandoned"
    assert closed.json()["write_off_request"].startswith("ANV-")
    history = api.get(f"/collections/accounts/{household.number}/history").json()
    labels = {e["kind"]: e["kind_label"] for e in history["events"]}
    assert labels["litigation_opened"] == "Dossier contentieux ouvert"
    assert "litigation_cost" in labels
    assert "litigation_closed" in labels
