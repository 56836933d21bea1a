"""The chart's suspense account for bank credits waiting to be allocated (PAY-5, PAY-7).

Databases created before it have a chart without the ``suspense`` role: add
its account unless the utility already serves the role (or uses the code).
"""

from django.db import migrations

SUSPENSE = ("471100", "Compte d'attente — virements à affecter", "suspense")


def add_suspense_account(apps, schema_editor):
    LedgerAccount = apps.get_model("ledger", "LedgerAccount")
    code, label, role = SUSPENSE
    if LedgerAccount.objects.filter(role=role).exists():
        return
    if LedgerAccount.objects.filter(code=code).exists():
        LedgerAccount.objects.filter(code=code, role__isnull=True).update(role=role)
        LedgerAccount.objects.filter(code=code, role="").update(role=role)
        return
    LedgerAccount.objects.create(code=code, label=label, role=role)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_open_item_other_kinds")]

    operations = [
        migrations.RunPython(add_suspense_account, migrations.RunPython.noop, elidable=False),
    ]
