"""The back-office menu: each entry shows only to users holding its permission."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str


NAV_ITEMS = [
    NavItem(_("Accueil"), "backoffice:home", ""),
    NavItem(_("Clients"), "customers:search", Perm.CUSTOMER_VIEW),
    NavItem(_("Anomalies de relève"), "metering:anomalies", Perm.CUSTOMER_VIEW),
    NavItem(_("Import de relevés"), "metering:readings-import", Perm.CUSTOMER_IMPORT),
    NavItem(_("Qualité des données"), "customers:quality", Perm.QUALITY_VIEW),
    NavItem(_("Tarifs"), "tariffs:list", Perm.TARIFF_VIEW),
    NavItem(_("Facturation"), "billing:runs", Perm.BILLING_VIEW),
    NavItem(_("Factures bloquées"), "billing:held", Perm.BILLING_VIEW),
    NavItem(_("Factures"), "billing:invoices", Perm.BILLING_VIEW),
    NavItem(_("Statistiques de facturation"), "billing:statistics", Perm.BILLING_VIEW),
    NavItem(_("Conventions de participation"), "billing:contributions", Perm.BILLING_VIEW),
    NavItem(_("Mensualisations"), "billing:budget", Perm.BILLING_VIEW),
    NavItem(_("Écrêtements pour fuite"), "billing:leaks", Perm.BILLING_VIEW),
    NavItem(_("Paiements par carte"), "payments:cards", Perm.PAYMENT_VIEW),
    NavItem(_("Opérateurs d'encaissement"), "payments:operators", Perm.PAYMENT_VIEW),
    NavItem(_("Relevés bancaires"), "payments:bank-statements", Perm.PAYMENT_VIEW),
    NavItem(_("Montants en instance"), "payments:unallocated", Perm.PAYMENT_VIEW),
    NavItem(_("Caisse"), "payments:cash", Perm.PAYMENT_TAKE),
    NavItem(_("Remises de chèques"), "payments:cash-slips", Perm.PAYMENT_VIEW),
    NavItem(_("Vignettes"), "payments:vouchers", Perm.PAYMENT_VIEW),
    NavItem(_("Prélèvements SEPA"), "payments:sepa-runs", Perm.PAYMENT_VIEW),
    NavItem(_("Rejets de prélèvement"), "payments:returns", Perm.PAYMENT_VIEW),
    NavItem(_("Remboursements"), "payments:refunds", Perm.PAYMENT_VIEW),
    NavItem(_("Liste de travail"), "collections:worklist", Perm.COLLECTION_VIEW),
    NavItem(_("Relances"), "collections:dunning-runs", Perm.COLLECTION_VIEW),
    NavItem(_("Échéanciers"), "collections:plan-list", Perm.COLLECTION_VIEW),
    NavItem(_("Agences de recouvrement"), "collections:agency-list", Perm.AGENCY_MANAGE),
    NavItem(_("Contentieux"), "collections:litigation-list", Perm.COLLECTION_VIEW),
    NavItem(_("Non-valeurs et provisions"), "collections:writeoff-list", Perm.COLLECTION_VIEW),
    # ORG-4: what an external agency sees, and nothing else.
    NavItem(_("Dettes confiées"), "collections:agency-portal", Perm.AGENCY_WORK),
    NavItem(_("Comptabilité"), "ledger:entries", Perm.ACCOUNTING_VIEW),
]


def _url(url_name: str) -> str | None:
    """The entry's URL, or None when its screen is not installed."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def menu_for(user, path: str = "") -> list[dict]:
    """The entries ``user`` may open; the one whose URL is the longest prefix of ``path`` is active."""
    scope = scope_for(user)
    items = [
        {"label": item.label, "url": url, "url_name": item.url_name}
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
