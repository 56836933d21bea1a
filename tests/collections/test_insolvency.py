"""Over-indebtedness and collective procedures (COLL-12)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.collections import insolvency as ins
from robinet.collections import services
from robinet.collections.choices import BlockReason, EventKind
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DunningProposal,
    InsolvencyState,
)
from robinet.core.exceptions import InvalidTransition
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db


def test_coll12_deadline_is_bodacc_plus_two_months():
    assert ins.claim_deadline("liquidation", dt.date(2026, 1, 15)) == dt.date(2026, 3, 15)
    assert ins.claim_deadline("receivership", dt.date(2025, 12, 31)) == dt.date(2026, 2, 28)
    assert ins.claim_deadline("over_indebtedness", dt.date(2026, 1, 15)) is None
    assert ins.claim_deadline("safeguard", None) is None


def test_coll12_over_indebtedness_freezes_prior_debt_and_its_block_is_item_level(
    procedures, household, collector
):
    """COLL-12 over COLL-3: the file's block freezes its items; nothing else is overdue here."""
    bill(household, issued=TODAY - dt.timedelta(days=60), amount="90.00")
    file = ins.insolvency_record(
        household, "over_indebtedness", TODAY - dt.timedelta(days=5), collector
    )
    assert file.prior_debt == Decimal("90.00")
    assert file.items.count() == 1
    block = CollectionBlock.objects.get(account=household)
    assert block.reason == BlockReason.OVER_INDEBTEDNESS
    assert block.reference == file.number
    run = services.dunning_propose(actor=None, on=TODAY)
    assert not DunningProposal.objects.filter(run=run, account=household).exists()
    ins.insolvency_close(file, TODAY, collector)
    assert CollectionBlock.objects.get(account=household).lifted_on == TODAY
    assert CollectionEvent.objects.filter(
        account=household, kind=EventKind.INSOLVENCY_CLOSED
    ).exists()


def test_coll12_collective_procedure_tracks_declaration_plan_and_erasure(
    procedures, shop, collector
):
    bill(shop, issued=TODAY - dt.timedelta(days=90), amount="400.00")
    bill(shop, issued=TODAY - dt.timedelta(days=1), amount="50.00")  # current, not due before
    file = ins.insolvency_record(
        shop,
        "receivership",
        TODAY - dt.timedelta(days=20),
        collector,
        bodacc_on=TODAY - dt.timedelta(days=10),
    )
    assert file.claim_deadline == ins.add_months(TODAY - dt.timedelta(days=10), 2)
    assert file.prior_debt == Decimal("400.00")
    assert CollectionBlock.objects.get(account=shop).reason == BlockReason.COLLECTIVE_PROCEDURE
    assert list(ins.deadlines_approaching(TODAY, days=60)) == [file]
    ins.claim_declare(file, TODAY, collector)
    assert list(ins.deadlines_approaching(TODAY, days=60)) == []
    file = ins.plan_apply(file, "Plan sur 8 ans, 10 % par an", TODAY, collector)
    assert file.state == InsolvencyState.PLAN
    with pytest.raises(InvalidTransition):
        ins.plan_apply(file, "again", TODAY, collector)
    file = ins.erasure_apply(file, TODAY, collector, write_off_reference="ANV-2026-000001")
    assert file.state == InsolvencyState.ERASED
