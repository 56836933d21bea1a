"""The SQLite search index (FTS5, migration 0004) during bulk loads.

Triggers keep the index in step row by row, which costs about five times
more than indexing the new rows in one statement. Bulk loaders (imports, the
demo generator) wrap their inserts in :func:`search_index_deferred`; the
SQLite transaction is IMMEDIATE, so no other writer can insert while the
trigger is away.
"""

from contextlib import contextmanager

from django.db import connection as default_connection

TABLE = "customers_account_search"
SOURCE = "customers_customeraccount"
INSERT_TRIGGER = f"{TABLE}_ai"
CREATE_INSERT_TRIGGER = (
    f"CREATE TRIGGER IF NOT EXISTS {INSERT_TRIGGER} AFTER INSERT ON {SOURCE} BEGIN "
    f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
)


@contextmanager
def search_index_deferred(connection=default_connection):
    """Index the accounts inserted inside the block once, at its end (SQLite only).

    Must run inside the caller's transaction, around inserts of new accounts
    only (ids above the current largest).
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {SOURCE}")
        (highest,) = cursor.fetchone()
        cursor.execute(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE}(rowid, search_text) SELECT id, search_text FROM {SOURCE} WHERE id > %s",
                [highest],
            )
            cursor.execute(CREATE_INSERT_TRIGGER)
