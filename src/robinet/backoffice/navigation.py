"""The back-office menu: each entry shows only to users holding its permission."""

from dataclasses import dataclass

from django.urls import reverse
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
    NavItem(_("Qualité des données"), "customers:quality", Perm.QUALITY_VIEW),
]


def menu_for(user) -> list[dict]:
    scope = scope_for(user)
    return [
        {"label": item.label, "url": reverse(item.url_name), "url_name": item.url_name}
        for item in NAV_ITEMS
        if not item.perm or scope.allows(item.perm)
    ]
