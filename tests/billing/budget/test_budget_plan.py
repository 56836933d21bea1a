"""Pure rules of monthly payment (BILL-10) and of its CASE-7 adjustment."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.billing import budget_plan as rules

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda n: Decimal(n) / 100)
estimates = st.integers(min_value=12 * 500, max_value=100_000_000).map(lambda n: Decimal(n) / 100)


@given(estimate=estimates, count=st.sampled_from(rules.COUNTS), day=st.integers(1, 28))
def test_bill_10_instalments_add_up_to_the_estimate(estimate, count, day):
    schedule = rules.build_schedule(
        estimate=estimate, count=count, day_of_month=day, first_due=dt.date(2026, 11, day)
    )
    assert len(schedule) == count
    assert sum(i.amount for i in schedule) == estimate
    assert all(i.amount > 0 and i.amount == i.amount.quantize(rules.CENT) for i in schedule)
    # equal to the cent, the last one takes the rest
    assert len({i.amount for i in schedule[:-1]}) == 1
    assert Decimal(0) <= schedule[-1].amount - schedule[0].amount < count * rules.CENT
    assert all(i.due_date.day == day for i in schedule)
    months = [(i.due_date.year, i.due_date.month) for i in schedule]
    assert months == sorted(set(months))


def test_bill_10_schedule_dates_cross_the_year():
    schedule = rules.build_schedule(
        estimate=Decimal("300.00"), count=12, day_of_month=28, first_due=dt.date(2026, 11, 28)
    )
    assert [i.due_date for i in schedule[:3]] == [
        dt.date(2026, 11, 28),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 28),
    ]
    assert schedule[-1].due_date == dt.date(2027, 10, 28)
    assert [i.amount for i in schedule] == [Decimal("25.00")] * 12


def test_bill_10_remainder_on_the_last():
    schedule = rules.build_schedule(
        estimate=Decimal("279.36"), count=10, day_of_month=5, first_due=dt.date(2026, 4, 5)
    )
    assert [i.amount for i in schedule] == [Decimal("27.93")] * 9 + [Decimal("27.99")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 11}, "instalment_count"),
        ({"day_of_month": 29}, "day_of_month"),
        ({"estimate": Decimal("49.99")}, "estimate"),
        ({"estimate": Decimal("100.001")}, "estimate"),
    ],
)
def test_bill_10_schedule_refusals(kwargs, field):
    values = {
        "estimate": Decimal("300"),
        "count": 10,
        "day_of_month": 5,
        "first_due": dt.date(2026, 4, 5),
    } | kwargs
    with pytest.raises(rules.PlanRuleError) as error:
        rules.build_schedule(**values)
    assert error.value.field == field


@given(
    amounts=st.lists(cents, min_size=1, max_size=12),
    adjustment=st.integers(min_value=-10_000_000, max_value=10_000_000).map(
        lambda n: Decimal(n) / 100
    ),
)
def test_case_7_adjustment_keeps_the_total_and_never_goes_negative(amounts, adjustment):
    try:
        new = rules.adjust_next_two(amounts, adjustment)
    except rules.PlanRuleError:
        # refused only when an instalment would not stay positive
        assert sum(amounts[:2]) + adjustment < len(amounts[:2]) * rules.CENT
        return
    assert len(new) == min(2, len(amounts))
    assert sum(new) == sum(amounts[:2]) + adjustment
    assert all(a >= rules.CENT for a in new)


def test_case_7_adjustment_example():
    assert rules.adjust_next_two([Decimal("27.93")] * 5, Decimal("-15.01")) == [
        Decimal("20.42"),
        Decimal("20.43"),
    ]
    with pytest.raises(rules.PlanRuleError):
        rules.adjust_next_two([Decimal("27.93")] * 5, Decimal("-60.00"))
    with pytest.raises(rules.PlanRuleError):
        rules.adjust_next_two([], Decimal("10"))


def test_bill_10_customer_change_within_limits():
    # base 30.00 a month: 21.00 to 39.00
    assert rules.change_limits(estimate=Decimal("300"), count=10) == (
        Decimal("21.00"),
        Decimal("39.00"),
    )
    assert (
        rules.change_amount(
            estimate=Decimal("300"), count=10, remaining=3, new_amount=Decimal("35.00")
        )
        == [Decimal("35.00")] * 3
    )
    for refused in (Decimal("20.99"), Decimal("39.01")):
        with pytest.raises(rules.PlanRuleError):
            rules.change_amount(estimate=Decimal("300"), count=10, remaining=3, new_amount=refused)
    # never below the floor, even when 70 % of the base is lower
    low, _high = rules.change_limits(estimate=Decimal("60"), count=12)
    assert low == rules.MIN_INSTALMENT


def test_bill_10_settlement_balance_due_and_refund():
    due = rules.settle(invoiced=Decimal("320.00"), collected=Decimal("279.36"))
    assert (due.balance, due.outcome, due.refund) == (Decimal("40.64"), "due", Decimal(0))
    refund = rules.settle(invoiced=Decimal("250.00"), collected=Decimal("279.36"))
    assert (refund.balance, refund.outcome, refund.refund) == (
        Decimal("-29.36"),
        "refund",
        Decimal("29.36"),
    )
    assert rules.settle(invoiced=Decimal("10"), collected=Decimal("10")).outcome == "nil"


def test_bill_10_annual_volume_sources():
    history = rules.annual_volume(history_volume=Decimal("60"), history_days=182)
    assert (history.volume, history.basis) == (Decimal("120.330"), "history")
    similar = rules.annual_volume(
        history_volume=Decimal("5"), history_days=30, similar_daily=Decimal("0.3")
    )
    assert (similar.volume, similar.basis) == (Decimal("109.500"), "similar")
    given_ = rules.annual_volume(
        history_volume=Decimal("60"), history_days=365, given=Decimal("80")
    )
    assert given_.basis == "given"
    with pytest.raises(rules.PlanRuleError):
        rules.annual_volume(history_volume=Decimal(0), history_days=0)


def test_first_due_date_respects_the_day():
    assert rules.first_due_date(not_before=dt.date(2026, 3, 24), day_of_month=5) == dt.date(
        2026, 4, 5
    )
    assert rules.first_due_date(not_before=dt.date(2026, 12, 5), day_of_month=5) == dt.date(
        2026, 12, 5
    )
    assert rules.first_due_date(not_before=dt.date(2026, 12, 6), day_of_month=5) == dt.date(
        2027, 1, 5
    )
