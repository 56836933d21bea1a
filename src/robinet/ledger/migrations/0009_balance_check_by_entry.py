"""PAY-7's balance check reads only the entries just written.

The statement-level trigger of 0003 joined the new lines to the whole
journal (a full scan of ``ledger_journalline``'s entry index per INSERT):
harmless in one large insert, about a second per insert once the journal
holds millions of lines — and a chunked run (billing, dunning, statement
booking) inserts once per chunk. It now sums each new entry's lines by
index, so its cost follows the lines written, not the journal's size.
"""

import importlib

from django.db import migrations

BY_ENTRY = """
CREATE OR REPLACE FUNCTION robinet_entries_balance() RETURNS trigger AS $$
DECLARE
    unbalanced bigint;
BEGIN
    SELECT n.entry_id INTO unbalanced
    FROM (SELECT DISTINCT entry_id FROM new_lines) n
    CROSS JOIN LATERAL (
        SELECT SUM(l.debit) AS debit, SUM(l.credit) AS credit
        FROM ledger_journalline l WHERE l.entry_id = n.entry_id
    ) s
    WHERE s.debit <> s.credit
    LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'PAY-7: journal entry % does not balance', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def by_entry(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BY_ENTRY, params=None)


def whole_journal(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        earlier = importlib.import_module("robinet.ledger.migrations.0003_append_only_and_chart")
        schema_editor.execute(earlier.BALANCED_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_suspense_account")]

    operations = [migrations.RunPython(by_entry, whole_journal, elidable=False)]
