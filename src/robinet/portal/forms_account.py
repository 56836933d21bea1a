"""Forms of the portal's account pages: paying online, the bill calculator (PORTAL-2, BILL-11)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.portal import selectors


class PayForm(forms.Form):
    """What the customer pays: everything open, or one invoice's open amount.

    The account number is re-checked against the user's links by the view; the
    amount is never taken from the page, it is what the ledger says is open.
    """

    compte = forms.CharField(max_length=16, widget=forms.HiddenInput)
    facture = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)


class CalculatorForm(forms.Form):
    commune = forms.ChoiceField(
        label=_("Commune"),
        help_text=_("Les communes dont le tarif est publié."),
    )
    diameter = forms.TypedChoiceField(
        label=_("Diamètre du compteur"),
        coerce=int,
        choices=[(d, _("%(mm)s mm") % {"mm": d}) for d in selectors.DIAMETERS],
        initial=selectors.DIAMETERS[0],
        help_text=_("Il figure sur votre facture ; 15 mm pour une maison."),
    )
    volume = forms.DecimalField(
        label=_("Consommation annuelle (m³)"),
        min_value=Decimal(0),
        max_value=Decimal(1_000_000),
        max_digits=10,
        decimal_places=3,
        initial=selectors.REFERENCE_VOLUME,
        help_text=_("Un foyer de 2 à 3 personnes consomme environ 120 m³ par an."),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [("", _("— Choisir —")), *communes]
