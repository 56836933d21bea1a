"""Presentation forms of the tariff screens (BILL-1, BILL-11).

A tariff is entered as its YAML document (``docs/tariff-format.md``): the
service parses and checks it and names each faulty field by its path.
"""

from django import forms
from django.utils.translation import gettext_lazy as _


class TariffDocumentForm(forms.Form):
    document = forms.CharField(
        label=_("Document YAML du tarif"),
        widget=forms.Textarea(
            attrs={
                "rows": 28,
                "spellcheck": "false",
                "autocapitalize": "off",
                "class": "font-monospace small",
            }
        ),
        strip=False,
        help_text=_(
            "Le format est décrit dans le guide « Format des tarifs » : un composant par "
            "élément de « components », prix en chaînes de caractères."
        ),
    )
