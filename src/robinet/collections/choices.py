"""Vocabularies of collections (COLL-1…6, COLL-13)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """What a dunning level does (COLL-1). ``restriction`` only where COLL-4 allows it."""

    LETTER = "letter", _("Lettre de relance")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    FORMAL_NOTICE = "formal_notice", _("Mise en demeure")
    LITIGATION = "litigation", _("Transfert au contentieux")
    AGENCY = "agency", _("Transmission à une agence de recouvrement")
    RESTRICTION = "restriction", _("Réduction ou suspension de la fourniture")


# Actions that send something to the debtor.
MESSAGE_ACTIONS = (Action.LETTER, Action.EMAIL, Action.SMS, Action.FORMAL_NOTICE)


class BlockReason(models.TextChoices):
    """Why dunning is held on an account (COLL-3, COLL-4 FSL pause, COLL-12)."""

    CASE = "case", _("Dossier ouvert (facture, règlement, dégrèvement, RDR)")
    PAYMENT_PLAN = "payment_plan", _("Échéancier en cours")
    PROMISE = "promise", _("Promesse de paiement en cours")
    AGENCY = "agency", _("Confié à une agence de recouvrement")
    RETURNED_MAIL = "returned_mail", _("Courrier revenu (NPAI)")
    OVER_INDEBTEDNESS = "over_indebtedness", _("Surendettement (Banque de France)")
    COLLECTIVE_PROCEDURE = "collective_procedure", _("Procédure collective")
    DISPUTE = "dispute", _("Contestation")
    FSL_PENDING = "fsl_pending", _("Demande d'aide FSL en cours")
    MANUAL = "manual", _("Blocage manuel")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposé")
    EXCLUDED = "excluded", _("Exclu")
    BLOCKED = "blocked", _("Bloqué")
    ISSUED = "issued", _("Émis")


class ChargeKind(models.TextChoices):
    INDEMNITY = "indemnity", _("Indemnité forfaitaire de recouvrement (40 €)")
    INTEREST = "interest", _("Intérêts de retard")


class DebtStage(models.TextChoices):
    """Where a debtor's single debt case stands (one timeline for all its contracts)."""

    REMINDERS = "reminders", _("Relances")
    PROMISE = "promise", _("Promesse de paiement")
    PLAN = "plan", _("Échéancier")
    AGENCY = "agency", _("Agence de recouvrement")
    LITIGATION = "litigation", _("Contentieux")
    PUBLIC_ACCOUNTANT = "public_accountant", _("Comptable public")
    WRITE_OFF = "write_off", _("Admission en non-valeur")
    CLOSED = "closed", _("Soldé")


class PlanState(models.TextChoices):
    ACTIVE = "active", _("En cours")
    KEPT = "kept", _("Respecté")
    BROKEN = "broken", _("Rompu")
    CANCELLED = "cancelled", _("Annulé")


class InstalmentState(models.TextChoices):
    PENDING = "pending", _("À venir")
    PAID = "paid", _("Payée")
    MISSED = "missed", _("Impayée")


class PromiseState(models.TextChoices):
    PENDING = "pending", _("En attente")
    KEPT = "kept", _("Tenue")
    BROKEN = "broken", _("Non tenue")
    CANCELLED = "cancelled", _("Annulée")


class Orientation(models.TextChoices):
    NONE = "none", _("Aucune")
    FSL = "fsl", _("Fonds de solidarité logement (FSL)")
    SOCIAL_SERVICES = "social_services", _("Services sociaux / CCAS")
    OVER_INDEBTEDNESS = "over_indebtedness", _("Commission de surendettement")


class EventKind(models.TextChoices):
    """What happened on an account's collection timeline (COLL-13)."""

    NOTICE = "notice", _("Relance envoyée")
    EXCLUSION = "exclusion", _("Exclusion d'une relance")
    BLOCK = "block", _("Blocage")
    UNBLOCK = "unblock", _("Levée de blocage")
    PLAN_CREATED = "plan_created", _("Échéancier accordé")
    PLAN_KEPT = "plan_kept", _("Échéancier respecté")
    PLAN_BROKEN = "plan_broken", _("Échéancier rompu")
    PLAN_CANCELLED = "plan_cancelled", _("Échéancier annulé")
    PROMISE_MADE = "promise_made", _("Promesse de paiement")
    PROMISE_KEPT = "promise_kept", _("Promesse tenue")
    PROMISE_BROKEN = "promise_broken", _("Promesse non tenue")
    DIAGNOSIS = "diagnosis", _("Diagnostic de la situation")
    CONTACT = "contact", _("Contact avec le client")
    WRITE_OFF_ASKED = "write_off_asked", _("Admission en non-valeur proposée")
    WRITE_OFF = "write_off", _("Admission en non-valeur")
    WRITE_OFF_DENIED = "write_off_denied", _("Admission en non-valeur refusée")
    ACCOUNTANT = "accountant", _("Comptable public (titre)")
