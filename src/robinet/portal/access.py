"""Who is signed in to the portal, and what they may reach (PORTAL-1, security).

The portal keeps its user in the session under its own key: a portal user is
never ``request.user`` (staff), so no back-office view opens for them. Every
object is reached through the accounts the user has linked; anything else is
404, so guessing another customer's invoice or case reveals nothing.
"""

from __future__ import annotations

import time

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from robinet.customers.models import CustomerAccount
from robinet.portal.models import PortalUser

SESSION_KEY = "_portal_user_id"
#: the password hash is part of the session: changing the password ends other sessions
SESSION_HASH_KEY = "_portal_user_hash"
#: when the session was last moved forward (sliding expiry, see the middleware)
SEEN_KEY = "_portal_seen"
SLIDE_EVERY_SECONDS = 60


def _session_hash(user: PortalUser) -> str:
    from django.utils.crypto import salted_hmac

    return salted_hmac("robinet.portal.session", user.password).hexdigest()


def portal_login(request, user: PortalUser) -> None:
    """Start a portal session (a fresh session key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = user.pk
    request.session[SESSION_HASH_KEY] = _session_hash(user)
    request.portal_user = user


def portal_logout(request) -> None:
    request.session.flush()
    request.portal_user = None


def _get_user(request) -> PortalUser | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    user = PortalUser.objects.filter(pk=pk, is_active=True).first()
    if user is None or request.session.get(SESSION_HASH_KEY) != _session_hash(user):
        return None
    return user


class PortalUserMiddleware:
    """``request.portal_user``: the signed-in customer, or None; their language for the portal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.portal_user = SimpleLazyObject(lambda: _get_user(request))
        response = self.get_response(request)
        # The portal session expires after 30 idle minutes, counted from the last page seen:
        # saving it moves its expiry. Saved at most once a minute (one write, not one per page);
        # staff sessions are untouched.
        if request.path.startswith("/espace-client/") and SESSION_KEY in request.session:
            now = int(time.time())
            if now - request.session.get(SEEN_KEY, 0) >= SLIDE_EVERY_SECONDS:
                request.session[SEEN_KEY] = now
        return response


def current_user(request) -> PortalUser | None:
    user = getattr(request, "portal_user", None)
    return user if user else None  # a SimpleLazyObject wrapping None is falsy


class PortalLoginRequiredMixin:
    """The view needs a signed-in portal user with a verified e-mail."""

    def dispatch(self, request, *args, **kwargs):
        user = current_user(request)
        if user is None:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if user.language and user.language != translation.get_language()[:2]:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return super().dispatch(request, *args, **kwargs)


def linked_accounts(user: PortalUser):
    """The accounts the user has linked, by number."""
    return (
        CustomerAccount.objects.filter(portal_links__user=user)
        .select_related("party", "centre")
        .order_by("number")
    )


def account_for(user: PortalUser, number: str) -> CustomerAccount:
    """One of the user's accounts, or 404 (never 403: existence is not revealed)."""
    account = linked_accounts(user).filter(number=number).first()
    if account is None:
        raise Http404
    return account
