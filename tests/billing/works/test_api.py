"""Fees and works through the JSON API (BILL-7, COLL-1, BILL-6)."""

import pytest

from robinet.billing.models import Invoice
from robinet.organisation.services import api_token_create
from tests.billing.works.conftest import signed
from tests.customers import factories as customers
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(billing_officer):
    return ApiClient(api_token_create(user=billing_officer))


def test_price_list(api, price_list):
    response = api.get("/billing/price-list", kind="works")
    assert response.status_code == 200
    assert {i["kind"] for i in response.json()} == {"works"}


def test_fees_invoice_and_coll1_refusal(api, org, price_list):
    person = customers.person(org.centres[0])
    response = api.post(
        "/billing/fees-invoices",
        {"account": person.number, "items": [{"code": "FRAIS-RECOUVREMENT"}]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "fee_not_allowed_for_individuals"
    assert not Invoice.objects.exists()
    response = api.post(
        "/billing/fees-invoices",
        {"account": person.number, "items": [{"code": "FRAIS-ACCES", "quantity": "1"}]},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["contract"], body["service_point"]) == ("fees", None, None)
    assert body["total_incl_vat"] == "54.00"
    listed = api.get("/invoices", kind="fees").json()
    assert [i["number"] for i in listed] == [body["number"]]


def test_quote_accept_and_works_invoice(api, org, price_list):
    company = customers.company(org.centres[0])
    response = api.post(
        "/billing/quotes",
        {
            "account": company.number,
            "subject": "Branchement neuf",
            "lines": [{"code": "TRX-BRANCHEMENT", "quantity": "1"}],
        },
    )
    assert response.status_code == 201
    quote = response.json()
    assert (quote["status"], quote["total_incl_vat"], quote["deposit_incl_vat"]) == (
        "draft",
        "1595.00",
        "478.50",
    )
    number = quote["number"]
    assert api.get(f"/billing/quotes/{number}/pdf").content.startswith(b"%PDF")
    response = api.client.post(
        f"/api/v1/billing/quotes/{number}/accept",
        {"signed_document": signed()},
        headers=api.headers,
    )
    assert response.status_code == 200, response.content
    accepted = response.json()
    assert accepted["status"] == "accepted"
    assert accepted["signed"] is True
    assert accepted["deposit_invoice"]
    response = api.post(f"/billing/quotes/{number}/works-invoice", {})
    assert response.status_code == 201
    invoice = response.json()
    assert invoice["kind"] == "works"
    assert invoice["lines"][-1]["amount_excl_vat"] == "-435.00"
    assert invoice["total_incl_vat"] == "1116.50"
    assert api.get(f"/billing/quotes/{number}").json()["works_invoice"] == invoice["number"]


def test_an_officer_without_works_permission_cannot_quote(org, officer, price_list):
    api = ApiClient(api_token_create(user=officer))
    company = customers.company(org.centres[0])
    response = api.post(
        "/billing/quotes",
        {"account": company.number, "subject": "x", "lines": [{"code": "TRX-REGARD"}]},
    )
    assert response.status_code == 403


def test_openapi_lists_the_works_routes(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/billing/quotes/{number}/accept" in paths
    assert "/api/v1/billing/fees-invoices" in paths
