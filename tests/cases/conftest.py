"""Cases fixtures: a frozen clock, the routing teams, a field team, customers with a meter."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from robinet.cases.choices import TeamKind
from robinet.cases.models import CaseType, FieldTeam, Team
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.metering.factories import occupied_point

#: a Wednesday, 10:00 in Paris
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def now():
    with clock.as_of(NOW):
        yield NOW


@pytest.fixture
def teams(org):
    """One team of every kind for the whole region (routing finds the nearest one)."""
    return {
        kind: Team.objects.create(
            code=f"EQ-{kind.upper()[:12]}", name=str(kind.label), kind=kind, entity=org.region
        )
        for kind in TeamKind
    }


@pytest.fixture
def field_team(org):
    """Two agents of the first centre, 8–12 and 14–18: four 2-hour slots a day."""
    return FieldTeam.objects.create(
        code="TERRAIN-1", name="Équipe terrain 1", centre=org.centres[0], capacity=2
    )


@pytest.fixture
def counsellor(org, make_user):
    """A contact-centre officer on the first centre (chargé MTC)."""
    return make_user("conseiller", Role.CONTACT_CENTRE_OFFICER, org.centres[0])


@pytest.fixture
def household(org):
    """An individual in a main residence in Strasbourg (Alsace-Moselle holidays)."""
    account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    return account


def case_type(code: str) -> CaseType:
    """An entry of the national dictionary (loaded by the data migration)."""
    return CaseType.objects.get(code=code)
