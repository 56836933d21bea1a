"""An item is cleared as of its latest allocation date (the as-of reports rely on it).

Items cleared before this rule could carry an earlier ``cleared_on`` than one
of their allocations (an allocation recorded first but dated later); move
those forward, one set-based UPDATE per side.
"""

from django.db import migrations

SIDES = ("debit_id", "credit_id")


def forward(apps, schema_editor):
    OpenItem = apps.get_model("ledger", "OpenItem")
    Allocation = apps.get_model("ledger", "Allocation")
    quote = schema_editor.connection.ops.quote_name
    item, allocation = quote(OpenItem._meta.db_table), quote(Allocation._meta.db_table)
    for side in SIDES:
        schema_editor.execute(
            f"UPDATE {item} SET cleared_on = m.latest "
            f"FROM (SELECT {side} AS item_id, MAX(allocated_on) AS latest "
            f"FROM {allocation} GROUP BY {side}) m "
            f"WHERE m.item_id = {item}.id AND {item}.cleared_on IS NOT NULL "
            f"AND {item}.cleared_on < m.latest"
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_allocation_by_date")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
