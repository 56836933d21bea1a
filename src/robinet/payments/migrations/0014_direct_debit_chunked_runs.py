"""PAY-3: a direct-debit run is a chunked run; each debit keeps what its file line says."""

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


def sqlite_append_only_again(apps, schema_editor):
    """SQLite rebuilt the table to alter it, dropping its trigger: put it back (PostgreSQL kept it)."""
    if schema_editor.connection.vendor == "sqlite":
        table = "payments_directdebititem"
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_chunk_worker"),
        ("payments", "0013_statement_booking_run"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="directdebitrun",
            name="dd_run_not_empty",
        ),
        migrations.RemoveConstraint(
            model_name="directdebitrun",
            name="dd_run_total_positive",
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="country",
            field=models.CharField(blank=True, default="", max_length=2, verbose_name="pays"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="debtor_bic",
            field=models.CharField(blank=True, default="", max_length=11, verbose_name="BIC"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="debtor_iban",
            field=models.CharField(blank=True, default="", max_length=34, verbose_name="IBAN"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="debtor_name",
            field=models.CharField(blank=True, default="", max_length=70, verbose_name="titulaire"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="mandate_umr",
            field=models.CharField(blank=True, default="", max_length=35, verbose_name="RUM"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="original_iban",
            field=models.CharField(
                blank=True, default="", max_length=34, verbose_name="IBAN d'origine"
            ),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="original_umr",
            field=models.CharField(
                blank=True, default="", max_length=35, verbose_name="RUM d'origine"
            ),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="rang dans le lot"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="postcode",
            field=models.CharField(
                blank=True, default="", max_length=10, verbose_name="code postal"
            ),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="remittance",
            field=models.CharField(blank=True, default="", max_length=140, verbose_name="libellé"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="signed_on",
            field=models.DateField(blank=True, null=True, verbose_name="mandat signé le"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="street",
            field=models.CharField(blank=True, default="", max_length=160, verbose_name="adresse"),
        ),
        migrations.AddField(
            model_name="directdebititem",
            name="town",
            field=models.CharField(blank=True, default="", max_length=80, verbose_name="commune"),
        ),
        migrations.AddField(
            model_name="directdebitrun",
            name="batch_run",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="direct_debit_run",
                to="core.batchrun",
                verbose_name="traitement",
            ),
        ),
        migrations.AlterField(
            model_name="directdebitrun",
            name="file_content",
            field=models.BinaryField(default=b"", verbose_name="contenu du fichier"),
        ),
        migrations.AlterField(
            model_name="directdebitrun",
            name="file_name",
            field=models.CharField(blank=True, default="", max_length=80, verbose_name="fichier"),
        ),
        migrations.AlterField(
            model_name="directdebitrun",
            name="file_sha256",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="empreinte SHA-256"
            ),
        ),
        migrations.AlterField(
            model_name="directdebitrun",
            name="item_count",
            field=models.PositiveIntegerField(default=0, verbose_name="nombre de prélèvements"),
        ),
        migrations.AlterField(
            model_name="directdebitrun",
            name="total",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=14,
                verbose_name="montant total",
            ),
        ),
        migrations.AddConstraint(
            model_name="directdebitrun",
            constraint=models.CheckConstraint(
                condition=models.Q(("item_count__gt", 0), ("file_sha256", ""), _connector="OR"),
                name="dd_run_not_empty",
            ),
        ),
        migrations.AddConstraint(
            model_name="directdebitrun",
            constraint=models.CheckConstraint(
                condition=models.Q(("total__gt", 0), ("file_sha256", ""), _connector="OR"),
                name="dd_run_total_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="directdebitrun",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("settled_on__isnull", True),
                    models.Q(("file_sha256", ""), _negated=True),
                    _connector="OR",
                ),
                name="dd_run_settled_once_built",
            ),
        ),
        migrations.RunPython(sqlite_append_only_again, migrations.RunPython.noop),
    ]
