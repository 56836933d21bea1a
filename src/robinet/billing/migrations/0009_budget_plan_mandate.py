"""BILL-10: the plan points at its SEPA mandate (PAY-3); an instalment may be rejected (PAY-4)."""

import django.db.models.deletion
from django.db import migrations, models


def link_mandates(apps, schema_editor):
    """Each plan's mandate: the one whose UMR the plan noted, else the account's active one."""
    BudgetPlan = apps.get_model("billing", "BudgetPlan")
    Mandate = apps.get_model("payments", "Mandate")
    for plan in BudgetPlan.objects.all().iterator():
        mandates = Mandate.objects.filter(account_id=plan.account_id)
        mandate = None
        if plan.mandate_reference:
            mandate = mandates.filter(umr=plan.mandate_reference).first()
        mandate = mandate or mandates.filter(status="active").first()
        if mandate is not None:
            BudgetPlan.objects.filter(pk=plan.pk).update(mandate=mandate)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_cases_links'),
        ('payments', '0009_direct_debit_holds'),
    ]

    operations = [
        migrations.AddField(
            model_name='budgetplan',
            name='mandate',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='budget_plans', to='payments.mandate', verbose_name='mandat de prélèvement'),
        ),
        migrations.RunPython(link_mandates, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='budgetplan',
            name='mandate_reference',
        ),
        migrations.RemoveConstraint(
            model_name='budgetinstalment',
            name='budget_instalment_status_valid',
        ),
        migrations.RemoveConstraint(
            model_name='budgetinstalment',
            name='budget_instalment_collected_dated',
        ),
        migrations.AlterField(
            model_name='budgetinstalment',
            name='status',
            field=models.CharField(choices=[('scheduled', 'Prévue'), ('collected', 'Prélevée'), ('rejected', 'Rejetée'), ('suspended', 'Suspendue'), ('cancelled', 'Annulée')], default='scheduled', max_length=10, verbose_name='état'),
        ),
        migrations.AddConstraint(
            model_name='budgetinstalment',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['scheduled', 'collected', 'rejected', 'suspended', 'cancelled'])), name='budget_instalment_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='budgetinstalment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('collected_on__isnull', False), ('status__in', ('collected', 'rejected'))), models.Q(models.Q(('status__in', ('collected', 'rejected')), _negated=True), ('collected_on__isnull', True)), _connector='OR'), name='budget_instalment_collected_dated'),
        ),
    ]
