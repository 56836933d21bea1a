"""Dunning proposal and activity runs end to end (COLL-1, COLL-2, COLL-3, COLL-4, COLL-13)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.collections import services
from robinet.collections.choices import BlockReason, ProposalStatus
from robinet.collections.models import (
    CollectionEvent,
    DebtCase,
    Dunning,
    DunningCharge,
    DunningNotice,
    DunningProposal,
)
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from robinet.core.models import RunState
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db


def propose(actor=None, on=TODAY):
    return services.dunning_propose(actor=actor, on=on)


def issue(run, actor=None):
    return services.dunning_issue(actor=actor, proposal_run=run)


def test_coll2_proposal_writes_what_would_be_sent_and_sends_nothing(procedures, household):
    invoice = bill(household, issued=TODAY - dt.timedelta(days=40))
    run = propose()
    assert run.state == RunState.DONE
    proposal = DunningProposal.objects.get(run=run)
    assert proposal.status == ProposalStatus.PROPOSED
    # Overdue already: past the preventive reminder, to the first reminder.
    assert proposal.level.sequence == 2
    assert [i.open_item.invoice_id for i in proposal.items.all()] == [invoice.pk]
    assert not DunningNotice.objects.exists()


def test_coll2_activity_issues_one_notice_per_account_and_records_history(procedures, household):
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="80.00")
    bill(household, issued=TODAY - dt.timedelta(days=35), amount="20.00")
    activity = issue(propose())
    assert activity.state == RunState.DONE
    notice = DunningNotice.objects.get()
    assert notice.account == household
    assert notice.total_due == Decimal("100.00")
    assert notice.items.count() == 2
    assert set(Dunning.objects.values_list("level", flat=True)) == {2}
    assert CollectionEvent.objects.filter(account=household, notice=notice).exists()
    assert DebtCase.objects.get(account=household).stage == "reminders"
    assert notice.number.startswith("REL-2026-")


def test_coll2_issue_twice_is_refused(procedures, household):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    run = propose()
    issue(run)
    with pytest.raises(InvalidTransition):
        issue(run)
    assert DunningNotice.objects.count() == 1


def test_coll2_levels_step_one_at_a_time_and_respect_the_previous_deadline(procedures, household):
    bill(household, issued=TODAY - dt.timedelta(days=60))
    issue(propose())
    assert Dunning.objects.get().level == 2
    # The same day again: the deadline given by the first notice is not over.
    run = propose()
    assert not DunningProposal.objects.filter(run=run).exists()
    assert not DunningProposal.objects.filter(run=propose(on=TODAY + dt.timedelta(days=15)))
    later = TODAY + dt.timedelta(days=16)
    issue(propose(on=later))
    assert Dunning.objects.get().level == 3
    notice = DunningNotice.objects.latest("pk")
    assert notice.pay_by >= later + dt.timedelta(days=15)  # décret 2008-780: 15 more days


def test_coll2_a_notice_never_cites_an_item_paid_since_the_proposal(procedures, household):
    paid = bill(household, issued=TODAY - dt.timedelta(days=40), amount="50.00")
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="30.00")
    run = propose()
    paid.open_item.__class__.objects.filter(pk=paid.open_item.pk).update(
        open_amount=0, cleared_on=TODAY
    )
    issue(run)
    notice = DunningNotice.objects.get()
    assert [i.document_number for i in notice.items.all()] != [paid.number]
    assert paid.number not in [i.document_number for i in notice.items.all()]
    assert notice.total_due == Decimal("30.00")


def test_coll3_blocked_account_is_shown_but_gets_no_notice(procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    services.block_create(actor=collector, account=household, reason=BlockReason.DISPUTE)
    run = propose()
    proposal = DunningProposal.objects.get(run=run)
    assert proposal.status == ProposalStatus.BLOCKED
    assert proposal.blocks == ["dispute"]
    issue(run)
    assert not DunningNotice.objects.exists()


def test_coll3_returned_mail_blocks(procedures, household):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    household.mail_returned_on = TODAY - dt.timedelta(days=3)
    household.save(update_fields=["mail_returned_on"])
    issue(propose())
    assert not DunningNotice.objects.exists()


def test_coll2_excluding_an_item_needs_a_reason_and_leaves_it_out(procedures, household, collector):
    first = bill(household, issued=TODAY - dt.timedelta(days=40), amount="70.00")
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="30.00")
    run = propose()
    item = DunningProposal.objects.get(run=run).items.get(open_item__invoice=first)
    with pytest.raises(ValidationFailed):
        services.proposal_item_exclude(actor=collector, item=item, reason=" ")
    services.proposal_item_exclude(actor=collector, item=item, reason="Réclamation en cours")
    issue(run)
    notice = DunningNotice.objects.get()
    assert notice.total_due == Decimal("30.00")
    assert CollectionEvent.objects.filter(kind="exclusion", account=household).exists()


def test_coll2_excluding_the_account(procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    run = propose()
    services.proposal_exclude(
        actor=collector, proposal=DunningProposal.objects.get(run=run), reason="Client rappelé"
    )
    issue(run)
    assert not DunningNotice.objects.exists()


def test_coll1_professional_is_charged_the_40_euro_indemnity_once_per_invoice(procedures, shop):
    from robinet.billing.fees import seed_price_list

    seed_price_list(valid_from=dt.date(2020, 1, 1))
    late = bill(shop, issued=TODAY - dt.timedelta(days=40), kind="works")
    issue(propose())
    notice = DunningNotice.objects.get()
    assert "FR-CCOM-L441-10" in notice.rules
    charge = DunningCharge.objects.get()
    assert (charge.open_item_id, charge.kind, charge.amount) == (
        late.open_item.pk,
        "indemnity",
        Decimal("40.00"),
    )
    assert notice.fee_invoice.total_incl_vat == Decimal("40.00")
    assert notice.fee_total == Decimal("40.00")


def test_coll1_no_fee_for_an_individual(procedures, household):
    bill(household, issued=TODAY - dt.timedelta(days=40), kind="works")
    issue(propose())
    notice = DunningNotice.objects.get()
    assert notice.fee_total == 0
    assert not DunningCharge.objects.exists()
    assert notice.main_residence
    assert "FR-CASF-L115-3" in notice.rules


def test_coll4_no_restriction_ever_proposed_for_a_main_residence(procedures, household):
    from robinet.collections.models import DunningLevel

    # A procedure wrongly configured with a restriction at level 1: the pack removes it.
    DunningLevel.objects.filter(procedure__code="PARTICULIERS", sequence=1).update(
        actions=["restriction", "letter"]
    )
    bill(household, issued=TODAY - dt.timedelta(days=40))
    run = propose()
    proposal = DunningProposal.objects.get(run=run)
    assert "restriction" not in proposal.actions


def test_coll13_the_debt_case_follows_the_notice_to_the_agency(procedures, household):
    """The individuals' last level hands the debt to the agency: one case, one stage."""
    bill(household, issued=TODAY - dt.timedelta(days=140))
    day = TODAY
    for _ in range(4):  # first reminder, second, formal notice, agency
        issue(propose(on=day))
        day += dt.timedelta(days=16)
    notice = DunningNotice.objects.latest("pk")
    assert "agency" in notice.actions
    assert "FR-CPCE-R124-4" in notice.rules
    assert DebtCase.objects.get(account=household).stage == "agency"


def test_coll8_an_agency_block_is_lifted_by_recalling_the_debt(household, collector):
    block = services.block_create(actor=collector, account=household, reason=BlockReason.AGENCY)
    with pytest.raises(InvalidTransition):
        services.block_lift(actor=collector, block=block)
    block.refresh_from_db()
    assert block.lifted_on is None
