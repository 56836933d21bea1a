"""Append-only rows (principle 3): created once, never changed, never deleted.

The model refuses a save of an existing row and deletes, the queryset refuses
bulk updates and deletes; each app's migration adds database triggers
(:func:`append_only_triggers`) so that raw SQL cannot either.
"""

from django.db import migrations, models
from django.utils.translation import gettext_lazy as _

from robinet.core.exceptions import ApplicationError


class AppendOnlyViolation(ApplicationError):
    http_status = 409


def refuse_change(*args, **kwargs):
    raise AppendOnlyViolation(
        _("Une écriture financière ne se modifie pas : passez une écriture de correction."),
        code="append_only",
    )


class AppendOnlyQuerySet(models.QuerySet):
    update = refuse_change
    delete = refuse_change


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()
    refuse = staticmethod(refuse_change)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.refuse()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.refuse()


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION robinet_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (BILL-6, PAY-7): post a correcting document', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_triggers(*tables: str) -> migrations.RunPython:
    """A migration operation adding the append-only triggers to ``tables``.

    On SQLite only UPDATE is refused: Django empties SQLite tables with DELETE
    between transactional tests, whereas PostgreSQL uses TRUNCATE, which row
    triggers do not see.
    """

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(_PG_FUNCTION, params=None)
            for table in tables:
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION robinet_refuse_change()"
                )
        elif vendor == "sqlite":
            for table in tables:
                _sqlite_no_update(schema_editor, table, f"{table} is append-only")

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for table in tables:
            if vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            elif vendor == "sqlite":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")

    return migrations.RunPython(forwards, backwards, elidable=False)


def _sqlite_no_update(schema_editor, table: str, message: str) -> None:
    schema_editor.execute(
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def sqlite_append_only_again(*tables: str, prefix: str = "") -> migrations.RunPython:
    """A migration operation putting back the SQLite triggers of ``tables`` after an
    ``AlterField`` that rebuilt them (SQLite drops a table's triggers with it; PostgreSQL
    alters in place and keeps them). ``prefix``: the rule id the original message began with.
    """

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for table in tables:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                _sqlite_no_update(schema_editor, table, f"{prefix}{table} is append-only")

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)
