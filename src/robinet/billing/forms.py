"""Presentation forms of the billing screens (BILL-4…6, BILL-11).

The services validate every value again; these forms only parse what the
officer typed and carry the services' field errors back to the page.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field
from robinet.billing.choices import HoldReason, InvoiceKind
from robinet.customers.choices import BillingCycle

AGES = [
    ("", _("Toutes")),
    (7, _("Plus de 7 jours")),
    (30, _("Plus de 30 jours")),
    (90, _("Plus de 90 jours")),
]


class RunCreateForm(forms.Form):
    """ "Nouvelle facturation": the parameters of a billing run (BILL-4)."""

    period_end = date_field(_("Fin de période facturée"), required=True)
    entity = forms.ChoiceField(label=_("Entité"), required=False)
    cycle = forms.ChoiceField(
        label=_("Périodicité"),
        required=False,
        choices=[("", _("Toutes les périodicités")), *BillingCycle.choices],
    )
    issue_date = date_field(_("Date d'émission"), required=True)

    def __init__(self, *args, entities=(), whole_utility=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(e.code, f"{e.name} ({e.code})") for e in entities]
        if whole_utility:
            # only for those who cover every region: a run without entity bills everything
            choices.insert(0, ("", _("Tout le service")))
        else:
            self.fields["entity"].required = True
        self.fields["entity"].choices = choices


class HeldFilterForm(forms.Form):
    """The held-bills worklist filters (GET): an invalid value is ignored."""

    reason = forms.ChoiceField(
        label=_("Motif"),
        required=False,
        choices=[("", _("Tous les motifs")), *HoldReason.choices],
    )
    centre = forms.ModelChoiceField(
        label=_("Centre"), queryset=None, required=False, empty_label=_("Tous mes centres")
    )
    age = forms.TypedChoiceField(
        label=_("Ancienneté"), choices=AGES, required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, centres=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        centre = data.get("centre")
        return {
            "reason": data.get("reason") or "",
            "centre_id": centre.pk if centre else None,
            "older_than_days": data.get("age"),
        }


class HeldNoteForm(forms.Form):
    """The officer's note on a release (optional) or a cancellation (required)."""

    note = forms.CharField(
        label=_("Commentaire"),
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InvoiceSearchForm(forms.Form):
    number = forms.CharField(label=_("Numéro de facture"), required=False, max_length=20)
    account = forms.CharField(label=_("Compte client"), required=False, max_length=20)
    kind = forms.ChoiceField(
        label=_("Nature"),
        required=False,
        choices=[("", _("Toutes")), *InvoiceKind.choices],
    )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "number": data.get("number", ""),
            "account": data.get("account", ""),
            "kind": data.get("kind", ""),
        }


class CreditNoteForm(forms.Form):
    """A credit note (BILL-6): the whole invoice, or the chosen lines, with a reason."""

    scope = forms.ChoiceField(
        label=_("Avoir"),
        choices=[
            ("full", _("Total (toute la facture)")),
            ("lines", _("Partiel (lignes choisies)")),
        ],
        initial="full",
        widget=forms.RadioSelect,
    )
    positions = forms.TypedMultipleChoiceField(
        label=_("Lignes à créditer"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Motif de l'avoir"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["positions"].choices = [
            (line.position, f"{line.label} — {line.amount_excl_vat} € HT") for line in lines
        ]

    def clean(self):
        data = super().clean()
        if data.get("scope") == "lines" and not data.get("positions"):
            self.add_error("positions", _("Choisissez au moins une ligne à créditer."))
        return data


class SimulationForm(forms.Form):
    """A hypothetical bill (BILL-11): volume and period; ``--to`` is the last day billed."""

    volume = forms.DecimalField(
        label=_("Volume (m³)"), min_value=0, max_digits=12, decimal_places=3
    )
    start = date_field(_("Du"), required=True)
    end = date_field(_("Au (inclus)"), required=True)
    social = forms.BooleanField(label=_("Tarif social"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("La fin de période précède son début."))
        return data


class TariffSimulationForm(SimulationForm):
    """The tariff study form: the tariff, the meter diameter and the dwellings too."""

    tariff = forms.ChoiceField(label=_("Tarif"))
    diameter = forms.TypedChoiceField(
        label=_("Diamètre du compteur (mm)"),
        coerce=int,
        choices=[(d, f"{d} mm") for d in (15, 20, 25, 30, 40, 50, 60, 80, 100, 150)],
        initial=15,
    )
    dwellings = forms.IntegerField(label=_("Logements desservis"), min_value=1, initial=1)

    field_order = ["tariff", "volume", "start", "end", "diameter", "dwellings", "social"]

    def __init__(self, *args, tariffs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariff"].choices = [(t.code, f"{t.code} — {t.label}") for t in tariffs]


class ContractSimulationForm(SimulationForm):
    """ "Simuler une facture" on the customer page: one of the account's contracts."""

    contract = forms.ChoiceField(label=_("Abonnement"))

    field_order = ["contract", "volume", "start", "end", "social"]

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [
            (c.number, f"{c.number} — {c.service_point.address}") for c in contracts
        ]
