"""Vocabularies of the public-accountant bridge."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TitleStatus(models.TextChoices):
    """Where a receivable title stands with the public accountant."""

    SENT = "sent", _("Transmis au comptable")
    PARTLY_PAID = "partly_paid", _("Payé en partie")
    PAID = "paid", _("Payé")
    ENFORCEMENT = "enforcement", _("Poursuites en cours")
    WRITTEN_OFF = "written_off", _("Admis en non-valeur")
    CANCELLED = "cancelled", _("Annulé")


class ReportedStatus(models.TextChoices):
    """What one line of the accountant's recovery-status file reports."""

    PAID = "paid", _("Payé")
    ENFORCEMENT = "enforcement", _("Poursuites en cours")
    WRITTEN_OFF = "written_off", _("Admis en non-valeur")
    CANCELLED = "cancelled", _("Annulé")


#: The words accepted in the file's ``statut`` column (compared without case nor accents).
STATUS_WORDS = {
    "paye": ReportedStatus.PAID,
    "payee": ReportedStatus.PAID,
    "poursuites en cours": ReportedStatus.ENFORCEMENT,
    "poursuites": ReportedStatus.ENFORCEMENT,
    "admis en non-valeur": ReportedStatus.WRITTEN_OFF,
    "admis en non valeur": ReportedStatus.WRITTEN_OFF,
    "non-valeur": ReportedStatus.WRITTEN_OFF,
    "annule": ReportedStatus.CANCELLED,
}

#: The import kind of a recovery-status file (``core.ImportFile``).
STATUS_IMPORT_KIND = "pes_status"
