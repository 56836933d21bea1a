"""PAY-5 / PAY-7: unallocated credits post bank (512) / suspense (471) at import, and leave
471 when allocated (→ 411), split, refunded (→ 512) or transferred (→ 4678); every entry
balances and the customers' reconciliation holds with a non-empty worklist."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from robinet.ledger import reconciliation
from robinet.ledger.models import Journal, JournalEntry, JournalLine
from robinet.payments import bank_statements as service
from robinet.payments.models import EntryStatus, StatementEntry
from tests.customers import factories as customer_factories
from tests.payments.statement_setup import camt, credit, invoices

BANK, SUSPENSE, CUSTOMERS, OTHERS = "512000", "471100", "411000", "467800"


def balance(code: str) -> Decimal:
    """Debit − credit of a general-ledger account."""
    totals = JournalLine.objects.filter(ledger_account=code).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    return Decimal(totals["d"] or 0).quantize(Decimal("0.01")) - Decimal(totals["c"] or 0).quantize(
        Decimal("0.01")
    )


def waiting_total() -> Decimal:
    total = StatementEntry.objects.filter(status=EntryStatus.UNALLOCATED).aggregate(t=Sum("amount"))
    return Decimal(total["t"] or 0).quantize(Decimal("0.01"))


def assert_books_hold(today) -> None:
    """Every entry balanced; 471 (credit) = the worklist; 411 = the customers' open items."""
    for entry_id, d, c in (
        JournalLine.objects.values("entry_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("entry_id", "d", "c")
    ):
        assert Decimal(d).quantize(Decimal("0.01")) == Decimal(c).quantize(Decimal("0.01")), (
            entry_id
        )
    assert -balance(SUSPENSE) == waiting_total()
    report = reconciliation.report(actor=None, on=today, check_permission=False)
    assert report.balanced, [(line.entity, line.difference) for line in report.centres]


@pytest.fixture
def imported(billed, cashier):
    """One credit matched (its invoice), three unallocated: 30,00, 12,00 and 7,50 €."""
    first, _second = invoices(billed)
    outcome = service.statement_import(
        actor=cashier,
        source=camt(
            credit(first.total_incl_vat, remittance=f"FACTURE {first.number}"),
            credit("30.00", debtor_name="DUPONT"),
            credit("12.00"),
            credit("7.50", debtor_name="ASSOCIATION"),
        ),
        filename="releve.xml",
    )
    assert (outcome.booked, outcome.unallocated) == (1, 3)
    return first, list(
        StatementEntry.objects.filter(status=EntryStatus.UNALLOCATED).order_by("line")
    )


def test_pay7_unallocated_credits_post_bank_to_suspense_at_import(imported, today):
    first, entries = imported
    assert all(e.in_suspense for e in entries)
    assert not StatementEntry.objects.get(status=EntryStatus.BOOKED).in_suspense
    waiting = JournalEntry.objects.filter(event="unallocated_credit")
    assert waiting.count() == 3
    assert set(waiting.values_list("journal", flat=True)) == {Journal.BANK}
    assert -balance(SUSPENSE) == Decimal("49.50")
    # the bank holds everything the statement credited; the matched credit went to 411 as before
    assert balance(BANK) == first.total_incl_vat + Decimal("49.50")
    assert_books_hold(today)


def test_pay7_allocating_moves_the_credit_from_suspense_to_the_customer(
    imported, billed, cashier, today
):
    _first, (dupont, _twelve, _assoc) = imported
    bank_before = balance(BANK)
    service.entry_allocate(actor=cashier, entry=dupont, account=billed)
    entry = JournalEntry.objects.get(event="payment", journal=Journal.MISC)
    lines = {(line.ledger_account, line.debit, line.credit) for line in entry.lines.all()}
    assert lines == {
        (SUSPENSE, Decimal("30.00"), Decimal("0.00")),
        (CUSTOMERS, Decimal("0.00"), Decimal("30.00")),
    }
    assert entry.centre_id == billed.centre_id
    assert balance(BANK) == bank_before  # the money was already in the bank
    assert -balance(SUSPENSE) == Decimal("19.50")
    assert_books_hold(today)


def test_pay7_split_refund_and_transfer_leave_suspense_empty(imported, billed, org, cashier, today):
    _first, (dupont, twelve, assoc) = imported
    other = customer_factories.person(org.centres[0], name="MARTIN", first_name="Claire")
    service.entry_split(
        actor=cashier, entry=dupont, parts=[(billed, Decimal("20.00")), (other, Decimal("10.00"))]
    )
    assert_books_hold(today)
    bank_before = balance(BANK)
    service.entry_mark_refund(actor=cashier, entry=twelve, reason="Erreur du donneur d'ordre")
    assert balance(BANK) == bank_before - Decimal("12.00")
    refund = JournalEntry.objects.get(event="unallocated_refund")
    assert refund.journal == Journal.BANK
    assert_books_hold(today)
    service.entry_transfer(actor=cashier, entry=assoc, reason="Subvention : service des sports")
    assert balance(OTHERS) == Decimal("-7.50")
    assert balance(SUSPENSE) == 0
    assert waiting_total() == 0
    assert_books_hold(today)


def test_pay7_reconcile_command_is_balanced_with_a_pending_worklist(imported, capsys, today):
    assert waiting_total() > 0
    call_command("accounting", "reconcile", "--date", today.isoformat())  # exits 1 on a difference
    assert "0,00" in capsys.readouterr().out


def test_pay7_entry_imported_before_suspense_posting_is_booked_to_the_bank(
    imported, billed, cashier, today
):
    """An entry imported before unallocated credits were posted (``in_suspense`` false) has
    nothing on 471: its allocation posts bank / customers, as it did then."""
    _first, (dupont, _twelve, _assoc) = imported
    StatementEntry.objects.filter(pk=dupont.pk).update(in_suspense=False)
    suspense_before = balance(SUSPENSE)
    dupont.refresh_from_db()
    service.entry_allocate(actor=cashier, entry=dupont, account=billed)
    assert balance(SUSPENSE) == suspense_before
    assert not JournalEntry.objects.filter(event="payment", journal=Journal.MISC).exists()
