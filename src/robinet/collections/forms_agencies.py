"""Presentation forms of the agency screens; the services validate (COLL-8, ORG-4)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field
from robinet.collections.models import ReportKind
from robinet.customers.choices import CustomerClass


class AgencyForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=16)
    name = forms.CharField(label=_("Nom"), max_length=120)
    address = forms.CharField(label=_("Adresse"), max_length=255, required=False)
    email = forms.EmailField(label=_("E-mail de contact"), required=False)
    commission_rate = forms.DecimalField(
        label=_("Commission (%)"), min_value=0, max_value=100, decimal_places=2, initial=0
    )


class SelectionForm(forms.Form):
    """The selection rules (GET): an empty rule selects everything."""

    min_amount = forms.DecimalField(
        label=_("Montant dû minimum (€)"), required=False, min_value=0, decimal_places=2
    )
    min_level = forms.IntegerField(
        label=_("Niveau de relance atteint"), required=False, min_value=0, max_value=20
    )
    min_age_days = forms.IntegerField(
        label=_("Retard minimum (jours)"), required=False, min_value=0, max_value=3650
    )
    classes = forms.MultipleChoiceField(
        label=_("Classes client"),
        required=False,
        choices=CustomerClass.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    entity = forms.ChoiceField(label=_("Entité"), required=False)

    def __init__(self, *args, entities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", _("Toutes mes entités"))] + [
            (e.code, f"{e.name} ({e.code})") for e in entities
        ]


class AssignForm(forms.Form):
    agency = forms.ChoiceField(label=_("Agence"))
    accounts = forms.MultipleChoiceField(label=_("Comptes"), required=True, choices=[])

    def __init__(self, *args, agencies=(), accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.code, str(a)) for a in agencies]
        self.fields["accounts"].choices = [(n, n) for n in accounts]


class MemberForm(forms.Form):
    """Link an external agency user (the service checks the role, ORG-4)."""

    user = forms.ChoiceField(label=_("Utilisateur de l'agence"))

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for user in users:
            label = user.get_full_name() or user.get_username()
            member = getattr(user, "agency_member", None)
            if member is not None:
                label = _("%(u)s (actuellement : %(a)s)") % {"u": label, "a": member.agency.name}
            choices.append((str(user.pk), f"{user.get_username()} — {label}"))
        self.fields["user"].choices = [("", "—")] + choices


class RecallForm(forms.Form):
    reason = forms.CharField(label=_("Motif du rappel"), max_length=255, required=False)


class ReportForm(forms.Form):
    """An outcome the agency reports on one debt (screen)."""

    kind = forms.ChoiceField(label=_("Nature"), choices=ReportKind.choices)
    reported_on = date_field(_("Date"), required=True)
    amount = forms.DecimalField(label=_("Montant (€)"), required=False, decimal_places=2)
    promised_on = date_field(_("Date promise"))
    commission = forms.DecimalField(
        label=_("Commission (€)"),
        required=False,
        decimal_places=2,
        help_text=_("Vide : calculée au taux de l'agence sur un encaissement."),
    )
    reference = forms.CharField(label=_("Votre référence"), max_length=60, required=False)
    note = forms.CharField(label=_("Commentaire"), max_length=255, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Fichier de compte rendu (CSV)"))
