"""Monthly payment (BILL-10) fixtures: a customer with an IBAN, a year of readings, a tariff."""

import datetime as dt

import pytest

from robinet.core import clock
from robinet.customers import services as customer_services
from robinet.organisation.roles import Role
from tests.backoffice.conftest import auditor, web  # noqa: F401
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

TODAY = dt.date(2026, 3, 10)
IBAN = "FR7630006000011234567890189"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def officer(org, make_user):
    return make_user("gestion", Role.CUSTOMER_OFFICER, org.centres[0])


@pytest.fixture
def billing_officer(org, make_user):
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0])


def with_iban(account):
    return customer_services.bank_details_update(
        actor=None, account=account, iban=IBAN, channel="letter"
    )


@pytest.fixture
def customer(org, tariff):
    """An individual with an IBAN who used 120 m³ over the last year (readings every quarter)."""
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    for on, index in (
        (dt.date(2025, 3, 10), "130"),
        (dt.date(2025, 6, 10), "160"),
        (dt.date(2025, 9, 10), "190"),
        (dt.date(2025, 12, 10), "220"),
        (dt.date(2026, 3, 10), "250"),
    ):
        read(sp, on, index)
    account = with_iban(account)
    return account, account.contracts.get()


def two_tariffs():
    """The test tariff until 30/06/2026, then its volume price of water raised to 2.2000 €."""
    first = factories.TARIFF_YAML.replace("valid_to: null", "valid_to: 2026-06-30")
    second = (
        factories.TARIFF_YAML.replace("STRASBOURG-2026", "STRASBOURG-2026B")
        .replace("valid_from: 2024-01-01", "valid_from: 2026-07-01")
        .replace('{up_to: null, unit_price: "1.6500"}', '{up_to: null, unit_price: "2.2000"}')
    )
    return factories.tariff(first), factories.tariff(second)
