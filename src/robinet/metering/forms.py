"""Back-office forms of metering: presentation only.

The services validate every value (METER-1…3): the index is passed as typed
("245,5" is accepted by the service), refusals come back as field errors
through ``robinet.backoffice.forms.add_service_errors``.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field, model_label
from robinet.metering.choices import AnomalyReason, AnomalyResolution, ReadingSource
from robinet.metering.models import Reading

# What an officer may enter by hand on the customer page (METER-1); the other
# sources come from move-in/out, meter changes and estimation.
ENTRY_SOURCES = [
    (ReadingSource.FIELD, ReadingSource.FIELD.label),
    (ReadingSource.SELF, ReadingSource.SELF.label),
    (ReadingSource.REMOTE, ReadingSource.REMOTE.label),
]

# The buttons of a worklist row besides "Corriger" (which opens its own form).
ROW_RESOLUTIONS = [
    (AnomalyResolution.VALIDATED, _("Valider")),
    (AnomalyResolution.NEW_READING_REQUESTED, _("Demander une nouvelle relève")),
    (AnomalyResolution.METER_NOT_SEEN, _("Compteur non vu")),
]

AGE_CHOICES = [
    ("", _("Toutes")),
    ("7", _("Plus de 7 jours")),
    ("15", _("Plus de 15 jours")),
    ("30", _("Plus de 30 jours")),
    ("60", _("Plus de 60 jours")),
]


def index_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class AnomalyFilterForm(forms.Form):
    """The worklist filters (GET): all optional, an unknown value is simply ignored."""

    centre = forms.ModelChoiceField(
        label=_("Centre"), queryset=None, required=False, empty_label=_("Tous mes centres")
    )
    reason = forms.ChoiceField(
        label=_("Motif"),
        choices=[("", _("Tous les motifs")), *AnomalyReason.choices],
        required=False,
    )
    age = forms.TypedChoiceField(
        label=_("Ancienneté"),
        choices=AGE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> dict:
        """The selector's keyword arguments (invalid filters are dropped, not an error)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "centre": data.get("centre"),
            "reason": data.get("reason") or None,
            "older_than_days": data.get("age"),
        }


class ReadingRecordForm(forms.Form):
    """One reading typed by the officer (METER-1) for the active meter of a contract."""

    read_on = date_field(model_label(Reading, "read_on"), required=True)
    index = index_field(model_label(Reading, "index"))
    source = forms.ChoiceField(label=model_label(Reading, "source"), choices=ENTRY_SOURCES)


class ReadingCorrectForm(forms.Form):
    """A corrected index and date: the original reading stays visible as "corrigé"."""

    read_on = date_field(model_label(Reading, "read_on"), required=True)
    index = index_field(_("Index corrigé (m³)"))


class AnomalyResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=ROW_RESOLUTIONS)


# How the METER-5 information reached the customer (``services.NOTICE_CHANNELS``).
NOTICE_CHANNELS = [
    ("mail", _("Courrier")),
    ("email", _("E-mail")),
    ("bill", _("Avec la facture")),
    ("portal", _("Espace client")),
]


class NoticeSentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Canal d'envoi"), choices=NOTICE_CHANNELS)


class ReadingsImportForm(forms.Form):
    """The readings file to import (METER-1): CSV, columns as in ``docs/user-guide/readings.md``."""

    file = forms.FileField(
        label=_("Fichier de relevés (CSV)"),
        help_text=_(
            "Colonnes : meter_serial ou service_point, date, index, source, reader (facultative). "
            "Séparateur ; ou , — encodage UTF-8 ou Windows-1252."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class MeterChangeForm(forms.Form):
    """METER-4: the old meter's removal index, the new meter and its install index."""

    changed_on = date_field(_("Date du changement"), required=True)
    removal_index = index_field(_("Index de dépose de l'ancien compteur (m³)"))
    new_serial = forms.CharField(label=_("Matricule du nouveau compteur"), max_length=20)
    new_diameter_mm = forms.IntegerField(
        label=_("Diamètre du nouveau compteur (mm)"), min_value=10, max_value=500, initial=15
    )
    new_digits = forms.IntegerField(
        label=_("Chiffres du totalisateur (m³)"),
        min_value=4,
        max_value=9,
        initial=5,
        help_text=_("Le totalisateur repasse à zéro après 10^n − 1 m³."),
    )
    install_index = index_field(_("Index de pose du nouveau compteur (m³)"))
