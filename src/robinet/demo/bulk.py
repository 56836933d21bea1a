"""Fast bulk writing of prepared row tuples (demo generator, benchmarks).

* PostgreSQL: ``COPY … FROM STDIN`` through psycopg 3, from a writer thread,
  so that the server inserts chunk *n* while Python builds chunk *n + 1*.
  Following the PostgreSQL manual ("Populating a Database"), the foreign keys
  and the B-tree indexes that back no constraint are dropped first and
  recreated at the end — in the same transaction, so a failure rolls
  everything back, and the recreation checks every row (a duplicate or a
  dangling key fails the load). The trigram GIN index of the search text,
  by far the costliest, is kept and filled during the load, in parallel with
  Python, with a larger pending list. The identity sequences are then moved
  past the ids written.
* SQLite: ``executemany`` of one prepared ``INSERT`` per table, in the
  caller's transaction (the settings set WAL and ``synchronous=NORMAL``). The
  secondary indexes are dropped before and rebuilt after (sorting once beats
  inserting a million random keys one by one); rebuilding a unique index
  checks it. Likewise an external-content FTS5 index kept in step by an
  insert trigger (the customer search) is rebuilt once at the end.

Rows are tuples of plain values (str, int, bool, None); dates and datetimes
are ISO strings, which both databases parse. Columns the caller does not
provide get the model field's default, so a field added later does not break
the loader as long as it has a default or is nullable.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

_STOP = None
_FTS_CONTENT = re.compile(r"content\s*=\s*['\"]?(\w+)", re.IGNORECASE)
_AFTER_INSERT = re.compile(r"\bAFTER\s+INSERT\s+ON\b", re.IGNORECASE)
_INSERT_INTO = re.compile(r"\bINSERT\s+INTO\s+[\"`]?(\w+)", re.IGNORECASE)


@dataclass
class _Table:
    model: type
    name: str
    columns: tuple[str, ...]
    tail: tuple  # values of the columns the caller does not provide


def _tables(connection: BaseDatabaseWrapper, columns: Mapping[type, Sequence[str]]) -> list[_Table]:
    tables = []
    for model, attnames in columns.items():
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [a for a in attnames if a not in fields]
        if unknown:
            raise ValueError(f"{model._meta.label} has no column {unknown}")
        extra_columns, tail = [], []
        for attname, f in fields.items():
            if attname in attnames:
                continue
            if f.has_db_default() and not f.has_default():
                continue  # the database fills it
            if f.has_default() or f.null:
                value = f.get_default() if f.has_default() else None
                extra_columns.append(f.column)
                tail.append(f.get_db_prep_save(value, connection))
            else:
                raise ValueError(
                    f"the demo loader does not fill {model._meta.label}.{f.name}, which has "
                    "no default: add it to robinet.demo.generator.COLUMNS"
                )
        tables.append(
            _Table(
                model=model,
                name=model._meta.db_table,
                columns=tuple(fields[a].column for a in attnames) + tuple(extra_columns),
                tail=tuple(tail),
            )
        )
    return tables


class _CopyThread(threading.Thread):
    """Runs the ``COPY`` statements of queued chunks on the (psycopg) connection."""

    def __init__(self, raw_connection, statements: list[tuple[_Table, str]]) -> None:
        super().__init__(name="robinet-demo-copy", daemon=True)
        self.raw_connection = raw_connection
        self.statements = statements
        self.chunks: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        while True:
            chunk = self.chunks.get()
            if chunk is _STOP:
                return
            if self.error is not None:
                continue  # drain after a failure; the caller raises it
            started = time.perf_counter()
            try:
                with self.raw_connection.cursor() as cursor:
                    for table, statement in self.statements:
                        rows = chunk.get(table.model)
                        if not rows:
                            continue
                        tail = table.tail
                        with cursor.copy(statement) as copy:
                            write_row = copy.write_row
                            if tail:
                                for row in rows:
                                    write_row(row + tail)
                            else:
                                for row in rows:
                                    write_row(row)
            except BaseException as error:  # re-raised in the caller's thread
                self.error = error
            self.seconds += time.perf_counter() - started


class BulkLoader:
    """Writes chunks of ``{model: [row tuple, …]}`` with the fastest path of the database.

    Call :meth:`prepare` once, :meth:`write` per chunk and :meth:`finish`, all
    inside one transaction; :meth:`analyse` after the commit.
    """

    def __init__(
        self, connection: BaseDatabaseWrapper, columns: Mapping[type, Sequence[str]]
    ) -> None:
        if connection.vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"bulk loading is not implemented for {connection.vendor}")
        self.connection = connection
        self.vendor = connection.vendor
        self.tables = _tables(connection, columns)
        self.quote = connection.ops.quote_name
        self.write_seconds = 0.0  # time the caller spent writing or waiting for the writer
        self.timings: dict[str, float] = {}  # steps of finish()
        self._thread: _CopyThread | None = None
        self._dropped_indexes: list[str] = []
        self._dropped_foreign_keys: list[tuple[str, str, str]] = []
        self._cache_size: int | None = None
        self._dropped_triggers: list[str] = []
        self._gin_indexes: list[str] = []
        self._fts_to_rebuild: set[str] = set()

    @property
    def datetime_suffix(self) -> str:
        """What to append to ``YYYY-MM-DD HH:MM:SS`` (UTC) for a datetime column."""
        # PostgreSQL stores timestamptz; Django stores naive UTC text on SQLite.
        return "+00:00" if self.vendor == "postgresql" else ""

    def first_free_ids(self) -> dict[type, int]:
        """Per model, the first primary key above every id used or handed out so far."""
        quote = self.quote
        result = {}
        with self.connection.cursor() as cursor:
            for table in self.tables:
                pk = table.model._meta.pk.column
                cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table.name)}")
                highest = cursor.fetchone()[0]
                if self.vendor == "postgresql":
                    cursor.execute(
                        "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s)::regclass)",
                        [quote(table.name), pk],
                    )
                else:
                    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table.name])
                row = cursor.fetchone()
                result[table.model] = max(highest, (row[0] if row else 0) or 0) + 1
        return result

    def _table_names(self) -> list[str]:
        return [t.name for t in self.tables]

    def _columns_sql(self, table: _Table) -> str:
        return ", ".join(self.quote(c) for c in table.columns)

    # -- before and after ---------------------------------------------------------------------

    def prepare(self) -> None:
        """Before the first chunk (inside the caller's transaction)."""
        self.connection.ensure_connection()
        if self.vendor == "postgresql":
            self._prepare_postgresql()
        else:
            self._prepare_sqlite()

    def _prepare_postgresql(self) -> None:
        with self.connection.cursor() as cursor:
            # Check now the rows written earlier in the transaction (Django's foreign keys
            # are deferred): PostgreSQL refuses to alter a table with pending checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) "
                "ORDER BY c.conname",
                [self._table_names()],
            )
            self._dropped_foreign_keys = list(cursor.fetchall())
            for table, name, _definition in self._dropped_foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.quote(name)}")
            # B-tree indexes that back no constraint are rebuilt at the end (a sort beats
            # inserting random keys one by one). Other kinds (the trigram GIN index of the
            # search text) are kept: the server fills them while Python builds the next
            # chunk, with a larger pending list merged in larger batches.
            cursor.execute(
                "SELECT ci.relname, pg_get_indexdef(i.indexrelid), am.amname "
                "FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
                "JOIN pg_am am ON am.oid = ci.relam "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY ci.relname",
                [self._table_names()],
            )
            for name, definition, method in cursor.fetchall():
                if method == "btree":
                    cursor.execute(f"DROP INDEX {self.quote(name)}")
                    self._dropped_indexes.append(definition)
                elif method == "gin":
                    self._gin_indexes.append(name)
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
        statements = [
            (t, f"COPY {self.quote(t.name)} ({self._columns_sql(t)}) FROM STDIN")
            for t in self.tables
        ]
        self._thread = _CopyThread(self.connection.connection, statements)
        self._thread.start()

    def _prepare_sqlite(self) -> None:
        raw = self.connection.connection
        names = self._table_names()
        marks = ", ".join("?" for _ in names)
        # External-content FTS5 tables over a loaded table, kept in step by an AFTER
        # INSERT trigger, are rebuilt once at the end instead (several times faster).
        fts_tables = {}
        for name, sql in raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'"
        ).fetchall():
            match = _FTS_CONTENT.search(sql or "")
            if match and match[1] in names:
                fts_tables[name] = match[1]
        for name, _table, sql in raw.execute(
            f"SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            names,
        ).fetchall():
            targets = set(_INSERT_INTO.findall(sql))
            if _AFTER_INSERT.search(sql) and targets and targets <= set(fts_tables):
                raw.execute(f"DROP TRIGGER {self.quote(name)}")
                self._dropped_triggers.append(sql)
                self._fts_to_rebuild.update(targets)
        indexes = raw.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            names,
        ).fetchall()
        for name, sql in indexes:
            raw.execute(f"DROP INDEX {self.quote(name)}")
            self._dropped_indexes.append(sql)
        self._cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute("PRAGMA cache_size = -262144")  # 256 MiB for the index builds

    def finish(self) -> None:
        """After the last chunk (inside the caller's transaction): indexes, keys, sequences."""
        if self.vendor == "postgresql":
            self._finish_postgresql()
        else:
            self._finish_sqlite()

    def _stop_thread(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        started = time.perf_counter()
        thread.chunks.put(_STOP)
        thread.join()
        self.write_seconds += time.perf_counter() - started
        if thread.error is not None:
            raise thread.error

    def _step(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - started
        return now

    def _finish_postgresql(self) -> None:
        mark = time.perf_counter()
        self._stop_thread()
        mark = self._step("copy_drain", mark)
        quote = self.quote
        with self.connection.cursor() as cursor:
            for definition in self._dropped_indexes:
                cursor.execute(definition)
            mark = self._step("indexes", mark)
            for name in self._gin_indexes:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [self.quote(name)])
            mark = self._step("gin_pending", mark)
            for table, name, definition in self._dropped_foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
            mark = self._step("foreign_keys", mark)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in self.tables:
                pk = table.model._meta.pk.column
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                    f"(SELECT COALESCE(MAX({quote(pk)}), 1) FROM {quote(table.name)}), "
                    f"(SELECT COUNT(*) > 0 FROM {quote(table.name)}))",
                    [quote(table.name), pk],
                )
        self._dropped_foreign_keys, self._dropped_indexes, self._gin_indexes = [], [], []

    def _finish_sqlite(self) -> None:
        raw = self.connection.connection
        mark = time.perf_counter()
        for sql in self._dropped_indexes:
            raw.execute(sql)
        mark = self._step("indexes", mark)
        for sql in self._dropped_triggers:
            raw.execute(sql)
        for name in sorted(self._fts_to_rebuild):
            quoted = self.quote(name)
            raw.execute(f"INSERT INTO {quoted}({quoted}) VALUES ('rebuild')")
        self._step("fts_rebuild", mark)
        self._dropped_indexes, self._dropped_triggers = [], []
        self._fts_to_rebuild = set()
        if self._cache_size is not None:
            raw.execute(f"PRAGMA cache_size = {int(self._cache_size)}")

    def abort(self) -> None:
        """Stop the writer after an error in the caller (the transaction rolls back)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.error = thread.error or RuntimeError("aborted")
            thread.chunks.put(_STOP)
            thread.join()

    def analyse(self) -> None:
        """Refresh the planner statistics (after commit)."""
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                for table in self.tables:
                    cursor.execute(f"ANALYZE {self.quote(table.name)}")
            else:
                cursor.execute("PRAGMA optimize")

    # -- rows ---------------------------------------------------------------------------------

    def write(self, chunk: Mapping[type, list[tuple]]) -> None:
        """Write one chunk (on PostgreSQL: queue it for the writer thread)."""
        started = time.perf_counter()
        if self._thread is not None:
            if self._thread.error is not None:
                self._stop_thread()
            self._thread.chunks.put(chunk)
        else:
            raw = self.connection.connection
            for table in self.tables:
                rows = chunk.get(table.model)
                if not rows:
                    continue
                if table.tail:
                    tail = table.tail
                    rows = [row + tail for row in rows]
                marks = ", ".join("?" for _ in table.columns)
                # The sqlite3 connection itself: no per-row work in Django's cursor wrapper.
                raw.executemany(
                    f"INSERT INTO {self.quote(table.name)} ({self._columns_sql(table)}) "
                    f"VALUES ({marks})",
                    rows,
                )
        self.write_seconds += time.perf_counter() - started
