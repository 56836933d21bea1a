"""Consumption between readings: differences, rollovers, meter changes, estimates (METER-2…4)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.metering.consumption import (
    ChainPoint,
    Index,
    MeterChange,
    capacity,
    chain_consumptions,
    consumption_between,
    dial_difference,
)

D = Decimal


def test_same_meter_difference():
    assert consumption_between(Index("A", D(100)), Index("A", D(145))).volume == D(45)
    assert consumption_between(Index("A", D(100)), Index("A", D(100))).volume == 0


def test_rollover_when_plausible_meter_2():
    # METER-2: 5 digits, 99 980 → 20 is 40 m³ through zero, not a decrease.
    result = dial_difference(D(99980), D(20), 5)
    assert (result.volume, result.rollover, result.rollovers) == (D(40), True, 1)


@pytest.mark.parametrize(
    ("previous", "current", "digits"),
    [
        pytest.param(D(500), D(400), 5, id="small_decrease_case"),
        pytest.param(D(80000), D(5000), 5, id="previous_not_in_top_part_case"),
        pytest.param(D(95000), D(20000), 5, id="too_much_through_zero_case"),
        pytest.param(D(9000), D(1500), 4, id="four_digits_case"),
    ],
)
def test_decrease_without_plausible_rollover_meter_2(previous, current, digits):
    result = dial_difference(previous, current, digits)
    assert result.volume is None
    assert result.decreased


def test_rollover_bound_is_a_tenth_of_the_dial():
    assert dial_difference(D(9500), D(500), 4).volume == D(1000)
    assert dial_difference(D(9500), D(501), 4).volume is None


def test_meter_change_adds_both_parts_meter_4():
    result = consumption_between(
        Index("old", D(1200)), Index("new", D(35)), MeterChange(D(1250), D(5))
    )
    assert result.volume == D(50) + D(30)


def test_meter_change_with_decrease_on_old_meter_is_a_decrease():
    result = consumption_between(
        Index("old", D(1200)), Index("new", D(35)), MeterChange(D(1100), D(5))
    )
    assert result.volume is None


def test_two_meters_need_the_change():
    with pytest.raises(ValueError, match="meter change"):
        consumption_between(Index("old", D(1)), Index("new", D(2)))


@given(
    previous=st.integers(0, 10**5 - 1),
    current=st.integers(0, 10**5 - 1),
    digits=st.integers(4, 9),
)
def test_consumption_never_negative(previous, current, digits):
    result = dial_difference(D(previous), D(current), digits)
    assert result.volume is None or result.volume >= 0


# --- chains ----------------------------------------------------------------------------------

# Even summed over 8 steps (estimates replaced), below a tenth of the smallest dial:
# every rollover stays plausible.
step = st.integers(0, 120)


@st.composite
def chains(draw):
    """A service point's readings over several meters, with rollovers and estimates.

    Returns the points and the expected total: per meter, its last − first
    index plus its rollovers × capacity.
    """
    points: list[ChainPoint] = []
    expected = D(0)
    for meter in range(draw(st.integers(1, 3))):
        digits = draw(st.integers(4, 6))
        cap = capacity(digits)
        start = D(draw(st.integers(0, int(cap) - 1)))
        value, total = start, D(0)
        steps = draw(st.lists(step, min_size=1, max_size=8))
        points.append(ChainPoint(meter, value, digits, install_index=start))  # install
        for i, volume in enumerate(steps):
            total += volume
            value = (value + volume) % cap
            last = i == len(steps) - 1
            estimate = not last and draw(st.booleans())  # the removal is always read
            points.append(ChainPoint(meter, value, digits, estimate=estimate))
        expected += total
    return points, expected


@given(chains())
def test_chain_sum_equals_meter_chain_total_meter_3_meter_4(data):
    # METER-3/4: summing the periods (estimates replaced by the next actual
    # reading) gives each meter's own last − first, plus its rollovers.
    points, expected = data
    results = chain_consumptions(points)
    assert results[0] is None
    assert all(r is None or r.volume is not None for r in results)
    assert all(r is None or r.volume >= 0 for r in results)
    assert sum((r.volume for r in results if r is not None), D(0)) == expected


def test_actual_reading_replaces_estimates_meter_3():
    points = [
        ChainPoint("A", D(100)),
        ChainPoint("A", D(160), estimate=True),
        ChainPoint("A", D(150)),  # lower than the estimate: not a decrease
    ]
    results = chain_consumptions(points)
    assert results[1] is None  # replaced
    assert results[2].volume == D(50)
