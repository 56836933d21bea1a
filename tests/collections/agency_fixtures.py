"""Fixtures of the agency tests (COLL-8, ORG-4)."""

import datetime as dt

import pytest

from robinet.collections import agencies
from robinet.organisation.roles import Role
from tests.collections.conftest import TODAY, bill


@pytest.fixture
def agency(db):
    return agencies.agency_create(
        actor=None,
        code="CREST",
        name="Cabinet Recouvrement Est",
        address="1 rue du Rhin, 67000 Strasbourg",
        email="contact@crest.example",
        commission_rate="12.5",
    )


@pytest.fixture
def other_agency(db):
    return agencies.agency_create(
        actor=None, code="RECOUV2", name="Autre Agence", commission_rate=10
    )


@pytest.fixture
def agency_user(org, make_user, agency):
    user = make_user("agence-crest", Role.EXTERNAL_AGENCY, org.region)
    agencies.member_link(actor=None, agency=agency, user=user)
    return user


@pytest.fixture
def other_agency_user(org, make_user, other_agency):
    user = make_user("agence-autre", Role.EXTERNAL_AGENCY, org.region)
    agencies.member_link(actor=None, agency=other_agency, user=user)
    return user


@pytest.fixture
def debtor(household):
    """A household with 200 € overdue for 80 days."""
    bill(household, issued=TODAY - dt.timedelta(days=80), amount="120.00")
    bill(household, issued=TODAY - dt.timedelta(days=50), amount="80.00")
    return household


@pytest.fixture
def assigned(debtor, agency, collector):
    (assignment,) = agencies.debts_assign(actor=collector, agency=agency, accounts=[debtor])
    return assignment
