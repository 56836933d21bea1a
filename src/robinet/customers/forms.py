"""Back-office forms of the customer file: presentation only.

The services validate every value (CUST-2…11); these forms only give the
fields their French labels, widgets and choices, and carry the services'
errors back to the officer (see ``robinet.backoffice.forms``).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field, model_help, model_label
from robinet.customers.choices import (
    Channel,
    ContactMethod,
    ContractEndReason,
    CustomerClass,
    ParticularityKind,
    PartyKind,
    Requester,
    SiteType,
)
from robinet.customers.models import (
    Comment,
    Contract,
    CustomerAccount,
    Particularity,
    Party,
    ServicePoint,
)
from robinet.customers.rules import format_phone
from robinet.customers.services import HolderChangeReason

PARTY_FORM_FIELDS = (
    "kind", "civility", "name", "first_name", "name_complement", "birth_date", "birth_place",
    "siret", "email", "mobile", "landline", "preferred_contact_method", "address_line",
    "address_complement", "postcode", "city", "commune_insee",
)  # fmt: skip
ACCOUNT_FORM_FIELDS = (
    "customer_class", "site_type", "naf_code", "e_invoice", "payment_terms_days",
    "chorus_service_code", "chorus_commitment_number",
)  # fmt: skip

CIVILITY_SUGGESTIONS = ("M.", "Mme", "M. et Mme", "SA", "SARL", "SAS", "EURL", "ETS", "SCI",
                        "EARL", "GAEC", "SDC", "Commune", "Communauté de communes", "Association")  # fmt: skip

BLANK = [("", "—")]


def _text(model, name: str, *, max_length: int | None = None, **attrs) -> forms.CharField:
    """A free text field labelled from the model (lengths are checked by the service)."""
    return forms.CharField(
        label=model_label(model, name),
        help_text=model_help(model, name),
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs=attrs),
    )


def _choice(model, name: str, choices, *, blank: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=model_label(model, name),
        choices=(BLANK if blank else []) + list(choices),
        required=False,
    )


class CustomerForm(forms.Form):
    """A party and its account's class fields (create and edit, CUST-1…5)."""

    kind = _choice(Party, "kind", PartyKind.choices, blank=False)
    civility = _text(Party, "civility", list="civility-suggestions", autocomplete="off")
    name = _text(Party, "name", autocomplete="off")
    first_name = _text(Party, "first_name", autocomplete="off")
    name_complement = _text(Party, "name_complement", autocomplete="off")
    birth_date = date_field(model_label(Party, "birth_date"))
    birth_place = _text(Party, "birth_place")
    siret = _text(Party, "siret", inputmode="numeric", autocomplete="off")
    email = _text(Party, "email", inputmode="email", autocomplete="off")
    mobile = _text(Party, "mobile", type="tel", autocomplete="off")
    landline = _text(Party, "landline", type="tel", autocomplete="off")
    preferred_contact_method = _choice(Party, "preferred_contact_method", ContactMethod.choices)
    address_line = _text(Party, "address_line")
    address_complement = _text(Party, "address_complement")
    postcode = _text(Party, "postcode", inputmode="numeric")
    city = _text(Party, "city")
    commune_insee = _text(Party, "commune_insee", inputmode="numeric")

    customer_class = _choice(CustomerAccount, "customer_class", CustomerClass.choices, blank=False)
    site_type = _choice(CustomerAccount, "site_type", SiteType.choices)
    naf_code = _text(CustomerAccount, "naf_code", placeholder="84.11Z", autocomplete="off")
    e_invoice = forms.BooleanField(label=model_label(CustomerAccount, "e_invoice"), required=False)
    payment_terms_days = forms.IntegerField(
        label=model_label(CustomerAccount, "payment_terms_days"),
        required=False,
        initial=15,
        widget=forms.NumberInput(attrs={"min": 0, "max": 60}),
    )
    chorus_service_code = _text(CustomerAccount, "chorus_service_code", autocomplete="off")
    chorus_commitment_number = _text(
        CustomerAccount, "chorus_commitment_number", autocomplete="off"
    )

    bloctel_notice_given = forms.BooleanField(
        label=_("J'ai lu cette information au client"), required=False
    )

    civility_suggestions = CIVILITY_SUGGESTIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["siret"].help_text = _(
            "14 chiffres ; obligatoire pour un professionnel, une collectivité, une administration."
        )
        self.fields["naf_code"].help_text = _(
            "Code d'activité de la nomenclature officielle, forme 84.11Z."
        )
        self.fields["commune_insee"].help_text = _(
            "Code officiel de la commune (5 caractères), vérifié avec le code postal."
        )
        self.fields["name"].required = True

    @classmethod
    def initial_for(cls, account: CustomerAccount) -> dict:
        party = account.party
        initial = {name: getattr(party, name) for name in PARTY_FORM_FIELDS}
        initial["mobile"] = format_phone(party.mobile)
        initial["landline"] = format_phone(party.landline)
        initial.update({name: getattr(account, name) for name in ACCOUNT_FORM_FIELDS})
        return initial

    def party_values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PARTY_FORM_FIELDS}

    def account_values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ACCOUNT_FORM_FIELDS}


class CustomerCreateForm(CustomerForm):
    centre = forms.ModelChoiceField(
        label=model_label(CustomerAccount, "centre"), queryset=None, empty_label=None
    )

    field_order = ["centre"]

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres


class BankDetailsForm(forms.Form):
    iban = forms.CharField(
        label=model_label(CustomerAccount, "iban"), required=False, max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
        help_text=_("Laisser vide pour supprimer les coordonnées bancaires (le prélèvement s'arrête)."),
    )  # fmt: skip
    bic = forms.CharField(
        label=model_label(CustomerAccount, "bic"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
        help_text=_("Déduit de l'IBAN si laissé vide."),
    )  # fmt: skip
    channel = forms.ChoiceField(label=_("Canal de la demande"), choices=Channel.choices)
    requester = forms.ChoiceField(
        label=_("Demandeur"), choices=Requester.choices, initial=Requester.HOLDER
    )


class ParticularityAddForm(forms.Form):
    kind = forms.ChoiceField(
        label=model_label(Particularity, "kind"), choices=ParticularityKind.choices
    )
    started_on = date_field(model_label(Particularity, "started_on"))
    comment = forms.CharField(
        label=model_label(Particularity, "comment"), required=False, max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Jamais pour une particularité NEC (donnée médicale : aucun commentaire)."),
    )  # fmt: skip


class ParticularityEndForm(forms.Form):
    ended_on = date_field(
        model_label(Particularity, "ended_on"), help_text=_("Aujourd'hui si vide.")
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=model_label(Comment, "text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Des faits, pas de jugement sur la situation financière, sociale, le comportement ou le physique (RGPD)."),
    )  # fmt: skip


class ReturnedMailForm(forms.Form):
    received_on = date_field(_("Courrier revenu le"), help_text=_("Aujourd'hui si vide."))


class ReturnedMailClearForm(forms.Form):
    outcome = forms.CharField(
        label=_("Comment le client a-t-il été retrouvé ?"), required=False, max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("Mairie, appel du client, nouvelle adresse…")}),
    )  # fmt: skip


class MoveInForm(forms.Form):
    service_point = forms.ModelChoiceField(
        label=_("Point de desserte libre"),
        queryset=ServicePoint.objects.none(),
        empty_label="—",
    )
    meter_serial = forms.CharField(
        label=_("Matricule du compteur relevé sur place"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono text-uppercase"}),
        help_text=_("Saisi à partir de ce que lit le client : il est comparé au compteur posé."),
    )  # fmt: skip
    start_date = date_field(model_label(Contract, "start_date"), required=True)
    start_index = forms.CharField(
        label=model_label(Contract, "start_index"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip

    def __init__(self, *args, service_points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_point"].queryset = service_points
        self.fields["service_point"].label_from_instance = lambda sp: (
            f"{sp.reference} — {sp.address}"
        )


class MoveOutForm(forms.Form):
    end_date = date_field(model_label(Contract, "end_date"), required=True)
    end_index = forms.CharField(
        label=model_label(Contract, "end_index"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    reason = forms.ChoiceField(
        label=model_label(Contract, "end_reason"),
        choices=[(ContractEndReason.MOVE_OUT, ContractEndReason.MOVE_OUT.label),
                 (ContractEndReason.TERMINATION, ContractEndReason.TERMINATION.label)],
    )  # fmt: skip
    channel = forms.ChoiceField(label=_("Canal de la demande"), choices=Channel.choices)
    requester = forms.ChoiceField(label=_("Demandeur"), choices=Requester.choices)


# The reasons of a change of holder, as the service names them (seed 003 §5.1.3.2).
HOLDER_CHANGE_REASONS = [
    (HolderChangeReason.SEPARATION, _("Séparation")),
    (HolderChangeReason.DEATH, _("Décès")),
    (HolderChangeReason.OTHER, _("Autre")),
]


class ChangeHolderForm(forms.Form):
    new_account_number = forms.CharField(
        label=_("N° client du nouveau titulaire"), max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "mono"}),
        help_text=_("Créez d'abord le client s'il n'existe pas."),
    )  # fmt: skip
    change_date = date_field(_("Date de la mutation"), required=True)
    index = forms.CharField(
        label=_("Index à la date de mutation (m³)"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    reason = forms.ChoiceField(label=_("Motif"), choices=HOLDER_CHANGE_REASONS)
    channel = forms.ChoiceField(label=_("Canal de la demande"), choices=Channel.choices)
    proof_received = forms.BooleanField(
        label=_("Justificatif reçu (acte de décès…)"), required=False
    )
