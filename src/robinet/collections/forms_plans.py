"""Forms of the payment plan, promise and diagnosis screens (COLL-5, COLL-6).

Presentation only: the services validate and their refusals come back on the
form through :func:`robinet.backoffice.forms.add_service_errors`. Amounts
accept the French way of writing them (``1 234,56``).
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field
from robinet.collections.instalments import MAX_COUNT, MAX_GRACE_DAYS
from robinet.core.money import to_decimal


class AmountField(forms.CharField):
    """A euro amount typed the French way, as a ``Decimal``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("maxlength", "20")

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            amount = to_decimal(value)
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Montant invalide.")) from None
        if amount < 0:
            raise forms.ValidationError(_("Le montant ne peut pas être négatif."))
        return amount


class PlanCreateForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=_("Postes couverts"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un poste à échelonner.")},
    )
    down_payment = AmountField(
        label=_("Acompte (€)"), required=False, help_text=_("Payé le jour de l'accord.")
    )
    count = forms.IntegerField(
        label=_("Nombre d'échéances mensuelles"), min_value=1, max_value=MAX_COUNT, initial=3
    )
    first_due = date_field(_("Date de la première échéance"), required=True)
    grace_days = forms.IntegerField(
        label=_("Délai de grâce (jours)"), min_value=0, max_value=MAX_GRACE_DAYS, initial=10
    )
    direct_debit = forms.BooleanField(
        label=_("Échéances prélevées (mandat SEPA actif)"), required=False
    )

    def __init__(self, *args, open_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(str(i.pk), i.document_number) for i in open_items]

    def clean_down_payment(self):
        return self.cleaned_data.get("down_payment") or Decimal("0")


class PromiseForm(forms.Form):
    amount = AmountField(label=_("Montant promis (€)"))
    due_on = date_field(_("Date promise"), required=True)
    grace_days = forms.IntegerField(
        label=_("Délai de grâce (jours)"), min_value=0, max_value=30, initial=3
    )


class DiagnosisForm(forms.Form):
    """Figures only — no comment on the person (CUST-8)."""

    household_size = forms.IntegerField(
        label=_("Personnes au foyer"), min_value=1, max_value=30, initial=1
    )
    monthly_income = AmountField(label=_("Ressources mensuelles (€)"))
    monthly_charges = AmountField(
        label=_("Charges mensuelles (€)"), help_text=_("Loyer, énergie, assurances, crédits…")
    )
    assets = AmountField(label=_("Épargne disponible (€)"), required=False, initial="0")
    liabilities = AmountField(label=_("Autres dettes (€)"), required=False, initial="0")
    fsl_requested = forms.BooleanField(
        label=_("Demande FSL déposée"),
        required=False,
        help_text=_("Le recouvrement est suspendu jusqu'à la décision du FSL."),
    )

    def clean_assets(self):
        return self.cleaned_data.get("assets") or Decimal("0")

    def clean_liabilities(self):
        return self.cleaned_data.get("liabilities") or Decimal("0")
