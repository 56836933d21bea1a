"""Forms of litigation and insolvency files (COLL-9, COLL-12)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.collections.models import CostKind, InsolvencyKind

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class LitigationOpenForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=_("Postes réclamés"), widget=forms.CheckboxSelectMultiple, required=False
    )
    court = forms.CharField(
        label=_("Juridiction"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, open_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(str(i.pk), i.document_number) for i in open_items]


class StageForm(forms.Form):
    stage = forms.CharField(widget=forms.HiddenInput)
    on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Commentaire"), max_length=200, required=False)


class CostForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Nature"),
        choices=CostKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    amount = forms.DecimalField(
        label=_("Montant (€)"),
        min_value=0.01,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )
    on = forms.DateField(label=_("Date"), widget=DATE)
    label = forms.CharField(
        label=_("Libellé"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class InsolvencyForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Nature"),
        choices=InsolvencyKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    opened_on = forms.DateField(label=_("Recevabilité / jugement d'ouverture"), widget=DATE)
    bodacc_on = forms.DateField(
        label=_("Publication au BODACC"),
        widget=DATE,
        required=False,
        help_text=_("Procédures collectives : la créance est à déclarer dans les deux mois."),
    )
    reference = forms.CharField(
        label=_("Référence"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    administrator = forms.CharField(
        label=_("Mandataire judiciaire / commission"),
        max_length=160,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
