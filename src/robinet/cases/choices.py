"""Vocabularies of customer requests (CASE-1…10, seed 003)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Nature(models.TextChoices):
    """CASE-2: what a case is. Internal cases never carry a customer's inbound contact."""

    REQUEST = "request", _("Demande")
    CLAIM = "claim", _("Réclamation")
    INTERNAL = "internal", _("Demande interne")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Entrant")
    OUTBOUND = "outbound", _("Sortant")


class Channel(models.TextChoices):
    """CASE-1: how a contact reached us (or the customer)."""

    PHONE = "phone", _("Téléphone")
    LETTER = "letter", _("Courrier")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visite en accueil")
    WEB_FORM = "web_form", _("Formulaire web")
    WEB_SERVICE = "web_service", _("Webservice (compte en ligne)")
    SMS = "sms", _("SMS")


#: written channels: a sensitive-letter check runs on their text (CASE-5)
WRITTEN_CHANNELS = (Channel.LETTER, Channel.EMAIL, Channel.WEB_FORM)


class DeadlineRule(models.TextChoices):
    """CASE-3: how a case type's response deadline is computed."""

    CHANNEL = "channel", _("Selon le canal (courrier 5 j ouvrés, e-mail 48 h)")
    FIELD_OR_SERVICE = "field_or_service", _("Intervention ou autre service : 15 j ouvrés")
    THIRD_PARTY = "third_party", _("Accord d'un tiers : pas de délai")
    NONE = "none", _("Pas de délai")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Ouvert")
    DEFERRED = "deferred", _("En traitement différé")
    PAUSED = "paused", _("En pause (attente d'un tiers)")
    CLOSED = "closed", _("Clôturé")
    CANCELLED = "cancelled", _("Annulé")


#: statuses of an unclosed case (contacts attach to it; CASE-1)
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.DEFERRED, CaseStatus.PAUSED)


class DebitAction(models.TextChoices):
    """CASE-7: what a claim not solved the same day did to automatic payments."""

    NONE = "none", _("Aucune")
    DIRECT_DEBIT_SUSPENDED = "dd_suspended", _("Prélèvement suspendu")
    MONTHLY_SUSPENDED = "monthly_suspended", _("Mensualisation suspendue")
    MONTHLY_ADJUSTED = "monthly_adjusted", _("Deux prochaines mensualités ajustées")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("À faire")
    DONE = "done", _("Terminée")
    CANCELLED = "cancelled", _("Annulée")


class TeamKind(models.TextChoices):
    CONTACT_CENTRE = "contact_centre", _("Relation client multicanale")
    SENSITIVE_MAIL = "sensitive_mail", _("Courriers sensibles et RDR")
    CONTRACTS = "contracts", _("Gestion et vie des contrats")
    COLLECTION = "collection", _("Recouvrement")
    OPERATIONS = "operations", _("Opérations (interventions)")
    SCHEDULING = "scheduling", _("Ordonnancement")
    KEY_ACCOUNTS = "key_accounts", _("Grands comptes")


class Service(models.TextChoices):
    """CASE-9: the free services an officer offers after handling the request."""

    DIRECT_DEBIT = "direct_debit", _("Prélèvement automatique")
    MONTHLY_PAYMENT = "monthly_payment", _("Mensualisation")
    E_INVOICE = "e_invoice", _("E-facture")
    ONLINE_ACCOUNT = "online_account", _("Compte en ligne")


class OfferOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepté")
    DECLINED = "declined", _("Refusé")
    LATER = "later", _("À rappeler")


class Urgency(models.TextChoices):
    """CASE-8: how fast a field intervention is taken in charge."""

    URGENT = "urgent", _("Urgente (dans l'heure)")
    PRIORITY = "priority", _("Prioritaire (dans la journée)")
    NORMAL = "normal", _("Normale")


class InterventionKind(models.TextChoices):
    LEAK = "leak", _("Fuite")
    NO_WATER = "no_water", _("Manque d'eau / pression")
    WATER_QUALITY = "water_quality", _("Qualité de l'eau")
    INDEX_DISPUTE = "index_dispute", _("Contestation d'un index relevé")
    METER_INVERSION = "meter_inversion", _("Inversion de compteurs")
    METER_ACCURACY = "meter_accuracy", _("Contrôle du compteur (expertise, étalonnage)")
    COMPLIANCE_SURVEY = "compliance_survey", _("Enquête de conformité assainissement")
    ONSITE_QUOTE = "onsite_quote", _("Devis sur place")
    METER_SWAP = "meter_swap", _("Changement de compteur")
    METER_READING = "meter_reading", _("Relevé de compteur")
    OPENING = "opening", _("Mise en service / réouverture")
    CLOSING = "closing", _("Fermeture du branchement")
    METER_NOT_SEEN = "meter_not_seen", _("Compteur non vu")
    OTHER = "other", _("Autre")


#: CASE-8 / seed 003 §5.1.6.1: the customer's presence is mandatory for these
PRESENCE_REQUIRED_KINDS = (
    InterventionKind.INDEX_DISPUTE,
    InterventionKind.METER_INVERSION,
    InterventionKind.METER_ACCURACY,
    InterventionKind.COMPLIANCE_SURVEY,
    InterventionKind.ONSITE_QUOTE,
)


class InterventionStatus(models.TextChoices):
    TO_SCHEDULE = "to_schedule", _("À planifier")
    SCHEDULER = "scheduler", _("Chez l'ordonnancement (rappel du client)")
    SCHEDULED = "scheduled", _("Rendez-vous pris")
    DISPATCHED = "dispatched", _("Transmise au terrain")
    DONE = "done", _("Réalisée")
    MISSED = "missed", _("Rendez-vous manqué par le client")
    CANCELLED = "cancelled", _("Annulée")


#: statuses of an intervention still to be done
LIVE_INTERVENTION_STATUSES = (
    InterventionStatus.TO_SCHEDULE,
    InterventionStatus.SCHEDULER,
    InterventionStatus.SCHEDULED,
    InterventionStatus.DISPATCHED,
)


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Réservé")
    CANCELLED = "cancelled", _("Annulé")
    DONE = "done", _("Honoré")
    MISSED = "missed", _("Manqué par le client")
