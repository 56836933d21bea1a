"""PAY-1, PAY-1a, PAY-4, PAY-7: payments recorded, allocated, spread, reversed, posted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from robinet.core.exceptions import PermissionDenied, ValidationFailed
from robinet.ledger import selectors as ledger
from robinet.ledger.models import AllocationShare, JournalEntry, JournalLine, OpenItem
from robinet.ledger.services import allocate, unallocate
from robinet.payments.models import PaymentMeans
from robinet.payments.services import DuplicatePayment, payment_record, payment_reverse


def _invoices(account):
    return list(account.invoices.order_by("due_date", "pk"))


def _balanced():
    for entry in JournalEntry.objects.all():
        totals = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit"))
        assert totals["d"] == totals["c"], entry


def test_pay_7_every_invoice_posts_a_balanced_entry_on_the_customer_account(billed):
    first, second = _invoices(billed)
    for invoice in (first, second):
        entry = JournalEntry.objects.get(piece_ref=invoice.number)
        assert entry.journal == "VE"
        customer = entry.lines.get(ledger_account="411000")
        assert customer.debit == invoice.total_incl_vat
        assert customer.customer_account_id == billed.pk
    _balanced()


def test_pay_1_a_payment_goes_to_the_oldest_invoice_first_and_leaves_the_rest_open(billed, cashier):
    first, second = _invoices(billed)
    amount = first.total_incl_vat + Decimal("1.00")
    payment = payment_record(actor=cashier, account=billed, means=PaymentMeans.CASH, amount=amount)
    assert payment.number.startswith("ENC-2026-")
    items = {
        i.invoice_id: i for i in OpenItem.objects.filter(account=billed, invoice__isnull=False)
    }
    assert items[first.pk].open_amount == 0
    assert items[first.pk].cleared_on is not None
    assert items[second.pk].open_amount == second.total_incl_vat - Decimal("1.00")
    assert ledger.account_balance(billed) == second.total_incl_vat - Decimal("1.00")
    _balanced()


def test_pay_1_the_referenced_invoice_is_paid_first(billed, cashier):
    first, second = _invoices(billed)
    payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CHEQUE, amount=Decimal("10.00"),
        invoice=second, cheque_number="1234567",
    )  # fmt: skip
    assert OpenItem.objects.get(invoice=second).open_amount == second.total_incl_vat - 10
    assert OpenItem.objects.get(invoice=first).open_amount == first.total_incl_vat


def test_pay_1a_shares_add_up_to_the_payment_and_never_exceed_what_was_billed(billed, cashier):
    first, _second = _invoices(billed)
    payment_record(actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal("7.31"))
    shares = AllocationShare.objects.filter(invoice=first)
    assert shares.aggregate(t=Sum("amount"))["t"] == Decimal("7.31")
    beneficiaries = set(shares.values_list("beneficiary", flat=True))
    assert {"operator", "water_agency", "vat"} <= beneficiaries
    payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CASH,
        amount=first.total_incl_vat - Decimal("7.31"),
    )  # fmt: skip
    by_key = {
        (b, s): t
        for b, s, t in AllocationShare.objects.filter(invoice=first)
        .values("beneficiary", "service")
        .annotate(t=Sum("amount"))
        .values_list("beneficiary", "service", "t")
    }
    billed_by_key = {}
    for line in first.lines.all():
        key = (line.beneficiary, line.service)
        billed_by_key[key] = billed_by_key.get(key, 0) + line.amount_excl_vat
    for vat in first.vat_breakdown:
        billed_by_key[("vat", str(Decimal(vat["rate"]).quantize(Decimal("0.01"))))] = Decimal(
            vat["amount"]
        )
    assert by_key == billed_by_key


def test_pay_4_a_reversed_payment_reopens_the_invoice_and_posts_the_opposite_entry(billed, cashier):
    first, _second = _invoices(billed)
    payment = payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CHEQUE,
        amount=first.total_incl_vat, cheque_number="0000001",
    )  # fmt: skip
    assert OpenItem.objects.get(invoice=first).open_amount == 0
    payment_reverse(actor=cashier, payment=payment, reason="Chèque impayé", reason_code="CHQ")
    assert OpenItem.objects.get(invoice=first).open_amount == first.total_incl_vat
    assert ledger.account_balance(billed) == sum(i.total_incl_vat for i in _invoices(billed))
    assert JournalEntry.objects.filter(piece_ref=payment.number).count() == 2
    # Collected per beneficiary is back to zero.
    assert AllocationShare.objects.filter(invoice=first).aggregate(t=Sum("amount"))["t"] == 0
    _balanced()
    with pytest.raises(Exception, match="déjà annulé"):
        payment_reverse(actor=cashier, payment=payment, reason="encore")


def test_pay_1_unallocate_and_allocate_by_hand(billed, cashier):
    first, second = _invoices(billed)
    payment = payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal("20.00")
    )
    credit = OpenItem.objects.get(payment=payment, kind="payment")
    (allocation,) = credit.credit_allocations.all()
    with pytest.raises(Exception, match="motif"):
        unallocate(actor=cashier, allocation=allocation, reason="")
    unallocate(actor=cashier, allocation=allocation, reason="Erreur de facture")
    credit.refresh_from_db()
    assert credit.open_amount == Decimal("-20.00")
    with pytest.raises(Exception, match="dépasse"):
        allocate(
            actor=cashier, debit=OpenItem.objects.get(invoice=second), credit=credit,
            amount=Decimal("20.01"),
        )  # fmt: skip
    allocate(
        actor=cashier, debit=OpenItem.objects.get(invoice=second), credit=credit,
        amount=Decimal("20.00"),
    )  # fmt: skip
    assert OpenItem.objects.get(invoice=second).open_amount == second.total_incl_vat - 20
    assert OpenItem.objects.get(invoice=first).open_amount == first.total_incl_vat


def test_pay_2_bad_input_changes_nothing(billed, cashier, officer, org, make_user):
    before = (OpenItem.objects.count(), JournalEntry.objects.count(), JournalLine.objects.count())
    with pytest.raises(ValidationFailed) as error:
        payment_record(actor=cashier, account=billed, means="cash", amount=Decimal("-1"))
    assert "amount" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        payment_record(actor=cashier, account=billed, means="cheque", amount=Decimal("1.005"))
    assert {"amount", "cheque_number"} <= set(error.value.fields)
    with pytest.raises(ValidationFailed):
        payment_record(
            actor=cashier, account=billed, means="cash", amount=Decimal("1"),
            received_on=dt.date(2030, 1, 1),
        )  # fmt: skip
    stranger = make_user("ailleurs", "collection_officer", org.centres[3])
    with pytest.raises(PermissionDenied):
        payment_record(actor=stranger, account=billed, means="cash", amount=Decimal("1"))
    assert before == (
        OpenItem.objects.count(),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
    )


def test_pay_2_the_same_outside_reference_is_booked_once(billed, cashier):
    payment = payment_record(
        actor=cashier, account=billed, means="card", amount=Decimal("5.00"),
        external_reference="PSP-42",
    )  # fmt: skip
    with pytest.raises(DuplicatePayment) as error:
        payment_record(
            actor=cashier, account=billed, means="card", amount=Decimal("5.00"),
            external_reference="PSP-42",
        )  # fmt: skip
    assert error.value.payment == payment


def test_pay_1_an_overpayment_leaves_a_credit_balance_that_clears_the_next_invoice(
    billed, cashier, org
):
    total = sum(i.total_incl_vat for i in _invoices(billed))
    payment_record(actor=cashier, account=billed, means="transfer", amount=total + 50)
    assert ledger.account_balance(billed) == Decimal("-50.00")


def test_pay_1_a_credit_balance_clears_the_next_bill_when_it_is_issued(org, tariff, cashier):
    """An overpayment waits as a credit; the next billing run allocates it to the new bill."""
    from tests.billing import factories
    from tests.billing.conftest import occupied_point
    from tests.metering.factories import read

    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "130")
    factories.run(dt.date(2025, 6, 30))
    (first,) = account.invoices.all()
    payment_record(
        actor=cashier, account=account, means="transfer", amount=first.total_incl_vat + 30,
        received_on=dt.date(2025, 7, 20),
    )  # fmt: skip
    assert ledger.account_balance(account) == Decimal("-30.00")
    read(sp, dt.date(2025, 12, 20), "160")
    factories.run(dt.date(2025, 12, 31))
    second = account.invoices.exclude(pk=first.pk).get()
    assert OpenItem.objects.get(invoice=second).open_amount == second.total_incl_vat - 30
    assert ledger.account_balance(account) == second.total_incl_vat - 30


def test_pay_1a_spread_in_a_configured_order_fills_one_part_after_the_other(
    billed, cashier, settings
):
    settings.ROBINET_ALLOCATION_SPREAD = "order"
    first, _second = _invoices(billed)
    payment_record(actor=cashier, account=billed, means="cash", amount=Decimal("1.00"))
    shares = list(AllocationShare.objects.filter(invoice=first))
    assert len(shares) == 1
    assert shares[0].amount == Decimal("1.00")


def test_pay_7_a_batch_posts_one_entry_per_day_centre_and_means_a_line_per_payment(billed, org):
    """Decision 0014: a batch's payments of one day, centre and means make one entry: the
    means' account debited once with their sum, each customer credited on a line of its
    own whose piece is the payment's number. A payment alone keeps its own entry."""
    from robinet.payments.booking import IncomingPayment, book_payments
    from robinet.payments.models import Payment

    on = dt.date(2026, 2, 16)

    def incoming(means, amount):
        return IncomingPayment(
            account_id=billed.pk, centre_id=org.centres[0].pk,
            account_centre_id=billed.centre_id, means=means, amount=Decimal(amount),
            received_on=on, cheque_number="1234567" if means == "cheque" else "",
        )  # fmt: skip

    ids = book_payments([incoming("cash", "10.00"), incoming("cheque", "5.00"),
                         incoming("cash", "2.50")])  # fmt: skip
    first, cheque, third = (Payment.objects.get(pk=pk) for pk in ids)
    cash = JournalEntry.objects.get(journal="CA", entry_date=on)
    assert (cash.piece_ref, cash.label) == (f"{first.number} à {third.number}", "Règlements : 2")
    lines = list(
        cash.lines.order_by("pk").values_list(
            "ledger_account", "customer_account_id", "piece_ref", "debit", "credit"
        )
    )
    assert lines == [
        ("531000", None, "", Decimal("12.50"), Decimal("0.00")),
        ("411000", billed.pk, first.number, Decimal("0.00"), Decimal("10.00")),
        ("411000", billed.pk, third.number, Decimal("0.00"), Decimal("2.50")),
    ]
    alone = JournalEntry.objects.get(journal="BQ", entry_date=on)
    assert (alone.piece_ref, alone.label, alone.event) == (
        cheque.number, f"Règlement {cheque.number}", "payment",
    )  # fmt: skip
    assert alone.lines.get(ledger_account="411000").piece_ref == cheque.number
    _balanced()


def test_pay_1_a_debit_is_cleared_as_of_its_latest_allocation(billed, org):
    """An invoice is cleared on the date of its last allocation, even when the payment that
    clears it is dated before one allocated earlier (as-of reports rely on it): within one
    batch, and across batches."""
    from robinet.payments.booking import IncomingPayment, book_payments

    first, second = _invoices(billed)

    def incoming(amount, on, invoice):
        return IncomingPayment(
            account_id=billed.pk, centre_id=org.centres[0].pk,
            account_centre_id=billed.centre_id, means="transfer", amount=Decimal(amount),
            received_on=on, invoice_id=invoice.pk,
        )  # fmt: skip

    late, early = dt.date(2026, 3, 20), dt.date(2026, 3, 2)
    book_payments([incoming("1.00", late, first), incoming(first.total_incl_vat - 1, early, first)])
    assert OpenItem.objects.get(invoice=first).cleared_on == late
    book_payments([incoming("1.00", late, second)])
    book_payments([incoming(second.total_incl_vat - 1, early, second)])
    item = OpenItem.objects.get(invoice=second)
    assert (item.open_amount, item.cleared_on) == (0, late)


def test_pay_1a_a_whole_open_item_has_no_shares_left_to_read(billed, cashier):
    """PAY-1a: a booking reads the shares of the invoices partly allocated only. An invoice
    whose open item is whole again (its payment un-allocated) has shares that cancel out:
    its parts are the same read either way."""
    from robinet.ledger.services import invoice_parts

    first, second = _invoices(billed)
    payment = payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal("20.00")
    )
    (allocation,) = OpenItem.objects.get(payment=payment, kind="payment").credit_allocations.all()
    unallocate(actor=cashier, allocation=allocation, reason="Erreur de facture")
    payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CHEQUE, amount=Decimal("7.31"),
        invoice=second, cheque_number="1234567",
    )  # fmt: skip
    assert AllocationShare.objects.filter(invoice=first).exists()
    whole = OpenItem.objects.get(invoice=first)
    assert whole.open_amount == whole.amount
    ids = [first.pk, second.pk]
    assert invoice_parts(ids, shared={second.pk}) == invoice_parts(ids)
    assert invoice_parts(ids, shared={second.pk}) != invoice_parts(ids, shared=())


def test_pay_1a_a_payment_that_clears_its_invoice_gives_each_part_its_remainder(
    billed, cashier, org
):
    """PAY-1a: the allocation that settles an invoice gives each part exactly what remains
    of it — after a partial payment spread pro rata, after an un-allocation."""
    from robinet.ledger.services import invoice_parts
    from robinet.payments import booking

    first, second = _invoices(billed)
    payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CHEQUE, amount=Decimal("7.31"),
        invoice=first, cheque_number="1234567",
    )  # fmt: skip
    undone = payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal("20.00"),
        invoice=second,
    )  # fmt: skip
    (allocation,) = OpenItem.objects.get(payment=undone, kind="payment").credit_allocations.all()
    unallocate(actor=cashier, allocation=allocation, reason="Erreur de facture")
    remaining = {
        invoice_id: {(p.beneficiary, p.service): p.remaining for p in parts if p.remaining}
        for invoice_id, parts in invoice_parts([first.pk, second.pk]).items()
    }
    assert sum(remaining[first.pk].values()) == OpenItem.objects.get(invoice=first).open_amount
    incoming = [
        booking.IncomingPayment(
            account_id=billed.pk,
            centre_id=org.centres[0].pk,
            account_centre_id=billed.centre_id,
            means="transfer",
            amount=OpenItem.objects.get(invoice=invoice).open_amount,
            received_on=dt.date(2026, 3, 2),
            invoice_id=invoice.pk,
        )  # fmt: skip
        for invoice in (first, second)
    ]
    booking.book_payments(incoming)
    for invoice in (first, second):
        item = OpenItem.objects.get(invoice=invoice)
        assert item.open_amount == 0
        last = item.debit_allocations.order_by("-pk").first()
        shares = {(s.beneficiary, s.service): s.amount for s in last.shares.all()}
        assert shares == remaining[invoice.pk]
        assert all(s.source == "payment" for s in last.shares.all())
    collected = AllocationShare.objects.filter(invoice=first).aggregate(t=Sum("amount"))["t"]
    assert collected == first.total_incl_vat
