"""Shape-specific fixtures for payment plans, promises and diagnosis (COLL-5, COLL-6).

Debts are legacy opening balances (``ledger.imports``): real open items with
their journal entries, which the real ``payment_record`` then pays.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from robinet.core import clock
from robinet.ledger.imports import import_open_items
from robinet.organisation.roles import Role
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record
from tests.customers import factories

TODAY = dt.date(2026, 2, 15)


@pytest.fixture
def today():
    """Noon on TODAY for every service."""
    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))):
        yield TODAY


@pytest.fixture
def collector(org, make_user):
    """A collection officer on the first centre."""
    return make_user("recouvrement", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


@pytest.fixture
def outsider(org, make_user):
    """A collection officer on another agency's centre."""
    return make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[2])


def debts(account, *amounts: str, due: dt.date = dt.date(2025, 12, 15)) -> list:
    """Open debit items on ``account`` (one per amount), oldest first."""
    lines = "\n".join(
        f"{account.number};ANC-{account.pk}-{n};2025-11-30;{due.isoformat()};{a};Facture"
        for n, a in enumerate(amounts, start=1)
    )
    import_open_items(
        ("account;document;date;due_date;amount;label\n" + lines + "\n").encode(),
        filename=f"soldes-{account.number}.csv",
        force=True,
    )
    return list(account.open_items.filter(amount__gt=0).order_by("pk"))


@pytest.fixture
def debtor(org, today):
    """Hélène Lefèvre, who owes 300,00 € + 150,50 € (first centre)."""
    account = factories.person(org.centres[0])
    debts(account, "300.00", "150.50")
    return account


def pay(account, amount: str, on: dt.date | None = None):
    """A transfer received on ``on`` (default today), allocated to the oldest debt."""
    moment = timezone.make_aware(dt.datetime.combine(on or clock.today(), dt.time(12)))
    with clock.as_of(moment):
        return payment_record(
            actor=None,
            account=account,
            means=PaymentMeans.TRANSFER,
            amount=Decimal(amount),
            check_permission=False,
        )
