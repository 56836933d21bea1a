"""PAY-7 in the database: on PostgreSQL a trigger refuses any insert of journal lines that
leaves an entry unbalanced — the new entry's, or an earlier entry's that a line is added to.
It sums the lines of each insert per entry (migration ledger 0011): every earlier entry balances
already, the journal being append-only."""

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from robinet.core.bulk import insert_rows
from robinet.ledger.models import JournalEntry, JournalLine

pytestmark = pytest.mark.django_db

# COPY goes through psycopg itself: its error, or Django's when wrapped.
REFUSED = (IntegrityError, psycopg.errors.CheckViolation)
COLUMNS = ("entry_id", "ledger_account", "customer_account_id", "debit", "credit")


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the balance trigger is PostgreSQL's: set ROBINET_TEST_DATABASE_URL")


def _entry(org, number: int) -> JournalEntry:
    return JournalEntry.objects.create(
        journal="OD", year=2025, number=number, entry_date=dt.date(2025, 5, 1),
        piece_ref=f"OD-{number}", piece_date=dt.date(2025, 5, 1), label="Test",
        centre=org.centres[0], event="test", created_at=timezone.now(),
    )  # fmt: skip


def _lines(entry, debit: str, credit: str) -> list[tuple]:
    return [
        (entry.pk, "411000", None, Decimal(debit), Decimal("0.00")),
        (entry.pk, "706000", None, Decimal("0.00"), Decimal(credit)),
    ]


def test_pay_7_balanced_entries_are_written_in_one_insert(postgres, org):
    entries = [_entry(org, n) for n in range(1, 51)]
    insert_rows(JournalLine, COLUMNS, [line for e in entries for line in _lines(e, "10", "10")])
    assert JournalLine.objects.count() == 100


def test_pay_7_one_unbalanced_entry_refuses_the_whole_insert_and_names_it(postgres, org):
    entries = [_entry(org, n) for n in range(1, 11)]
    lines = [line for e in entries for line in _lines(e, "10", "10")]
    lines[-1] = (entries[-1].pk, "706000", None, Decimal("0.00"), Decimal("9.99"))
    refused = f"journal entry {entries[-1].pk} does not balance"
    with pytest.raises(REFUSED, match=refused), transaction.atomic():
        insert_rows(JournalLine, COLUMNS, lines)
    assert not JournalLine.objects.exists()


def test_pay_7_a_line_added_to_an_earlier_balanced_entry_is_refused(postgres, org):
    entry = _entry(org, 1)
    insert_rows(JournalLine, COLUMNS, _lines(entry, "10", "10"))
    with pytest.raises(REFUSED, match="does not balance"), transaction.atomic():
        insert_rows(JournalLine, COLUMNS, [(entry.pk, "411000", None, Decimal("1"), 0)])
    assert JournalLine.objects.count() == 2
