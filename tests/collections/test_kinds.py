"""Issue 9: dedicated block reasons and event kinds; one way to block (COLL-3, COLL-13)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.collections import agencies, plans, services
from robinet.collections import blocks as block_paths
from robinet.collections import insolvency as ins
from robinet.collections import litigation as lit
from robinet.collections.choices import BlockReason, EventKind
from robinet.collections.models import CollectionBlock, CollectionEvent
from robinet.core.exceptions import InvalidTransition
from tests.collections import agency_fixtures, notice_factories
from tests.collections.conftest import TODAY, bill

agency = agency_fixtures.agency

pytestmark = pytest.mark.django_db


def kinds(account):
    return list(
        CollectionEvent.objects.filter(account=account)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


@pytest.fixture
def debtor(procedures, household):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save(update_fields=["birth_date", "birth_place"])
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    return household


@pytest.fixture
def spy(monkeypatch):
    """Every block opened or closed goes through the one path (COLL-3)."""
    calls = []
    for name in ("block_open", "block_close"):
        original = getattr(block_paths, name)

        def wrapped(*args, _original=original, _name=name, **kwargs):
            calls.append((_name, kwargs.get("reason") or kwargs["block"].reason))
            return _original(*args, **kwargs)

        for module in (block_paths, lit, ins, agencies, plans.blocks):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, wrapped)
    return calls


def test_coll9_coll13_litigation_has_its_reason_and_kinds(debtor, collector, spy):
    file = lit.litigation_open(debtor, actor=collector)
    block = CollectionBlock.objects.get(account=debtor)
    assert (block.reason, block.reference) == (BlockReason.LITIGATION, file.number)
    lit.litigation_stage(file, "filed", collector)
    lit.litigation_cost_add(file, "court_fee", Decimal("35.00"), collector)
    lit.litigation_close(file, "Abandon", collector)
    assert kinds(debtor)[-4:] == [
        "litigation_opened", "litigation_stage", "litigation_cost", "litigation_closed",
    ]  # fmt: skip
    assert spy == [("block_open", "litigation"), ("block_close", "litigation")]
    block.refresh_from_db()
    assert block.lifted_on == TODAY


def test_coll3_the_lift_button_refuses_a_litigation_block(debtor, collector):
    lit.litigation_open(debtor, actor=collector)
    block = CollectionBlock.objects.get(account=debtor)
    with pytest.raises(InvalidTransition) as refused:
        services.block_lift(actor=collector, block=block)
    assert "contentieux" in str(refused.value.message)


def test_coll8_coll13_agency_kinds(household, collector, agency, spy):
    bill(household, issued=TODAY - dt.timedelta(days=80), amount="120.00")
    (assignment,) = agencies.debts_assign(actor=collector, agency=agency, accounts=[household])
    agencies.report_record(
        actor=collector, assignment=assignment, kind="contact", reported_on=TODAY, note="Appel"
    )
    agencies.assignment_recall(actor=collector, assignment=assignment, reason="Sans résultat")
    assert kinds(household) == ["agency_assigned", "agency_reported", "agency_recalled"]
    assert spy == [("block_open", "agency"), ("block_close", "agency")]


def test_coll8_paid_assignment_closed_with_its_kind(household, collector, agency):
    invoice = bill(household, issued=TODAY - dt.timedelta(days=80), amount="120.00")
    agencies.debts_assign(actor=collector, agency=agency, accounts=[household])
    invoice.open_item.open_amount = 0
    invoice.open_item.cleared_on = TODAY
    invoice.open_item.save(update_fields=["open_amount", "cleared_on"])
    (closed,) = agencies.assignments_close_paid(actor=None)
    assert kinds(household)[-1] == "agency_closed"
    assert not CollectionBlock.objects.filter(account=household, lifted_on__isnull=True).exists()


def test_coll12_coll13_insolvency_kinds(procedures, household, collector, spy):
    bill(household, issued=TODAY - dt.timedelta(days=60), amount="90.00")
    file = ins.insolvency_record(household, "over_indebtedness", TODAY, collector)
    ins.claim_declare(file, TODAY, collector)
    ins.insolvency_close(file, TODAY, collector)
    assert kinds(household) == ["insolvency_opened", "insolvency_stage", "insolvency_closed"]
    assert spy == [("block_open", "over_indebtedness"), ("block_close", "over_indebtedness")]


def test_coll4_coll5_fsl_plan_signed_and_promise_cancelled_kinds(household, collector, spy):
    bill(household, issued=TODAY - dt.timedelta(days=60), amount="90.00")
    plans.diagnosis_record(
        account=household,
        household_size=2,
        monthly_income="1200",
        monthly_charges="900",
        fsl_requested=True,
        actor=collector,
    )
    assert plans.fsl_decision(account=household, actor=collector) == 1
    plan = plans.payment_plan_create(
        account=household, count=3, first_due=TODAY + dt.timedelta(days=10), actor=collector
    )
    plans.payment_plan_sign(plan=plan, actor=collector)
    plans.payment_plan_cancel(plan=plan, reason="Erreur", actor=collector)
    promise = plans.promise_create(
        account=household, due_on=TODAY + dt.timedelta(days=5), amount="50", actor=collector
    )
    plans.promise_cancel(promise=promise, actor=collector)
    assert kinds(household) == [
        "diagnosis", "block", "unblock", "plan_created", "plan_signed", "plan_cancelled",
        "promise_made", "promise_cancelled",
    ]  # fmt: skip
    assert spy == [("block_open", "fsl_pending"), ("block_close", "fsl_pending")]


def test_coll13_timeline_labels_are_french():
    assert EventKind.LITIGATION_OPENED.label == "Dossier contentieux ouvert"
    assert EventKind.AGENCY_RECALLED.label == "Dette rappelée de l'agence"
    assert EventKind.PLAN_SIGNED.label == "Accord d'échéancier signé"
    assert BlockReason.LITIGATION.label == "Dossier contentieux en cours"
    assert max(len(v) for v in EventKind.values) <= 24


def test_coll12_an_insolvency_block_is_lifted_by_closing_its_file_a_manual_one_by_the_button(
    procedures, household, collector
):
    bill(household, issued=TODAY - dt.timedelta(days=60), amount="90.00")
    file = ins.insolvency_record(household, "over_indebtedness", TODAY, collector)
    block = CollectionBlock.objects.get(account=household, reference=file.number)
    with pytest.raises(InvalidTransition):
        services.block_lift(actor=collector, block=block)
    manual = services.block_create(
        actor=collector, account=household, reason=BlockReason.OVER_INDEBTEDNESS
    )
    services.block_lift(actor=collector, block=manual)
    manual.refresh_from_db()
    assert manual.lifted_on == TODAY
