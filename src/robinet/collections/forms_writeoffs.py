"""Forms of the write-off and provision screens (COLL-11).

Presentation only: the services validate and their refusals come back on the
form through :func:`robinet.backoffice.forms.add_service_errors`.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field
from robinet.collections.forms_plans import AmountField
from robinet.collections.models import WriteOffReason


class WriteOffRequestForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=_("Postes à admettre en non-valeur"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un poste.")},
    )
    reason = forms.ChoiceField(label=_("Motif"), choices=WriteOffReason.choices)
    note = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, open_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.open_items = list(open_items)
        self.fields["items"].choices = [(str(i.pk), i.document_number) for i in self.open_items]
        for item in self.open_items:
            self.fields[f"amount_{item.pk}"] = AmountField(
                label=_("Montant pour %(doc)s") % {"doc": item.document_number},
                required=False,
                help_text=_("Vide : tout le reste dû."),
            )

    def item_rows(self):
        """(item, checkbox bound field, amount bound field) for the template."""
        checked = set(self.data.getlist("items")) if self.is_bound else set()
        return [(i, str(i.pk) in checked, self[f"amount_{i.pk}"]) for i in self.open_items]

    def selected(self):
        return [
            (int(pk), self.cleaned_data.get(f"amount_{pk}")) for pk in self.cleaned_data["items"]
        ]


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note de décision"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProvisionRunForm(forms.Form):
    on = date_field(label=_("Arrêté au"))
