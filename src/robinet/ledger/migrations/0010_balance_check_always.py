"""PAY-7's balance check also fires for inserts whose foreign keys are checked per batch.

:class:`robinet.core.bulk.ReferenceBatch` inserts with
``session_replication_role = replica``, which skips ordinary triggers; a
trigger marked ``ENABLE ALWAYS`` still fires. (A table with any other
insert trigger is simply checked row by row.)
"""

from django.db import migrations


def always(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE ledger_journalline ENABLE ALWAYS TRIGGER ledger_journalline_balanced"
        )


def origin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE ledger_journalline ENABLE TRIGGER ledger_journalline_balanced"
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_balance_check_by_entry"), ("core", "0006_reference_check_at_commit")]

    operations = [migrations.RunPython(always, origin, elidable=False)]
