"""PAY-2 (counter cash desk, cheques and deposit slips) and PAY-9 (centres' transmissions)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core import clock
from robinet.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from robinet.core.models import AuditEvent
from robinet.ledger.models import JournalEntry, OpenItem
from robinet.organisation.roles import Role
from robinet.payments import cash_selectors as selectors
from robinet.payments import cashdesk
from robinet.payments.models import (
    CashDay,
    CashDayPayment,
    CashTransmission,
    ChequeDepositSlip,
    ChequeDepositSlipLine,
    Payment,
    PaymentMeans,
    PaymentReversal,
)

pytestmark = pytest.mark.django_db


def _take(actor, account, centre, means=PaymentMeans.CASH, amount="10.00", **extra):
    if means == PaymentMeans.CHEQUE:
        extra.setdefault("cheque_number", "1234567")
        extra.setdefault("cheque_bank", "Crédit Mutuel")
        extra.setdefault("drawer", "M. Dupont")
    return cashdesk.counter_payment_take(
        actor=actor, centre=centre, account=account, means=means, amount=Decimal(amount), **extra
    )


def _counts():
    return (
        Payment.objects.count(),
        CashDayPayment.objects.count(),
        OpenItem.objects.count(),
        JournalEntry.objects.count(),
        CashDay.objects.filter(closed_at__isnull=False).count(),
        ChequeDepositSlip.objects.count(),
        CashTransmission.objects.count(),
    )


def test_pay_2_first_payment_opens_the_day_and_is_linked_to_it(billed, cashier, org, today):
    payment = _take(cashier, billed, org.centres[0], amount="25.50")
    day = CashDay.objects.get()
    assert (day.centre, day.day, day.opened_by) == (org.centres[0], today, cashier)
    assert payment.cash_day_link.cash_day == day
    assert payment.centre == org.centres[0]
    assert payment.received_on == today
    assert not day.is_closed


def test_pay_2_a_counter_payment_is_allocated_to_the_named_invoice(billed, cashier, org):
    first, second = billed.invoices.order_by("due_date", "pk")
    payment = _take(cashier, billed, org.centres[0], amount="5.00", invoice=second)
    settled = selectors.payment_settlements(payment)
    assert [(s["document"], s["amount"]) for s in settled] == [(second.number, Decimal("5.00"))]
    assert OpenItem.objects.get(invoice=first).open_amount == first.total_incl_vat


def test_pay_2_two_counters_have_their_own_days(billed, make_user, cashier, org):
    other = make_user("autre", Role.COLLECTION_OFFICER, org.centres[1])
    _take(cashier, billed, org.centres[0])
    _take(other, billed, org.centres[1])
    assert CashDay.objects.count() == 2


def test_pay_2_one_day_per_centre_and_date_is_a_database_constraint(billed, cashier, org, today):
    day = cashdesk.cash_day_open(actor=cashier, centre=org.centres[0])
    assert cashdesk.cash_day_open(actor=cashier, centre=org.centres[0]) == day
    with pytest.raises(IntegrityError), transaction.atomic():
        CashDay.objects.create(centre=org.centres[0], day=today, opened_at=clock.now())


def test_pay_2_closed_without_closer_is_refused_by_the_database(cashier, org, today):
    day = cashdesk.cash_day_open(actor=cashier, centre=org.centres[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        CashDay.objects.filter(pk=day.pk).update(closed_at=clock.now())


def test_pay_2_a_payment_is_in_one_day_at_most(billed, cashier, org, today):
    payment = _take(cashier, billed, org.centres[0])
    other = CashDay.objects.create(
        centre=org.centres[1], day=today - dt.timedelta(days=1), opened_at=clock.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CashDayPayment.objects.create(cash_day=other, payment=payment)


def test_pay_2_close_totals_by_means_and_records_the_cash_difference(billed, cashier, org):
    centre = org.centres[0]
    _take(cashier, billed, centre, amount="20.00")
    _take(cashier, billed, centre, amount="5.30")
    _take(cashier, billed, centre, PaymentMeans.CHEQUE, amount="40.00")
    _take(cashier, billed, centre, PaymentMeans.CARD, amount="12.00")
    mistake = _take(cashier, billed, centre, amount="99.00")
    cashdesk.counter_payment_cancel(actor=cashier, payment=mistake, reason="Erreur de saisie")
    day = CashDay.objects.get()
    closed = cashdesk.cash_day_close(actor=cashier, day=day, counted_cash=Decimal("25.00"))
    assert (closed.total_cash, closed.total_cheque, closed.total_card) == (
        Decimal("25.30"),
        Decimal("40.00"),
        Decimal("12.00"),
    )
    assert closed.payment_count == 4
    assert closed.counted_cash == Decimal("25.00")
    assert closed.cash_difference == Decimal("-0.30")
    assert closed.closed_by == cashier
    assert closed.reported_total == Decimal("65.00")
    assert AuditEvent.objects.filter(verb="cash_day_closed").count() == 1


def test_pay_2_payment_on_a_closed_day_is_refused_and_nothing_is_written(billed, cashier, org):
    centre = org.centres[0]
    _take(cashier, billed, centre)
    cashdesk.cash_day_close(actor=cashier, day=CashDay.objects.get(), counted_cash=Decimal("10"))
    before = _counts()
    with pytest.raises(cashdesk.DayClosed) as refused:
        _take(cashier, billed, centre, amount="3.00")
    assert "clôturée" in refused.value.message
    assert _counts() == before


def test_pay_2_a_counter_takes_payments_only_on_the_day(billed, cashier, org, today):
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        _take(cashier, billed, org.centres[0], on=today - dt.timedelta(days=1))
    assert "on" in refused.value.fields
    assert _counts() == before


def test_pay_2_close_twice_is_refused(billed, cashier, org):
    _take(cashier, billed, org.centres[0])
    day = CashDay.objects.get()
    cashdesk.cash_day_close(actor=cashier, day=day, counted_cash=Decimal("10.00"))
    with pytest.raises(ApplicationError) as refused:
        cashdesk.cash_day_close(actor=cashier, day=day, counted_cash=Decimal("11.00"))
    assert refused.value.code == "cash_day_already_closed"
    day.refresh_from_db()
    assert day.counted_cash == Decimal("10.00")


@pytest.mark.parametrize("counted", [Decimal("-0.01"), Decimal("1.001"), "abc", "NaN", 1.5])
def test_pay_2_bad_counted_cash_is_refused_naming_the_field(cashier, org, counted):
    day = cashdesk.cash_day_open(actor=cashier, centre=org.centres[0])
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.cash_day_close(actor=cashier, day=day, counted_cash=counted)
    assert list(refused.value.fields) == ["counted_cash"]
    day.refresh_from_db()
    assert not day.is_closed


def test_pay_2_cheque_without_number_bank_or_drawer_is_refused(billed, cashier, org):
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        _take(
            cashier, billed, org.centres[0], PaymentMeans.CHEQUE,
            cheque_number="", cheque_bank="", drawer="",
        )  # fmt: skip
    assert set(refused.value.fields) == {"cheque_number", "cheque_bank", "drawer"}
    assert _counts() == before
    assert not CashDay.objects.exists()


def test_pay_2_unknown_account_number_is_refused_naming_the_field(billed):
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.account_for_counter(user=None, number="999999999")
    assert "999999999" in refused.value.fields["account"][0]
    assert cashdesk.account_for_counter(user=None, number=billed.number) == billed


def test_pay_2_invoice_of_another_account_is_refused(billed, cashier, org):
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.invoice_for_counter(account=billed, number="F-NOPE")
    assert "invoice" in refused.value.fields


def test_pay_2_other_means_are_not_taken_at_the_counter(billed, cashier, org):
    with pytest.raises(ValidationFailed) as refused:
        _take(cashier, billed, org.centres[0], PaymentMeans.TRANSFER)
    assert "means" in refused.value.fields
    assert not Payment.objects.exists()


def test_pay_2_counter_of_another_centre_is_refused(billed, cashier, org):
    with pytest.raises(PermissionDenied):
        _take(cashier, billed, org.centres[1])
    assert not CashDay.objects.exists()
    assert not Payment.objects.exists()


def test_pay_2_cancel_same_day_reopens_the_invoice(billed, cashier, org):
    first = billed.invoices.order_by("due_date", "pk").first()
    payment = _take(cashier, billed, org.centres[0], amount="8.00")
    assert OpenItem.objects.get(invoice=first).open_amount == first.total_incl_vat - 8
    reversal = cashdesk.counter_payment_cancel(actor=cashier, payment=payment, reason="Doublon")
    assert reversal.payment == payment
    assert OpenItem.objects.get(invoice=first).open_amount == first.total_incl_vat
    assert selectors.day_totals(CashDay.objects.get())["count"] == 0


def test_pay_2_cancel_needs_a_reason(billed, cashier, org):
    payment = _take(cashier, billed, org.centres[0])
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.counter_payment_cancel(actor=cashier, payment=payment, reason="  ")
    assert "reason" in refused.value.fields
    assert not PaymentReversal.objects.exists()


def test_pay_2_cancel_after_closing_is_refused(billed, cashier, org):
    payment = _take(cashier, billed, org.centres[0])
    cashdesk.cash_day_close(actor=cashier, day=CashDay.objects.get(), counted_cash=Decimal("10"))
    with pytest.raises(cashdesk.DayClosed):
        cashdesk.counter_payment_cancel(actor=cashier, payment=payment, reason="Erreur")
    assert not PaymentReversal.objects.exists()


def test_pay_2_cancel_on_a_later_day_is_refused(billed, cashier, org, monkeypatch, today):
    payment = _take(cashier, billed, org.centres[0])
    monkeypatch.setattr(clock, "today", lambda: today + dt.timedelta(days=1))
    with pytest.raises(ApplicationError) as refused:
        cashdesk.counter_payment_cancel(actor=cashier, payment=payment, reason="Erreur")
    assert refused.value.code == "cash_day_past"
    assert not PaymentReversal.objects.exists()


def test_pay_2_deposit_slip_takes_every_pending_cheque_once(billed, cashier, org):
    centre = org.centres[0]
    one = _take(cashier, billed, centre, PaymentMeans.CHEQUE, amount="40.00", cheque_number="111")
    two = _take(cashier, billed, centre, PaymentMeans.CHEQUE, amount="2.50", cheque_number="222")
    cancelled = _take(cashier, billed, centre, PaymentMeans.CHEQUE, cheque_number="333")
    cashdesk.counter_payment_cancel(actor=cashier, payment=cancelled, reason="Erreur")
    _take(cashier, billed, centre, PaymentMeans.CASH)
    slip = cashdesk.cheque_slip_create(
        actor=cashier, centre=centre, bank_account_label="Banque Postale 12345"
    )
    assert slip.number == "BRC-2026-00001"
    assert (slip.cheque_count, slip.total) == (2, Decimal("42.50"))
    assert set(selectors.slip_payments(slip)) == {one, two}
    assert not selectors.pending_cheques(centre).exists()
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.cheque_slip_create(actor=cashier, centre=centre, bank_account_label="BP")
    assert "payments" in refused.value.fields
    other = ChequeDepositSlip.objects.create(
        number="X", centre=centre, deposited_on=slip.deposited_on, bank_account_label="x",
        cheque_count=1, total=Decimal(1), created_at=clock.now(),
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        ChequeDepositSlipLine.objects.create(slip=other, payment=one)


def test_pay_2_deposit_slip_of_chosen_cheques_refuses_a_cash_payment(billed, cashier, org):
    centre = org.centres[0]
    cheque = _take(cashier, billed, centre, PaymentMeans.CHEQUE, cheque_number="111")
    cash = _take(cashier, billed, centre, PaymentMeans.CASH)
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.cheque_slip_create(
            actor=cashier, centre=centre, bank_account_label="BP", payments=[cheque, cash]
        )
    assert cash.number in refused.value.fields["payments"][0]
    assert not ChequeDepositSlip.objects.exists()
    slip = cashdesk.cheque_slip_create(
        actor=cashier, centre=centre, bank_account_label="BP", payments=[cheque]
    )
    assert slip.cheque_count == 1


def test_pay_2_deposit_slip_needs_a_bank_account(billed, cashier, org):
    _take(cashier, billed, org.centres[0], PaymentMeans.CHEQUE)
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.cheque_slip_create(actor=cashier, centre=org.centres[0], bank_account_label=" ")
    assert "bank_account_label" in refused.value.fields
    assert not ChequeDepositSlip.objects.exists()


def test_pay_2_deposit_slip_csv_has_the_documented_layout(billed, cashier, org, today):
    _take(
        cashier, billed, org.centres[0], PaymentMeans.CHEQUE, amount="40.00",
        cheque_number="0012345", cheque_bank="CIC Est", drawer="Mme Weber; Anne",
    )  # fmt: skip
    slip = cashdesk.cheque_slip_create(
        actor=cashier, centre=org.centres[0], bank_account_label="BP"
    )
    lines = selectors.slip_csv(slip).splitlines()
    assert lines[0] == "slip_number;cheque_number;bank;drawer;amount;date"
    assert lines[1] == f'{slip.number};0012345;CIC Est;"Mme Weber; Anne";40.00;{today.isoformat()}'


def test_pay_9_transmissions_are_reconciled_with_what_the_centre_reported(
    billed, cashier, org, monkeypatch, today
):
    centre = org.centres[0]
    _take(cashier, billed, centre, amount="100.00")
    _take(cashier, billed, centre, PaymentMeans.CHEQUE, amount="50.00")
    _take(cashier, billed, centre, PaymentMeans.CARD, amount="30.00")
    day = CashDay.objects.get()
    with pytest.raises(ApplicationError) as refused:
        cashdesk.cash_transmission_record(actor=cashier, day=day, amount=Decimal(1), reference="V1")
    assert refused.value.code == "cash_day_open"
    cashdesk.cash_day_close(actor=cashier, day=day, counted_cash=Decimal("100.00"))
    cashdesk.cash_transmission_record(
        actor=cashier, day=day, amount=Decimal("140.00"), reference="VRS-1"
    )
    with pytest.raises(ValidationFailed) as twice:
        cashdesk.cash_transmission_record(
            actor=cashier, day=day, amount=Decimal("10.00"), reference="VRS-1"
        )
    assert "reference" in twice.value.fields
    report = selectors.transmission_report(user=cashier, centre=centre, start=today, end=today)
    (row,) = report["rows"]
    assert (row["reported"], row["transmitted"], row["difference"]) == (
        Decimal("150.00"),
        Decimal("140.00"),
        Decimal("-10.00"),
    )
    assert report["with_difference"] == 1
    cashdesk.cash_transmission_record(
        actor=cashier, day=day, amount=Decimal("10.00"), reference="VRS-2"
    )
    report = selectors.transmission_report(user=cashier, centre=centre)
    assert report["rows"][0]["difference"] == 0
    assert report["with_difference"] == 0
    csv_lines = selectors.transmission_report_csv(report).splitlines()
    assert (
        csv_lines[1]
        == f"CT11;{today.isoformat()};100.00;50.00;30.00;150.00;150.00;0.00;VRS-1 VRS-2"
    )


def test_pay_9_transmission_needs_a_positive_amount_and_a_reference(billed, cashier, org):
    _take(cashier, billed, org.centres[0])
    day = cashdesk.cash_day_close(
        actor=cashier, day=CashDay.objects.get(), counted_cash=Decimal("10.00")
    )
    with pytest.raises(ValidationFailed) as refused:
        cashdesk.cash_transmission_record(actor=cashier, day=day, amount=Decimal(-5), reference="")
    assert set(refused.value.fields) == {"amount", "reference"}
    assert not CashTransmission.objects.exists()


def test_pay_9_a_counter_officer_may_not_record_transmissions(billed, officer, org):
    day = cashdesk.cash_day_open(actor=officer, centre=org.centres[0])
    with pytest.raises(PermissionDenied):
        cashdesk.cash_transmission_record(
            actor=officer, day=day, amount=Decimal("1.00"), reference="V"
        )


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    taken=st.lists(
        st.tuples(
            st.sampled_from([PaymentMeans.CASH, PaymentMeans.CHEQUE, PaymentMeans.CARD]), amounts
        ),
        min_size=1,
        max_size=6,
    ),
    counted=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999.99"), places=2),
)
def test_pay_2_closing_totals_add_up_to_the_payments_of_the_day(
    billed, cashier, org, taken, counted
):
    """Whatever is taken, the closing totals by means are the sums of the day's payments and
    the difference is counted − expected cash."""
    centre = org.centres[0]
    with transaction.atomic():
        sid = transaction.savepoint()
        for means, amount in taken:
            _take(cashier, billed, centre, means, amount=str(amount))
        day = cashdesk.cash_day_close(
            actor=cashier, day=CashDay.objects.get(), counted_cash=counted
        )
        for means, field in (
            (PaymentMeans.CASH, "total_cash"),
            (PaymentMeans.CHEQUE, "total_cheque"),
            (PaymentMeans.CARD, "total_card"),
        ):
            expected = sum((a for m, a in taken if m == means), Decimal("0.00"))
            assert getattr(day, field) == expected
        assert day.payment_count == len(taken)
        assert day.cash_difference == counted - day.total_cash
        transaction.savepoint_rollback(sid)


def test_pay_2_receipt_names_the_payment_the_amount_and_the_invoices_settled(billed, cashier, org):
    from pypdf import PdfReader

    from robinet.payments import documents

    first = billed.invoices.order_by("due_date", "pk").first()
    payment = _take(cashier, billed, org.centres[0], amount="12.34")
    content, filename = documents.receipt_pdf(payment)
    assert filename == f"recu-{payment.number}.pdf"
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    for expected in (payment.number, billed.number, "12,34", "Espèces", first.number, "SIRET"):
        assert expected in text
    cashdesk.counter_payment_cancel(actor=cashier, payment=payment, reason="Erreur")
    payment.refresh_from_db()
    assert selectors.payment_settlements(payment) == []
    text = PdfReader(io.BytesIO(documents.receipt_pdf(payment)[0])).pages[0].extract_text()
    assert "ANNULÉ" in text
