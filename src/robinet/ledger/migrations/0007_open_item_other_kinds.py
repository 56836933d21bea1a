"""A small partial index of the items that are neither invoices nor payments (REP-2)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_cleared_on_latest_allocation")]

    operations = [
        migrations.AddIndex(
            model_name="openitem",
            index=models.Index(
                condition=models.Q(("kind__in", ("invoice", "payment")), _negated=True),
                fields=["id"],
                name="open_item_other_kinds",
            ),
        ),
    ]
