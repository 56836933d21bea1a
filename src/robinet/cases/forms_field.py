"""Forms of the intervention and appointment screens (CASE-8).

Presentation only: the services validate; their refusals come back on the form
through :func:`robinet.backoffice.forms.add_service_errors`.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field
from robinet.cases.choices import InterventionKind, Urgency


class InterventionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type d'intervention"), choices=InterventionKind.choices)
    urgency = forms.ChoiceField(
        label=_("Urgence"),
        required=False,
        choices=[("", _("Selon le type d'intervention")), *Urgency.choices],
    )
    contact_phone = forms.CharField(
        label=_("Téléphone portable du client"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    customer_wants_appointment = forms.BooleanField(
        label=_("Le client souhaite être présent"), required=False
    )
    emergency_kind = forms.CharField(
        label=_("Type d'urgence"),
        max_length=60,
        required=False,
        help_text=_("Fuite, casse, gel, domaine public ou privé, danger…"),
    )
    leak_volume = forms.CharField(
        label=_("Volume de la fuite"),
        max_length=60,
        required=False,
        help_text=_("Geyser, filet d'eau, goutte à goutte…"),
    )
    phenomenon_duration = forms.CharField(
        label=_("Durée du phénomène"), max_length=60, required=False
    )
    exact_location = forms.CharField(label=_("Emplacement exact"), max_length=200, required=False)
    comment = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=200)


class SchedulerForm(forms.Form):
    phone_checked = forms.BooleanField(label=_("Téléphone vérifié avec le client"), required=False)
    contact_phone = forms.CharField(
        label=_("Téléphone portable du client"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )


class ReportForm(forms.Form):
    outcome = forms.CharField(label=_("Résultat"), max_length=40)
    index = forms.CharField(
        label=_("Index relevé (m³)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    missed = forms.BooleanField(label=_("Rendez-vous manqué par le client"), required=False)
    comment = forms.CharField(
        label=_("Compte rendu"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class BookFilterForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Équipe terrain"), queryset=None, required=False)
    day = date_field(_("Semaine du"))

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
