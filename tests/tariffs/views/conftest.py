import pytest

from robinet.organisation.roles import Role
from tests.backoffice.conftest import agency_user, auditor, web  # noqa: F401
from tests.billing.conftest import tariff  # noqa: F401


@pytest.fixture
def billing_officer(org, make_user):
    """A billing officer on the first centre (enters tariffs)."""
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0])
