"""Load the national dictionary of requests (CASE-2)."""

from django.db import migrations


def load(apps, schema_editor):
    from robinet.cases.dictionary import seed

    seed(apps.get_model("cases", "CaseType"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
