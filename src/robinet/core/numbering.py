"""Gapless, strictly increasing numbers per (series, year): invoices, credit notes, entries.

French invoicing law wants invoice numbers in one unbroken chronological
series; the same holds for journal entries (FEC). Database sequences cannot
do this (a rolled-back ``nextval`` is lost), so the counter is a row in
``core_sequence`` incremented *inside the caller's transaction*:

* the increment is a single ``INSERT … ON CONFLICT (series, year) DO UPDATE …
  RETURNING`` statement. It creates the row on first use without a race (two
  first users do not collide on the unique key) and takes the row lock, held
  until the caller commits or rolls back — the same guarantee as ``SELECT …
  FOR UPDATE`` followed by an ``UPDATE``, in one round trip;
* a concurrent caller waits on that lock, then sees the committed value:
  numbers are strictly increasing in commit order;
* if the caller rolls back, the increment is rolled back too: the number is
  handed out again, so there is no gap.

On PostgreSQL the lock is the row lock. On SQLite the settings open every
transaction with ``BEGIN IMMEDIATE``, so writers are serialised by the
database write lock. Both dialects support this upsert syntax (SQLite ≥ 3.35
for ``RETURNING``).

Call these functions inside the transaction that writes the numbered document
(``transaction.atomic``); they refuse to run in autocommit mode, where the
number would be committed before the document exists.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.transaction import TransactionManagementError

from robinet.core.models.numbering import Sequence

MAX_YEAR = 9999
MAX_SERIES_LENGTH = Sequence._meta.get_field("series").max_length


def _check(series: str, year: int) -> None:
    if not series or len(series) > MAX_SERIES_LENGTH:
        raise ValueError(f"series must be 1 to {MAX_SERIES_LENGTH} characters: {series!r}")
    if not isinstance(year, int) or isinstance(year, bool) or not 0 <= year <= MAX_YEAR:
        raise ValueError(f"year must be 0 (not yearly) or a year: {year!r}")


def _upsert(series: str, year: int, value: int, update_sql: str, using: str) -> int:
    connection = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            "Numbering must run inside the transaction that writes the numbered document "
            "(transaction.atomic); otherwise a failure after it would leave a gap."
        )
    if connection.vendor not in {"postgresql", "sqlite"}:  # pragma: no cover
        raise NotImplementedError(f"numbering is not implemented for {connection.vendor}")
    quote = connection.ops.quote_name
    table = quote(Sequence._meta.db_table)
    last_value = quote("last_value")
    sql = (
        f"INSERT INTO {table} ({quote('series')}, {quote('year')}, {last_value}) "
        f"VALUES (%s, %s, %s) "
        f"ON CONFLICT ({quote('series')}, {quote('year')}) "
        f"DO UPDATE SET {last_value} = {update_sql.format(table=table, column=last_value)} "
        f"RETURNING {last_value}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [series, year, value])
        (result,) = cursor.fetchone()
    return int(result)


def next_numbers(series: str, count: int, year: int = 0, *, using: str = DEFAULT_DB_ALIAS) -> range:
    """Reserve ``count`` consecutive numbers for bulk numbering (one statement).

    Returns the range of numbers, e.g. ``range(41, 141)`` for 100 invoices
    when the series was at 40.
    """
    _check(series, year)
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer: {count!r}")
    last = _upsert(series, year, count, "{table}.{column} + excluded.{column}", using)
    return range(last - count + 1, last + 1)


def next_number(series: str, year: int = 0, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """The next number of ``series`` for ``year`` (1 on first use)."""
    return next_numbers(series, 1, year, using=using)[0]


def set_sequence_at_least(
    series: str, year: int, value: int, *, using: str = DEFAULT_DB_ALIAS
) -> int:
    """Make sure the next number is above ``value`` (never moves the series back).

    For bulk loaders (history migration) that assign numbers themselves:
    call it in their transaction with the highest number they wrote. Returns
    the series' last value afterwards.
    """
    _check(series, year)
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"value must be a non-negative integer: {value!r}")
    return _upsert(
        series,
        year,
        value,
        "CASE WHEN {table}.{column} < excluded.{column} "
        "THEN excluded.{column} ELSE {table}.{column} END",
        using,
    )


def current_number(series: str, year: int = 0, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """The last number handed out (0 if none); for display, never to compute the next."""
    _check(series, year)
    row = Sequence.objects.using(using).filter(series=series, year=year).first()
    return row.last_value if row else 0


def format_number(prefix: str, year: int, value: int, width: int = 6, separator: str = "-") -> str:
    """``format_number("FAC", 2026, 42)`` -> ``"FAC-2026-000042"``.

    ``year = 0`` (series not yearly) leaves the year out: ``"AV-000042"``. A
    value wider than ``width`` is written whole, never truncated.
    """
    if value < 1:
        raise ValueError(f"document numbers start at 1: {value!r}")
    parts = [prefix] if prefix else []
    if year:
        parts.append(f"{year:04d}")
    parts.append(f"{value:0{width}d}")
    return separator.join(parts)
