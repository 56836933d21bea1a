import datetime as dt

import pytest
from django.utils import timezone

from robinet.core import clock
from robinet.organisation.roles import Role
from tests.backoffice.conftest import auditor, web  # noqa: F401
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

TODAY = dt.date(2026, 2, 15)


@pytest.fixture(autouse=True)
def today():
    """Noon on TODAY for every service (``clock.as_of``, which the demo also replays days with)."""
    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))):
        yield TODAY


@pytest.fixture
def tariff(db):
    return factories.tariff()


@pytest.fixture
def cashier(org, make_user):
    """A collection officer on the first centre."""
    return make_user("encaisseur", Role.COLLECTION_OFFICER, org.centres[0])


@pytest.fixture
def billed(org, tariff):
    """An individual billed twice (first and second half of 2025 → two open invoices)."""
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "130")
    factories.run(dt.date(2025, 6, 30))
    read(sp, dt.date(2025, 12, 20), "160")
    factories.run(dt.date(2025, 12, 31))
    return account


@pytest.fixture(autouse=True)
def demo_files(monkeypatch, tmp_path):
    """The demo's sample bank files go to a temporary folder, not the project's var/."""
    from robinet.demo import bank, returns

    monkeypatch.setattr(bank, "VAR_DIR", tmp_path)
    monkeypatch.setattr(returns, "VAR_DIR", tmp_path)
