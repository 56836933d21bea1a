"""Litigation (COLL-9) and the time bar (COLL-10)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.collections import litigation as lit
from robinet.collections.choices import BlockReason, DebtStage
from robinet.collections.litigation import ClaimItem, DebtorIdentity, eligibility
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DebtCase,
    LitigationStage,
)
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from tests.collections import notice_factories
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db

PERSON = DebtorIdentity(
    is_person=True, name="Jean Martin", birth_date=dt.date(1970, 5, 4), birth_place="Rennes"
)


def _items(*amounts, due=TODAY - dt.timedelta(days=90)):
    return [ClaimItem(i + 1, f"FAC-{i}", due, Decimal(a)) for i, a in enumerate(amounts)]


def check(result, code):
    return next(c for c in result.checks if c.code == code)


# --- the pure eligibility (COLL-9, COLL-10) ----------------------------------------------------


def test_coll9_eligible_debtor_passes_every_check():
    result = eligibility(
        items=_items("300.00", "200.00"),
        debtor=PERSON,
        customer_class="individual",
        formal_notice_on=TODAY - dt.timedelta(days=20),
        on=TODAY,
    )
    assert result.eligible, result.reasons
    assert result.total == Decimal("500.00")
    assert {c.code for c in result.checks} >= {
        "threshold",
        "recovery",
        "time_bar",
        "identity",
        "formal_notice",
        "insolvency",
    }


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"items": _items("80.00")}, "threshold"),
        ({"items": _items("200.00")}, "recovery"),
        ({"debtor": DebtorIdentity(is_person=True, name="X")}, "identity"),
        ({"debtor": DebtorIdentity(is_person=False, name="SARL", siret="12")}, "identity"),
        ({"formal_notice_on": None}, "formal_notice"),
        ({"insolvent": True}, "insolvency"),
        ({"items": []}, "items"),
    ],
)
def test_coll9_each_refusal_names_its_reason_in_french(kwargs, code):
    args = {
        "items": _items("500.00"),
        "debtor": PERSON,
        "customer_class": "individual",
        "formal_notice_on": TODAY,
        "on": TODAY,
    } | kwargs
    result = eligibility(**args)
    assert not result.eligible
    assert not check(result, code).ok
    assert check(result, code).reason in result.reasons


def test_coll10_a_time_barred_consumer_item_is_refused():
    # Consumer debt: 2 years after the due date (C. consom. L218-2).
    old = ClaimItem(9, "FAC-OLD", dt.date(2024, 3, 1), Decimal("400.00"))
    result = eligibility(
        items=[old, *_items("300.00")],
        debtor=PERSON,
        customer_class="individual",
        formal_notice_on=TODAY,
        on=TODAY,
    )
    assert not result.eligible
    assert result.time_barred == ("FAC-OLD",)
    assert "prescrite" in check(result, "time_bar").reason


def test_coll10_the_same_item_is_not_barred_for_a_professional():
    old = ClaimItem(9, "FAC-OLD", dt.date(2024, 3, 1), Decimal("400.00"))
    company = DebtorIdentity(is_person=False, name="SARL", siret="73282932000074")
    result = eligibility(
        items=[old],
        debtor=company,
        customer_class="professional",
        formal_notice_on=TODAY,
        on=TODAY,
    )
    assert result.eligible, result.reasons


# --- the services ------------------------------------------------------------------------------


@pytest.fixture
def debtor(procedures, household):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save(update_fields=["birth_date", "birth_place"])
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="250.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    return household


def test_coll9_open_holds_dunning_and_moves_the_debt_case(debtor, collector):
    file = lit.litigation_open(debtor, actor=collector)
    assert file.stage == LitigationStage.DRAFT
    assert file.principal == Decimal("550.00")
    assert file.items.count() == 2
    block = CollectionBlock.objects.get(account=debtor, lifted_on__isnull=True)
    assert (block.reason, block.reference) == (BlockReason.LITIGATION, file.number)
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.LITIGATION
    assert CollectionEvent.objects.filter(account=debtor, summary__contains=file.number).exists()


def test_coll9_open_refuses_without_formal_notice(procedures, household, collector):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save()
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="600.00")
    with pytest.raises(ValidationFailed) as exc:
        lit.litigation_open(household, actor=collector)
    assert "mise en demeure" in str(exc.value.fields["eligibility"])
    assert not CollectionBlock.objects.exists()


def test_coll10_open_refuses_a_time_barred_item(procedures, household, collector):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save()
    bill(household, issued=dt.date(2023, 6, 1), amount="600.00")
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="300.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    with pytest.raises(ValidationFailed) as exc:
        lit.litigation_open(household, actor=collector)
    assert "prescrite" in str(exc.value.fields["eligibility"])


def test_coll9_stages_follow_the_declared_transitions_with_dates(debtor, collector):
    file = lit.litigation_open(debtor, actor=collector)
    with pytest.raises(InvalidTransition):
        lit.litigation_stage(file, LitigationStage.SERVED, collector)
    for n, stage in enumerate(
        [
            LitigationStage.FILED,
            LitigationStage.ORDER_ISSUED,
            LitigationStage.SERVED,
            LitigationStage.ENFORCEABLE,
            LitigationStage.ENFORCEMENT,
        ]
    ):
        file = lit.litigation_stage(file, stage, collector, on=TODAY + dt.timedelta(days=n))
    assert file.filed_on == TODAY
    assert file.enforcement_on == TODAY + dt.timedelta(days=4)
    file = lit.litigation_close(file, "Saisie sur compte fructueuse", collector, paid=True)
    assert file.stage == LitigationStage.PAID
    assert file.closed_on == TODAY
    assert file.outcome == "Saisie sur compte fructueuse"
    assert not CollectionBlock.objects.filter(account=debtor, lifted_on__isnull=True).exists()
    with pytest.raises(InvalidTransition):
        lit.litigation_stage(file, LitigationStage.FILED, collector)


def test_coll9_costs_are_recorded_and_summed(debtor, collector):
    file = lit.litigation_open(debtor, actor=collector)
    lit.litigation_cost_add(file, "bailiff", Decimal("45.50"), collector)
    lit.litigation_cost_add(file, "court_fee", Decimal("35.00"), collector)
    assert lit.costs_total(file) == Decimal("80.50")
    with pytest.raises(ValidationFailed):
        lit.litigation_cost_add(file, "bailiff", Decimal("0"), collector)
    with pytest.raises(ValidationFailed):
        lit.litigation_cost_add(file, "tip", Decimal("1"), collector)


def test_coll9_one_live_file_per_account(debtor, collector):
    lit.litigation_open(debtor, actor=collector)
    with pytest.raises(ValidationFailed):
        lit.litigation_open(debtor, actor=collector)
