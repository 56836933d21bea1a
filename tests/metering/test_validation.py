"""METER-2: every validation rule and threshold of a reading."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.metering.choices import AnomalyReason, ReadingStatus
from robinet.metering.consumption import MeterChange
from robinet.metering.validation import (
    PreviousReading,
    ReadingInput,
    Thresholds,
    validate_reading,
)

D = Decimal
TODAY = dt.date(2025, 6, 30)
PREVIOUS = PreviousReading("M1", dt.date(2025, 1, 1), D(1000))


def reading(index, on=dt.date(2025, 6, 1), source="field", meter="M1", digits=5):
    return ReadingInput(meter, on, D(index), source, digits)


def test_first_reading_is_valid_without_consumption_meter_2():
    verdict = validate_reading(reading(50), None, today=TODAY)
    assert (verdict.status, verdict.consumption, verdict.days) == (ReadingStatus.VALID, None, None)


def test_valid_reading_sets_consumption_and_days_meter_2():
    verdict = validate_reading(reading(1060), PREVIOUS, today=TODAY, daily_average=D("0.3"))
    assert verdict.status == ReadingStatus.VALID
    assert (verdict.consumption, verdict.days, verdict.rollover) == (D(60), 151, False)


def test_future_date_is_held_meter_2():
    verdict = validate_reading(reading(1060, on=dt.date(2025, 7, 1)), PREVIOUS, today=TODAY)
    assert (verdict.status, verdict.anomaly) == (ReadingStatus.HELD, AnomalyReason.DATE_IN_FUTURE)


def test_date_before_previous_is_held_meter_2():
    verdict = validate_reading(reading(1060, on=dt.date(2024, 12, 1)), PREVIOUS, today=TODAY)
    assert verdict.anomaly == AnomalyReason.DATE_BEFORE_PREVIOUS
    assert "01/01/2025" in verdict.detail


def test_index_decrease_is_held_meter_2():
    verdict = validate_reading(reading(990), PREVIOUS, today=TODAY)
    assert (verdict.status, verdict.anomaly) == (ReadingStatus.HELD, AnomalyReason.INDEX_DECREASE)
    assert verdict.consumption is None


def test_rollover_is_not_a_decrease_meter_2():
    previous = PreviousReading("M1", dt.date(2025, 1, 1), D(99990))
    verdict = validate_reading(reading(15), previous, today=TODAY)
    assert (verdict.status, verdict.consumption, verdict.rollover) == ("valid", D(25), True)


def test_index_lower_after_meter_change_is_not_a_decrease_meter_2_meter_4():
    verdict = validate_reading(
        reading(12, meter="M2"), PREVIOUS, today=TODAY, change=MeterChange(D(1040), D(0))
    )
    assert (verdict.status, verdict.consumption) == ("valid", D(52))


@pytest.mark.parametrize(
    ("index", "thresholds", "held"),
    [
        pytest.param(1100, Thresholds(), True, id="above_k_and_floor_case"),
        pytest.param(1090, Thresholds(), False, id="below_k_times_average_case"),
        pytest.param(1100, Thresholds(high_factor=D(4)), False, id="class_factor_case"),
        pytest.param(1100, Thresholds(high_floor_m3=D(150)), False, id="below_floor_case"),
        pytest.param(1020, Thresholds(high_floor_m3=D(0)), False, id="normal_case"),
    ],
)
def test_high_consumption_threshold_meter_2(index, thresholds, held):
    # average 0.3 m³/day over 151 days: 45.3 m³ expected, k=2 → 90.6 m³.
    verdict = validate_reading(
        reading(index), PREVIOUS, today=TODAY, daily_average=D("0.3"), thresholds=thresholds
    )
    assert (verdict.anomaly == AnomalyReason.HIGH_CONSUMPTION) is held
    assert verdict.status == (ReadingStatus.HELD if held else ReadingStatus.VALID)
    assert verdict.consumption == D(index) - 1000


def test_high_consumption_needs_a_history_meter_2():
    verdict = validate_reading(reading(5000), PREVIOUS, today=TODAY, daily_average=None)
    assert verdict.status == ReadingStatus.VALID


@pytest.mark.parametrize(
    ("occupied", "on", "min_days", "held"),
    [
        pytest.param(True, dt.date(2025, 6, 1), 60, True, id="occupied_long_case"),
        pytest.param(False, dt.date(2025, 6, 1), 60, False, id="vacant_case"),
        pytest.param(True, dt.date(2025, 2, 1), 60, False, id="short_period_case"),
        pytest.param(True, dt.date(2025, 2, 1), 31, True, id="class_min_days_case"),
    ],
)
def test_zero_consumption_on_occupied_premises_meter_2(occupied, on, min_days, held):
    verdict = validate_reading(
        reading(1000, on=on),
        PREVIOUS,
        today=TODAY,
        occupied=occupied,
        thresholds=Thresholds(zero_min_days=min_days),
    )
    assert (verdict.anomaly == AnomalyReason.ZERO_CONSUMPTION) is held


@pytest.mark.parametrize("source", ["estimate", "install"])
def test_estimates_and_installs_skip_volume_checks_meter_2(source):
    verdict = validate_reading(
        reading(5000, source=source), PREVIOUS, today=TODAY, daily_average=D("0.1"), occupied=True
    )
    assert verdict.status == ReadingStatus.VALID


@given(
    previous=st.integers(0, 99999),
    current=st.integers(0, 99999),
    days=st.integers(0, 800),
    average=st.decimals(0, 10, places=3),
)
def test_verdict_consumption_never_negative_and_held_has_reason_meter_2(
    previous, current, days, average
):
    prev = PreviousReading("M1", dt.date(2023, 1, 1), D(previous))
    verdict = validate_reading(
        reading(current, on=dt.date(2023, 1, 1) + dt.timedelta(days=days)),
        prev,
        today=dt.date(2026, 1, 1),
        daily_average=average,
        occupied=True,
    )
    assert verdict.consumption is None or verdict.consumption >= 0
    assert verdict.status != ReadingStatus.HELD or verdict.anomaly
