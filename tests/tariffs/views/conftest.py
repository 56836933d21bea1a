import pytest

from robinet.organisation.roles import Role
from tests.backoffice.conftest import agency_user, auditor, company, person, web  # noqa: F401


@pytest.fixture
def billing_officer(org, make_user):
    """A billing officer on the first centre (runs, held bills, credit notes)."""
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0])
