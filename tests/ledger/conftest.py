"""Fixtures of the accounting outputs: the payments fixtures (a billed account, a cashier)."""

import pytest

from robinet.organisation.roles import Role
from tests.backoffice.conftest import web  # noqa: F401
from tests.payments.conftest import billed, cashier, tariff, today  # noqa: F401


@pytest.fixture
def accountant(org, make_user):
    """An auditor on the whole region: sees the accounts of every centre."""
    return make_user("comptable", Role.AUDITOR, org.region)
