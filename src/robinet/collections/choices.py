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
    LITIGATION = "litigation", _("Dossier contentieux en cours")
    RETURNED_MAIL = "returned_mail", _("Courrier revenu (NPAI)")
    OVER_INDEBTEDNESS = "over_indebtedness", _("Surendettement (Banque de France)")
    COLLECTIVE_PROCEDURE = "collective_procedure", _("Procédure collective")
    DISPUTE = "dispute", _("Contestation")
    FSL_PENDING = "fsl_pending", _("Demande d'aide FSL en cours")
    MANUAL = "manual", _("Blocage manuel")


#: Blocks a file opens and only closing that file lifts (not the « lever » button, COLL-8/9/12).
FILE_BLOCK_REASONS = (
    BlockReason.AGENCY,
    BlockReason.LITIGATION,
    BlockReason.OVER_INDEBTEDNESS,
    BlockReason.COLLECTIVE_PROCEDURE,
)
#: Blocks of an insolvency file: they freeze the file's prior items, not the account (COLL-12).
INSOLVENCY_BLOCK_REASONS = (BlockReason.OVER_INDEBTEDNESS, BlockReason.COLLECTIVE_PROCEDURE)


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
    PLAN_SIGNED = "plan_signed", _("Accord d'échéancier signé")
    PLAN_KEPT = "plan_kept", _("Échéancier respecté")
    PLAN_BROKEN = "plan_broken", _("Échéancier rompu")
    PLAN_REOPENED = "plan_reopened", _("Échéancier rouvert")
    PLAN_CANCELLED = "plan_cancelled", _("Échéancier annulé")
    PROMISE_MADE = "promise_made", _("Promesse de paiement")
    PROMISE_KEPT = "promise_kept", _("Promesse tenue")
    PROMISE_BROKEN = "promise_broken", _("Promesse non tenue")
    PROMISE_CANCELLED = "promise_cancelled", _("Promesse annulée")
    DIAGNOSIS = "diagnosis", _("Diagnostic de la situation")
    CONTACT = "contact", _("Contact avec le client")
    WRITE_OFF_ASKED = "write_off_asked", _("Admission en non-valeur proposée")
    WRITE_OFF = "write_off", _("Admission en non-valeur")
    WRITE_OFF_DENIED = "write_off_denied", _("Admission en non-valeur refusée")
    AGENCY_ASSIGNED = "agency_assigned", _("Dette confiée à une agence")
    AGENCY_REPORTED = "agency_reported", _("Compte rendu de l'agence")
    AGENCY_RECALLED = "agency_recalled", _("Dette rappelée de l'agence")
    AGENCY_CLOSED = "agency_closed", _("Dette confiée soldée")
    LITIGATION_OPENED = "litigation_opened", _("Dossier contentieux ouvert")
    LITIGATION_STAGE = "litigation_stage", _("Étape du contentieux")
    LITIGATION_COST = "litigation_cost", _("Frais de contentieux")
    LITIGATION_CLOSED = "litigation_closed", _("Dossier contentieux clos")
    INSOLVENCY_OPENED = "insolvency_opened", _("Surendettement ou procédure collective")
    INSOLVENCY_STAGE = "insolvency_stage", _("Suivi du surendettement ou de la procédure")
    INSOLVENCY_CLOSED = "insolvency_closed", _("Surendettement ou procédure clos")
    ACCOUNTANT = "accountant", _("Comptable public (titre)")


#: Events that were all written as ``contact`` before they had their own kind: the worklist
#: counts them as the last contact with the debtor, as it always did (COLL-7).
CONTACT_KINDS = (
    EventKind.CONTACT,
    EventKind.PLAN_SIGNED,
    EventKind.PROMISE_CANCELLED,
    EventKind.AGENCY_REPORTED,
    EventKind.LITIGATION_STAGE,
    EventKind.LITIGATION_COST,
    EventKind.INSOLVENCY_STAGE,
)
