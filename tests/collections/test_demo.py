"""The demo chases its late payers: past dunning runs, holds, today's proposal (COLL-2, COLL-13)."""

import datetime as dt

import pytest

from robinet.collections.models import CollectionEvent, DunningNotice, DunningProposal
from robinet.core.models import BatchRun
from robinet.demo import collections as demo
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db


def test_demo_dunning_history_and_a_proposal_to_review(household, shop):
    bill(household, issued=TODAY - dt.timedelta(days=150), amount="95.00")
    bill(shop, issued=TODAY - dt.timedelta(days=150), amount="480.00", kind="works")
    counts = demo.seed_demo(TODAY)
    assert counts["dunning_runs"] == len(demo.PAST_RUNS)
    assert counts["notices"] == DunningNotice.objects.count() > 0
    assert DunningNotice.objects.filter(account=household).count() >= 2
    # The professional's first notice carries the €40 indemnity; the household's none.
    assert DunningNotice.objects.filter(account=shop, fee_total__gt=0).exists()
    assert not DunningNotice.objects.filter(account=household, fee_total__gt=0).exists()
    assert CollectionEvent.objects.filter(account=household, kind="notice").exists()
    today = BatchRun.objects.filter(kind="dunning_proposal").latest("pk")
    assert today.run_date == TODAY
    assert DunningProposal.objects.filter(run=today).exists()
    again = demo.seed_demo(TODAY)  # idempotent
    assert again["dunning_runs"] == 0
