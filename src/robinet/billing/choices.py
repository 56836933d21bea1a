"""Vocabularies of billing (BILL-4…8)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceKind(models.TextChoices):
    PERIODIC = "periodic", _("Facture de consommation")
    FINAL = "final", _("Facture de départ")
    CREDIT_NOTE = "credit_note", _("Avoir")
    FEES = "fees", _("Facture de prestations")
    WORKS_DEPOSIT = "works_deposit", _("Facture d'acompte sur travaux")
    WORKS = "works", _("Facture de travaux")
    CONTRIBUTION = "contribution", _("Facture de participation (convention)")


BILL_KINDS = (InvoiceKind.PERIODIC, InvoiceKind.FINAL)
# BILL-7: invoices issued one by one from the price list, without a contract or a meter.
PRICE_LIST_KINDS = (InvoiceKind.FEES, InvoiceKind.WORKS_DEPOSIT, InvoiceKind.WORKS)
# BILL-7: kinds issued without a contract nor a service point (only bills need them).
CONTRACTLESS_KINDS = (*PRICE_LIST_KINDS, InvoiceKind.CONTRIBUTION)


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
    QUOTE = "DEV", _("Devis")
    AGREEMENT = "CONV", _("Conventions de participation")


class PriceItemKind(models.TextChoices):
    """BILL-7: what a price-list item is billed through."""

    FEE = "fee", _("Prestation / frais")
    WORKS = "works", _("Travaux")


class LineService(models.TextChoices):
    """BILL-8 headings a line is printed under."""

    WATER = "water", _("Distribution de l'eau")
    SANITATION = "sanitation", _("Collecte et traitement des eaux usées")
    PUBLIC_BODIES = "public_bodies", _("Organismes publics")
    OTHER = "other", _("Autres prestations")


class LineBeneficiary(models.TextChoices):
    OPERATOR = "operator", _("Exploitant")
    AUTHORITY = "authority", _("Collectivité")
    WATER_AGENCY = "water_agency", _("Agence de l'eau")
    OTHER = "other", _("Autre")


class QuoteStatus(models.TextChoices):
    """BILL-7 works quote: draft → sent → accepted → invoiced, or refused / expired."""

    DRAFT = "draft", _("Brouillon")
    SENT = "sent", _("Envoyé")
    ACCEPTED = "accepted", _("Accepté")
    REFUSED = "refused", _("Refusé")
    EXPIRED = "expired", _("Expiré")
    INVOICED = "invoiced", _("Facturé")


class AgreementStatus(models.TextChoices):
    """BILL-7 contribution agreement with a municipality: draft → signed → closed."""

    DRAFT = "draft", _("Projet")
    SIGNED = "signed", _("Signée")
    CLOSED = "closed", _("Soldée")


class ContributionService(models.TextChoices):
    WATER = "water", _("Eau potable")
    SANITATION = "sanitation", _("Assainissement")


#: VAT rates an officer may choose for a contribution (0 = outside the scope of VAT).
CONTRIBUTION_VAT_RATES = ("0", "5.5", "10", "20")


class BudgetPlanStatus(models.TextChoices):
    """BILL-10 monthly payment plan: active ⇄ suspended → settled, or cancelled."""

    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspendue")
    SETTLED = "settled", _("Soldée")
    CANCELLED = "cancelled", _("Résiliée")


#: The plans that still collect (or may again): one per contract and year.
LIVE_BUDGET_STATUSES = (BudgetPlanStatus.ACTIVE, BudgetPlanStatus.SUSPENDED)


class InstalmentStatus(models.TextChoices):
    """BILL-10 one monthly instalment (*échéance*)."""

    SCHEDULED = "scheduled", _("Prévue")
    COLLECTED = "collected", _("Prélevée")
    #: Debited, then rejected or returned by the bank (PAY-4): not paid.
    REJECTED = "rejected", _("Rejetée")
    SUSPENDED = "suspended", _("Suspendue")
    CANCELLED = "cancelled", _("Annulée")


class EstimateBasis(models.TextChoices):
    HISTORY = "history", _("Consommation des 12 derniers mois")
    SIMILAR = "similar", _("Locaux comparables")
    GIVEN = "given", _("Volume indiqué")


class SettlementOutcome(models.TextChoices):
    DUE = "due", _("Solde à payer")
    REFUND = "refund", _("Trop-perçu à rembourser")
    NIL = "nil", _("Soldé à zéro")


class LeakReliefKind(models.TextChoices):
    """BILL-9: what the customer sent within the month after the METER-5 information."""

    CERTIFICATE = "certificate", _("Attestation de plombier (fuite réparée)")
    METER_CHECK = "meter_check", _("Demande de vérification du compteur")


class LeakReliefStatus(models.TextChoices):
    """BILL-9 leak relief: open → received → approved / refused, or the meter-check branch
    check_requested → meter_faulty / meter_ok."""

    OPEN = "open", _("En attente du justificatif")
    RECEIVED = "received", _("Attestation reçue")
    APPROVED = "approved", _("Écrêtement accordé")
    REFUSED = "refused", _("Écrêtement refusé")
    CHECK_REQUESTED = "check_requested", _("Vérification du compteur demandée")
    METER_FAULTY = "meter_faulty", _("Compteur défectueux (à corriger)")
    METER_OK = "meter_ok", _("Compteur conforme (excédent dû)")


#: BILL-9: requests still being handled (one per invoice at a time).
LEAK_RELIEF_PENDING = (
    LeakReliefStatus.OPEN,
    LeakReliefStatus.RECEIVED,
    LeakReliefStatus.CHECK_REQUESTED,
)
#: BILL-9: requests that hold an invoice (a refused one lets a new request be opened).
LEAK_RELIEF_ACTIVE = (*LEAK_RELIEF_PENDING, LeakReliefStatus.APPROVED)
