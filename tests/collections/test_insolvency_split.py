"""COLL-3 vs COLL-12: an insolvency file freezes its prior items, current bills are dunned.

Decision (docs/domain/litigation.md): a declared over-indebtedness file or collective
procedure freezes exactly the items recorded in ``InsolvencyItem`` (the debt prior to the
admissibility / judgment date); bills issued after that date are dunned normally, within the
rule pack. A block of these reasons with no live file behind it still holds the account.
"""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.collections import insolvency as ins
from robinet.collections import services
from robinet.collections.choices import BlockReason, ProposalStatus
from robinet.collections.fetch import frozen_items, live_blocks
from robinet.collections.models import DunningNotice, DunningProposal
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db

OPENED = TODAY - dt.timedelta(days=70)


def _proposal(run, account):
    return DunningProposal.objects.get(run=run, account=account)


def _documents(proposal):
    return sorted(i.open_item.document_number for i in proposal.items.select_related("open_item"))


def test_coll12_coll3_prior_items_frozen_current_bill_dunned(procedures, household, collector):
    prior = bill(household, issued=TODAY - dt.timedelta(days=120), amount="90.00")
    file = ins.insolvency_record(household, "over_indebtedness", OPENED, collector)
    assert [i.open_item.document_number for i in file.items.select_related("open_item")] == [
        prior.number
    ]
    current = bill(household, issued=TODAY - dt.timedelta(days=45), amount="35.00")
    run = services.dunning_propose(actor=None, on=TODAY)
    proposal = _proposal(run, household)
    assert proposal.status == ProposalStatus.PROPOSED
    assert proposal.blocks == []
    assert _documents(proposal) == [current.number]
    assert proposal.total == Decimal("35.00")
    services.dunning_issue(actor=None, proposal_run=run, send=False)
    notice = DunningNotice.objects.get(account=household)
    assert [i.open_item.document_number for i in notice.items.select_related("open_item")] == [
        current.number
    ]


def test_coll12_rule_pack_still_applies_to_current_bills(procedures, household, collector):
    """COLL-4 inside COLL-12: a main residence under a file never gets a restriction."""
    bill(household, issued=TODAY - dt.timedelta(days=200), amount="90.00")
    ins.insolvency_record(household, "over_indebtedness", OPENED, collector)
    bill(household, issued=TODAY - dt.timedelta(days=60), amount="300.00")
    proposal = _proposal(services.dunning_propose(actor=None, on=TODAY), household)
    assert "restriction" not in proposal.actions
    assert "FR-CASF-L115-3" in proposal.rules


def test_coll12_collective_procedure_post_judgment_bills_of_a_professional(
    procedures, shop, collector
):
    prior = bill(shop, issued=TODAY - dt.timedelta(days=150), amount="400.00")
    ins.insolvency_record(shop, "receivership", OPENED, collector)
    later = bill(shop, issued=TODAY - dt.timedelta(days=40), amount="80.00")
    proposal = _proposal(services.dunning_propose(actor=None, on=TODAY), shop)
    assert proposal.status == ProposalStatus.PROPOSED
    assert _documents(proposal) == [later.number]
    assert prior.number not in _documents(proposal)


def test_coll12_only_frozen_items_overdue_means_no_notice(procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="90.00")
    ins.insolvency_record(household, "over_indebtedness", OPENED, collector)
    run = services.dunning_propose(actor=None, on=TODAY)
    assert not DunningProposal.objects.filter(run=run, account=household).exists()


def test_coll12_closing_the_file_unfreezes_the_prior_items(procedures, household, collector):
    prior = bill(household, issued=TODAY - dt.timedelta(days=120), amount="90.00")
    file = ins.insolvency_record(household, "over_indebtedness", OPENED, collector)
    assert frozen_items([household.pk]).item_ids == {prior.open_item.pk}
    ins.insolvency_close(file, TODAY, collector)
    assert frozen_items([household.pk]).item_ids == frozenset()
    proposal = _proposal(services.dunning_propose(actor=None, on=TODAY), household)
    assert _documents(proposal) == [prior.number]


def test_coll3_a_manual_over_indebtedness_block_without_file_holds_the_account(
    procedures, household, collector
):
    bill(household, issued=TODAY - dt.timedelta(days=45))
    services.block_create(actor=collector, account=household, reason=BlockReason.OVER_INDEBTEDNESS)
    assert live_blocks([household.pk], TODAY)[household.pk][0].reason == "over_indebtedness"
    proposal = _proposal(services.dunning_propose(actor=None, on=TODAY), household)
    assert proposal.status == ProposalStatus.BLOCKED
    assert proposal.blocks == ["over_indebtedness"]


def test_coll12_a_file_recorded_after_the_proposal_keeps_its_items_out_of_the_notice(
    procedures, household, collector
):
    prior = bill(household, issued=TODAY - dt.timedelta(days=60), amount="90.00")
    current = bill(household, issued=TODAY - dt.timedelta(days=40), amount="35.00")
    run = services.dunning_propose(actor=None, on=TODAY)
    assert _documents(_proposal(run, household)) == sorted([prior.number, current.number])
    ins.insolvency_record(household, "over_indebtedness", TODAY - dt.timedelta(days=30), collector)
    services.dunning_issue(actor=None, proposal_run=run, send=False)
    notice = DunningNotice.objects.get(account=household)
    assert [i.open_item.document_number for i in notice.items.select_related("open_item")] == [
        current.number
    ]
