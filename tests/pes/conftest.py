"""A régie's billing run, ready to be titled (PES V2)."""

import datetime as dt

import pytest
from django.utils import timezone

from robinet.core import clock
from robinet.organisation.roles import Role
from tests.backoffice.conftest import auditor, web  # noqa: F401
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.customers import factories as customer_factories
from tests.metering.factories import read

TODAY = dt.date(2026, 2, 15)
PES = {"id_post": "067001", "cod_col": "123", "cod_bud": "01", "id_coll": "20001234500017"}


@pytest.fixture(autouse=True)
def today():
    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))):
        yield TODAY


@pytest.fixture(autouse=True)
def regie(settings):
    """The utility is a régie (COLL-10 setting) with its Hélios identifiers."""
    settings.ROBINET_PUBLIC_REGIE = True
    settings.ROBINET_PES = dict(PES)
    return settings


@pytest.fixture
def tariff(db):
    return factories.tariff()


@pytest.fixture
def chief(org, make_user):
    """A manager on the region: runs billing, imports payments."""
    return make_user("chef", Role.MANAGER, org.region)


@pytest.fixture
def billing_run(org, tariff):
    """A run billing the first half of 2025: a household (60 m³), a company (40 m³) and a
    small consumer (2 m³, under the €15 threshold)."""
    household, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "160")
    company = customer_factories.company(org.centres[0])
    sp2 = customer_factories.service_point(org.centres[0], premises_use="business")
    customer_factories.moved_in(company, sp2, start=dt.date(2025, 1, 1), index="10")
    read(sp2, dt.date(2025, 6, 20), "50")
    small, sp3 = occupied_point(
        org.centres[1], start=dt.date(2025, 6, 1), index="5", use="secondary_residence"
    )
    read(sp3, dt.date(2025, 6, 25), "7")
    run = factories.run(dt.date(2025, 6, 30))
    run.household, run.company, run.small = household, company, small
    return run
