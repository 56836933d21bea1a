"""Municipal contributions through the JSON API (BILL-7)."""

import pytest

from robinet.billing.models import ContributionAgreement, Invoice
from robinet.ledger.models import OpenItem
from robinet.organisation.services import api_token_create
from tests.customers import factories as customers
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(billing_officer):
    return ApiClient(api_token_create(user=billing_officer))


def payload(account, **extra):
    return {
        "account": account.number,
        "project": "Extension du réseau, lotissement des Vignes",
        "service": "water",
        "total_excl_vat": "9000.00",
        "vat_rate": "0",
        "due_dates": ["2026-02-01", "2026-08-01", "2027-02-01"],
        **extra,
    }


def test_bill_7_agreement_through_the_api(api, municipality):
    # the schedule must add up to the total (422 naming the field)
    response = api.post(
        "/billing/contributions",
        payload(
            municipality,
            due_dates=[],
            instalments=[
                {"due_date": "2026-02-01", "amount_excl_vat": "5000"},
                {"due_date": "2026-08-01", "amount_excl_vat": "3000"},
            ],
        ),
    )
    assert response.status_code == 400
    assert "instalments" in response.json()["extra"]["fields"]
    assert not ContributionAgreement.objects.exists()
    # create with equal instalments
    response = api.post("/billing/contributions", payload(municipality))
    assert response.status_code == 201
    body = response.json()
    number = body["number"]
    assert (body["status"], len(body["instalments"])) == ("draft", 3)
    assert [i["amount_excl_vat"] for i in body["instalments"]] == ["3000.00"] * 3
    # sign, invoice what is due (1 instalment on 10/03/2026), follow-up after a payment
    response = api.post(f"/billing/contributions/{number}/sign", {"deliberation": "DCM 2026-03"})
    assert response.json()["status"] == "signed"
    response = api.post(f"/billing/contributions/{number}/invoice-due", {})
    assert response.status_code == 200
    (invoice,) = response.json()
    assert (invoice["kind"], invoice["total_incl_vat"]) == ("contribution", "3000.00")
    OpenItem.objects.filter(invoice__number=invoice["number"]).update(open_amount="500.00")
    body = api.get(f"/billing/contributions/{number}").json()
    assert body["followup"]["invoiced"] == "3000.00"
    assert body["followup"]["paid"] == "2500.00"
    assert body["followup"]["to_invoice"] == "6000.00"
    assert body["instalments"][0]["invoice"] == invoice["number"]
    assert body["instalments"][0]["open_amount"] == "500.00"
    listed = api.get("/billing/contributions").json()
    assert [(a["number"], a["followup"]["outstanding"]) for a in listed] == [(number, "500.00")]
    assert [i["number"] for i in api.get("/invoices", kind="contribution").json()] == [
        invoice["number"]
    ]
    # not closed while instalments remain to invoice
    response = api.post(f"/billing/contributions/{number}/close", {})
    assert (response.status_code, response.json()["code"]) == (409, "instalments_to_invoice")


def test_bill_7_api_refuses_a_company_and_an_auditor(org, municipality, auditor, api):
    company = customers.company(org.centres[0])
    response = api.post("/billing/contributions", payload(company))
    assert response.status_code == 400
    assert "account" in response.json()["extra"]["fields"]
    reader = ApiClient(api_token_create(user=auditor))
    response = reader.post("/billing/contributions", payload(municipality))
    assert response.status_code == 403
    assert not ContributionAgreement.objects.exists()
    assert not Invoice.objects.exists()


def test_openapi_lists_the_contribution_routes(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/billing/contributions" in paths
    assert "/api/v1/billing/contributions/{number}/invoice-due" in paths
