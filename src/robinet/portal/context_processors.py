from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from robinet.portal.access import current_user

#: the portal's menu: (label, URL name)
NAV = [
    (_("Accueil"), "portal:home"),
    (_("Factures et paiements"), "portal:bills"),
    (_("Mes demandes"), "portal:requests"),
    (_("Démarches"), "portal:actions"),
    (_("Mon profil"), "portal:profile"),
]


def portal(request):
    if not request.path.startswith("/espace-client/"):
        return {}
    user = current_user(request)
    items = []
    if user is not None:
        for label, name in NAV:
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            items.append(
                {
                    "label": label,
                    "url": url,
                    "active": request.path.startswith(url)
                    and (url != reverse("portal:home") or request.path == url),
                }
            )
    return {"portal_user": user, "portal_nav": items}
