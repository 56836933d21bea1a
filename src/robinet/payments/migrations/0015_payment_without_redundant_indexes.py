"""Fewer indexes for every payment to write: the account's and the centre's keys are the
first columns of the (account, date) and (centre, date) indexes, and the number is unique
by a constraint, without the pattern index that ``unique=True`` gives on PostgreSQL."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from robinet.core.models.append_only import sqlite_append_only_again


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0012_invoice_number_without_pattern_index'),
        ('customers', '0008_billing_terms_db_defaults'),
        ('organisation', '0001_initial'),
        ('payments', '0014_direct_debit_chunked_runs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='payment',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='customers.customeraccount'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='centre',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisation.entity', verbose_name='centre'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='number',
            field=models.CharField(max_length=20, verbose_name='numéro'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.UniqueConstraint(fields=('number',), name='payment_number_once'),
        ),
        # SQLite rebuilt the table, dropping its trigger.
        sqlite_append_only_again("payments_payment"),
    ]
