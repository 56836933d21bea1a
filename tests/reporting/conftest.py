"""Reporting fixtures: the collections debtors (real invoices), a cashier, a reporting manager."""

import pytest

from tests.backoffice.conftest import web  # noqa: F401
from tests.collections.conftest import bill, collector, household, procedures, today  # noqa: F401
from tests.payments.conftest import cashier, tariff  # noqa: F401

__all__ = ["bill"]


@pytest.fixture
def reader(org, make_user):
    """An auditor on the whole region: reads every report, changes nothing."""
    from robinet.organisation.roles import Role

    return make_user("controleur", Role.AUDITOR, org.region)
