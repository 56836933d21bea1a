"""Collections fixtures: debtors with real invoices (fees invoices issued by the billing writer)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from robinet.billing.choices import InvoiceKind
from robinet.billing.fees import Line, invoice_issue_lines
from robinet.collections.services import procedures_seed
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.customers import factories as customers
from tests.metering.factories import occupied_point

TODAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def today():
    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))):
        yield TODAY


@pytest.fixture
def procedures(db):
    return procedures_seed()


@pytest.fixture
def collector(org, make_user):
    """A collection officer on the first centre."""
    return make_user("recouvreur", Role.COLLECTION_OFFICER, org.centres[0])


def bill(account, *, issued: dt.date, amount: str = "120.00", kind: str = InvoiceKind.FEES):
    """An invoice of ``amount`` (no VAT) issued on ``issued``, due after the account's terms."""
    line = Line(
        code="TEST",
        label="Consommation",
        service="water",
        beneficiary="operator",
        quantity=Decimal(1),
        unit="unit",
        unit_price=Decimal(amount),
        amount_excl_vat=Decimal(amount),
        vat_rate=Decimal(0),
    )
    with transaction.atomic():
        return invoice_issue_lines(
            actor=None, kind=kind, account=account, lines=[line], issue_date=issued
        )


@pytest.fixture
def household(org):
    """An individual in a main residence."""
    account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    return account


@pytest.fixture
def holiday_home(org):
    """An individual in a secondary residence."""
    account, _sp = occupied_point(
        org.centres[0], start=dt.date(2025, 1, 1), use="secondary_residence"
    )
    return account


@pytest.fixture
def shop(org):
    """A professional on business premises."""
    account = customers.company(org.centres[0])
    sp = customers.service_point(org.centres[0], premises_use="business")
    customers.moved_in(account, sp, start=dt.date(2025, 1, 1))
    return account
