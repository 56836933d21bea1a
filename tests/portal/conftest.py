"""Portal fixtures: customers with a portal login linked to their account, and a stranger."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from robinet.core import clock
from robinet.portal.access import SESSION_HASH_KEY, SESSION_KEY, _session_hash
from robinet.portal.models import AccountLink, PortalUser
from tests.cases.conftest import teams  # noqa: F401  (the routing teams)
from tests.metering.factories import occupied_point

#: a Wednesday, 10:00 in Paris
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
PASSWORD = "Un-mot-de-passe-solide-2026"


@pytest.fixture(autouse=True)
def now():
    with clock.as_of(NOW):
        yield NOW


def make_portal_user(email: str, *accounts) -> PortalUser:
    user = PortalUser.objects.create(
        email=email,
        password=make_password(PASSWORD),
        first_name="Hélène",
        last_name="Lefèvre",
        email_verified_at=NOW,
        created_at=NOW,
    )
    for account in accounts:
        AccountLink.objects.create(user=user, account=account, linked_at=NOW, method="invoice")
    return user


def logged_in(user: PortalUser) -> Client:
    """A browser session signed in to the portal as ``user`` (staff ``request.user`` stays anonymous)."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = user.pk
    session[SESSION_HASH_KEY] = _session_hash(user)
    session.save()
    return client


@pytest.fixture
def household(org):
    """An individual with a contract and a meter in Strasbourg."""
    account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    return account


@pytest.fixture
def neighbour(org):
    """Another customer: the portal user must never reach anything of theirs."""
    account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    return account


@pytest.fixture
def customer(household):
    return make_portal_user("helene.lefevre@example.fr", household)


@pytest.fixture
def stranger(neighbour):
    return make_portal_user("voisin@example.fr", neighbour)


@pytest.fixture
def portal(customer):
    """A client signed in as ``customer``."""
    return logged_in(customer)
