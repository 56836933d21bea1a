"""The write-off demo (COLL-11): one booked, one pending, a provision run; idempotent."""

import pytest

from robinet.collections.models import ProvisionRun, WriteOffRequest, WriteOffState
from robinet.demo import writeoffs as demo
from robinet.organisation.roles import Role
from tests.collections import writeoff_fixtures
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db

old_debtor = writeoff_fixtures.old_debtor


def test_coll_11_demo_seeds_a_booked_and_a_pending_write_off(org, make_user, old_debtor, shop):
    make_user("recouvrement", Role.COLLECTION_OFFICER, org.centres[0])
    make_user("responsable", Role.MANAGER, org.region)
    bill(shop, issued=TODAY.replace(year=2024), amount="45.00")
    counts = demo.seed_demo(TODAY)
    assert counts == {"write_offs_booked": 1, "write_offs_pending": 1, "provision_runs": 1}
    assert WriteOffRequest.objects.filter(state=WriteOffState.BOOKED).count() == 1
    assert WriteOffRequest.objects.filter(state=WriteOffState.REQUESTED).count() == 1
    assert ProvisionRun.objects.count() == 1
    assert demo.seed_demo(TODAY) == {
        "write_offs_booked": 0, "write_offs_pending": 0, "provision_runs": 0,
    }  # fmt: skip
