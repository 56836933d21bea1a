"""The demo chases its late payers: dunning history, plans, promises, holds (COLL-2…6, COLL-13)."""

import datetime as dt

import pytest
from django.db.models import Count

from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DunningNotice,
    DunningProposal,
    PaymentPlan,
    PaymentPromise,
)
from robinet.core.models import BatchRun
from robinet.demo import collections as demo
from tests.collections.conftest import TODAY, bill
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db


def test_demo_dunning_history_plans_promises_and_a_proposal_to_review(org, shop):
    households = []
    for n in range(16):  # some settle after a reminder: enough are left for every scene
        account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
        bill(account, issued=TODAY - dt.timedelta(days=150), amount=f"{95 + n}.00")
        households.append(account)
    bill(shop, issued=TODAY - dt.timedelta(days=150), amount="480.00", kind="works")

    counts = demo.seed_demo(TODAY)

    assert counts["dunning_runs"] == len(demo.PAST_RUNS)
    assert counts["notices"] == DunningNotice.objects.count()
    chased = DunningNotice.objects.values("account").annotate(n=Count("id")).filter(n__gte=3)
    assert chased.exists()
    # The professional's notices carry the €40 indemnity; no household's ever does.
    assert DunningNotice.objects.filter(account=shop, fee_total__gt=0).exists()
    assert not DunningNotice.objects.filter(account__in=households, fee_total__gt=0).exists()
    household_actions = DunningNotice.objects.filter(account__in=households).values_list(
        "actions", flat=True
    )
    assert not any("restriction" in actions for actions in household_actions)
    states = sorted(PaymentPlan.objects.values_list("state", flat=True))
    assert states == ["active", "broken", "kept"]
    assert sorted(PaymentPromise.objects.values_list("state", flat=True)) == ["broken", "pending"]
    assert set(CollectionBlock.objects.values_list("reason", flat=True)) == {
        "dispute",
        "fsl_pending",
    }
    assert CollectionEvent.objects.filter(kind="plan_broken").exists()
    today = BatchRun.objects.filter(kind="dunning_proposal").latest("pk")
    assert today.run_date == TODAY
    assert DunningProposal.objects.filter(run=today, status="proposed").exists()
    again = demo.seed_demo(TODAY)  # idempotent
    assert again["dunning_runs"] == 0
