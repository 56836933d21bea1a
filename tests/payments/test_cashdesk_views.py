"""Screens of the counter cash desk (PAY-2) and the transmissions report (PAY-9)."""

from decimal import Decimal

import pytest

from robinet.payments import cashdesk
from robinet.payments.models import CashDay, ChequeDepositSlip, Payment, PaymentReversal
from tests.backoffice.helpers import RobinetClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return RobinetClient()


def _take_data(customer, **extra):
    data = {"account": customer.number, "invoice": "", "means": "cash", "amount": "12,50"}
    data.update(extra)
    return data


def test_pay_2_take_a_payment_at_the_counter_then_cancel_and_close(web, billed, cashier, org):
    web.login(cashier)
    page = web.get("payments:cash").content.decode()
    assert 'id="cash-take-form"' in page  # one centre: its counter opens directly
    response = web.post("payments:cash", data={"centre": org.centres[0].pk, **_take_data(billed)})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == Decimal("12.50")
    page = web.get("payments:cash", data={"centre": org.centres[0].pk}).content.decode()
    assert f'id="payment-{payment.number}"' in page
    receipt = web.get("payments:cash-receipt", payment.number)
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")
    # a cancel without reason is refused; with one, the payment is reversed
    web.post("payments:cash-payment-cancel", payment.number, data={"reason": ""})
    assert not PaymentReversal.objects.exists()
    web.post("payments:cash-payment-cancel", payment.number, data={"reason": "Erreur de compte"})
    assert PaymentReversal.objects.filter(payment=payment).exists()
    day = CashDay.objects.get()
    refused = web.post("payments:cash-day-close", day.pk, data={"counted_cash": "-1"})
    assert refused.status_code == 422
    assert "négatif" in refused.content.decode()
    web.post("payments:cash-day-close", day.pk, data={"counted_cash": "0,00"})
    day.refresh_from_db()
    assert day.is_closed
    page = web.get("payments:cash-day-detail", day.pk).content.decode()
    assert 'id="cash-close-form"' not in page
    report = web.get("payments:cash-day-report", day.pk)
    assert report.content.startswith(b"%PDF")
    assert f'id="day-{day.pk}"' in web.get("payments:cash-days").content.decode()


def test_pay_2_bad_input_on_the_counter_form_names_the_field(web, billed, cashier, org):
    web.login(cashier)
    centre = org.centres[0].pk
    response = web.post(
        "payments:cash", data={"centre": centre, **_take_data(billed, account="000000")}
    )
    assert response.status_code == 422
    assert "Aucun compte client n° 000000" in response.content.decode()
    response = web.post(
        "payments:cash", data={"centre": centre, **_take_data(billed, means="cheque")}
    )
    assert response.status_code == 422
    assert "numéro du chèque est obligatoire" in response.content.decode()
    assert not Payment.objects.exists()
    assert not CashDay.objects.exists()


def test_pay_2_closed_day_counter_shows_no_form_and_refuses(web, billed, cashier, org):
    web.login(cashier)
    centre = org.centres[0]
    day = cashdesk.cash_day_open(actor=cashier, centre=centre)
    cashdesk.cash_day_close(actor=cashier, day=day, counted_cash=Decimal("0"))
    page = web.get("payments:cash").content.decode()
    assert 'id="cash-day-closed"' in page
    response = web.post("payments:cash", data={"centre": centre.pk, **_take_data(billed)})
    assert response.status_code == 422
    assert not Payment.objects.exists()


def test_pay_2_another_centre_counter_is_not_found(web, cashier, org):
    web.login(cashier)
    assert web.get("payments:cash", data={"centre": org.centres[1].pk}).status_code == 404


def test_pay_2_deposit_slip_screens(web, billed, cashier, org):
    centre = org.centres[0]
    for number in ("111", "222"):
        cashdesk.counter_payment_take(
            actor=cashier, centre=centre, account=billed, means="cheque", amount=Decimal("20.00"),
            cheque_number=number, cheque_bank="CIC", drawer="M. Martin",
        )  # fmt: skip
    first = Payment.objects.get(cheque_number="111")
    web.login(cashier)
    page = web.get("payments:cash-slip-create").content.decode()
    assert page.count('name="payments"') == 2
    response = web.post(
        "payments:cash-slip-create",
        data={"centre": centre.pk, "bank_account_label": "", "payments": [first.pk]},
    )
    assert response.status_code == 422
    response = web.post(
        "payments:cash-slip-create",
        data={"centre": centre.pk, "bank_account_label": "CIC 0001", "payments": [first.pk]},
    )
    slip = ChequeDepositSlip.objects.get()
    assert response["Location"].endswith(f"/payments/cash/slips/{slip.pk}/")
    assert slip.cheque_count == 1
    csv = web.get("payments:cash-slip-csv", slip.pk).content.decode()
    assert csv.splitlines()[1].startswith(f"{slip.number};111;CIC;M. Martin;20.00;")
    assert web.get("payments:cash-slip-pdf", slip.pk).content.startswith(b"%PDF")
    assert f'id="slip-{slip.pk}"' in web.get("payments:cash-slips").content.decode()
    assert web.get("payments:cash-slip-create").content.decode().count('name="payments"') == 1


def test_pay_9_transmissions_screen_highlights_differences(web, billed, cashier, org, today):
    centre = org.centres[0]
    cashdesk.counter_payment_take(
        actor=cashier, centre=centre, account=billed, means="cash", amount=Decimal("30.00")
    )
    day = cashdesk.cash_day_close(
        actor=cashier, day=CashDay.objects.get(), counted_cash=Decimal("30.00")
    )
    web.login(cashier)
    response = web.post(
        "payments:cash-transmission-create",
        day.pk,
        data={"amount": "25,00", "reference": "VRS-77", "received_on": today.isoformat()},
    )
    assert response.status_code == 302
    page = web.get("payments:cash-transmissions", data={"start": today.isoformat()}).content
    assert f'id="transmission-day-{day.pk}" class="table-danger"' in page.decode()
    csv = web.get("payments:cash-transmissions-csv", data={"start": today.isoformat()})
    assert csv.content.decode().splitlines()[1].endswith(";30.00;25.00;-5.00;VRS-77")


def test_pay_2_menu_shows_the_counter_and_slips(web, cashier):
    web.login(cashier)
    page = web.get("backoffice:home").content.decode()
    assert "Caisse" in page
    assert "Remises de chèques" in page


def test_pay_2_counter_and_day_pages_query_count_does_not_grow_with_payments(
    web, billed, cashier, org
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    centre = org.centres[0]
    web.login(cashier)

    def take(n):
        for _ in range(n):
            cashdesk.counter_payment_take(
                actor=cashier, centre=centre, account=billed, means="cash", amount=Decimal("1.00")
            )

    def queries(name, *args, **params):
        with CaptureQueriesContext(connection) as captured:
            assert web.get(name, *args, data=params).status_code == 200
        return len(captured)

    take(2)
    day = CashDay.objects.get()
    counter, detail = queries("payments:cash"), queries("payments:cash-day-detail", day.pk)
    take(5)
    assert queries("payments:cash") == counter
    assert queries("payments:cash-day-detail", day.pk) == detail


def test_pay_2_closing_report_and_slip_pdfs_carry_the_figures(web, billed, cashier, org):
    import io

    from pypdf import PdfReader

    centre = org.centres[0]
    cashdesk.counter_payment_take(
        actor=cashier, centre=centre, account=billed, means="cheque", amount=Decimal("30.00"),
        cheque_number="4455", cheque_bank="CIC", drawer="M. Martin",
    )  # fmt: skip
    day = cashdesk.cash_day_close(
        actor=cashier, day=CashDay.objects.get(), counted_cash=Decimal("2.00")
    )
    slip = cashdesk.cheque_slip_create(actor=cashier, centre=centre, bank_account_label="CIC 01")
    web.login(cashier)

    def text(name, pk):
        return PdfReader(io.BytesIO(web.get(name, pk).content)).pages[0].extract_text()

    report = text("payments:cash-day-report", day.pk)
    for expected in ("ARRÊTÉ DE CAISSE", "2,00 €", "30,00 €", "32,00 €", "Centre 1.1"):
        assert expected in report
    printed = text("payments:cash-slip-pdf", slip.pk)
    for expected in (slip.number, "4455", "M. Martin", "CIC 01", "30,00 €"):
        assert expected in printed
