"""Vocabularies of metering (METER-1…5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadingSource(models.TextChoices):
    FIELD = "field", _("Relève terrain")
    SELF = "self", _("Auto-relève client")
    REMOTE = "remote", _("Télérelève")
    ESTIMATE = "estimate", _("Estimation")
    MOVE_IN = "move_in", _("Arrivée")
    MOVE_OUT = "move_out", _("Départ")
    REMOVAL = "removal", _("Dépose compteur")
    INSTALL = "install", _("Pose compteur")


# Sources that are real readings of the meter (an estimate is not).
ACTUAL_SOURCES = tuple(s for s in ReadingSource.values if s != ReadingSource.ESTIMATE)


class ReadingStatus(models.TextChoices):
    VALID = "valid", _("Valide")
    HELD = "held", _("Anomalie en attente")
    REJECTED = "rejected", _("Rejeté")
    CORRECTED = "corrected", _("Corrigé (remplacé)")


# Readings that count: consumption is computed between these.
COUNTING_STATUSES = (ReadingStatus.VALID,)


class AnomalyReason(models.TextChoices):
    INDEX_DECREASE = "index_decrease", _("Index inférieur au précédent")
    HIGH_CONSUMPTION = "high_consumption", _("Consommation anormalement élevée")
    ZERO_CONSUMPTION = "zero_consumption", _("Consommation nulle sur un local occupé")
    DATE_BEFORE_PREVIOUS = "date_before_previous", _("Date antérieure au relevé précédent")
    DATE_IN_FUTURE = "date_in_future", _("Date dans le futur")


class AnomalyResolution(models.TextChoices):
    VALIDATED = "validated", _("Validé tel quel")
    CORRECTED = "corrected", _("Corrigé")
    NEW_READING_REQUESTED = "new_reading_requested", _("Nouvelle relève demandée")
    METER_NOT_SEEN = "meter_not_seen", _("Compteur non vu")
    REJECTED = "rejected", _("Rejeté")
