"""Fast inserts of prepared row tuples, for imports and generators.

Django's ``bulk_create`` prepares every field of every object in Python,
which dominates an import of 100,000 rows. Here rows are tuples of plain
values (str, int, bool, date, None) written with ``executemany`` on SQLite
and ``COPY`` on PostgreSQL, in the caller's transaction. Ids are allocated
up-front so that related rows can reference them.

On PostgreSQL the foreign keys of a large insert are checked by one query
per key column instead of one per row and key (:class:`ReferenceBatch`,
see ``docs/decisions/0013-foreign-keys-checked-per-batch.md``).
"""

import datetime as dt
import gc
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

from django.conf import settings
from django.db import connection as default_connection
from django.db.models import Field, JSONField

#: below this many rows PostgreSQL's own per-row checks cost less than the batch's queries
BATCH_REFERENCE_CHECK_MIN_ROWS = 500
#: PostgreSQL's trigger-type bit for INSERT (``TRIGGER_TYPE_INSERT``)
_INSERT_TRIGGER = 4
_may_skip_row_checks: "weakref.WeakKeyDictionary[object, bool]" = weakref.WeakKeyDictionary()
_tables_without_insert_triggers: "weakref.WeakKeyDictionary[object, dict]" = (
    weakref.WeakKeyDictionary()
)
# Inside :func:`keys_checked_once`, per thread (as Django's connections are) and connection
# alias: (table, column) → keys known to exist and to stay until the commit (checked and
# locked, or written, by this connection's transaction in the block).
_known = threading.local()


def _known_keys() -> dict[str, dict[tuple[str, str], set]]:
    if not hasattr(_known, "by_alias"):
        _known.by_alias = {}
    return _known.by_alias


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a bulk job (imports, run chunks).

    A job that builds a million tuples, dates and decimals makes the collector
    walk every live object again and again (a fifth of a readings import); the
    job's objects hold no reference cycles and are freed by reference counting.
    The collector is switched back on at the end, even on an error.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def keys_checked_once(*, connection=default_connection) -> Iterator[None]:
    """Within the block, a key that a bulk insert has checked, or a row it has written, is
    not looked up again by the next bulk inserts (:class:`ReferenceBatch`).

    A run's chunk writes its invoices, their open items and their journal lines
    for the same accounts: checked once, those keys are locked (``FOR KEY
    SHARE``) until the commit, and the rows written in the block exist until
    then. That holds while the block deletes nothing and rolls no savepoint
    back, which is the caller's promise. Outside a transaction it changes nothing
    (PostgreSQL checks every row there).
    """
    by_alias = _known_keys()
    outer = connection.in_atomic_block and connection.alias not in by_alias
    if outer:
        by_alias[connection.alias] = {}
    try:
        yield
    finally:
        if outer:
            del by_alias[connection.alias]


def _note_written(model, columns: Sequence[str], rows: Sequence[tuple], connection) -> None:
    """Inside :func:`keys_checked_once`: the primary keys of rows just written are known."""
    known = _known_keys().get(connection.alias)
    pk = model._meta.pk.column
    if known is None or pk not in columns:
        return
    position = list(columns).index(pk)
    known.setdefault((model._meta.db_table, pk), set()).update(map(itemgetter(position), rows))


def allocate_ids(model, count: int, *, connection=default_connection) -> range:
    """``count`` fresh primary keys for ``model``, safe against concurrent writers.

    PostgreSQL takes them from the table's sequence. SQLite runs writers one
    at a time (IMMEDIATE transactions), so the next ids after the largest one
    ever used are free for the caller's transaction; they are noted as used
    (``sqlite_sequence``, as the table's AUTOINCREMENT does) so that a second
    call before the rows are written gets others, as from a sequence.
    """
    if count <= 0:
        return range(0)
    table = model._meta.db_table
    pk = model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A sequence hands out increasing values; concurrent callers interleave, so
            # the values taken come back one by one only when they are not one block
            # (fetching 10,000 rows costs more than taking them). The sequence is looked
            # up once (materialised): per row, its name cost nine tenths of the statement.
            cursor.execute(
                "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
                "SELECT min(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL "
                "ELSE array_agg(v ORDER BY v) END FROM "
                "(SELECT nextval(s.seq) AS v FROM s, generate_series(1, %s)) AS taken",
                [quote(table), pk, count],
            )
            first, scattered = cursor.fetchone()
            if scattered is None:
                return range(first, first + count)
            return scattered  # type: ignore[no-any-return]
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        highest = max(highest, row[0] if row else 0)
        if row:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [highest + count, table]
            )
        else:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest + count]
            )
    return range(highest + 1, highest + 1 + count)


def insert_rows(
    model,
    columns: Sequence[str],
    rows: Iterable[tuple],
    *,
    connection=default_connection,
    written_later: str | None = None,
) -> "PendingReferences | None":
    """Insert ``rows`` (tuples in ``columns`` order, column names as in the database).

    ``written_later``: a key column whose referenced rows the caller writes later in
    the same transaction (fresh ids from :func:`allocate_ids`). Its keys are not
    looked up now; on PostgreSQL they are left to the commit, and the caller that
    writes those rows may settle them sooner (:meth:`PendingReferences.settle`).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        if not isinstance(rows, Sequence):
            rows = list(rows)
        references = ReferenceBatch(model, columns, len(rows), connection=connection)
        references.add(rows)
        with connection.cursor() as cursor:
            references.start(cursor)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            pending = references.finish(cursor, written_later=written_later)
        _note_written(model, columns, rows, connection)
        return pending
    marks = ", ".join("?" for _ in columns)
    # The sqlite3 connection itself: no per-row conversion by Django's cursor wrapper.
    connection.connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))
    return None


def insert_shaped(
    model,
    head_columns: Sequence[str],
    heads: Sequence[tuple],
    shape_columns: Sequence[str],
    shapes: Sequence[Sequence[tuple]],
    *,
    connection=default_connection,
    written_later: str | None = None,
) -> "PendingReferences | None":
    """:func:`insert_rows` for rows that share most of their values: for each head, one row
    per tail of its shape, the head's values followed by the tail's.

    A head is the values of ``head_columns`` followed by the index of its shape in
    ``shapes``; a shape is a list of tails (values of ``shape_columns``), possibly empty.
    Rows are written in the order of the heads, then of each shape's tails. On
    PostgreSQL each tail is rendered as COPY text once, however many rows repeat it
    (the lines of bills priced alike, of their journal entries): formatting every value
    of every row is most of a bulk insert's work on the client.
    """
    if connection.vendor != "postgresql":
        rows = [(*head[:-1], *tail) for head in heads for tail in shapes[head[-1]]]
        return insert_rows(
            model,
            (*head_columns, *shape_columns),
            rows,
            connection=connection,
            written_later=written_later,
        )
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = (*head_columns, *shape_columns)
    names = ", ".join(quote(c) for c in columns)
    connection.ensure_connection()
    references = ReferenceBatch(
        model, columns, sum(len(shapes[head[-1]]) for head in heads), connection=connection
    )
    for index, column in enumerate(head_columns):
        references.add_keys(column, map(itemgetter(index), heads))
    for index, column in enumerate(shape_columns):
        references.add_keys(column, (tail[index] for shape in shapes for tail in shape))
    with connection.cursor() as cursor:
        references.start(cursor)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            # psycopg's own COPY text, one row at a time (what ``write_row`` would send)
            formatter = type(copy.formatter)(copy.formatter.transformer)

            def render(values) -> bytes:
                return bytes(formatter.write_row(values)) + bytes(formatter.end())

            tails = [[render(tail) for tail in shape] for shape in shapes]
            text: list[bytes] = []
            for head in heads:
                start = render(head[:-1])[:-1] + b"\t"  # its end of line dropped
                text.extend(start + tail for tail in tails[head[-1]])
                if len(text) >= 10_000:
                    copy.write(b"".join(text))
                    text.clear()
            copy.write(b"".join(text))
        return references.finish(cursor, written_later=written_later)


def create_instances(model, objs: list, *, connection=default_connection) -> list:
    """``bulk_create`` for large batches: primary keys from :func:`allocate_ids`, rows written
    by :func:`insert_rows` (``COPY`` on PostgreSQL, keys checked per batch). Values are what
    the model's fields prepare for the database (``pre_save``, ``get_db_prep_save``), as an
    ORM insert would; each object gets its primary key. Returns ``objs``."""
    if not objs:
        return objs
    pk = model._meta.pk
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    # Plain values (a str, an int, a bool, None) go as they are, except into a JSON column;
    # the fields that override pre_save (dates: auto_now) are asked for their value.
    getters = [
        (
            field.attname,
            field if type(field).pre_save is not Field.pre_save else None,
            isinstance(field, JSONField),
            field,
        )
        for field in fields
    ]
    plain = (str, int, bool, type(None))
    rows = []
    for obj, key in zip(objs, allocate_ids(model, len(objs), connection=connection), strict=True):
        setattr(obj, pk.attname, key)
        obj._state.adding = False
        obj._state.db = connection.alias
        row = [key]
        for attname, saver, is_json, field in getters:
            value = saver.pre_save(obj, True) if saver is not None else getattr(obj, attname)
            if is_json or type(value) not in plain:
                value = field.get_db_prep_save(value, connection)
            row.append(value)
        rows.append(row)
    insert_rows(
        model, [pk.column, *(field.column for field in fields)], rows, connection=connection
    )
    return objs


def in_ids(column: str, ids: Sequence[int], *, connection=default_connection) -> tuple[str, list]:
    """``(sql, params)`` for "``column`` is one of ``ids``" in raw SQL.

    PostgreSQL gets one array parameter (``= ANY(%s)``): a statement with 10,000
    placeholders costs more to build and parse than to run.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [array_parameter(list(ids))]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


class ReferenceBatch:
    """The foreign keys of one bulk insert, checked with one query per key column.

    PostgreSQL checks a foreign key with one query per row and key (about
    5 µs each, in the single backend of the transaction): for an import of
    1,000,000 readings with three keys that is 15 s. Here the insert runs
    with the per-row triggers off (``session_replication_role = replica``,
    for that statement only) and each key column is checked afterwards, in
    the database and in the same transaction, by one join of its distinct
    values to the referenced table that also takes PostgreSQL's own lock
    (``FOR KEY SHARE``), so that the referenced rows cannot be deleted
    before the commit — exactly what the per-row check guarantees. Keys
    not found yet (a parent written later in the same transaction, which
    the deferred constraints allow) are handed to a deferred constraint
    trigger that checks them at the commit
    (``core`` migration 0006). The constraints stay declared: every other
    write is checked by PostgreSQL row by row.

    The batch is used only when it is safe and worth it: PostgreSQL, inside
    a transaction, at least :data:`BATCH_REFERENCE_CHECK_MIN_ROWS` rows, a
    role allowed to set ``session_replication_role`` (a superuser, or
    ``GRANT SET ON PARAMETER session_replication_role`` on PostgreSQL 15+),
    no trigger on the table that replica mode would skip, and
    ``ROBINET_BATCH_REFERENCE_CHECKS`` not turned off. Otherwise nothing
    changes: PostgreSQL checks each row.
    """

    def __init__(self, model, columns: Sequence[str], count: int, *, connection=default_connection):
        self.connection = connection
        self.table = model._meta.db_table
        self.references: list[tuple[int, str, str, str, str]] = []
        self.active = (
            connection.vendor == "postgresql"
            and count >= BATCH_REFERENCE_CHECK_MIN_ROWS
            and connection.in_atomic_block
            and getattr(settings, "ROBINET_BATCH_REFERENCE_CHECKS", True)
        )
        if not self.active:
            return
        by_column = {field.column: field for field in model._meta.concrete_fields}
        for index, name in enumerate(columns):
            field = by_column.get(name)
            if field is None or not field.is_relation or not getattr(field, "db_constraint", False):
                continue
            target = field.target_field
            self.references.append(
                (
                    index,
                    name,
                    target.model._meta.db_table,
                    target.column,
                    target.db_type(connection),
                )
            )
        self.active = bool(self.references) and _batch_allowed(connection, self.table)
        self.keys: list[set] = [set() for _ in self.references]

    def add(self, rows: Sequence[tuple]) -> None:
        """Remember the keys of ``rows`` (tuples in the insert's column order)."""
        if not self.active:
            return
        for (index, *_), keys in zip(self.references, self.keys, strict=True):
            keys.update(map(itemgetter(index), rows))

    def add_keys(self, column: str, values: Iterable) -> None:
        """Remember ``values`` written to the key ``column``."""
        if not self.active:
            return
        for (_, name, *_), keys in zip(self.references, self.keys, strict=True):
            if name == column:
                keys.update(values)

    def start(self, cursor) -> None:
        """Before the insert: PostgreSQL's per-row checks off (this transaction only)."""
        if self.active:
            cursor.execute("SET LOCAL session_replication_role = replica")

    def finish(self, cursor, *, written_later: str | None = None) -> "PendingReferences | None":
        """After the insert: per-row checks back on, then this batch's keys checked.

        The keys of the column ``written_later`` are not looked up (the caller
        writes their rows later in the transaction): they go straight to the
        check at the commit, and the :class:`PendingReferences` returned lets
        the caller settle them once written.
        """
        if not self.active:
            return None
        cursor.execute("SET LOCAL session_replication_role = origin")
        quote = self.connection.ops.quote_name
        known = _known_keys().get(self.connection.alias)
        pending = None
        for (_, column, parent, parent_column, key_type), keys in zip(
            self.references, self.keys, strict=True
        ):
            keys.discard(None)
            if known is not None:
                keys.difference_update(known.get((parent, parent_column), ()))
            if not keys:
                continue
            if column == written_later:
                pending = PendingReferences(
                    self._check_at_commit(cursor, column, parent, parent_column, list(keys))
                )
                continue
            values = array_parameter(list(keys))
            if self._few(cursor, parent, len(keys)):
                # An index probe per key: with the planner's default costs (random_page_cost
                # 4) a hash join reading the whole table looks cheaper from a few thousand
                # keys on, and costs 0.2 s a batch on a table of a million rows.
                checked = (
                    f"SELECT count(*) FROM unnest(%s::{key_type}[]) k(key) CROSS JOIN LATERAL "
                    f"(SELECT 1 FROM {quote(parent)} p "
                    f"WHERE p.{quote(parent_column)} = k.key "
                    "LIMIT 1 FOR KEY SHARE) s"
                )
            else:
                checked = (
                    f"SELECT count(*) FROM (SELECT 1 FROM {quote(parent)} p "
                    f"JOIN unnest(%s::{key_type}[]) k(key) "
                    f"ON p.{quote(parent_column)} = k.key "
                    "FOR KEY SHARE OF p) s"
                )
            cursor.execute(checked, [values])
            if cursor.fetchone()[0] == len(keys):
                if known is not None:  # found and locked until the commit
                    known.setdefault((parent, parent_column), set()).update(keys)
                continue
            cursor.execute(
                f"SELECT k.key::text FROM unnest(%s::{key_type}[]) k(key) WHERE NOT EXISTS "
                f"(SELECT 1 FROM {quote(parent)} p "
                f"WHERE p.{quote(parent_column)} = k.key OFFSET 0)",
                [values],
            )
            self._check_at_commit(
                cursor, column, parent, parent_column, [row[0] for row in cursor.fetchall()]
            )
        return pending

    def _check_at_commit(self, cursor, column, parent, parent_column, keys: list) -> int:
        """Leave ``keys`` to the deferred check of the commit (``core`` migration 0006)."""
        cursor.execute(
            "INSERT INTO robinet_reference_check "
            "(child_table, child_column, parent_table, parent_column, keys) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id",
            [self.table, column, parent, parent_column, [str(key) for key in keys]],
        )
        return cursor.fetchone()[0]

    def _few(self, cursor, parent: str, count: int) -> bool:
        """Are ``count`` keys few next to the rows of ``parent`` (or is its size unknown)?

        The rows are estimated as the planner does: the density of the last
        analysis times the table's pages now (a bulk load grows a table long
        before it is analysed again). Probing too often costs a few µs a key;
        reading a large table for a few keys costs far more.
        """
        cursor.execute(
            "SELECT CASE WHEN relpages > 0 THEN reltuples / relpages * "
            "(pg_relation_size(oid) / current_setting('block_size')::int) ELSE -1 END "
            "FROM pg_class WHERE oid = %s::regclass",
            [parent],
        )
        rows = cursor.fetchone()[0]
        return rows < 0 or count * 4 < rows  # -1: never analysed


@dataclass
class PendingReferences:
    """Keys of a bulk insert left to the check at the commit (``written_later``)."""

    check_id: int

    def settle(self, *, connection=default_connection) -> None:
        """The caller has now written every row these keys reference, in this transaction,
        into a table that refuses deletes: nothing is left to check at the commit."""
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM robinet_reference_check WHERE id = %s", [self.check_id])


#: values whose text needs no quoting in an array literal (a datetime's would)
_PLAIN_ARRAY_TYPES = (int, Decimal, dt.date)


def array_parameter(values: list):
    """Integers, decimals and dates (or None) as one array literal (``= ANY(%s)``,
    ``unnest(%s::bigint[])``): psycopg dumps a list item by item, quoting each (6 ms for
    10,000 ints, against under 1 ms for the text). Other values stay a list."""
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(value is None or type(value) in _PLAIN_ARRAY_TYPES for value in values):
        return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"
    return values


def _batch_allowed(connection, table: str) -> bool:
    """May this connection turn the per-row checks off for an insert into ``table``?"""
    raw = connection.connection
    allowed = _may_skip_row_checks.get(raw)
    with connection.cursor() as cursor:
        if allowed is None:
            if connection.pg_version >= 150000:
                cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
            else:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            cursor.execute("SELECT to_regclass('robinet_reference_check') IS NOT NULL")
            allowed = bool(row and row[0]) and cursor.fetchone()[0]
            _may_skip_row_checks[raw] = allowed
        if not allowed:
            return False
        tables = _tables_without_insert_triggers.setdefault(raw, {})
        if table not in tables:
            # Replica mode skips ordinary triggers: a table with one is checked row by row
            # unless the trigger is ENABLE ALWAYS (as PAY-7's balance check is).
            cursor.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled NOT IN ('A', 'D') AND tgtype & %s <> 0) "
                "AND NOT EXISTS (SELECT 1 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
                "WHERE c.oid = %s::regclass AND r.rulename <> '_RETURN')",
                [
                    connection.ops.quote_name(table),
                    _INSERT_TRIGGER,
                    connection.ops.quote_name(table),
                ],
            )
            tables[table] = cursor.fetchone()[0]
        return tables[table]
