"""Fast customer search on SQLite: an FTS5 trigram index of the search text.

An external-content FTS5 table over ``customers_customeraccount.search_text``
kept in step by triggers; the trigram tokenizer serves ``LIKE '% term%'``
from the index (SQLite 3.34+). PostgreSQL uses its trigram GIN index
(migration 0003) instead.
"""

from django.db import migrations

TABLE = "customers_account_search"
SOURCE = "customers_customeraccount"

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    f"search_text, content='{SOURCE}', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON {SOURCE} BEGIN "
    f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON {SOURCE} BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_au AFTER UPDATE OF search_text ON {SOURCE} BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
]
DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_ai",
    f"DROP TRIGGER IF EXISTS {TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {TABLE}_au",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
