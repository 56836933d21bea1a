"""Fast inserts of prepared row tuples, for imports and generators.

Django's ``bulk_create`` prepares every field of every object in Python,
which dominates an import of 100,000 rows. Here rows are tuples of plain
values (str, int, bool, date, None) written with ``executemany`` on SQLite
and ``COPY`` on PostgreSQL, in the caller's transaction. Ids are allocated
up-front so that related rows can reference them.
"""

from collections.abc import Iterable, Sequence

from django.db import connection as default_connection


def allocate_ids(model, count: int, *, connection=default_connection) -> range:
    """``count`` fresh primary keys for ``model``, safe against concurrent writers.

    PostgreSQL takes them from the table's sequence. SQLite runs writers one
    at a time (IMMEDIATE transactions), so the next ids after the largest one
    ever used are free for the caller's transaction.
    """
    if count <= 0:
        return range(0)
    table = model._meta.db_table
    pk = model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), pk, count],
            )
            ids = [row[0] for row in cursor.fetchall()]
            # A sequence hands out increasing values; concurrent callers interleave,
            # so return exactly what was taken when it is not one block.
            if ids == list(range(ids[0], ids[0] + count)):
                return range(ids[0], ids[0] + count)
            return ids  # type: ignore[return-value]
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        highest = max(highest, row[0] if row else 0)
    return range(highest + 1, highest + 1 + count)


def insert_rows(
    model, columns: Sequence[str], rows: Iterable[tuple], *, connection=default_connection
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, column names as in the database)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    # The sqlite3 connection itself: no per-row conversion by Django's cursor wrapper.
    connection.connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))


def in_ids(column: str, ids: Sequence[int], *, connection=default_connection) -> tuple[str, list]:
    """``(sql, params)`` for "``column`` is one of ``ids``" in raw SQL.

    PostgreSQL gets one array parameter (``= ANY(%s)``): a statement with 10,000
    placeholders costs more to build and parse than to run.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)
