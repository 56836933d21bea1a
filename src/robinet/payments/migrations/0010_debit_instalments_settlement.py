"""Debits of instalments (BILL-10, COLL-5) and runs pending until settled (PAY-3)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def settle_existing_runs(apps, schema_editor):
    """Runs made before: settled on their collection date (they were counted as collected)."""
    DirectDebitRun = apps.get_model("payments", "DirectDebitRun")
    DirectDebitRun.objects.update(settles_on=F("collection_date"), settled_on=F("collection_date"))


def sqlite_append_only_again(apps, schema_editor):
    """SQLite rebuilt the table to alter it, dropping its trigger: put it back (PostgreSQL kept it)."""
    if schema_editor.connection.vendor == "sqlite":
        table = "payments_directdebititem"
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_budget_plan_mandate'),
        ('collections', '0005_writeoffs'),
        ('customers', '0008_billing_terms_db_defaults'),
        ('payments', '0009_direct_debit_holds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='directdebititem',
            name='budget_instalment',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='direct_debit', to='billing.budgetinstalment', verbose_name='mensualité'),
        ),
        migrations.AddField(
            model_name='directdebititem',
            name='kind',
            field=models.CharField(choices=[('invoice', 'Facture'), ('budget', 'Mensualité'), ('plan', "Échéance d'échéancier")], default='invoice', max_length=8, verbose_name='objet'),
        ),
        migrations.AddField(
            model_name='directdebititem',
            name='plan_instalment',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='direct_debit', to='collections.instalment', verbose_name="échéance d'échéancier"),
        ),
        migrations.AddField(
            model_name='directdebitrun',
            name='settled_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='réglée par'),
        ),
        migrations.AddField(
            model_name='directdebitrun',
            name='settled_on',
            field=models.DateField(blank=True, null=True, verbose_name='réglée le'),
        ),
        migrations.AddField(
            model_name='directdebitrun',
            name='settles_on',
            field=models.DateField(null=True, verbose_name='date de règlement prévue'),
        ),
        migrations.RunPython(settle_existing_runs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='directdebitrun',
            name='settles_on',
            field=models.DateField(verbose_name='date de règlement prévue'),
        ),
        migrations.AlterField(
            model_name='directdebititem',
            name='invoice',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='direct_debit', to='billing.invoice'),
        ),
        migrations.AddConstraint(
            model_name='directdebititem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('budget_instalment__isnull', True), ('invoice__isnull', False), ('kind', 'invoice'), ('plan_instalment__isnull', True)), models.Q(('budget_instalment__isnull', False), ('invoice__isnull', True), ('kind', 'budget'), ('plan_instalment__isnull', True)), models.Q(('budget_instalment__isnull', True), ('invoice__isnull', True), ('kind', 'plan'), ('plan_instalment__isnull', False)), _connector='OR'), name='dd_item_one_target_of_its_kind'),
        ),
        migrations.AddConstraint(
            model_name='directdebitrun',
            constraint=models.CheckConstraint(condition=models.Q(('settles_on__gte', models.F('collection_date'))), name='dd_run_settles_after_collection'),
        ),
        migrations.AddConstraint(
            model_name='directdebitrun',
            constraint=models.CheckConstraint(condition=models.Q(('settled_on__isnull', True), ('settled_on__gte', models.F('settles_on')), _connector='OR'), name='dd_run_settled_on_or_after_settlement_date'),
        ),
        migrations.RunPython(sqlite_append_only_again, migrations.RunPython.noop),
    ]
