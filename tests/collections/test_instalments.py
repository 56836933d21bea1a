"""COLL-5 schedule arithmetic: property tests of the pure module (no database)."""

import calendar
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from robinet.collections.instalments import (
    BROKEN,
    KEPT,
    MISSED,
    PAID,
    PENDING,
    RUNNING,
    Due,
    ScheduleError,
    add_months,
    plan_status,
    schedule,
)

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
counts = st.integers(min_value=1, max_value=36)


@given(total=cents, count=counts, agreed=days, gap=st.integers(0, 60), share=st.integers(0, 99))
def test_coll_5_amounts_sum_to_the_total_all_positive_equal_but_the_last(
    total, count, agreed, gap, share
):
    down = (total * share / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assume(down < total and (total - down) * 100 >= count)
    first = agreed + dt.timedelta(days=gap + (1 if down else 0))
    dues = schedule(total=total, down_payment=down, count=count, first_due=first, agreed_on=agreed)
    assert sum(d.amount for d in dues) == total
    assert all(d.amount > 0 and d.amount == d.amount.quantize(Decimal("0.01")) for d in dues)
    assert [d.sequence for d in dues] == list(range(1, len(dues) + 1))
    regular = dues[1:] if down else dues
    assert len(regular) == count
    assert len({d.amount for d in regular[:-1]}) <= 1
    assert regular[-1].amount >= regular[0].amount
    assert regular[-1].amount - regular[0].amount < Decimal("0.01") * count
    if down:
        assert dues[0].amount == down
        assert dues[0].due_on == agreed


@given(first=days, count=counts)
def test_coll_5_dates_are_monthly_from_the_first_date_clamped_to_month_end(first, count):
    dues = schedule(total=Decimal("1000.00"), count=count, first_due=first, agreed_on=first)
    for k, due in enumerate(dues):
        month_index = first.month - 1 + k
        year, month = first.year + month_index // 12, month_index % 12 + 1
        assert (due.due_on.year, due.due_on.month) == (year, month)
        assert due.due_on.day == min(first.day, calendar.monthrange(year, month)[1])


def test_coll_5_the_31st_of_january_stays_the_31st_after_february():
    dues = schedule(
        total=Decimal("100.00"), count=3, first_due=dt.date(2026, 1, 31),
        agreed_on=dt.date(2026, 1, 10),
    )  # fmt: skip
    assert [d.due_on for d in dues] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28),
                                        dt.date(2026, 3, 31)]  # fmt: skip
    assert [d.amount for d in dues] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 37}, "count"),
        ({"count": 5, "total": Decimal("0.04")}, "count"),
        ({"down_payment": Decimal("100.00")}, "down_payment"),
        ({"down_payment": Decimal("-1")}, "down_payment"),
        ({"down_payment": Decimal("1.001")}, "down_payment"),
        ({"first_due": dt.date(2026, 1, 1)}, "first_due"),
        ({"total": Decimal("0")}, "items"),
    ],
    ids=["zero_case", "above_36_case", "below_a_cent_case", "down_equals_total_case",
         "negative_down_case", "sub_cent_down_case", "before_agreement_case", "nothing_case"],
)  # fmt: skip
def test_coll_5_a_refused_schedule_names_the_field(kwargs, field):
    args = {"total": Decimal("100.00"), "count": 3, "first_due": dt.date(2026, 3, 1),
            "agreed_on": dt.date(2026, 2, 15), **kwargs}  # fmt: skip
    with pytest.raises(ScheduleError) as caught:
        schedule(**args)
    assert caught.value.field == field
    assert caught.value.message


SCHEDULE = [
    Due(1, dt.date(2026, 2, 15), Decimal("50.00")),
    Due(2, dt.date(2026, 3, 15), Decimal("100.00")),
    Due(3, dt.date(2026, 4, 15), Decimal("100.00")),
]


def test_coll_5_status_running_then_broken_after_the_grace_period():
    status = plan_status(SCHEDULE, paid=Decimal("149.99"), on=dt.date(2026, 3, 20), grace_days=10)
    assert status.states == {1: PAID, 2: PENDING, 3: PENDING}
    assert status.outcome == RUNNING
    status = plan_status(SCHEDULE, paid=Decimal("149.99"), on=dt.date(2026, 3, 26), grace_days=10)
    assert status.states == {1: PAID, 2: MISSED, 3: PENDING}
    assert status.broken
    assert status.remaining == Decimal("100.01")


def test_coll_5_status_kept_when_everything_is_paid_even_late():
    status = plan_status(SCHEDULE, paid=Decimal("260"), on=dt.date(2027, 1, 1), grace_days=0)
    assert status.kept
    assert status.outcome == KEPT
    assert set(status.states.values()) == {PAID}


@given(
    amounts=st.lists(cents, min_size=1, max_size=12),
    paid=st.integers(0, 10_000_000).map(lambda c: Decimal(c) / 100),
    offset=st.integers(-60, 500),
    grace=st.integers(0, 60),
)
def test_coll_5_paid_instalments_are_a_prefix_and_misses_break_the_plan(
    amounts, paid, offset, grace
):
    start = dt.date(2026, 1, 10)
    dues = [Due(i + 1, add_months(start, i), a) for i, a in enumerate(amounts)]
    on = start + dt.timedelta(days=offset)
    status = plan_status(dues, paid=paid, on=on, grace_days=grace)
    states = [status.states[d.sequence] for d in dues]
    first_unpaid = next((i for i, s in enumerate(states) if s != PAID), len(states))
    assert all(s == PAID for s in states[:first_unpaid])
    assert PAID not in states[first_unpaid:]
    assert (status.outcome == KEPT) == (paid >= sum(amounts))
    if status.outcome != KEPT:
        assert (status.outcome == BROKEN) == (MISSED in states)
    for due, state in zip(dues, states, strict=True):
        if state == MISSED:
            assert due.due_on + dt.timedelta(days=grace) < on
