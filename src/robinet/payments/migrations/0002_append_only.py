from django.db import migrations

from robinet.core.models.append_only import append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [append_only_triggers("payments_payment", "payments_paymentreversal")]
