"""Add the RELEVE entry (new reading requested from the METER-2 worklist) to the dictionary."""

from django.db import migrations


def load(apps, schema_editor):
    from robinet.cases.dictionary import seed

    seed(apps.get_model("cases", "CaseType"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_dictionary")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
