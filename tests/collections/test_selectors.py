"""Reads of dunning (COLL-2, COLL-3, COLL-13): the difference from the previous proposal
run, the runs' figures, scoping to the user's centres, an account's collection summary."""

import datetime as dt
from decimal import Decimal

import pytest
from django.forms import inlineformset_factory

from robinet.collections import selectors, services
from robinet.collections.admin import LevelForm, LevelFormSet
from robinet.collections.choices import BlockReason, ProposalStatus
from robinet.collections.models import DunningLevel, DunningProcedure, DunningProposal
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from tests.collections.conftest import TODAY, bill
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db


def household_of(org, centre=0):
    account, _sp = occupied_point(org.centres[centre], start=dt.date(2025, 1, 1))
    return account


def test_coll2_diff_lists_new_gone_and_changed_accounts(procedures, org, collector):
    stays, leaves = household_of(org), household_of(org)
    bill(stays, issued=TODAY - dt.timedelta(days=60))
    paid = bill(leaves, issued=TODAY - dt.timedelta(days=60))
    first = services.dunning_propose(actor=None, on=TODAY)
    services.dunning_issue(actor=None, proposal_run=first)
    # Since then: one debtor paid, a new one fell overdue, the other steps up a level.
    OpenItem.objects.filter(invoice=paid).update(open_amount=0, cleared_on=TODAY)
    arrives = household_of(org)
    bill(arrives, issued=TODAY - dt.timedelta(days=30))
    later = TODAY + dt.timedelta(days=16)
    second = services.dunning_propose(actor=None, on=later)

    diff = selectors.proposal_run_diff(user=collector, run=second)

    assert diff.previous == first
    assert [r.number for r in diff.new] == [arrives.number]
    assert [r.number for r in diff.gone] == [leaves.number]
    assert [(r.number, r.previous_level, r.level) for r in diff.changed] == [(stays.number, 2, 3)]
    assert (diff.new_count, diff.gone_count, diff.changed_count) == (1, 1, 1)
    assert selectors.proposal_run_diff(user=collector, run=first).previous is None


def test_coll2_diff_costs_a_fixed_number_of_queries(
    procedures, org, collector, django_assert_num_queries
):
    for _ in range(5):
        bill(household_of(org), issued=TODAY - dt.timedelta(days=60))
    services.dunning_propose(actor=None, on=TODAY)
    for _ in range(5):
        bill(household_of(org), issued=TODAY - dt.timedelta(days=30))
    second = services.dunning_propose(actor=None, on=TODAY + dt.timedelta(days=1))
    collector._robinet_scope = None
    selectors.proposal_run_diff(user=collector, run=second)  # warm the scope
    # previous run, its levels, this run's levels, the accounts listed
    with django_assert_num_queries(4):
        diff = selectors.proposal_run_diff(user=collector, run=second)
    assert diff.new_count == 5


def test_coll2_diff_compares_runs_of_the_same_entity_only(procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    services.dunning_propose(actor=None, on=TODAY)
    centre_run = services.dunning_propose(
        actor=collector, on=TODAY + dt.timedelta(days=1), entity_code="CT11"
    )
    assert selectors.proposal_run_diff(user=collector, run=centre_run).previous is None


def test_coll2_run_figures_count_only_the_users_accounts(procedures, org, collector, make_user):
    bill(household_of(org, 0), issued=TODAY - dt.timedelta(days=40), amount="10.00")
    blocked = household_of(org, 0)
    bill(blocked, issued=TODAY - dt.timedelta(days=40))
    services.block_create(actor=None, account=blocked, reason=BlockReason.MANUAL)
    bill(household_of(org, 3), issued=TODAY - dt.timedelta(days=40), amount="99.00")
    run = services.dunning_propose(actor=None, on=TODAY)
    (listed,) = selectors.proposal_run_list(user=collector)
    assert listed == run
    assert (listed.figures.proposed, listed.figures.blocked) == (1, 1)
    assert listed.figures.total == Decimal("10.00")
    assert listed.activity is None
    stranger = make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[3])
    assert selectors.proposal_run_get_for_user(user=stranger, pk=run.pk).figures.total == Decimal(
        "99.00"
    )


def test_coll2_proposal_filters(procedures, org, collector):
    first, second = household_of(org), household_of(org)
    bill(first, issued=TODAY - dt.timedelta(days=40))
    bill(second, issued=TODAY - dt.timedelta(days=40))
    run = services.dunning_propose(actor=None, on=TODAY)
    services.proposal_exclude(
        actor=collector, proposal=DunningProposal.objects.get(account=second), reason="Décès"
    )
    assert [p.account for p in selectors.proposal_list(user=collector, run=run)] == [
        first,
        second,
    ]
    assert [
        p.account
        for p in selectors.proposal_list(user=collector, run=run, status=ProposalStatus.EXCLUDED)
    ] == [second]
    assert [p.account for p in selectors.proposal_list(user=collector, run=run, level=2)] == [
        first,
        second,
    ]
    assert not selectors.proposal_list(user=collector, run=run, level=4).exists()
    assert [
        p.account for p in selectors.proposal_list(user=collector, run=run, search=first.number)
    ] == [first]


def test_coll13_account_collection_summary(procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="60.00")
    run = services.dunning_propose(actor=None, on=TODAY)
    services.dunning_issue(actor=None, proposal_run=run)
    services.block_create(actor=collector, account=household, reason=BlockReason.FSL_PENDING)
    summary = selectors.account_collection(user=collector, account=household)
    assert summary.debt_case.stage == "reminders"
    assert summary.overdue_total == Decimal("60.00")
    assert summary.current_level == 2
    assert [b.reason for b in summary.live_blocks] == ["fsl_pending"]
    assert summary.blocked
    assert len(summary.notices) == 1
    assert [e.kind for e in summary.events] == ["block", "notice"]
    notices = selectors.notice_list(user=collector, run_id=run.pk)
    assert [n.account for n in notices] == [household]
    assert not selectors.notice_list(user=collector, level=3).exists()


def test_coll1_rule_catalogue_has_sources():
    catalogue = selectors.rule_catalogue()
    assert "FR" in catalogue
    assert all(rule["source"] for rule in catalogue["FR"])
    (rule,) = selectors.rules_explained(["FR-CASF-L115-3"])
    assert "L115-3" in rule["source"]


def _levels_formset(procedure, rows):
    formset_class = inlineformset_factory(
        DunningProcedure, DunningLevel, form=LevelForm, formset=LevelFormSet, extra=0
    )
    data = {
        "levels-TOTAL_FORMS": str(len(rows)),
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "1000",
    }
    for i, (sequence, days) in enumerate(rows):
        data.update(
            {
                f"levels-{i}-sequence": str(sequence),
                f"levels-{i}-label": f"Niveau {sequence}",
                f"levels-{i}-days_after_due": str(days),
                f"levels-{i}-min_amount": "0",
                f"levels-{i}-actions": ["letter"],
                f"levels-{i}-delay_days": "15",
            }
        )
    return formset_class(data, instance=procedure, prefix="levels")


def test_coll1_admin_refuses_levels_out_of_order():
    procedure = DunningProcedure.objects.create(code="TEST", label="Test")
    bad = _levels_formset(procedure, [(1, 10), (2, 5)])
    assert not bad.is_valid()
    assert "strictement" in " ".join(bad.non_form_errors())
    good = _levels_formset(procedure, [(1, 5), (2, 10)])
    assert good.is_valid(), good.errors
    good.save()
    assert list(procedure.levels.values_list("actions", flat=True)) == [["letter"], ["letter"]]
