"""Foreign keys of a bulk insert that are not found yet are checked at the commit.

:class:`robinet.core.bulk.ReferenceBatch` checks the keys of a large
insert with one query per key column. A key whose row is written later in
the same transaction (the foreign keys are deferred, and chunked runs
write, say, a notice's items before the numbered notice) is recorded in
``robinet_reference_check``; a deferred constraint trigger checks it at the
commit, as PostgreSQL's own check would, and refuses the commit with a
foreign-key violation if the row is still missing. PostgreSQL only.
"""

from django.db import migrations

CREATE = """
CREATE TABLE robinet_reference_check (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    child_table text NOT NULL,
    child_column text NOT NULL,
    parent_table text NOT NULL,
    parent_column text NOT NULL,
    keys text[] NOT NULL
);

CREATE FUNCTION robinet_check_references() RETURNS trigger AS $$
DECLARE
    key_type text;
    missing text;
BEGIN
    SELECT format_type(a.atttypid, a.atttypmod) INTO key_type
    FROM pg_attribute a
    WHERE a.attrelid = NEW.parent_table::regclass AND a.attname = NEW.parent_column;
    -- PostgreSQL's lock of a checked key: the row cannot go before the commit.
    EXECUTE format(
        'SELECT count(*) FROM (SELECT 1 FROM %I p WHERE p.%I = ANY($1::%s[]) FOR KEY SHARE) s',
        NEW.parent_table, NEW.parent_column, key_type
    ) USING NEW.keys;
    -- Rows deleted since reference nothing (as for PostgreSQL's own check).
    EXECUTE format(
        'SELECT k FROM unnest($1) k WHERE NOT EXISTS '
        '(SELECT 1 FROM %I p WHERE p.%I = k::%s) '
        'AND EXISTS (SELECT 1 FROM %I c WHERE c.%I = k::%s) LIMIT 1',
        NEW.parent_table, NEW.parent_column, key_type,
        NEW.child_table, NEW.child_column, key_type
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

CREATE CONSTRAINT TRIGGER robinet_reference_check_at_commit
    AFTER INSERT ON robinet_reference_check
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION robinet_check_references();
ALTER TABLE robinet_reference_check ENABLE ALWAYS TRIGGER robinet_reference_check_at_commit;
"""

DROP = """
DROP TABLE IF EXISTS robinet_reference_check;
DROP FUNCTION IF EXISTS robinet_check_references();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_import_repeat")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
