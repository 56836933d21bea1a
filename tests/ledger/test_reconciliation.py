"""PAY-7: reconciliation of balances — Σ customer open items = customers' accounts 411/416."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from robinet.billing.services import credit_note_issue
from robinet.core.bulk import insert_rows
from robinet.ledger import reconciliation
from robinet.ledger.models import Allocation, JournalEntry, JournalLine
from robinet.ledger.services import unallocate
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record, payment_reverse

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 2, 15)


def _report(on=TODAY):
    return reconciliation.report(actor=None, on=on, check_permission=False)


def _centre(result, centre):
    return next(line for line in result.centres if line.entity == centre)


def test_pay_7_reconciliation_holds_after_invoices(billed, org):
    result = _report()
    assert result.balanced
    line = _centre(result, org.centres[0])
    total = sum(i.total_incl_vat for i in billed.invoices.all())
    assert line.sub_ledger == line.general_ledger == total
    assert result.total.sub_ledger == total


def test_pay_7_reconciliation_holds_after_payments_reversals_credit_notes_unallocations(
    billed, org, manager
):
    first, second = billed.invoices.order_by("due_date", "pk")
    payment = payment_record(
        actor=manager, account=billed, means=PaymentMeans.CASH, amount=Decimal("25.10")
    )
    assert _report().balanced
    payment_reverse(actor=manager, payment=payment, reason="Chèque sans provision")
    assert _report().balanced
    payment_record(
        actor=manager, account=billed, means=PaymentMeans.TRANSFER, amount=first.total_incl_vat
    )
    credit_note_issue(actor=manager, invoice=second, reason="Erreur d'index")
    assert _report().balanced
    allocation = Allocation.objects.filter(reverses__isnull=True).order_by("pk").last()
    unallocate(actor=manager, allocation=allocation, reason="Mauvaise affectation")
    result = _report()
    assert result.balanced
    line = _centre(result, org.centres[0])
    assert line.sub_ledger == Decimal("0.00")  # two invoices − one payment − one credit note
    assert line.general_ledger == line.sub_ledger


def test_pay_7_reconciliation_is_taken_at_a_date(billed, org, manager):
    payment_record(actor=manager, account=billed, means=PaymentMeans.CASH, amount=Decimal("10.00"))
    before = _centre(_report(dt.date(2026, 2, 14)), org.centres[0])
    after = _centre(_report(), org.centres[0])
    assert before.sub_ledger - after.sub_ledger == Decimal("10.00")
    assert before.balanced
    assert after.balanced
    assert _report(dt.date(2024, 12, 31)).total.sub_ledger == 0


def test_pay_7_a_difference_is_listed_per_centre_agency_region_and_customer_account(billed, org):
    # An entry on 411 without its open item (as a faulty interface would post): a difference.
    entry = JournalEntry.objects.create(
        journal="OD", year=2026, number=1, entry_date=TODAY, piece_ref="OD-1", piece_date=TODAY,
        label="Écriture manuelle", centre=org.centres[0], event="manual", created_at=timezone.now(),
    )  # fmt: skip
    insert_rows(
        JournalLine,
        ("entry_id", "ledger_account", "customer_account_id", "debit", "credit"),
        [(entry.pk, "411000", billed.pk, Decimal("5.00"), Decimal("0.00")),
         (entry.pk, "706000", None, Decimal("0.00"), Decimal("5.00"))],
    )  # fmt: skip
    result = _report()
    assert not result.balanced
    line = _centre(result, org.centres[0])
    assert line.difference == Decimal("-5.00")
    (account,) = line.accounts
    assert account.number == billed.number
    assert account.difference == Decimal("-5.00")
    agency = next(a for a in result.agencies if a.entity == org.centres[0].parent)
    assert agency.difference == Decimal("-5.00")
    assert result.regions[0].difference == result.total.difference == Decimal("-5.00")
    assert _centre(result, org.centres[1]).balanced
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("accounting", "reconcile", "--date", "2026-02-15", stdout=out, stderr=err)
    assert exited.value.code == 1
    assert billed.number in out.getvalue()
    assert "Écart" in err.getvalue()


def test_pay_7_reconcile_command_exits_zero_when_balanced(billed):
    out = io.StringIO()
    call_command("accounting", "reconcile", "--date", "2026-02-15", stdout=out)
    assert "aucun écart" in out.getvalue()


def test_pay_7_reconciliation_is_scoped_to_what_the_actor_sees(billed, org, cashier):
    result = reconciliation.report(actor=cashier, on=TODAY)
    assert [line.entity for line in result.centres] == [org.centres[0]]
