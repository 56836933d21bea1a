"""``robinet check``: no dunning notice was issued while the account's dunning was blocked (COLL-3)."""

import datetime as dt

import pytest

from robinet.collections.models import CollectionBlock, DunningNotice
from robinet.core import invariants
from robinet.demo import collections as demo
from tests.collections.conftest import TODAY, bill
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db

NAME = "collections.no-notice-while-blocked"


@pytest.fixture
def notice(org, shop):
    """The first notice of the demo's dunning history."""
    for n in range(6):
        account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
        bill(account, issued=TODAY - dt.timedelta(days=150), amount=f"{95 + n}.00")
    demo.seed_demo(TODAY)
    return DunningNotice.objects.select_related("run").order_by("issued_on", "number").first()


def test_coll_3_the_demo_never_dunned_a_blocked_account_and_a_forged_one_is_caught(notice):
    (outcome,) = invariants.run([NAME])
    assert outcome.ok
    CollectionBlock.objects.create(
        account_id=notice.account_id,
        reason="dispute",
        starts_on=notice.issued_on - dt.timedelta(days=3),
        created_at=notice.run.started_at - dt.timedelta(hours=1),
    )
    (outcome,) = invariants.run([NAME])
    assert not outcome.ok
    assert notice.number in outcome.violations.examples[0]


def test_coll_3_a_block_recorded_after_the_run_or_lifted_before_is_not_a_fault(notice):
    CollectionBlock.objects.create(  # recorded once the letters had gone, backdated
        account_id=notice.account_id,
        reason="dispute",
        starts_on=notice.issued_on - dt.timedelta(days=3),
        ends_on=notice.issued_on,  # (a later notice of the demo would be dunned under it)
        created_at=notice.run.started_at + dt.timedelta(hours=1),
    )
    CollectionBlock.objects.create(  # lifted the day before the notice
        account_id=notice.account_id,
        reason="dispute",
        starts_on=notice.issued_on - dt.timedelta(days=30),
        lifted_on=notice.issued_on - dt.timedelta(days=1),
        created_at=notice.run.started_at - dt.timedelta(days=30),
    )
    (outcome,) = invariants.run([NAME])
    assert outcome.ok
