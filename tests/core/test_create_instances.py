"""``core.bulk.create_instances``: what ``bulk_create`` writes, through ``COPY`` on PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from robinet.core import audit
from robinet.core.bulk import create_instances
from robinet.core.models import AuditEvent
from robinet.ledger.models import JournalEntry, JournalLine

pytestmark = pytest.mark.django_db


def _entry(org, number: int) -> JournalEntry:
    return JournalEntry(
        journal="OD", year=2025, number=number, entry_date=dt.date(2025, 5, 1),
        piece_ref=f"OD-{number}", piece_date=dt.date(2025, 5, 1), label="Écriture « test »\tA",
        centre=org.centres[0], event="test", created_at=timezone.now(),
    )  # fmt: skip


def _stored(model, pks, columns):
    return list(model.objects.filter(pk__in=pks).order_by("pk").values_list(*columns))


@pytest.mark.parametrize("count", [3, 600])
def test_create_instances_writes_what_bulk_create_writes(org, count):
    """Same stored values (text with tabs and quotes, dates, times, decimals) either way,
    each object given its primary key; 600 rows go through the batch path."""
    made = create_instances(JournalEntry, [_entry(org, n) for n in range(1, count + 1)])
    assert all(entry.pk for entry in made)
    assert len({e.pk for e in made}) == count
    lines = create_instances(
        JournalLine,
        [
            JournalLine(entry=entry, ledger_account="411", debit=Decimal("12.30"), credit=0)
            for entry in made
        ]
        + [
            JournalLine(entry=entry, ledger_account="706", debit=0, credit=Decimal("12.30"))
            for entry in made
        ],
    )
    reference = JournalEntry.objects.bulk_create([_entry(org, 10_000)])[0]
    columns = ("journal", "label", "entry_date", "created_at", "centre_id")
    assert (
        _stored(JournalEntry, [made[0].pk], columns)[0][:3]
        == _stored(JournalEntry, [reference.pk], columns)[0][:3]
    )
    assert JournalLine.objects.get(pk=lines[0].pk).debit == Decimal("12.30")
    assert JournalLine.objects.filter(entry__in=made).count() == 2 * count


def test_record_many_audits_in_bulk_with_json_data(org):
    """Above ``BULK_ROWS`` events the audit goes through ``create_instances``: same rows."""
    centre = org.centres[0]
    events = audit.record_many(
        actor=None,
        verb="test.bulk",
        events=[
            (centre, None, {"n": n, "amount": Decimal("1.50")}) for n in range(audit.BULK_ROWS)
        ],
    )
    stored = AuditEvent.objects.filter(verb="test.bulk").order_by("pk")
    assert [event.pk for event in events] == list(stored.values_list("pk", flat=True))
    assert stored.last().data == {"n": audit.BULK_ROWS - 1, "amount": "1.50"}
    assert stored.first().target_id == str(centre.pk)
