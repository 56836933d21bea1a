"""The portal, under ``/espace-client/`` (its own authentication, see ``access.py``)."""

from robinet.portal import account_urls, action_urls, auth_urls

app_name = "portal"

urlpatterns = [
    *auth_urls.urlpatterns,
    *account_urls.urlpatterns,
    *action_urls.urlpatterns,
]
