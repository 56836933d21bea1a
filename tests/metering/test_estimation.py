"""Estimation (METER-3) and the abnormal-increase check (METER-5)."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from robinet.metering.estimation import (
    BASIS_NONE,
    BASIS_OWN,
    BASIS_SIMILAR,
    History,
    Period,
    average_of,
    daily_average,
    estimate_index,
    history,
    warsmann_check,
)

D = Decimal


def test_daily_average_over_window_meter_3():
    periods = [
        Period(dt.date(2024, 3, 1), D(999), 100),  # outside the window
        Period(dt.date(2024, 9, 1), D(30), 100),
        Period(dt.date(2025, 3, 1), D(60), 200),
    ]
    assert daily_average(periods, start=dt.date(2024, 3, 1), end=dt.date(2025, 3, 1)) == D("0.3")
    assert history(periods, start=dt.date(2025, 3, 1), end=dt.date(2026, 1, 1)) == History()
    assert History().daily_average is None


def test_estimate_from_own_history_meter_3():
    estimate = estimate_index(
        last_index=D(1000),
        last_read_on=dt.date(2025, 1, 1),
        at=dt.date(2025, 4, 11),
        own=History(D(90), 300),
        similar_average=D(5),
    )
    assert (estimate.basis, estimate.days, estimate.consumption, estimate.index) == (
        BASIS_OWN,
        100,
        D(30),
        D(1030),
    )


def test_estimate_falls_back_to_similar_premises_meter_3():
    estimate = estimate_index(
        last_index=D(1000),
        last_read_on=dt.date(2025, 1, 1),
        at=dt.date(2025, 4, 11),
        own=History(D(1), 10),  # too short a history
        similar_average=average_of([D("0.4"), D("0.6"), None]),
    )
    assert (estimate.basis, estimate.consumption) == (BASIS_SIMILAR, D(50))


def test_estimate_without_any_profile_keeps_the_index_meter_3():
    estimate = estimate_index(
        last_index=D(1000), last_read_on=dt.date(2025, 1, 1), at=dt.date(2025, 4, 11), own=History()
    )
    assert (estimate.basis, estimate.index) == (BASIS_NONE, D(1000))


def test_estimate_wraps_through_zero_meter_3():
    estimate = estimate_index(
        last_index=D(9990),
        last_read_on=dt.date(2025, 1, 1),
        at=dt.date(2025, 1, 21),
        own=History(D(365), 365),
        digits=4,
    )
    assert (estimate.index, estimate.rollover, estimate.consumption) == (D(10), True, D(20))


@given(days=st.integers(0, 2000), average=st.decimals(0, 50, places=3))
def test_estimate_never_negative_meter_3(days, average):
    estimate = estimate_index(
        last_index=D(5),
        last_read_on=dt.date(2020, 1, 1),
        at=dt.date(2020, 1, 1) + dt.timedelta(days=days),
        own=History(average * 365, 365),
    )
    assert estimate.consumption >= 0
    assert estimate.index >= 0


def test_warsmann_triggers_above_twice_three_year_average_meter_5():
    own = History(D(360), 1095)  # ~0.329 m³/day
    check = warsmann_check(
        consumption=D(80), days=100, premises_use="main_residence", own_three_years=own
    )
    assert (check.triggered, check.basis, check.reference_volume) == (True, BASIS_OWN, D("32.877"))
    check = warsmann_check(
        consumption=D(65), days=100, premises_use="main_residence", own_three_years=own
    )
    assert not check.triggered


def test_warsmann_uses_comparable_premises_when_history_is_short_meter_5():
    check = warsmann_check(
        consumption=D(80),
        days=100,
        premises_use="secondary_residence",
        own_three_years=History(D(10), 100),
        similar_average=D("0.3"),
    )
    assert (check.triggered, check.basis, check.reference_volume) == (True, BASIS_SIMILAR, D(30))


def test_warsmann_only_on_dwellings_meter_5():
    check = warsmann_check(
        consumption=D(800),
        days=100,
        premises_use="business",
        own_three_years=History(D(100), 1000),
    )
    assert not check.triggered


def test_warsmann_needs_a_reference_meter_5():
    check = warsmann_check(
        consumption=D(80), days=100, premises_use="main_residence", own_three_years=History()
    )
    assert (check.triggered, check.basis) == (False, BASIS_NONE)
