"""PAY-3 through the JSON API: mandates, direct-debit runs and their files."""

import pytest

from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from robinet.payments import pain008
from robinet.payments.models import Mandate, MandateAmendment
from tests.customers.api.test_api import ApiClient

IBAN = "FR1420041010050500013M02606"


@pytest.fixture
def api(org, make_user):
    return ApiClient(
        api_token_create(user=make_user("api-sepa", Role.COLLECTION_OFFICER, org.region))
    )


def test_pay_3_mandate_and_run_through_the_api(api, billed):
    response = api.post(
        "/payments/mandates", {"account": billed.number, "signed_on": "2025-01-10", "iban": IBAN}
    )
    assert response.status_code == 201, response.content
    mandate = response.json()
    assert (mandate["sequence"], mandate["status"], mandate["iban"]) == ("FRST", "active", IBAN)
    listed = api.get("/payments/mandates", account=billed.number).json()
    assert [m["umr"] for m in listed] == [mandate["umr"]]
    everywhere = api.get("/payments/mandates", status="active").json()
    assert [m["umr"] for m in everywhere] == [mandate["umr"]]
    assert api.get("/payments/mandates", status="revoked").json() == []

    run = api.post("/payments/direct-debit-runs", {"collection_date": "2026-02-17"})
    assert run.status_code == 201, run.content
    body = run.json()
    assert body["item_count"] == 2
    assert {i["sequence"] for i in body["items"]} == {"FRST"}
    file = api.get(f"/payments/direct-debit-runs/{body['id']}/file")
    assert file.status_code == 200
    assert file["Content-Disposition"].startswith("attachment")
    pain008.validate(file.content, "001.08")
    assert api.get(f"/payments/mandates/{mandate['id']}").json()["sequence"] == "RCUR"


def test_pay_3_api_errors_name_the_field(api, billed):
    bad = api.post(
        "/payments/mandates",
        {"account": billed.number, "signed_on": "2025-01-10", "iban": "FR00BAD"},
    )
    assert bad.status_code == 400
    assert "iban" in bad.json()["extra"]["fields"]
    holiday = api.post("/payments/direct-debit-runs", {"collection_date": "2026-04-03"})
    assert holiday.status_code == 400
    assert "collection_date" in holiday.json()["extra"]["fields"]


def test_pay_3_amend_and_revoke_through_the_api(api, billed):
    created = api.post(
        "/payments/mandates", {"account": billed.number, "signed_on": "2025-01-10", "iban": IBAN}
    ).json()
    amended = api.post(f"/payments/mandates/{created['id']}/amend", {"debtor_name": "M. Durand"})
    assert amended.status_code == 200, amended.content
    assert amended.json()["debtor_name"] == "M. Durand"
    assert MandateAmendment.objects.get().old_value == created["debtor_name"]
    revoked = api.post(f"/payments/mandates/{created['id']}/revoke", {"reason": "Résiliation"})
    assert revoked.json()["status"] == "revoked"
    assert Mandate.objects.get().ended_on is not None


def test_pay_3_api_run_needs_payment_import(org, make_user, billed):
    reader = ApiClient(api_token_create(user=make_user("lecteur", Role.AUDITOR, org.region)))
    response = reader.post("/payments/direct-debit-runs", {"collection_date": "2026-02-17"})
    assert response.status_code == 403
