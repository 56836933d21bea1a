"""The counter cash desk through the JSON API (PAY-2)."""

from decimal import Decimal

import pytest

from robinet.organisation.services import api_token_create
from robinet.payments.models import CashDay, ChequeDepositSlip, Payment
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(cashier):
    return ApiClient(api_token_create(user=cashier))


def _payment(centre, customer, **extra):
    return {
        "centre": centre.pk,
        "account": customer.number,
        "means": "cash",
        "amount": "15.20",
    } | extra


def test_pay_2_take_close_and_deposit_through_the_api(api, billed, org):
    centre = org.centres[0]
    invoice = billed.invoices.order_by("due_date").last()
    taken = api.post("/payments/cash-payments", _payment(centre, billed, invoice=invoice.number))
    assert taken.status_code == 201, taken.content
    body = taken.json()
    assert (body["means"], Decimal(body["amount"]), body["invoice"]) == (
        "cash",
        Decimal("15.20"),
        invoice.number,
    )
    cheque = api.post(
        "/payments/cash-payments",
        _payment(centre, billed, means="cheque", amount="30.00", cheque_number="987",
                 cheque_bank="LCL", drawer="Mme Roth"),
    )  # fmt: skip
    assert cheque.status_code == 201
    day = CashDay.objects.get()
    listed = api.get("/payments/cash-days", closed="false").json()
    assert [d["id"] for d in listed] == [day.pk]
    detail = api.get(f"/payments/cash-days/{day.pk}").json()
    assert Decimal(detail["totals"]["cash"]) == Decimal("15.20")
    assert len(detail["payments"]) == 2
    closed = api.post(f"/payments/cash-days/{day.pk}/close", {"counted_cash": "15.00"})
    assert closed.status_code == 200
    assert Decimal(closed.json()["cash_difference"]) == Decimal("-0.20")
    assert Decimal(closed.json()["reported_total"]) == Decimal("45.00")
    again = api.post(f"/payments/cash-days/{day.pk}/close", {"counted_cash": "15.00"})
    assert again.status_code == 409
    assert again.json()["code"] == "cash_day_already_closed"
    refused = api.post("/payments/cash-payments", _payment(centre, billed))
    assert refused.status_code == 409
    assert refused.json()["code"] == "cash_day_closed"
    assert Payment.objects.count() == 2
    slip = api.post("/payments/cheque-slips", {"centre": centre.pk, "bank_account_label": "LCL"})
    assert slip.status_code == 201
    assert slip.json()["payments"] == [cheque.json()["number"]]
    assert [s["number"] for s in api.get("/payments/cheque-slips").json()] == [
        slip.json()["number"]
    ]


def test_pay_2_api_errors_name_the_field_and_write_nothing(api, billed, org):
    centre = org.centres[0]
    unknown = api.post("/payments/cash-payments", _payment(centre, billed, account="424242"))
    assert unknown.status_code == 400
    assert "account" in unknown.json()["extra"]["fields"]
    no_number = api.post("/payments/cash-payments", _payment(centre, billed, means="cheque"))
    assert no_number.status_code == 400
    assert "cheque_number" in no_number.json()["extra"]["fields"]
    negative = api.post("/payments/cash-payments", _payment(centre, billed, amount="-3.00"))
    assert negative.status_code == 400
    assert "amount" in negative.json()["extra"]["fields"]
    other_centre = api.post("/payments/cash-payments", _payment(org.centres[2], billed))
    assert other_centre.status_code == 404
    empty = api.post("/payments/cheque-slips", {"centre": centre.pk, "bank_account_label": "X"})
    assert empty.status_code == 400
    assert not Payment.objects.exists()
    assert not CashDay.objects.exists()
    assert not ChequeDepositSlip.objects.exists()


def test_pay_2_negative_counted_cash_is_refused(api, billed, org):
    api.post("/payments/cash-payments", _payment(org.centres[0], billed))
    day = CashDay.objects.get()
    response = api.post(f"/payments/cash-days/{day.pk}/close", {"counted_cash": "-1.00"})
    assert response.status_code == 400
    assert "counted_cash" in response.json()["extra"]["fields"]
    day.refresh_from_db()
    assert not day.is_closed


def test_pay_2_openapi_lists_the_cash_desk_routes(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/payments/cash-days",
        "/api/v1/payments/cash-days/{day_id}",
        "/api/v1/payments/cash-days/{day_id}/close",
        "/api/v1/payments/cash-payments",
        "/api/v1/payments/cheque-slips",
    ):
        assert path in paths
