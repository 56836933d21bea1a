"""Fixtures for back-office screen tests (also loaded by tests/customers/views and tests/e2e)."""

import pytest

from robinet.organisation.roles import Role
from tests.backoffice.helpers import RobinetClient, make_company, make_person


@pytest.fixture
def web():
    """An anonymous ``RobinetClient``; ``web.login(user)`` to act as a user."""
    return RobinetClient()


@pytest.fixture
def auditor(org, make_user):
    """A read-only auditor on the first centre (no change permission)."""
    return make_user("auditor", Role.AUDITOR, org.centres[0])


@pytest.fixture
def agency_user(org, make_user):
    """An external collection agency user on the region: no access to the customer file."""
    return make_user("agency", Role.EXTERNAL_AGENCY, org.region)


@pytest.fixture
def person(org):
    """Hélène Lefèvre, an individual of the first centre."""
    return make_person(org.centres[0])


@pytest.fixture
def company(org):
    """Boulangerie du Marché, a professional of the first centre."""
    return make_company(org.centres[0])
