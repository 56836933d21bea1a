"""A journal line's own piece (FEC ``PieceRef``): a billing run posts one sales entry per
chunk and centre whose customer lines each carry their invoice's number (decision 0014)."""

from django.db import migrations, models

from robinet.core.models.append_only import sqlite_append_only_again


class Migration(migrations.Migration):
    dependencies = [("ledger", "0013_journal_line_account_prefix")]

    operations = [
        migrations.AddField(
            model_name="journalline",
            name="piece_ref",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=40, verbose_name="pièce"
            ),
        ),
        # SQLite rebuilt the table for the new column, and dropped its trigger with it.
        sqlite_append_only_again("ledger_journalline"),
    ]
