"""The check at the commit of keys written later probes the referenced table key by key,
and skips what the writer has settled since.

0006's queries let the planner choose: with its default costs it read the
whole referenced table (a hash join) as soon as a batch held a few thousand
keys, about 0.2 s per chunk on a journal of a million entries. A writer that
wrote the referenced rows itself, later in the transaction, deletes its
pending row (``core.bulk.PendingReferences.settle``); the trigger event
queued by its insert still fires at the commit and now finds nothing to do.
"""

import importlib

from django.db import migrations

BY_INDEX = """
CREATE OR REPLACE FUNCTION robinet_check_references() RETURNS trigger AS $$
DECLARE
    key_type text;
    missing text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM robinet_reference_check WHERE id = NEW.id) THEN
        RETURN NULL;  -- settled by its writer
    END IF;
    SELECT format_type(a.atttypid, a.atttypmod) INTO key_type
    FROM pg_attribute a
    WHERE a.attrelid = NEW.parent_table::regclass AND a.attname = NEW.parent_column;
    -- PostgreSQL's lock of a checked key: the row cannot go before the commit.
    EXECUTE format(
        'SELECT count(*) FROM unnest($1::%s[]) k(key) CROSS JOIN LATERAL '
        '(SELECT 1 FROM %I p WHERE p.%I = k.key LIMIT 1 FOR KEY SHARE) s',
        key_type, NEW.parent_table, NEW.parent_column
    ) USING NEW.keys;
    -- Rows deleted since reference nothing (as for PostgreSQL's own check).
    EXECUTE format(
        'SELECT k.key::text FROM unnest($1::%s[]) k(key) '
        'WHERE NOT EXISTS (SELECT 1 FROM %I p WHERE p.%I = k.key OFFSET 0) '
        'AND EXISTS (SELECT 1 FROM %I c WHERE c.%I = k.key OFFSET 0) LIMIT 1',
        key_type, NEW.parent_table, NEW.parent_column, NEW.child_table, NEW.child_column
    ) INTO missing USING NEW.keys;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint on "%"',
            NEW.child_table, NEW.child_column
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                  NEW.child_column, missing, NEW.parent_table);
    END IF;
    DELETE FROM robinet_reference_check WHERE id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def by_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BY_INDEX, params=None)


def planner_choice(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        earlier = importlib.import_module("robinet.core.migrations.0006_reference_check_at_commit")
        function = earlier.CREATE[earlier.CREATE.index("CREATE FUNCTION") :]
        function = function[: function.index("CREATE CONSTRAINT TRIGGER")]
        schema_editor.execute(function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1), params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_reference_check_at_commit")]

    operations = [migrations.RunPython(by_index, planner_choice, elidable=False)]
