"""PAY-1, PAY-2, PAY-4 through the JSON API: same services, same permissions."""

from decimal import Decimal

import pytest

from robinet.ledger.models import OpenItem
from robinet.organisation.services import api_token_create
from tests.customers.api.test_api import ApiClient


@pytest.fixture
def api(cashier):
    return ApiClient(api_token_create(user=cashier))


def test_pay_2_post_a_payment_then_read_statement_open_items_and_allocations(api, billed):
    invoices = list(billed.invoices.order_by("due_date"))
    response = api.post(
        "/payments",
        {"account": billed.number, "means": "transfer", "amount": "25.00",
         "invoice": invoices[1].number, "external_reference": "VIR-1"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("ENC-")
    assert body["allocations"][0]["debit"] == invoices[1].number
    statement = api.get(f"/accounts/{billed.number}/statement").json()
    assert [r["item"]["document"] for r in statement["rows"]][-1] == body["number"]
    assert Decimal(statement["closing_balance"]) == Decimal(statement["balance"])
    items = api.get(f"/accounts/{billed.number}/open-items").json()
    assert {i["kind"] for i in items} == {"invoice"}
    assert len(api.get(f"/accounts/{billed.number}/allocations").json()) == 1
    assert api.get(f"/accounts/{billed.number}/payments").json()[0]["number"] == body["number"]
    again = api.post(
        "/payments",
        {"account": billed.number, "means": "transfer", "amount": "25.00",
         "external_reference": "VIR-1"},
    )  # fmt: skip
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_payment"


def test_pay_2_bad_payment_input_names_the_field(api, billed):
    cases = [
        ({"amount": "-3"}, "amount"),
        ({"amount": "3.001"}, "amount"),
        ({"means": "bitcoin"}, "means"),
        ({"means": "cheque"}, "cheque_number"),
        ({"invoice": "FAC-0000-0000000"}, "invoice"),
        ({"received_on": "2099-01-01"}, "received_on"),
    ]
    for change, field in cases:
        payload = {"account": billed.number, "means": "cash", "amount": "3.00", **change}
        response = api.post("/payments", payload)
        assert response.status_code in (400, 422), (change, response.content)
        assert field in response.json()["extra"]["fields"], (change, response.json())
    assert not OpenItem.objects.filter(kind="payment").exists()


def test_pay_4_reverse_then_allocate_and_cancel_by_hand(api, billed):
    number = api.post(
        "/payments", {"account": billed.number, "means": "cash", "amount": "10.00"}
    ).json()["number"]
    reversed_ = api.post(f"/payments/{number}/reversal", {"reason": "Erreur de compte"})
    assert reversed_.status_code == 200
    assert reversed_.json()["reversed_on"] is not None
    assert api.post(f"/payments/{number}/reversal", {"reason": "x"}).status_code == 409
    number = api.post(
        "/payments", {"account": billed.number, "means": "cash", "amount": "10.00"}
    ).json()["number"]
    allocation = api.get(f"/payments/{number}").json()["allocations"][0]
    cancelled = api.post(f"/allocations/{allocation['id']}/cancel", {"reason": "Mauvaise facture"})
    assert cancelled.status_code == 200
    assert Decimal(cancelled.json()["amount"]) == Decimal("-10.00")
    credit = OpenItem.objects.get(document_number=number, kind="payment")
    debit = OpenItem.objects.filter(kind="invoice").order_by("-due_date").first()
    too_much = api.post(
        "/allocations",
        {"account": billed.number, "debit_item": debit.pk, "credit_item": credit.pk,
         "amount": "10.01"},
    )  # fmt: skip
    assert too_much.status_code == 400
    done = api.post(
        "/allocations",
        {"account": billed.number, "debit_item": debit.pk, "credit_item": credit.pk,
         "amount": "10.00"},
    )  # fmt: skip
    assert done.status_code == 201
    assert done.json()["debit"] == debit.document_number


def test_pay_1_accounts_outside_the_scope_are_not_found(billed, org, make_user):
    stranger = make_user("loin", "collection_officer", org.centres[3])
    api = ApiClient(api_token_create(user=stranger))
    assert api.get(f"/accounts/{billed.number}/statement").status_code == 404
    response = api.post("/payments", {"account": billed.number, "means": "cash", "amount": "1"})
    assert response.status_code == 404
