"""BILL-6 at the database: issued invoices and their lines refuse UPDATE and DELETE.

On SQLite only UPDATE is refused: Django empties SQLite tables with DELETE
(``flush``, used between transactional tests), whereas PostgreSQL uses
TRUNCATE, which row triggers do not see. The models refuse deletes on both.
"""

from django.db import migrations

TABLES = ("billing_invoice", "billing_invoiceline")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION robinet_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'BILL-6: % is append-only (issue a credit note)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION robinet_refuse_change()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'BILL-6: {table} is append-only'); END"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
