"""Forms of the portal's self-service actions (PORTAL-2): presentation and input parsing only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.customers.choices import ContactMethod
from robinet.portal.actions import FREE_TYPES, plan_max_instalments


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


RADIO = forms.RadioSelect(attrs={"class": "form-check-input"})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FILE_HELP = _("PDF, JPEG ou PNG, 10 Mo au plus.")


class ReadingForm(forms.Form):
    index = forms.DecimalField(
        label=_("Index du compteur (m³)"),
        min_value=0,
        decimal_places=3,
        max_digits=12,
        help_text=_("Les chiffres noirs du compteur."),
    )
    read_on = forms.DateField(label=_("Date du relevé"), widget=DATE)


class PlanRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Ce que je demande"),
        choices=[
            ("plan", _("Payer en plusieurs fois (échéancier)")),
            ("promise", _("Payer la totalité à une date proche (promesse)")),
        ],
        widget=RADIO,
    )
    instalments = forms.IntegerField(
        label=_("Nombre d'échéances (échéancier)"), min_value=1, max_value=36, required=False
    )
    due_on = forms.DateField(label=_("Date de paiement (promesse)"), widget=DATE, required=False)
    message = forms.CharField(
        label=_("Message (facultatif)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instalments"].help_text = _(
            "Accordé en ligne jusqu'à %(n)s échéances ; au-delà, un conseiller étudie la demande."
        ) % {"n": plan_max_instalments()}

    def clean(self):
        data = super().clean()
        if data.get("kind") == "plan" and not data.get("instalments"):
            self.add_error("instalments", _("Indiquez le nombre d'échéances."))
        if data.get("kind") == "promise" and not data.get("due_on"):
            self.add_error("due_on", _("Indiquez la date de paiement."))
        return data


class LeakReliefForm(forms.Form):
    repaired_on = forms.DateField(label=_("Date de la réparation"), widget=DATE)
    location = forms.CharField(
        label=_("Où était la fuite ?"),
        max_length=200,
        help_text=_("Par exemple : canalisation enterrée après le compteur."),
    )
    leak_after_meter = forms.BooleanField(
        label=_("La fuite était sur une canalisation après le compteur."), required=False
    )
    appliance_leak = forms.BooleanField(
        label=_("La fuite venait d'un appareil ménager, d'un sanitaire ou d'un chauffe-eau."),
        required=False,
    )
    certificate = forms.FileField(label=_("Attestation du plombier"), help_text=FILE_HELP)
    message = forms.CharField(
        label=_("Message (facultatif)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class MoveForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type de démarche"),
        choices=[("in", _("J'arrive dans un logement")), ("out", _("Je quitte mon logement"))],
        widget=RADIO,
    )
    on = forms.DateField(label=_("Date d'arrivée ou de départ"), widget=DATE)
    index = forms.DecimalField(
        label=_("Index du compteur ce jour-là (m³)"),
        min_value=0,
        decimal_places=3,
        max_digits=12,
        required=False,
    )
    message = forms.CharField(
        label=_("Précisions (nouvelle adresse, occupant suivant…)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class ContactDataForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), required=False)
    mobile = forms.CharField(label=_("Téléphone mobile"), max_length=20, required=False)
    landline = forms.CharField(label=_("Téléphone fixe"), max_length=20, required=False)
    preferred = forms.ChoiceField(
        label=_("Je préfère être contacté par"),
        choices=[("", _("Pas de préférence")), *ContactMethod.choices],
        required=False,
    )
    bloctel_ack = forms.BooleanField(
        label=_("J'ai pris connaissance de l'information Bloctel ci-dessus."), required=False
    )


class BankDetailsForm(forms.Form):
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    bic = forms.CharField(label=_("BIC (facultatif)"), max_length=11, required=False)
    consent = forms.BooleanField(
        label=_("J'autorise le prélèvement selon le mandat ci-dessus."), required=False
    )


class ServicesForm(forms.Form):
    service = forms.ChoiceField(
        label=_("Service"),
        choices=[
            ("monthly", _("La mensualisation (paiement chaque mois)")),
            ("e_invoice", _("La facture électronique")),
        ],
        widget=RADIO,
    )
    instalment_count = forms.TypedChoiceField(
        label=_("Nombre de mensualités (mensualisation)"),
        choices=[(10, "10"), (12, "12")],
        coerce=int,
        initial=10,
        required=False,
    )
    day_of_month = forms.IntegerField(
        label=_("Jour du prélèvement (mensualisation)"),
        min_value=1,
        max_value=28,
        initial=5,
        required=False,
        help_text=_("Entre le 1er et le 28 du mois."),
    )


class FreeRequestForm(forms.Form):
    code = forms.ChoiceField(
        label=_("Type de demande"),
        choices=[("", _("Choisir…"))] + [(k, v[0]) for k, v in FREE_TYPES.items()],
    )
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(label=_("Votre message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(
        label=_("Pièces jointes (facultatif)"), required=False, help_text=FILE_HELP
    )
