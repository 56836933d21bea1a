"""The demo hands a few debts to an agency (COLL-8, ORG-4)."""

import datetime as dt

import pytest

from robinet.collections.models import (
    AgencyAssignment,
    AgencyMember,
    AgencyReport,
    CollectionBlock,
)
from robinet.demo import agencies as demo
from robinet.demo import collections as dunning_demo
from robinet.organisation.roles import Role
from tests.collections.conftest import TODAY, bill
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db


def test_demo_agency_with_assignments_and_a_report(org, make_user):
    make_user("agence", Role.EXTERNAL_AGENCY, org.region)
    for n in range(6):
        account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
        bill(account, issued=TODAY - dt.timedelta(days=150), amount=f"{95 + n}.00")
    dunning_demo.seed_demo(TODAY)

    counts = demo.seed_demo(TODAY)

    assert counts["agencies"] == 1
    assert counts["assignments"] >= 1
    assert AgencyMember.objects.get().user.username == "agence"
    assigned = AgencyAssignment.objects.all()
    assert all(
        CollectionBlock.objects.filter(account=a.account, reason="agency").exists()
        for a in assigned
    )
    assert set(AgencyReport.objects.values_list("kind", flat=True)) == {
        "contact",
        "promise",
        "payment",
    }
    assert demo.seed_demo(TODAY) == {"agencies": 0, "assignments": 0, "agency_reports": 0}
