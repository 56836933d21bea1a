"""Fast customer search on PostgreSQL: a GIN full-text index of the search text.

Words of the search text are indexed with the 'simple' configuration (no
stemming: names, numbers and serials are matched as typed, prefixes with
``:*``). SQLite gets an FTS5 index instead (migration 0004).
"""

from django.db import migrations

INDEX = "customers_account_search_fts"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customeraccount "
        "USING gin (to_tsvector('simple'::regconfig, search_text))"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
