"""CASE-1…6 through the JSON API: record a request, read it with its deadline, handle it."""

import datetime as dt
import sys
import types

import pytest

from robinet.cases.models import Case, Contact
from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from tests.cases.conftest import NOW
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db

SIGNATURE = {"first_name": "Claire", "last_name": "Martin", "title": "Conseillère clientèle"}


@pytest.fixture(autouse=True)
def detector(monkeypatch):
    module = types.ModuleType("robinet.cases.sensitive")
    module.detect = lambda text: types.SimpleNamespace(sensitive=False, reasons=[])
    monkeypatch.setitem(sys.modules, "robinet.cases.sensitive", module)


@pytest.fixture
def api(counsellor):
    return ApiClient(api_token_create(user=counsellor))


def test_case_1_request_round_trip_with_response_due(api, household, teams):
    created = api.post(
        "/cases",
        {
            "account": household.number,
            "channel": "email",
            "type": "FACTURE",
            "subject": "Facture trop élevée",
            "body": "Ma facture a doublé.",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == "DOS-2026-000001"
    assert body["nature"] == "claim"
    assert body["status"] == "open"
    assert body["type"] == "FACTURE"
    assert body["team"] == teams["contracts"].code
    # CASE-3: an e-mail of Wednesday 4 March 10:00 is due Friday 6 March 10:00 (Paris).
    due = dt.datetime.fromisoformat(body["response_due"])
    assert due == NOW.replace(day=6)
    assert body["blocks_dunning"] is True
    assert [c["direction"] for c in body["contacts"]] == ["inbound"]
    number = body["number"]

    again = api.post(
        "/cases",
        {
            "account": household.number,
            "channel": "phone",
            "type": "FACTURE",
            "subject": "Relance",
            "attach_to": number,
        },
    )
    assert again.status_code == 201
    assert again.json()["number"] == number
    assert again.json()["multi_contact"] is True

    read = api.get(f"/cases/{number}").json()
    assert read["contact_count"] == 2
    assert len(read["contacts"]) == 2
    listing = api.get("/cases", account=household.number, status="unclosed").json()
    assert [c["number"] for c in listing] == [number]
    assert api.get("/cases", type="INFORMATION").json() == []

    refused = api.post(f"/cases/{number}/close", {"resolution": "Expliqué"})
    assert refused.status_code == 400
    assert "answer" in refused.json()["extra"]["fields"]
    answered = api.post(
        f"/cases/{number}/answer", {"template_code": "reponse-facture", "signature": SIGNATURE}
    )
    assert answered.status_code == 201, answered.content
    assert answered.json()["is_answer"] is True
    closed = api.post(f"/cases/{number}/close", {"resolution": "Expliqué"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert api.post(f"/cases/{number}/close", {"resolution": "x"}).status_code == 409


def test_case_1_bad_inputs_name_their_field(api, household, teams):
    base = {"account": household.number, "channel": "phone", "type": "INFORMATION", "subject": "Q"}
    for change, field in (
        ({"type": "NOPE"}, "type"),
        ({"channel": "fax"}, "channel"),
        ({"nature": "internal"}, "nature"),
        ({"subject": " "}, "subject"),
        ({"account": "999"}, "account"),
    ):
        response = api.post("/cases", {**base, **change})
        assert response.status_code == 400, (change, response.content)
        assert field in response.json()["extra"]["fields"]
    assert not Case.objects.exists()


def test_case_6_patch_defer_cancel_and_overdue(api, household, teams, manager):
    number = api.post(
        "/cases",
        {"account": household.number, "channel": "letter", "type": "ARRIVEE", "subject": "Arrivée"},
    ).json()["number"]
    patched = api.patch(f"/cases/{number}", {"subject": "Arrivée au 1er avril"})
    assert patched.json()["subject"] == "Arrivée au 1er avril"
    assert api.patch(f"/cases/{number}", {"team": teams["collection"].code}).status_code == 403
    supervisor = ApiClient(api_token_create(user=manager))
    moved = supervisor.patch(f"/cases/{number}", {"team": teams["collection"].code})
    assert moved.json()["team"] == teams["collection"].code
    paused = api.patch(f"/cases/{number}", {"paused": True, "reason": "Attente du bail"})
    assert paused.json()["status"] == "paused"
    assert api.patch(f"/cases/{number}", {"paused": False}).json()["status"] == "open"
    deferred = api.post(f"/cases/{number}/defer", {"action": "Relevé d'arrivée"})
    assert deferred.json()["status"] == "deferred"
    assert api.get("/cases/overdue").json() == []
    cancelled = api.post(f"/cases/{number}/cancel", {"reason": "Doublon"})
    assert cancelled.json()["status"] == "cancelled"


def test_case_1_contacts_endpoints(api, household, teams):
    created = api.post(
        "/contacts",
        {"account": household.number, "direction": "outbound", "channel": "phone"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["case"] is None
    unattached = api.get("/contacts", unattached=True).json()
    assert [c["id"] for c in unattached] == [created.json()["id"]]
    assert Contact.objects.count() == 1


def test_case_handle_needed_through_the_api(make_user, org, household, teams):
    auditor = make_user("auditeur", Role.AUDITOR, org.region)
    api = ApiClient(api_token_create(user=auditor))
    response = api.post(
        "/cases",
        {"account": household.number, "channel": "phone", "type": "INFORMATION", "subject": "Q"},
    )
    assert response.status_code == 403
    assert not Case.objects.exists()
