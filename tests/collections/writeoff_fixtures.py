"""Fixtures for write-offs and provisions (COLL-11): an old debtor, a requester, an approver."""

import datetime as dt

import pytest

from robinet.organisation.roles import Role
from tests.collections.conftest import bill


@pytest.fixture
def approver(org, make_user):
    """A manager on the region (holds collection.write_off_approve)."""
    return make_user("chef", Role.MANAGER, org.region)


@pytest.fixture
def old_debtor(household):
    """A household with two unpaid invoices: 120,00 € from early 2024 and 80,00 € from 2025."""
    bill(household, issued=dt.date(2024, 1, 10), amount="120.00")
    bill(household, issued=dt.date(2025, 6, 10), amount="80.00")
    return household


def debit_items(account):
    return list(account.open_items.filter(amount__gt=0).order_by("due_date", "pk"))
