"""Vocabularies of billing (BILL-4…8)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceKind(models.TextChoices):
    PERIODIC = "periodic", _("Facture de consommation")
    FINAL = "final", _("Facture de départ")
    CREDIT_NOTE = "credit_note", _("Avoir")


BILL_KINDS = (InvoiceKind.PERIODIC, InvoiceKind.FINAL)


class HeldBillStatus(models.TextChoices):
    HELD = "held", _("Bloquée")
    RELEASED = "released", _("Libérée")
    CANCELLED = "cancelled", _("Annulée")


class HoldReason(models.TextChoices):
    """BILL-5 pre-billing controls: why a computed bill is held (*outsorted*)."""

    READING_ANOMALY = "reading_anomaly", _("Relevé en anomalie")
    MISSING_TARIFF = "missing_tariff", _("Tarif manquant")
    MISSING_METER = "missing_meter", _("Compteur manquant")
    NEGATIVE_AMOUNT = "negative_amount", _("Montant négatif")
    AMOUNT_ABOVE_THRESHOLD = "amount_above_threshold", _("Montant au-delà du seuil")
    VOLUME_ABOVE_THRESHOLD = "volume_above_threshold", _("Consommation au-delà du seuil")
    PRICING_ERROR = "pricing_error", _("Erreur de calcul")


class Series(models.TextChoices):
    """Gapless numbering series (BILL-6): one per document type and year."""

    INVOICE = "FAC", _("Factures")
    CREDIT_NOTE = "AV", _("Avoirs")
