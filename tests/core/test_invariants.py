"""``robinet check``: the invariants of the data hold on a billed and paid utility, and each
one catches the fault it is about (BILL-6, PAY-1, PAY-7, CASE-1)."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from robinet.core import clock, invariants
from robinet.core.models.numbering import Sequence
from robinet.ledger.models import JournalEntry, JournalLine, OpenItem
from tests.demo.utility import billed_and_paid

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def today():
    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))):
        yield TODAY


@pytest.fixture
def utility(monkeypatch, tmp_path):
    billed_and_paid(monkeypatch, tmp_path, today=TODAY, customers=60, seed=11, corrections=True)


def failing(prefix: str) -> list[invariants.Outcome]:
    return [o for o in invariants.run([prefix]) if not o.ok]


def test_every_invariant_holds_on_a_billed_and_paid_utility(utility):
    out = io.StringIO()
    call_command("check", "--data-only", stdout=out)
    assert "invariants respectés" in out.getvalue()
    names = {i.name for i in invariants.invariants()}
    assert {
        "billing.gapless-invoice-numbers",
        "ledger.balanced-entries",
        "ledger.gapless-entry-numbers",
        "ledger.open-amounts",
        "ledger.sub-ledger-equals-general-ledger",
        "collections.no-notice-while-blocked",
        "cases.no-orphan-contact",
    } <= names


def test_bill_6_a_number_handed_out_and_never_used_is_a_gap(utility):
    assert not failing("billing.")
    Sequence.objects.filter(series="FAC").update(last_value=F("last_value") + 1)
    (outcome,) = failing("billing.")
    assert "compteur" in outcome.violations.examples[0]
    with pytest.raises(CommandError, match="billing.gapless-invoice-numbers"):
        call_command("check", "--data-only", "--only", "billing.", stdout=io.StringIO())


def test_pay_1_an_open_amount_that_does_not_match_its_allocations_is_caught(utility):
    item = OpenItem.objects.filter(kind="invoice", open_amount__gt=0).first()
    OpenItem.objects.filter(pk=item.pk).update(open_amount=item.open_amount - 1)
    (outcome,) = failing("ledger.open-amounts")
    assert item.document_number in outcome.violations.examples[0]
    # … and the general ledger no longer agrees with nothing changed there: only that one fails
    assert not failing("ledger.sub-ledger")


def test_pay_7_an_item_moved_without_its_entry_breaks_the_reconciliation(utility):
    from robinet.customers.models import CustomerAccount

    item = OpenItem.objects.filter(kind="invoice").select_related("account").first()
    elsewhere = CustomerAccount.objects.exclude(centre=item.account.centre_id).first()
    OpenItem.objects.filter(pk=item.pk).update(account=elsewhere)
    (outcome,) = failing("ledger.sub-ledger")
    assert outcome.violations.count == 2  # one centre has too little, the other too much
    assert "écart" in outcome.violations.examples[0]


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL's trigger refuses an unbalanced entry"
)
def test_pay_7_an_unbalanced_entry_is_caught(utility):
    line = JournalLine.objects.filter(debit__gt=0).first()
    JournalLine.objects.create(entry_id=line.entry_id, ledger_account="471000", debit=1)
    (outcome,) = failing("ledger.balanced-entries")
    assert f"écriture {line.entry_id}" in outcome.violations.examples[0]


def test_a_journal_number_skipped_is_a_gap(utility):
    entry = JournalEntry.objects.order_by("-number").first()
    Sequence.objects.filter(series=f"J{entry.journal}", year=entry.year).update(
        last_value=entry.number + 2
    )
    (outcome,) = failing("ledger.gapless-entry-numbers")
    assert f"J{entry.journal} {entry.year}" in outcome.violations.examples[0]


def test_case_1_a_contact_nobody_can_find_is_an_orphan(utility):
    from robinet.cases.models import Contact
    from robinet.organisation.models import Entity, EntityKind

    assert not failing("cases.")
    Contact.objects.create(
        centre=Entity.objects.filter(kind=EntityKind.CENTRE).first(),
        direction="inbound",
        channel="phone",
        occurred_at=clock.now(),
        recorded_at=clock.now(),
    )
    (outcome,) = failing("cases.")
    assert outcome.violations.count == 1


def test_only_refuses_an_unknown_name():
    with pytest.raises(CommandError, match="aucun invariant"):
        call_command("check", "--data-only", "--only", "nothing.", stdout=io.StringIO())


def test_sequence_gaps_rule():
    assert invariants.sequence_gaps([("FAC", 2026, 3, 1, 3)]) == []
    assert invariants.sequence_gaps([("FAC", 2026, 3, 1, 4)]) == [
        "FAC 2026 : 3 numéros de 1 à 4 (1 manquant(s))"
    ]
