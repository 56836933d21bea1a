"""Forms of the account screens (statement filters, allocation by hand)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import DateInput
from robinet.ledger.models import OpenItemKind


class StatementFilterForm(forms.Form):
    start = forms.DateField(label=_("Du"), required=False, widget=DateInput)
    end = forms.DateField(label=_("Au"), required=False, widget=DateInput)
    kind = forms.ChoiceField(
        label=_("Nature"), required=False, choices=[("", _("Toutes")), *OpenItemKind.choices]
    )
    open_only = forms.BooleanField(label=_("Non soldés seulement"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("La fin précède le début."))
        return data


class AllocationForm(forms.Form):
    debit = forms.TypedChoiceField(label=_("Poste à solder"), coerce=int)
    credit = forms.TypedChoiceField(label=_("Règlement ou avoir"), coerce=int)
    amount = forms.DecimalField(
        label=_("Montant (€)"), max_digits=12, decimal_places=2, min_value=0.01
    )
    reason = forms.CharField(label=_("Motif"), max_length=255, required=False)

    def __init__(self, *args, debits=(), credits=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["debit"].choices = [
            (i.pk, f"{i.document_number} — {i.open_amount} €") for i in debits
        ]
        self.fields["credit"].choices = [
            (i.pk, f"{i.document_number} — {-i.open_amount} €") for i in credits
        ]


class UnallocationForm(forms.Form):
    reason = forms.CharField(label=_("Motif du délettrage"), max_length=255)


class PaymentReversalForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=255)
