"""External agencies: selection, assignment, recall, reports (COLL-8, COLL-3, COLL-13, ORG-4)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from robinet.collections import agencies, agency_selectors, services
from robinet.collections.choices import BlockReason, DebtStage, EventKind, ProposalStatus
from robinet.collections.models import (
    AgencyAssignment,
    AgencyReport,
    AssignmentState,
    CollectionBlock,
    CollectionEvent,
    DebtCase,
    DunningProposal,
    ReportKind,
)
from robinet.core.exceptions import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from robinet.ledger.models import OpenItem
from tests.collections.agency_fixtures import *  # noqa: F403
from tests.collections.conftest import TODAY, bill


def test_coll8_agency_has_its_pay8_operator(agency):
    assert agency.operator.code == "CREST"
    assert agency.operator.kind == "agency"


def test_coll8_candidates_follow_the_rules(debtor, shop, collector):
    bill(shop, issued=TODAY - dt.timedelta(days=20), amount="30.00")
    found = agency_selectors.assignment_candidates(user=collector)
    assert [c.account for c in found] == [debtor, shop]
    assert found[0].total == Decimal("200.00")
    by_amount = agency_selectors.assignment_candidates(user=collector, min_amount=Decimal("100"))
    assert [c.account for c in by_amount] == [debtor]
    by_class = agency_selectors.assignment_candidates(user=collector, classes=["professional"])
    assert [c.account for c in by_class] == [shop]
    by_age = agency_selectors.assignment_candidates(user=collector, min_age_days=40)
    assert [c.account for c in by_age] == [debtor]
    assert agency_selectors.assignment_candidates(user=collector, min_level=1) == []


def test_coll8_candidates_skip_blocked_and_time_barred(debtor, household, collector):
    services.block_create(actor=collector, account=debtor, reason=BlockReason.DISPUTE)
    assert agency_selectors.assignment_candidates(user=collector) == []


def test_coll10_time_barred_items_are_not_assigned(household, collector, agency):
    old = bill(household, issued=TODAY - dt.timedelta(days=800), amount="70.00")
    bill(household, issued=TODAY - dt.timedelta(days=60), amount="10.00")
    (candidate,) = agency_selectors.assignment_candidates(user=collector)
    assert old.open_item not in candidate.items
    assert candidate.total == Decimal("10.00")


def test_coll8_coll3_assignment_holds_dunning(procedures, assigned, debtor, collector):
    assert assigned.state == AssignmentState.ASSIGNED
    assert assigned.amount == Decimal("200.00")
    assert assigned.items.count() == 2
    block = CollectionBlock.objects.get(account=debtor)
    assert block.reason == BlockReason.AGENCY
    assert block.reference == assigned.reference
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.AGENCY
    assert CollectionEvent.objects.filter(account=debtor, kind=EventKind.AGENCY_ASSIGNED).exists()
    run = services.dunning_propose(actor=None, on=TODAY)
    proposal = DunningProposal.objects.get(run=run, account=debtor)
    assert proposal.status == ProposalStatus.BLOCKED
    assert proposal.blocks == ["agency"]


def test_coll8_recall_releases_dunning(procedures, assigned, debtor, collector):
    with pytest.raises(ValidationFailed) as error:
        agencies.assignment_recall(actor=collector, assignment=assigned, reason=" ")
    assert "reason" in error.value.fields
    recalled = agencies.assignment_recall(
        actor=collector, assignment=assigned, reason="Contestation du client"
    )
    assert recalled.state == AssignmentState.RECALLED
    assert CollectionBlock.objects.get(account=debtor).lifted_on == TODAY
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.REMINDERS
    assert CollectionEvent.objects.filter(account=debtor, kind=EventKind.AGENCY_RECALLED).exists()
    run = services.dunning_propose(actor=None, on=TODAY)
    assert DunningProposal.objects.get(run=run, account=debtor).status != ProposalStatus.BLOCKED
    with pytest.raises(InvalidTransition):
        agencies.assignment_recall(actor=collector, assignment=assigned, reason="encore")


def test_coll8_an_account_is_assigned_once(assigned, debtor, agency, other_agency, collector):
    with pytest.raises(ValidationFailed) as error:
        agencies.debts_assign(actor=collector, agency=other_agency, accounts=[debtor])
    assert debtor.number in error.value.fields["accounts"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyAssignment.objects.create(
            agency=other_agency,
            account=debtor,
            assigned_on=TODAY,
            amount=Decimal("1"),
            created_at=assigned.created_at,
        )


def test_coll8_assignment_needs_the_permission_on_the_centre(debtor, agency, org, make_user):
    from robinet.organisation.roles import Role

    elsewhere = make_user("autre-centre", Role.COLLECTION_OFFICER, org.centres[3])
    with pytest.raises(PermissionDenied):
        agencies.debts_assign(actor=elsewhere, agency=agency, accounts=[debtor])
    assert not AgencyAssignment.objects.exists()


def test_coll8_paid_assignment_is_closed(assigned, debtor, collector):
    OpenItem.objects.filter(account=debtor).update(open_amount=0, cleared_on=TODAY)
    (closed,) = agencies.assignments_close_paid(actor=collector)
    assert closed.state == AssignmentState.CLOSED
    assert CollectionBlock.objects.get(account=debtor).lifted_on == TODAY
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.CLOSED


def test_coll13_report_on_screen_goes_to_the_timeline(assigned, agency_user, debtor):
    report = agencies.report_record(
        actor=agency_user,
        assignment=assigned,
        kind=ReportKind.PAYMENT,
        reported_on=TODAY,
        reference="R-1",
        amount=Decimal("100.00"),
    )
    assert report.commission == Decimal("12.50")
    assert (
        CollectionEvent.objects.filter(account=debtor, kind=EventKind.AGENCY_REPORTED).count() == 1
    )
    again = agencies.report_record(
        actor=agency_user,
        assignment=assigned,
        kind=ReportKind.PAYMENT,
        reported_on=TODAY,
        reference="R-1",
        amount=Decimal("100.00"),
    )
    assert again.pk == report.pk
    assert AgencyReport.objects.count() == 1


def test_org4_another_agency_cannot_report(assigned, other_agency_user):
    with pytest.raises(PermissionDenied):
        agencies.report_record(
            actor=other_agency_user,
            assignment=assigned,
            kind=ReportKind.CONTACT,
            reported_on=TODAY,
        )


def test_org4_agency_sees_only_its_live_assignments(
    assigned, agency_user, other_agency_user, shop, collector
):
    bill(shop, issued=TODAY - dt.timedelta(days=30))
    agency, mine = agency_selectors.portal_assignments(user=agency_user)
    assert list(mine) == [assigned]
    _other, theirs = agency_selectors.portal_assignments(user=other_agency_user)
    assert list(theirs) == []
    with pytest.raises(NotFound):
        agency_selectors.portal_assignment_get(user=other_agency_user, pk=assigned.pk)
    agencies.assignment_recall(actor=collector, assignment=assigned, reason="Fin de mandat")
    with pytest.raises(NotFound):
        agency_selectors.portal_assignment_get(user=agency_user, pk=assigned.pk)


def test_org4_officer_is_not_an_agency_user(collector):
    with pytest.raises(PermissionDenied):
        agency_selectors.portal_assignments(user=collector)


def test_coll8_figures_per_agency(assigned, agency, agency_user, collector):
    agencies.report_record(
        actor=agency_user,
        assignment=assigned,
        kind=ReportKind.PAYMENT,
        reported_on=TODAY,
        reference="P1",
        amount=Decimal("50.00"),
    )
    (row,) = agency_selectors.agency_list(user=collector)
    figures = row.figures
    assert figures.live_count == 1
    assert figures.live_amount == Decimal("200.00")
    assert figures.collected == Decimal("50.00")
    assert figures.commission == Decimal("6.25")
    assert figures.recovery_rate == Decimal("25.0")
