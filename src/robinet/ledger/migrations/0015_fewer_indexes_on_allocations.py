"""Fewer index entries per allocation and share, which every payment writes: the reversed
allocation unique only where there is one (a partial index), the shares without an index
of their allocation (read through their invoice's), their dates in a block-range index on
PostgreSQL."""

import django.db.models.deletion
import robinet.core.models.indexes
from django.conf import settings
from django.db import migrations, models

from robinet.core.models.append_only import sqlite_append_only_again


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0012_invoice_number_without_pattern_index'),
        ('customers', '0008_billing_terms_db_defaults'),
        ('ledger', '0014_journal_line_piece'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='allocationshare',
            name='ledger_allo_on_a189ed_idx',
        ),
        migrations.AlterField(
            model_name='allocation',
            name='reverses',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='ledger.allocation', verbose_name='annule'),
        ),
        migrations.AlterField(
            model_name='allocationshare',
            name='allocation',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='shares', to='ledger.allocation'),
        ),
        migrations.AddIndex(
            model_name='allocationshare',
            index=robinet.core.models.indexes.BlockRangeIndex(fields=['on'], name='allocation_share_by_date'),
        ),
        migrations.AddConstraint(
            model_name='allocation',
            constraint=models.UniqueConstraint(condition=models.Q(('reverses__isnull', False)), fields=('reverses',), name='allocation_reversed_once'),
        ),
        # SQLite rebuilt both tables, dropping their triggers.
        sqlite_append_only_again("ledger_allocation", "ledger_allocationshare"),
    ]
