"""The reporting snapshot: the customer sub-ledger at one moment, in columnar files (REP-1, REP-2).

At full size (10,000,000 open items) the aged balance and the recovery report
take seconds on the transactional database, which row-stores every column
of every item. ``robinet report-snapshot`` (nightly, and after a month-end
closing) copies what they read — the items, the allocations, the accounts'
centre and class, and the customers accounts' general-ledger totals per
day — from one consistent read (``REPEATABLE READ``) into Parquet files,
which DuckDB scans in columns on every core: the same SQL, over views named
like the tables, answers in a fraction of a second.

A report reads the snapshot while it is younger than
``ROBINET_REPORTING_SNAPSHOT_MAX_AGE`` hours, and says so (its figures are
those of the snapshot's moment); ``source=live`` computes from the database
instead. Decision record: ``docs/decisions/0011-reporting-snapshot.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import Allocation, JournalLine, OpenItem
from robinet.ledger.reconciliation import customer_accounts_q

#: the query value that asks a report for figures computed from the database
LIVE = "live"
SNAPSHOT = "snapshot"
SOURCES = ("", LIVE, SNAPSHOT)
#: the view the customers accounts' general-ledger totals are read from
LEDGER_VIEW = "reporting_customer_ledger"
CURRENT = "current"
FORMAT = 1


def _ledger_totals():
    """Debits and credits of the customers accounts (411, 416) per centre and entry date."""
    return (
        JournalLine.objects.filter(customer_accounts_q(), customer_account__isnull=False)
        .values("customer_account__centre_id", "entry__entry_date")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .values_list("customer_account__centre_id", "entry__entry_date", "debit", "credit")
        .order_by()
    )


@dataclass(frozen=True)
class Part:
    """One file of the snapshot: a view name, its columns with their DuckDB types, and the
    query giving them (by default the model's columns of those names)."""

    view: str
    columns: tuple[tuple[str, str], ...]
    model: type | None = None
    query: Callable[[], QuerySet] | None = None

    def queryset(self):
        if self.query is not None:
            return self.query()
        names = [name for name, _type in self.columns]
        return self.model.objects.values_list(*names).order_by()


MONEY = "DECIMAL(18,2)"
PARTS = (
    Part(
        OpenItem._meta.db_table,
        (
            ("id", "BIGINT"),
            ("account_id", "BIGINT"),
            ("kind", "VARCHAR"),
            ("posted_on", "DATE"),
            ("due_date", "DATE"),
            ("amount", MONEY),
            ("open_amount", MONEY),
            ("cleared_on", "DATE"),
        ),
        model=OpenItem,
    ),
    Part(
        Allocation._meta.db_table,
        (
            ("id", "BIGINT"),
            ("account_id", "BIGINT"),
            ("debit_id", "BIGINT"),
            ("credit_id", "BIGINT"),
            ("amount", MONEY),
            ("allocated_on", "DATE"),
        ),
        model=Allocation,
    ),
    Part(
        CustomerAccount._meta.db_table,
        (("id", "BIGINT"), ("centre_id", "BIGINT"), ("customer_class", "VARCHAR")),
        model=CustomerAccount,
    ),
    Part(
        LEDGER_VIEW,
        (("centre_id", "BIGINT"), ("entry_date", "DATE"), ("debit", MONEY), ("credit", MONEY)),
        query=_ledger_totals,
    ),
)


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    path: Path
    taken_at: dt.datetime
    rows: dict[str, int]

    @property
    def age_hours(self) -> float:
        return (clock.now() - self.taken_at).total_seconds() / 3600

    def connect(self):
        """An in-memory DuckDB connection with one view per file, named like its table."""
        con = duckdb_connect()
        for part in PARTS:
            file = str(self.path / f"{part.view}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW \"{part.view}\" AS SELECT * FROM read_parquet('{file}')")
        return con

    def fetchall(self, sql: str, params: list) -> list[tuple]:
        """``sql`` written for the database (``%s`` placeholders), run on the snapshot."""
        con = self.connect()
        try:
            return con.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            con.close()

    def note(self) -> str:
        local = timezone.localtime(self.taken_at)
        return _(
            "Chiffres de l'instantané de reporting du %(date)s à %(time)s (%(items)s postes) ; "
            "les écritures passées depuis n'y figurent pas (source=live pour un calcul en direct)."
        ) % {
            "date": local.strftime("%d/%m/%Y"),
            "time": local.strftime("%H:%M"),
            "items": f"{self.rows.get(OpenItem._meta.db_table, 0):,}".replace(",", "\u202f"),
        }


def root() -> Path:
    return Path(settings.ROBINET_REPORTING_SNAPSHOT_DIR)


def current() -> Snapshot | None:
    """The latest complete snapshot, or None."""
    try:
        name = (root() / CURRENT).read_text(encoding="utf-8").strip()
        meta = json.loads((root() / name / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT:
        return None
    return Snapshot(
        path=root() / name,
        taken_at=dt.datetime.fromisoformat(meta["taken_at"]),
        rows={k: int(v) for k, v in meta["rows"].items()},
    )


def for_report(extra: dict[str, str]) -> Snapshot | None:
    """The snapshot a report reads, given its ``source`` parameter; None: read live.

    Without ``source`` (or with ``snapshot``) the current snapshot if it is younger
    than ``ROBINET_REPORTING_SNAPSHOT_MAX_AGE`` hours; ``live`` never.
    """
    source = extra.get("source", "")
    if source not in SOURCES:
        raise ValidationFailed(
            {
                "source": [
                    _("Source inconnue : « %(value)s » (live ou snapshot).") % {"value": source}
                ]
            }
        )
    if source == LIVE:
        return None
    snapshot = current()
    if snapshot is None or snapshot.age_hours >= settings.ROBINET_REPORTING_SNAPSHOT_MAX_AGE:
        return None
    return snapshot


# --- writing -------------------------------------------------------------------------------------


def _copy_postgresql(queryset, out: Path) -> int:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params)
        if isinstance(statement, bytes):
            statement = statement.decode()
        with (
            out.open("wb") as handle,
            cursor.cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy,
        ):
            for block in copy:
                handle.write(block)
        return cursor.cursor.rowcount


def _copy_rows(queryset, out: Path) -> int:
    count = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in queryset.iterator(chunk_size=20_000):
            writer.writerow("" if value is None else value for value in row)
            count += 1
    return count


def duckdb_connect():
    """An in-memory DuckDB connection within the operator's bounds: by default DuckDB takes
    every core and most of the memory, which a web server's workers share."""
    import duckdb

    return duckdb.connect(
        config={
            "threads": settings.ROBINET_REPORTING_DUCKDB_THREADS,
            "memory_limit": settings.ROBINET_REPORTING_DUCKDB_MEMORY,
        }
    )


def _to_parquet(part: Part, source: Path, target: Path) -> None:
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in part.columns)
    con = duckdb_connect()
    try:
        con.execute(
            # The dialect is ours, not sniffed (an empty table is an empty file).
            "COPY (SELECT * FROM read_csv(?, header = false, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}})) "
            "TO ? (FORMAT parquet)",
            [str(source), str(target)],
        )
    finally:
        con.close()


def take(*, keep: int = 2) -> tuple[Snapshot, float]:
    """Write a new snapshot and make it current; returns it and the seconds it took.

    One consistent read of the database (``REPEATABLE READ`` on PostgreSQL when
    not called inside a transaction); the files go to a new folder, published
    by replacing the ``current`` pointer, so that readers never see half of
    one. The ``keep`` latest snapshots are kept (a report may be reading the
    previous one).
    """
    started = time.perf_counter()
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    taken_at = clock.now()
    name = f"{taken_at.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    folder = base / name
    folder.mkdir()
    rows: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(dir=base) as scratch:
            outermost = not connection.in_atomic_block
            with transaction.atomic():
                if connection.vendor == "postgresql" and outermost:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                for part in PARTS:
                    out = Path(scratch) / f"{part.view}.csv"
                    copy = _copy_postgresql if connection.vendor == "postgresql" else _copy_rows
                    rows[part.view] = copy(part.queryset(), out)
            for part in PARTS:
                _to_parquet(
                    part, Path(scratch) / f"{part.view}.csv", folder / f"{part.view}.parquet"
                )
        meta = {"format": FORMAT, "taken_at": taken_at.isoformat(), "rows": rows}
        (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        pointer = base / f".{CURRENT}-{os.getpid()}"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, base / CURRENT)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _prune(base, keep=max(keep, 1))
    return Snapshot(path=folder, taken_at=taken_at, rows=rows), time.perf_counter() - started


def _prune(base: Path, *, keep: int) -> None:
    current_name = (base / CURRENT).read_text(encoding="utf-8").strip()
    folders = sorted(
        (p for p in base.iterdir() if p.is_dir() and (p / "meta.json").exists()),
        key=lambda p: p.name,
        reverse=True,
    )
    for folder in folders[keep:]:
        if folder.name != current_name:
            shutil.rmtree(folder, ignore_errors=True)
