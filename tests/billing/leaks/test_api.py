"""Leak relief through the JSON API (BILL-9, METER-5): create, read, decide."""

import pytest

from robinet.billing.models import Invoice
from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from tests.billing.leaks.conftest import certificate
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(billing_officer):
    return ApiClient(api_token_create(user=billing_officer))


def test_create_read_decide_bill_9(api, bill):
    response = api.post("/billing/leak-reliefs", {"invoice": bill.number})
    assert response.status_code == 201
    body = response.json()
    pk = body["id"]
    assert (body["status"], body["deadline"], body["notice_missing"]) == (
        "open",
        "2026-03-20",
        False,
    )
    assert (body["water_cap"], body["sanitation_cap"]) == ("669.33", "334.67")
    assert {c["component_code"] for c in body["credit"]} == {"CONSO-EAU", "RED-CONSO", "ASST"}
    again = api.post("/billing/leak-reliefs", {"invoice": bill.number})
    assert again.status_code == 409
    assert again.json()["code"] == "leak_relief_exists"
    # approving before the certificate is refused
    response = api.post(f"/billing/leak-reliefs/{pk}/decide", {"decision": "approve"})
    assert response.status_code == 409
    response = api.client.post(
        f"/api/v1/billing/leak-reliefs/{pk}/certificate",
        {
            "certificate": certificate(),
            "repair_date": "2026-03-01",
            "leak_location": "Canalisation après compteur",
            "leak_after_meter": "true",
            "appliance_leak": "false",
        },
        headers=api.headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()["problems"] == {}
    response = api.post(f"/billing/leak-reliefs/{pk}/decide", {"decision": "approve"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved"
    note = Invoice.objects.get(number=body["credit_note"])
    assert str(note.total_incl_vat) == "3071.40"
    assert api.get(f"/billing/leak-reliefs/{pk}").json()["credit_note"] == note.number
    assert [r["id"] for r in api.get("/billing/leak-reliefs", status="approved").json()] == [pk]


def test_refusal_and_permissions_bill_9(api, bill, org, make_user):
    pk = api.post("/billing/leak-reliefs", {"invoice": bill.number}).json()["id"]
    reader = ApiClient(api_token_create(user=make_user("lecteur", Role.AUDITOR, org.centres[0])))
    assert reader.get(f"/billing/leak-reliefs/{pk}").status_code == 200
    response = reader.post(f"/billing/leak-reliefs/{pk}/decide", {"decision": "refuse"})
    assert response.status_code == 403
    response = api.post(
        f"/billing/leak-reliefs/{pk}/decide",
        {"decision": "refuse", "reason": "Fuite d'un chauffe-eau : exclue."},
    )
    assert response.json()["status"] == "refused"
    assert "chauffe-eau" in response.json()["letter"]


def test_create_from_the_notice_meter_5(api, bill):
    response = api.post("/billing/leak-reliefs", {"notice": bill.abnormal_notice_id})
    assert response.status_code == 201
    assert response.json()["invoice"] == bill.number
    missing = api.post("/billing/leak-reliefs", {})
    assert missing.status_code == 400
    assert "invoice" in missing.json()["extra"]["fields"]
    assert api.post("/billing/leak-reliefs", {"notice": 999999}).status_code == 404
