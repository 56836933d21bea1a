"""The back-office menu: each entry shows only to users holding its permission."""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str
    group: str = ""


# Menu groups, in order: a group with one visible entry shows as a plain link.
CUSTOMERS = _("Clients")
REQUESTS = _("Demandes")
BILLING = _("Facturation")
PAYMENTS = _("Encaissement")
COLLECTION = _("Recouvrement")
GROUPS = [CUSTOMERS, REQUESTS, BILLING, PAYMENTS, COLLECTION]

NAV_ITEMS = [
    NavItem(_("Accueil"), "backoffice:home", ""),
    NavItem(_("Clients"), "customers:search", Perm.CUSTOMER_VIEW, CUSTOMERS),
    NavItem(_("Anomalies de relève"), "metering:anomalies", Perm.CUSTOMER_VIEW, CUSTOMERS),
    NavItem(_("Import de relevés"), "metering:readings-import", Perm.CUSTOMER_IMPORT, CUSTOMERS),
    NavItem(_("Qualité des données"), "customers:quality", Perm.QUALITY_VIEW, CUSTOMERS),
    NavItem(_("Dossiers"), "cases:case-list", Perm.CASE_VIEW, REQUESTS),
    NavItem(_("Retards de réponse"), "cases:overdue", Perm.CASE_VIEW, REQUESTS),
    NavItem(_("Ordonnancement"), "cases:scheduler", Perm.FIELD_SCHEDULE, REQUESTS),
    NavItem(_("Agenda des rendez-vous"), "cases:appointment-book", Perm.CASE_VIEW, REQUESTS),
    NavItem(_("Rapports de pilotage"), "cases:reports", Perm.CASE_SUPERVISE, REQUESTS),
    NavItem(_("Tarifs"), "tariffs:list", Perm.TARIFF_VIEW, BILLING),
    NavItem(_("Facturation"), "billing:runs", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Comptable public (PES)"), "pes:exports", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Factures bloquées"), "billing:held", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Factures"), "billing:invoices", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Statistiques de facturation"), "billing:statistics", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Conventions de participation"), "billing:contributions", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Mensualisations"), "billing:budget", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Écrêtements pour fuite"), "billing:leaks", Perm.BILLING_VIEW, BILLING),
    NavItem(_("Caisse"), "payments:cash", Perm.PAYMENT_TAKE, PAYMENTS),
    NavItem(_("Paiements par carte"), "payments:cards", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Opérateurs d'encaissement"), "payments:operators", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Relevés bancaires"), "payments:bank-statements", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Montants en instance"), "payments:unallocated", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Remises de chèques"), "payments:cash-slips", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Vignettes"), "payments:vouchers", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Prélèvements SEPA"), "payments:sepa-runs", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Rejets de prélèvement"), "payments:returns", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Remboursements"), "payments:refunds", Perm.PAYMENT_VIEW, PAYMENTS),
    NavItem(_("Liste de travail"), "collections:worklist", Perm.COLLECTION_VIEW, COLLECTION),
    NavItem(_("Relances"), "collections:dunning-runs", Perm.COLLECTION_VIEW, COLLECTION),
    NavItem(_("Échéanciers"), "collections:plan-list", Perm.COLLECTION_VIEW, COLLECTION),
    NavItem(
        _("Agences de recouvrement"), "collections:agency-list", Perm.AGENCY_MANAGE, COLLECTION
    ),
    NavItem(_("Contentieux"), "collections:litigation-list", Perm.COLLECTION_VIEW, COLLECTION),
    NavItem(
        _("Non-valeurs et provisions"),
        "collections:writeoff-list",
        Perm.COLLECTION_VIEW,
        COLLECTION,
    ),
    # ORG-4: what an external agency sees, and nothing else.
    NavItem(_("Dettes confiées"), "collections:agency-portal", Perm.AGENCY_WORK),
    NavItem(_("Comptabilité"), "ledger:entries", Perm.ACCOUNTING_VIEW),
    NavItem(_("Pilotage"), "reporting:index", Perm.REPORT_VIEW),
]


def _url(url_name: str) -> str | None:
    """The entry's URL, or None when its screen is not installed."""
    return _reversed(settings.ROOT_URLCONF, get_script_prefix(), url_name)


@functools.cache
def _reversed(urlconf: str, prefix: str, url_name: str) -> str | None:
    # The menu is drawn on every page: its ~40 URLs are reversed once per URL configuration.
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def menu_for(user, path: str = "") -> list[dict]:
    """The entries ``user`` may open; the one whose URL is the longest prefix of ``path`` is active."""
    scope = scope_for(user)
    items = [
        # Translated once here: the navbar and its groups read each label several times.
        {"label": str(item.label), "url": url, "url_name": item.url_name, "group": str(item.group)}
        for item in NAV_ITEMS
        if (not item.perm or scope.allows(item.perm)) and (url := _url(item.url_name))
    ]
    matches = [
        i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))
    ]
    active = max(matches, key=lambda i: len(i["url"]), default=None)
    for item in items:
        item["active"] = item is active
    return items


def menu_groups_for(items: list[dict]) -> list[dict]:
    """``menu_for``'s entries as the navbar shows them: groups of two or more become dropdowns.

    Each entry is ``{"label", "items", "active"}``; ungrouped entries and groups
    with a single visible entry are one-item groups (a plain link).
    """
    by_group: dict[str, list[dict]] = {}
    for item in items:
        if item["group"]:
            by_group.setdefault(item["group"], []).append(item)
    entries, placed = [], set()
    for item in items:
        group = item["group"]
        if not group:
            entries.append({"label": item["label"], "items": [item], "active": item["active"]})
        elif group not in placed:
            placed.add(group)
            members = by_group[group]
            entries.append(
                {
                    "label": group if len(members) > 1 else members[0]["label"],
                    "items": members,
                    "active": any(m["active"] for m in members),
                }
            )
    return entries
