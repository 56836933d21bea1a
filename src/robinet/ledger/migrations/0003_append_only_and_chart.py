"""Allocations and the general ledger are append-only; entries balance; the default chart.

On PostgreSQL a statement-level trigger refuses any INSERT of journal lines
that leaves an entry unbalanced (PAY-7): the posting module writes all the
lines of its entries in one statement.
"""

from django.db import migrations

from robinet.core.models.append_only import append_only_triggers
from robinet.ledger.chart import DEFAULT_CHART

BALANCED_FUNCTION = """
CREATE OR REPLACE FUNCTION robinet_entries_balance() RETURNS trigger AS $$
DECLARE
    unbalanced bigint;
BEGIN
    SELECT l.entry_id INTO unbalanced
    FROM ledger_journalline l
    WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM new_lines)
    GROUP BY l.entry_id
    HAVING SUM(l.debit) <> SUM(l.credit)
    LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'PAY-7: journal entry % does not balance', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def balanced_entries(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BALANCED_FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER ledger_journalline_balanced AFTER INSERT ON ledger_journalline "
        "REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT "
        "EXECUTE FUNCTION robinet_entries_balance()"
    )


def drop_balanced_entries(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS ledger_journalline_balanced ON ledger_journalline"
        )


def seed_chart(apps, schema_editor):
    LedgerAccount = apps.get_model("ledger", "LedgerAccount")
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(code=code, label=label, role=role) for code, label, role in DEFAULT_CHART],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_payments_allocations_journal")]

    operations = [
        append_only_triggers(
            "ledger_allocation",
            "ledger_allocationshare",
            "ledger_journalentry",
            "ledger_journalline",
        ),
        migrations.RunPython(balanced_entries, drop_balanced_entries, elidable=False),
        migrations.RunPython(seed_chart, migrations.RunPython.noop, elidable=False),
    ]
