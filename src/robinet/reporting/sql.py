"""The few dialect differences of the reports' aggregate SQL, and where it runs.

The same statement runs on PostgreSQL, on SQLite, or on the reporting
snapshot (:mod:`robinet.reporting.snapshot`, DuckDB); ``dialect`` is one of
``connection.vendor`` or ``"duckdb"``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction

from robinet.core.money import round_money

DUCKDB = "duckdb"


def dialect(snapshot) -> str:
    return DUCKDB if snapshot is not None else connection.vendor


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def in_list(column: str, values: list, params: list, dialect: str) -> str:
    """``column IN values``, as one array parameter where the engine has arrays."""
    if dialect != "sqlite":
        params.append(list(values))
        return f"{column} = ANY(%s)"
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values)) or 'NULL'})"


def plus_days(column: str, days: int, dialect: str) -> str:
    """``column + days`` as a date (dates are ISO text on SQLite)."""
    if dialect != "sqlite":
        return f"({column} + {int(days)})"
    return f"date({column}, '+{int(days)} days')"


def money(value) -> Decimal:
    # SQLite sums decimals as floats: back to cents.
    return round_money(Decimal(str(value or 0)))


def fetchall(sql: str, params: list, *, snapshot=None, postgresql: tuple[str, ...] = ()):
    """Rows of ``sql``: on ``snapshot`` when given, else on the database.

    ``postgresql``: ``SET LOCAL`` settings for the statement on PostgreSQL.
    """
    if snapshot is not None:
        return snapshot.fetchall(sql, params)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for setting in postgresql:
                cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(sql, params)
        return cursor.fetchall()
