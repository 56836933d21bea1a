"""An open item's payment is found by open_item_once_per_payment_and_kind (indexed where
set): invoices' open items (most of them) no longer add an empty key to an index of their own."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0011_balance_check_per_statement'),
        ('payments', '0014_direct_debit_chunked_runs'),
    ]

    operations = [
        migrations.AlterField(
            model_name='openitem',
            name='payment',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='open_items', to='payments.payment'),
        ),
    ]
