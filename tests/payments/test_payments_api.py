"""PAY-2 and PAY-8 through the JSON API: card checkout and read, operator transfers and statements."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from robinet.payments import operators
from robinet.payments.models import CardTransaction, OperatorTransfer
from tests.customers.api.test_api import ApiClient


@pytest.fixture
def api(cashier):
    return ApiClient(api_token_create(user=cashier))


@pytest.fixture
def operator(cashier):
    return operators.operator_create(
        actor=cashier, code="PAYP", name="Paiement de proximité", kind="operator"
    )


def test_pay_2_start_a_card_checkout_and_read_it(api, billed):
    invoice = billed.invoices.order_by("due_date").first()
    response = api.post(
        "/payments/card-checkouts",
        {"account": billed.number, "amount": "12.30", "invoice": invoice.number,
         "return_url": "/merci/"},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["amount"] == "12.30"
    assert body["invoice"] == invoice.number
    assert body["redirect_url"].startswith("/payments/card/test-provider/TEST-")
    read = api.get(f"/payments/card-transactions/{body['id']}")
    assert read.json()["provider_reference"] == body["provider_reference"]
    assert [c["id"] for c in api.get("/payments/card-transactions").json()] == [body["id"]]


def test_pay_2_checkout_refusals_name_the_field(api, billed):
    response = api.post(
        "/payments/card-checkouts",
        {"account": billed.number, "amount": "5", "return_url": "https://evil.example/"},
    )
    assert response.status_code == 400
    assert "return_url" in response.json()["extra"]["fields"]
    response = api.post("/payments/card-checkouts", {"account": "999", "amount": "5"})
    assert response.status_code == 404
    assert not CardTransaction.objects.exists()


def test_pay_8_record_a_transfer_then_read_the_statement(api, operator, cashier, billed):
    response = api.post(
        "/payments/operator-transfers",
        {"operator": "PAYP", "amount": "15.00", "received_on": "2026-02-14",
         "bank_reference": "VIR-1"},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["statement"] is None
    refused = api.post(
        "/payments/operator-transfers",
        {"operator": "PAYP", "amount": "15.00", "received_on": "2026-02-14",
         "bank_reference": "VIR-1"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert "bank_reference" in refused.json()["extra"]["fields"]
    assert OperatorTransfer.objects.count() == 1
    data = f"reference;account;amount;paid_on\nX1;{billed.number};15,00;2026-02-10\n".encode()
    statement = operators.operator_statement_import(
        actor=cashier, operator=operator, source=data, filename="r.csv"
    )
    listed = api.get("/payments/operator-statements", status="booked").json()
    assert [s["id"] for s in listed] == [statement.pk]
    body = api.get(f"/payments/operator-statements/{statement.pk}").json()
    assert body["transfers"] == ["VIR-1"]
    assert body["differences"] == []
    assert body["lines"][0]["outcome"] == "booked"
    assert body["lines"][0]["payment"].startswith("ENC-2026-")


def test_pay_8_transfers_need_the_import_permission(org, make_user, operator):
    clerk = make_user("guichet", Role.CUSTOMER_OFFICER, org.centres[0])
    api = ApiClient(api_token_create(user=clerk))
    response = api.post(
        "/payments/operator-transfers",
        {"operator": "PAYP", "amount": "1.00", "received_on": str(dt.date(2026, 2, 1)),
         "bank_reference": "V"},
    )  # fmt: skip
    assert response.status_code == 403
    assert not OperatorTransfer.objects.filter(amount=Decimal("1.00")).exists()


def test_pay_8_re_examine_a_statement_once_its_transfer_is_recorded(api, operator, cashier, billed):
    data = f"reference;account;amount;paid_on\nY1;{billed.number};9,00;2026-02-10\n".encode()
    statement = operators.operator_statement_import(
        actor=cashier, operator=operator, source=data, filename="r.csv"
    )
    url = f"/payments/operator-statements/{statement.pk}/examine"
    body = api.post(url, {}).json()
    assert body["status"] == "difference"
    assert [d["code"] for d in body["differences"]] == ["no_transfer"]
    api.post(
        "/payments/operator-transfers",
        {"operator": "PAYP", "amount": "9.00", "received_on": "2026-02-14",
         "bank_reference": "VIR-9"},
    )  # fmt: skip
    body = api.post(url, {"transfers": ["VIR-9"]}).json()
    assert body["status"] == "booked"
    assert body["transfers"] == ["VIR-9"]
    again = api.post(url, {})
    assert again.status_code == 409
    assert again.json()["code"] == "statement_already_booked"
