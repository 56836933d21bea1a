"""Reporting fixtures: the collections debtors (real invoices), a cashier, a reporting manager."""

import datetime as dt

import pytest
from django.utils import timezone

from robinet.core import clock
from tests.backoffice.conftest import web  # noqa: F401
from tests.collections.conftest import bill, collector, household, procedures, today  # noqa: F401
from tests.payments.conftest import cashier, tariff  # noqa: F401

__all__ = ["bill"]

#: the date the demo ledger of the REP consistency tests is generated and read at
DEMO_TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def demo(monkeypatch, tmp_path):
    """A demo utility billed and paid up to DEMO_TODAY, the clock held at its noon."""
    from tests.demo.utility import billed_and_paid

    with clock.as_of(timezone.make_aware(dt.datetime.combine(DEMO_TODAY, dt.time(12)))):
        billed_and_paid(monkeypatch, tmp_path / "demo", today=DEMO_TODAY, customers=120, seed=7)
        yield DEMO_TODAY


@pytest.fixture
def reader(org, make_user):
    """An auditor on the whole region: reads every report, changes nothing."""
    from robinet.organisation.roles import Role

    return make_user("controleur", Role.AUDITOR, org.region)
