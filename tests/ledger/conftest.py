"""Fixtures of the accounting outputs: the payments fixtures (a billed account, a cashier)."""

import pytest

from robinet.organisation.roles import Role
from tests.backoffice.conftest import web  # noqa: F401
from tests.payments.conftest import billed, cashier, tariff, today  # noqa: F401


@pytest.fixture
def accountant(org, make_user):
    """An auditor on the whole region: sees the accounts of every centre."""
    return make_user("comptable", Role.AUDITOR, org.region)


@pytest.fixture
def run_of_three(org, request):
    """Three customers of the first centre billed by one run: one sales entry (decision
    0014), its customer lines carrying their invoices' numbers. Returns the invoices."""
    import datetime as dt

    from robinet.billing.models import Invoice
    from tests.billing import factories
    from tests.billing.conftest import occupied_point
    from tests.metering.factories import read

    request.getfixturevalue("tariff")
    for n in range(3):
        _account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
        read(sp, dt.date(2025, 6, 20), str(130 + n))
    factories.run(dt.date(2025, 6, 30))
    return list(Invoice.objects.order_by("number"))
