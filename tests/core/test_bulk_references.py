"""Foreign keys of a bulk insert checked per batch (``core.bulk.ReferenceBatch``), and rows
written from shapes (``core.bulk.insert_shaped``).

Every invariant stays a database constraint: a large insert checks each key
column with one query instead of one per row, and must refuse exactly what
PostgreSQL's own per-row check refuses — a missing row, now or at the commit
when it is written later in the transaction — and lock what it locks.
"""

import datetime as dt
import itertools
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from robinet.core.bulk import (
    BATCH_REFERENCE_CHECK_MIN_ROWS,
    ReferenceBatch,
    allocate_ids,
    array_parameter,
    insert_rows,
    insert_shaped,
    keys_checked_once,
)
from robinet.ledger.models import JournalEntry, JournalLine
from tests.customers import factories as customer_factories

COLUMNS = ("entry_id", "ledger_account", "customer_account_id", "debit", "credit")
ENTRIES = BATCH_REFERENCE_CHECK_MIN_ROWS // 2 + 1  # two lines each: a batch
REFUSED = (IntegrityError, psycopg.errors.IntegrityError)


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("per-batch key checks are PostgreSQL's: set ROBINET_TEST_DATABASE_URL")


def _entries(org, count: int, start: int = 1) -> list[JournalEntry]:
    return JournalEntry.objects.bulk_create(
        JournalEntry(
            journal="OD", year=2025, number=n, entry_date=dt.date(2025, 5, 1),
            piece_ref=f"OD-{n}", piece_date=dt.date(2025, 5, 1), label="Test",
            centre=org.centres[0], event="test", created_at=timezone.now(),
        )
        for n in range(start, start + count)
    )  # fmt: skip


def _lines(entry_ids) -> list[tuple]:
    return [
        line
        for pk in entry_ids
        for line in (
            (pk, "411000", None, Decimal("10.00"), Decimal("0.00")),
            (pk, "706000", None, Decimal("0.00"), Decimal("10.00")),
        )
    ]


def _refused_at_commit(write) -> str:
    """``write()`` in a transaction, then what the commit checks: the journal lines are
    refused and none is left. Returns PostgreSQL's detail (the key, table and column)."""

    def write_then_commit_checks() -> None:
        with transaction.atomic():
            write()
            connection.check_constraints()  # what the commit runs

    with pytest.raises(REFUSED, match="ledger_journalline") as refused:
        write_then_commit_checks()
    assert not JournalLine.objects.exists()
    cause = refused.value.__cause__ or refused.value
    return cause.diag.message_detail


def _replica_statements(queries) -> int:
    return sum("session_replication_role = replica" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_a_large_insert_checks_its_keys_per_batch_and_writes_every_row(postgres, org):
    entries = _entries(org, ENTRIES)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(JournalLine, COLUMNS, _lines(e.pk for e in entries))
    assert _replica_statements(queries) == 1
    connection.check_constraints()  # what the commit would check: nothing left
    assert JournalLine.objects.count() == 2 * ENTRIES


@pytest.mark.django_db
def test_a_small_insert_is_left_to_postgresql_row_by_row(postgres, org):
    entries = _entries(org, 3)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(JournalLine, COLUMNS, _lines(e.pk for e in entries))
    assert _replica_statements(queries) == 0


@pytest.mark.django_db
def test_turned_off_by_the_setting_the_insert_is_checked_row_by_row(postgres, org, settings):
    settings.ROBINET_BATCH_REFERENCE_CHECKS = False
    entries = _entries(org, ENTRIES)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(JournalLine, COLUMNS, _lines(e.pk for e in entries))
    assert _replica_statements(queries) == 0


@pytest.fixture(params=["index probes", "planner's join"])
def probes(request, monkeypatch):
    """Both ways of looking the keys up: an index probe per key (few keys next to the
    referenced table, or its size unknown) and the join the planner chooses."""
    few = request.param == "index probes"
    monkeypatch.setattr(ReferenceBatch, "_few", lambda self, cursor, parent, count: few)
    return request.param


@pytest.mark.django_db
def test_a_missing_key_refuses_the_commit_and_names_table_column_and_key(postgres, org, probes):
    entries = _entries(org, ENTRIES)
    missing = entries[-1].pk + 1000
    lines = _lines([*(e.pk for e in entries), missing])
    detail = _refused_at_commit(lambda: insert_rows(JournalLine, COLUMNS, lines))
    assert detail == f'Key (entry_id)=({missing}) is not present in table "ledger_journalentry".'


def _pending_checks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM robinet_reference_check")
        return cursor.fetchone()[0]


def _write_entries(org, ids) -> None:
    insert_rows(
        JournalEntry,
        ("id", "journal", "year", "number", "entry_date", "piece_ref", "piece_date", "label",
         "centre_id", "event", "created_at"),
        [
            (pk, "OD", 2025, n, dt.date(2025, 5, 1), f"OD-{n}", dt.date(2025, 5, 1), "Test",
             org.centres[0].pk, "test", timezone.now())
            for n, pk in enumerate(ids, start=1)
        ],
    )  # fmt: skip


@pytest.mark.django_db
def test_a_key_written_later_in_the_transaction_is_checked_at_the_commit(postgres, org):
    """Deferred keys stay deferred: children first, then the parents they reference."""
    ids = list(allocate_ids(JournalEntry, ENTRIES))
    insert_rows(JournalLine, COLUMNS, _lines(ids))
    assert _pending_checks() == 1  # one key column waits for the commit
    _write_entries(org, ids)
    connection.check_constraints()
    assert _pending_checks() == 0


@pytest.mark.django_db
def test_keys_written_later_by_the_caller_are_not_looked_up_and_settled_once_written(postgres, org):
    ids = list(allocate_ids(JournalEntry, ENTRIES))
    with CaptureQueriesContext(connection) as queries:
        pending = insert_rows(JournalLine, COLUMNS, _lines(ids), written_later="entry_id")
    assert not any('FROM "ledger_journalentry"' in q["sql"] for q in queries.captured_queries)
    assert _pending_checks() == 1
    _write_entries(org, ids)
    pending.settle()
    assert _pending_checks() == 0
    connection.check_constraints()  # the queued check finds its row settled


@pytest.mark.django_db
def test_keys_written_later_but_never_written_refuse_the_commit(postgres, org):
    ids = list(allocate_ids(JournalEntry, ENTRIES))
    _refused_at_commit(
        lambda: insert_rows(JournalLine, COLUMNS, _lines(ids), written_later="entry_id")
    )


@pytest.mark.django_db
def test_pay_7_the_balance_trigger_still_refuses_an_unbalanced_batch(postgres, org):
    entries = _entries(org, ENTRIES)
    lines = _lines(e.pk for e in entries)
    lines[-1] = (entries[-1].pk, "706000", None, Decimal("0.00"), Decimal("9.99"))
    with pytest.raises(REFUSED, match="does not balance"), transaction.atomic():
        insert_rows(JournalLine, COLUMNS, lines)
    assert not JournalLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_referenced_rows_are_locked_until_the_commit_as_postgresql_locks_them(
    postgres, org, probes
):
    entries = _entries(org, ENTRIES)
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
        host=db["HOST"] or None, port=db["PORT"] or None,
    )  # fmt: skip
    try:
        with transaction.atomic():
            insert_rows(JournalLine, COLUMNS, _lines(e.pk for e in entries))
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "SELECT 1 FROM ledger_journalentry WHERE id = %s FOR UPDATE NOWAIT",
                    [entries[0].pk],
                )
            other.rollback()
        other.execute(
            "SELECT 1 FROM ledger_journalentry WHERE id = %s FOR UPDATE NOWAIT", [entries[0].pk]
        )
        other.rollback()
    finally:
        other.close()


# --- rows written from shapes (``insert_shaped``) ---------------------------------------------

SHAPE_COLUMNS = ("ledger_account", "debit", "credit")
SHAPES = [
    [("706000", Decimal("0.00"), Decimal("10.00")), ("445710", Decimal("0.00"), Decimal("0.55"))],
    [("411000", Decimal("10.55"), Decimal("0.00"))],
    [],  # a shape may have no rows: its heads write nothing
]


def _heads(entry_ids, account_id) -> list[tuple]:
    return [
        head
        for pk in entry_ids
        for head in ((pk, None, 0), (pk, account_id, 1), (pk, account_id, 2))
    ]


def _written() -> list[tuple]:
    return list(
        JournalLine.objects.order_by("pk").values_list(
            "entry_id", "customer_account_id", *SHAPE_COLUMNS
        )
    )


@pytest.mark.django_db
def test_a_shaped_insert_writes_each_heads_shape_in_order(org):
    account = customer_factories.person(org.centres[0])
    entries = _entries(org, 4)
    heads = _heads([e.pk for e in entries], account.pk)
    with transaction.atomic():
        insert_shaped(
            JournalLine, ("entry_id", "customer_account_id"), heads, SHAPE_COLUMNS, SHAPES
        )
        connection.check_constraints()
    assert _written() == [(pk, acc, *tail) for pk, acc, shape in heads for tail in SHAPES[shape]]


ENTRY_SHAPE = ("journal", "year", "entry_date", "piece_ref", "piece_date", "label", "event")


@pytest.mark.django_db
@hypothesis_settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    labels=st.lists(
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60),
        min_size=1,
        max_size=4,
    )
)
def test_a_shaped_insert_writes_any_text_as_copy_would(org, labels):
    """Tails are rendered as COPY text once per shape: tabs, ends of lines, backslashes and
    every other character come back as written."""
    shapes = [
        [("OD", 2025, dt.date(2025, 5, 1), f"P{n}", dt.date(2025, 4, 30), label, "test")]
        for n, label in enumerate(labels)
    ]
    ids = list(allocate_ids(JournalEntry, 2 * len(labels)))
    numbers = iter(range(ids[0], ids[0] + len(ids)))  # unique per example: the ids are
    heads = [
        (pk, next(numbers), org.centres[0].pk, timezone.now(), n % len(labels))
        for n, pk in enumerate(ids)
    ]
    with transaction.atomic():
        insert_shaped(
            JournalEntry, ("id", "number", "centre_id", "created_at"), heads, ENTRY_SHAPE, shapes
        )
    written = JournalEntry.objects.filter(pk__in=ids).order_by("pk")
    assert [
        (e.pk, e.number, e.created_at, *(getattr(e, c) for c in ENTRY_SHAPE)) for e in written
    ] == [
        (pk, number, created_at, *shapes[shape][0])
        for pk, number, _centre, created_at, shape in heads
    ]


@pytest.mark.django_db
def test_a_shaped_insert_refuses_a_missing_key_at_the_commit(postgres, org):
    entries = _entries(org, ENTRIES)
    missing = customer_factories.person(org.centres[0]).pk + 1000
    heads = _heads([e.pk for e in entries], missing)
    detail = _refused_at_commit(
        lambda: insert_shaped(
            JournalLine, ("entry_id", "customer_account_id"), heads, SHAPE_COLUMNS, SHAPES
        )
    )
    assert detail == (
        f"Key (customer_account_id)=({missing}) is not present in table "
        '"customers_customeraccount".'
    )


@pytest.mark.django_db
def test_a_shaped_insert_leaves_keys_written_later_to_the_caller(postgres, org):
    account = customer_factories.person(org.centres[0])
    ids = list(allocate_ids(JournalEntry, ENTRIES))
    with transaction.atomic():
        pending = insert_shaped(
            JournalLine, ("entry_id", "customer_account_id"), _heads(ids, account.pk),
            SHAPE_COLUMNS, SHAPES, written_later="entry_id",
        )  # fmt: skip
        assert _pending_checks() == 1
        _write_entries(org, ids)
        pending.settle()
        connection.check_constraints()
    assert _pending_checks() == 0
    assert len(_written()) == 3 * ENTRIES


@pytest.mark.django_db
def test_pay_7_the_balance_trigger_refuses_an_unbalanced_shaped_insert(postgres, org):
    account = customer_factories.person(org.centres[0])
    entries = _entries(org, ENTRIES)
    unbalanced = [SHAPES[0], [("411000", Decimal("10.54"), Decimal("0.00"))], []]
    with pytest.raises(REFUSED, match="does not balance"), transaction.atomic():
        insert_shaped(
            JournalLine, ("entry_id", "customer_account_id"),
            _heads([e.pk for e in entries], account.pk), SHAPE_COLUMNS, unbalanced,
        )  # fmt: skip
    assert not JournalLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ids_allocated_twice_before_writing_are_different(org):
    """Ids reserved for rows written later (a booking stages two batches, then writes them)
    are never handed out twice, before or after the rows are written — on SQLite too, where
    they come from the largest id used rather than from a sequence."""
    first = list(allocate_ids(JournalEntry, 3))
    second = list(allocate_ids(JournalEntry, 2))
    assert not set(first) & set(second)
    (written,) = _entries(org, 1)
    with transaction.atomic():
        third = list(allocate_ids(JournalEntry, 2))
    assert not set(third) & {*first, *second, written.pk}


@pytest.mark.django_db(transaction=True)
def test_ids_taken_between_another_writers_are_exactly_those_taken(postgres):
    """A block of ids comes back as a range; when another writer took values in between
    (here: a sequence stepping by 2 stands for it), exactly the values taken come back."""
    block = allocate_ids(JournalEntry, 5)
    assert isinstance(block, range)
    assert len(block) == 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('ledger_journalentry', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 2")
        try:
            scattered = list(allocate_ids(JournalEntry, 4))
        finally:
            cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
    assert len(scattered) == 4
    assert [b - a for a, b in itertools.pairwise(scattered)] == [2, 2, 2]
    assert scattered[0] > block[-1]


def _lookups_of(queries, table: str) -> int:
    return sum(f'FROM "{table}" p' in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_keys_checked_once_in_a_block_are_not_looked_up_again(postgres, org):
    """A chunk writes its invoices, open items and journal lines for the same accounts: in
    ``keys_checked_once`` each key is looked up (and locked) by the first insert only."""
    account = customer_factories.person(org.centres[0])
    entries = _entries(org, 2 * ENTRIES)
    first = [(*line[:2], account.pk, *line[3:]) for line in _lines(e.pk for e in entries[:ENTRIES])]
    second = [
        (*line[:2], account.pk, *line[3:]) for line in _lines(e.pk for e in entries[ENTRIES:])
    ]
    with keys_checked_once(), CaptureQueriesContext(connection) as queries:
        insert_rows(JournalLine, COLUMNS, first)
        insert_rows(JournalLine, COLUMNS, second)
    assert _lookups_of(queries, "customers_customeraccount") == 1
    assert _lookups_of(queries, "ledger_journalentry") == 2  # other entries each time
    with CaptureQueriesContext(connection) as queries:  # the block is over
        insert_rows(JournalLine, COLUMNS, first)
    assert _lookups_of(queries, "customers_customeraccount") == 1
    assert JournalLine.objects.count() == 6 * ENTRIES


@pytest.mark.django_db
def test_rows_written_in_the_block_are_not_looked_up_by_their_children(postgres, org):
    ids = list(allocate_ids(JournalEntry, ENTRIES))
    with keys_checked_once():
        _write_entries(org, ids)
        with CaptureQueriesContext(connection) as queries:
            insert_rows(JournalLine, COLUMNS, _lines(ids))
    assert _lookups_of(queries, "ledger_journalentry") == 0
    connection.check_constraints()
    assert JournalLine.objects.count() == 2 * ENTRIES


@pytest.mark.django_db
def test_in_the_block_a_key_not_checked_before_is_still_refused(postgres, org, probes):
    entries = _entries(org, ENTRIES)
    missing = entries[-1].pk + 1000

    def write() -> None:
        with keys_checked_once():
            insert_rows(JournalLine, COLUMNS, _lines(e.pk for e in entries))
            insert_rows(JournalLine, COLUMNS, _lines([*(e.pk for e in entries), missing]))

    detail = _refused_at_commit(write)
    assert detail == f'Key (entry_id)=({missing}) is not present in table "ledger_journalentry".'


@pytest.mark.django_db
def test_keys_known_in_one_thread_are_not_known_in_another(postgres, org):
    """Each thread has its own connection and transaction (Django's connections are
    per thread): what one transaction checked and locked says nothing for another's."""
    import threading

    from robinet.core import bulk

    entries = _entries(org, ENTRIES)
    seen_elsewhere = []
    with keys_checked_once():
        insert_rows(JournalLine, COLUMNS, _lines(e.pk for e in entries))
        assert bulk._known_keys()[connection.alias]
        other = threading.Thread(target=lambda: seen_elsewhere.append(dict(bulk._known_keys())))
        other.start()
        other.join()
    assert seen_elsewhere == [{}]
    assert connection.alias not in bulk._known_keys()


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
        ),
        max_size=20,
    )
)
@hypothesis_settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@pytest.mark.django_db
def test_decimals_and_nulls_as_one_array_literal_come_back_the_same(postgres, values):
    """``array_parameter``: amounts (and NULLs) sent as one array literal are read back
    exactly as given, in order."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::numeric[])", [array_parameter(values)])
        assert [row[0] for row in cursor.fetchall()] == values


@pytest.mark.django_db
def test_dates_and_nulls_as_one_array_literal(postgres):
    days = [dt.date(2026, 7, 10), None, dt.date(1999, 12, 31)]
    assert array_parameter(days) == "{2026-07-10,NULL,1999-12-31}"
    moment = dt.datetime(2026, 7, 10, 8, 30, tzinfo=dt.UTC)
    assert array_parameter([moment]) == [moment]  # a datetime's text would need quoting
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::date[])", [array_parameter(days)])
        assert [row[0] for row in cursor.fetchall()] == days
