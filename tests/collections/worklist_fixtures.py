"""Overdue debtors for the worklist tests (COLL-7): legacy debts with chosen due dates."""

import datetime as dt

import pytest

from robinet.collections import worklist
from robinet.organisation.roles import Role
from tests.collections.plan_fixtures import debts
from tests.customers import factories


@pytest.fixture
def officer(org, make_user):
    """A collection officer of the first centre."""
    return make_user("inès", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


@pytest.fixture
def outsider(org, make_user):
    """A collection officer of another agency's centre."""
    return make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[2])


@pytest.fixture
def reader(org, make_user):
    """An auditor of the first centre: reads, never records a call."""
    return make_user("auditeur", Role.AUDITOR, org.centres[0])


@pytest.fixture
def debtors(org, procedures):
    """Three debtors of the first centre, scored: big and old, medium, small and fresh."""
    big = factories.person(org.centres[0])
    debts(big, "900.00", "450.00", due=dt.date(2025, 10, 15))
    medium = factories.person(org.centres[0])
    debts(medium, "200.00", due=dt.date(2026, 1, 15))
    small = factories.person(org.centres[0])
    debts(small, "35.00", due=dt.date(2026, 2, 20))
    worklist.score_run()
    return big, medium, small
