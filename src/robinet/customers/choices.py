"""Vocabularies of the customer file (CUST-1, CUST-5, CUST-7, CUST-9, CUST-10)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    PERSON = "person", _("Personne physique")
    COMPANY = "company", _("Entreprise / personne morale")


class CustomerClass(models.TextChoices):
    INDIVIDUAL = "individual", _("Particulier")
    PROFESSIONAL = "professional", _("Professionnel")
    LOCAL_AUTHORITY = "local_authority", _("Collectivité")
    ADMINISTRATION = "administration", _("Administration")
    FARMER = "farmer", _("Agriculteur")
    SYNDIC = "syndic", _("Copropriété / syndic")
    LARGE_ACCOUNT = "large_account", _("Grand compte")


# CUST-3: these classes need a SIRET, a NAF code and a site type.
CLASSES_WITH_SIRET = (
    CustomerClass.PROFESSIONAL,
    CustomerClass.LOCAL_AUTHORITY,
    CustomerClass.ADMINISTRATION,
)

PERSON_CIVILITIES = ("M.", "Mme", "M. et Mme")
SYNDIC_CIVILITY = "SDC"


class SiteType(models.TextChoices):
    RESIDENTIAL_BUILDING = "residential_building", _("Immeuble d'habitation")
    SHOP = "shop", _("Commerce")
    OFFICE = "office", _("Bureaux")
    INDUSTRIAL = "industrial", _("Site industriel")
    AGRICULTURAL = "agricultural", _("Exploitation agricole")
    PUBLIC_BUILDING = "public_building", _("Bâtiment public")
    HEALTH = "health", _("Établissement de santé")
    SCHOOL = "school", _("Établissement scolaire")
    OTHER = "other", _("Autre")


class ContactMethod(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Téléphone")
    LETTER = "letter", _("Courrier")


class PremisesUse(models.TextChoices):
    MAIN_RESIDENCE = "main_residence", _("Résidence principale")
    SECONDARY_RESIDENCE = "secondary_residence", _("Résidence secondaire")
    BUSINESS = "business", _("Local professionnel")
    RESIDENTIAL_BUILDING = "residential_building", _("Immeuble d'habitation")
    PUBLIC_BUILDING = "public_building", _("Bâtiment public")


class MeterAccessibility(models.TextChoices):
    ACCESSIBLE = "accessible", _("Accessible")
    NOT_ACCESSIBLE = "not_accessible", _("Non accessible (présence du client requise)")
    UNKNOWN = "unknown", _("N/A")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Actif")
    CLOSED = "closed", _("Clos")


class BillingCycle(models.TextChoices):
    """How often a contract is billed (BILL-4); periods end on calendar boundaries."""

    MONTHLY = "monthly", _("Mensuelle")
    QUARTERLY = "quarterly", _("Trimestrielle")
    SEMIANNUAL = "semiannual", _("Semestrielle")
    ANNUAL = "annual", _("Annuelle")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("En cours")
    CLOSED = "closed", _("Résilié")


class ContractEndReason(models.TextChoices):
    MOVE_OUT = "move_out", _("Départ")
    CHANGE_OF_HOLDER = "change_of_holder", _("Mutation (changement de titulaire)")
    TERMINATION = "termination", _("Résiliation")


class ParticularityKind(models.TextChoices):
    NEC = "nec", _("NEC — non éligible à la coupure")
    FSL = "fsl", _("FSL — Fonds de solidarité logement")
    LARGE_ACCOUNT = "large_account", _("Grand compte")
    VULNERABLE = "vulnerable", _("Client vulnérable")
    SOCIAL_TARIFF = "social_tariff", _("Tarif social")


class Channel(models.TextChoices):
    PHONE = "phone", _("Téléphone")
    COUNTER = "counter", _("Accueil")
    LETTER = "letter", _("Courrier")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Espace en ligne")


WRITTEN_CHANNELS = (Channel.LETTER, Channel.EMAIL, Channel.WEB)


class Requester(models.TextChoices):
    HOLDER = "holder", _("Le titulaire")
    THIRD_PARTY = "third_party", _("Un tiers")
