"""Fewer index entries per bill: the keys a bill leaves empty are indexed where set.

A billing run writes about six invoice lines per bill: their own index on
``invoice_id`` duplicated the unique (invoice, position) one. ``quote`` and
``credited_invoice`` are empty on every bill (works invoices and credit notes
only) and are now indexed where set.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from robinet.core.models.append_only import sqlite_append_only_again


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_budget_plan_mandate"),
        ("core", "0007_reference_check_by_index"),
        ("customers", "0008_billing_terms_db_defaults"),
        ("metering", "0003_reading_indexes_for_bulk_import"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="credited_invoice",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_notes",
                to="billing.invoice",
                verbose_name="facture corrigée",
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="quote",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoices",
                to="billing.quote",
                verbose_name="devis",
            ),
        ),
        migrations.AlterField(
            model_name="invoiceline",
            name="invoice",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="billing.invoice",
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("credited_invoice__isnull", False)),
                fields=["credited_invoice"],
                name="invoice_credited",
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("quote__isnull", False)), fields=["quote"], name="invoice_quote"
            ),
        ),
        # SQLite rebuilt both tables to alter them, dropping their BILL-6 triggers.
        sqlite_append_only_again("billing_invoice", "billing_invoiceline", prefix="BILL-6: "),
    ]
