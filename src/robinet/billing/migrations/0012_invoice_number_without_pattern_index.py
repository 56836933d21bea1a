"""The invoice number unique by a constraint, without Django's pattern index.

``unique=True`` on a CharField gives PostgreSQL a second index
(``varchar_pattern_ops``, for LIKE) that every bill wrote and no query read
(the search matches numbers exactly, ``invoice_number_upper_case``).
"""

from django.conf import settings
from django.db import migrations, models

from robinet.core.models.append_only import sqlite_append_only_again


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0011_invoice_number_upper_case'),
        ('core', '0007_reference_check_by_index'),
        ('customers', '0008_billing_terms_db_defaults'),
        ('metering', '0003_reading_indexes_for_bulk_import'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='invoice',
            name='number',
            field=models.CharField(max_length=20, verbose_name='numéro'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(fields=('number',), name='invoice_number_once'),
        ),
        # SQLite rebuilt the table, dropping its BILL-6 trigger.
        sqlite_append_only_again("billing_invoice", prefix="BILL-6: "),
    ]
