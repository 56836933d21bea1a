"""Roles and what each may do (ORG-2). Pure data: the permissions map."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER_OFFICER = "customer_officer", _("Chargé(e) de gestion clientèle")
    BILLING_OFFICER = "billing_officer", _("Chargé(e) de facturation")
    COLLECTION_OFFICER = "collection_officer", _("Chargé(e) de recouvrement")
    CONTACT_CENTRE_OFFICER = "contact_centre_officer", _("Chargé(e) de relation client")
    MANAGER = "manager", _("Responsable")
    ADMINISTRATOR = "administrator", _("Administrateur")
    AUDITOR = "auditor", _("Auditeur (lecture seule)")
    EXTERNAL_AGENCY = "external_agency", _("Agence de recouvrement externe")


class Perm(models.TextChoices):
    CUSTOMER_VIEW = "customer.view", _("Consulter les clients")
    CUSTOMER_CHANGE = "customer.change", _("Modifier les clients")
    CONTRACT_CHANGE = "contract.change", _("Gérer les abonnements")
    CUSTOMER_EXPORT = "customer.export", _("Exporter les données d'un client (RGPD)")
    CUSTOMER_IMPORT = "customer.import", _("Importer des données")
    QUALITY_VIEW = "quality.view", _("Consulter la qualité des données")
    AUDIT_VIEW = "audit.view", _("Consulter l'historique")
    ORG_MANAGE = "org.manage", _("Gérer les habilitations")
    TARIFF_VIEW = "tariff.view", _("Consulter les tarifs")
    TARIFF_CHANGE = "tariff.change", _("Saisir et modifier les tarifs")
    BILLING_VIEW = "billing.view", _("Consulter les factures")
    BILLING_RUN = "billing.run", _("Lancer la facturation")
    BILLING_CORRECT = "billing.correct", _("Traiter les factures bloquées et émettre des avoirs")
    FEES_MANAGE = "billing.fees", _("Facturer des prestations et frais du bordereau de prix")
    WORKS_MANAGE = "billing.works", _("Établir les devis et factures de travaux")
    PAYMENT_VIEW = "payment.view", _("Consulter les comptes et les règlements")
    PAYMENT_TAKE = "payment.take", _("Encaisser (caisse, chèques, cartes)")
    PAYMENT_ALLOCATE = "payment.allocate", _("Lettrer et délettrer")
    PAYMENT_IMPORT = "payment.import", _("Importer des règlements et des soldes")
    VOUCHER_MANAGE = "payment.vouchers", _("Gérer les vignettes")
    ACCOUNTING_VIEW = "accounting.view", _("Consulter la comptabilité et les rapprochements")
    COLLECTION_VIEW = "collection.view", _("Consulter les relances et les échéanciers")
    DUNNING_RUN = "collection.dunning", _("Lancer et valider les relances")
    PLAN_MANAGE = "collection.plans", _("Accorder des échéanciers et noter des promesses")
    DUNNING_CONFIGURE = "collection.configure", _("Paramétrer les procédures de relance")
    AGENCY_MANAGE = (
        "collection.agencies",
        _("Confier des dettes aux agences et suivre leurs comptes rendus"),
    )
    AGENCY_WORK = "collection.agency_work", _("Agence : voir et rendre compte des dettes confiées")
    LITIGATION_MANAGE = "collection.litigation", _("Constituer et suivre les dossiers contentieux")
    WRITE_OFF_REQUEST = "collection.write_off", _("Proposer des admissions en non-valeur")
    WRITE_OFF_APPROVE = (
        "collection.write_off_approve",
        _("Approuver les admissions en non-valeur et provisions"),
    )
    CASE_VIEW = "case.view", _("Consulter les contacts et les dossiers")
    CASE_HANDLE = "case.handle", _("Enregistrer les contacts, traiter et clôturer les dossiers")
    CASE_SUPERVISE = "case.supervise", _("Piloter les dossiers (retards, rapports, équipes)")
    FIELD_SCHEDULE = "case.field", _("Ordonnancer les interventions et les rendez-vous")
    REPORT_VIEW = "report.view", _("Consulter les tableaux de bord et rapports de gestion")


_ALL = frozenset(Perm)
_VIEW = frozenset(
    {
        Perm.CUSTOMER_VIEW,
        Perm.AUDIT_VIEW,
        Perm.TARIFF_VIEW,
        Perm.BILLING_VIEW,
        Perm.PAYMENT_VIEW,
        Perm.COLLECTION_VIEW,
        Perm.CASE_VIEW,
    }
)
# PAY-2: every officer at a counter takes payments.
_COUNTER = frozenset({Perm.PAYMENT_TAKE})
_COLLECTION = frozenset(
    {
        Perm.PAYMENT_TAKE,
        Perm.PAYMENT_ALLOCATE,
        Perm.PAYMENT_IMPORT,
        Perm.VOUCHER_MANAGE,
        Perm.DUNNING_RUN,
        Perm.PLAN_MANAGE,
        Perm.AGENCY_MANAGE,
        Perm.LITIGATION_MANAGE,
        Perm.WRITE_OFF_REQUEST,
    }
)
# CASE-1: every officer who talks to customers records contacts and handles cases.
_OFFICER = _VIEW | {
    Perm.CUSTOMER_CHANGE,
    Perm.CONTRACT_CHANGE,
    Perm.QUALITY_VIEW,
    Perm.CASE_HANDLE,
}
_BILLING = _OFFICER | {
    Perm.TARIFF_CHANGE,
    Perm.BILLING_RUN,
    Perm.BILLING_CORRECT,
    Perm.FEES_MANAGE,
    Perm.WORKS_MANAGE,
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CUSTOMER_OFFICER: frozenset(_OFFICER | _COUNTER | {Perm.CUSTOMER_EXPORT}),
    Role.BILLING_OFFICER: frozenset(_BILLING),
    # REP: collection officers follow their own centres' figures.
    Role.COLLECTION_OFFICER: frozenset(
        _OFFICER | _COLLECTION | {Perm.ACCOUNTING_VIEW, Perm.REPORT_VIEW}
    ),
    # Contact-centre staff agree plans and record promises on the phone (COLL-5).
    Role.CONTACT_CENTRE_OFFICER: frozenset(_OFFICER | {Perm.PLAN_MANAGE}),
    Role.MANAGER: frozenset(
        _BILLING
        | _COLLECTION
        | {
            Perm.CUSTOMER_EXPORT,
            Perm.ORG_MANAGE,
            Perm.ACCOUNTING_VIEW,
            Perm.DUNNING_CONFIGURE,
            Perm.WRITE_OFF_APPROVE,
            Perm.CASE_SUPERVISE,
            Perm.FIELD_SCHEDULE,
            Perm.REPORT_VIEW,
        }
    ),
    Role.ADMINISTRATOR: _ALL,
    Role.AUDITOR: frozenset(_VIEW | {Perm.QUALITY_VIEW, Perm.ACCOUNTING_VIEW, Perm.REPORT_VIEW}),
    # ORG-4: an agency sees only assigned debts; the collections issue gives it
    # its own limited screens. It has no access to the customer file.
    Role.EXTERNAL_AGENCY: frozenset({Perm.AGENCY_WORK}),
}


def permissions_of(roles: set[str]) -> frozenset[str]:
    result: set[str] = set()
    for role in roles:
        result |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(result)
