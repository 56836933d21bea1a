"""CASE-8: 2-hour slots of a team's day, bookable days J+2 … J+10 working days, free slots."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from robinet.cases import slots
from robinet.core.calendar import working_calendar

T = dt.time
FRANCE = working_calendar("75")
ALSACE = working_calendar("67")
DAY = slots.TeamHours(T(8), T(18), T(12), T(14))


def test_case_8_two_hour_slots_skip_the_break():
    assert slots.day_slots(DAY) == [(T(8), T(10)), (T(10), T(12)), (T(14), T(16)), (T(16), T(18))]


def test_case_8_no_break_and_short_remainder_not_offered():
    assert slots.day_slots(slots.TeamHours(T(7, 30), T(12, 45))) == [
        (T(7, 30), T(9, 30)),
        (T(9, 30), T(11, 30)),
    ]


def test_case_8_bookable_days_from_j2_to_j10_on_a_wednesday():
    days = slots.bookable_days(dt.date(2026, 3, 4), FRANCE)
    assert days[0] == dt.date(2026, 3, 6)  # J+2: Friday
    assert days[-1] == dt.date(2026, 3, 18)  # J+10 working days
    assert len(days) == 9
    assert dt.date(2026, 3, 5) not in days  # J+1 is too early
    assert dt.date(2026, 3, 19) not in days  # J+11 is too late
    assert all(d.weekday() < 5 for d in days)


def test_case_8_saturday_call_counts_from_the_saturday():
    days = slots.bookable_days(dt.date(2026, 3, 7), FRANCE)
    assert days[0] == dt.date(2026, 3, 10)  # Monday J+1, Tuesday J+2
    assert days[-1] == dt.date(2026, 3, 20)


def test_case_8_ascension_skipped():
    # Tuesday 12 May 2026: J+2 is Friday 15 May (Thursday 14 is Ascension).
    days = slots.bookable_days(dt.date(2026, 5, 12), FRANCE)
    assert dt.date(2026, 5, 14) not in days
    assert days[0] == dt.date(2026, 5, 15)
    assert days[-1] == dt.date(2026, 5, 28)  # Whit Monday 25 May is a holiday too


def test_case_8_bastille_day_and_armistice_skipped():
    july = slots.bookable_days(dt.date(2026, 7, 10), FRANCE)
    assert dt.date(2026, 7, 14) not in july
    assert july[0] == dt.date(2026, 7, 15)  # Fri 10 -> Mon 13 (J+1), Wed 15 (J+2)
    november = slots.bookable_days(dt.date(2026, 11, 9), FRANCE)
    assert dt.date(2026, 11, 11) not in november
    assert november[0] == dt.date(2026, 11, 12)


def test_case_8_alsace_good_friday_is_a_holiday_there_only():
    called = dt.date(2026, 4, 1)  # Wednesday before Easter
    assert slots.bookable_days(called, FRANCE)[0] == dt.date(2026, 4, 3)
    # Alsace-Moselle: Good Friday 3 April, then Easter Monday: J+2 is Tuesday 7 April.
    assert slots.bookable_days(called, ALSACE)[0] == dt.date(2026, 4, 7)


def test_case_8_full_slot_not_offered():
    day = dt.date(2026, 3, 6)
    free = slots.free_slots([day], DAY, 2, {(day, T(8)): 2, (day, T(10)): 1})
    assert [(s.start, s.free) for s in free] == [(T(10), 1), (T(14), 2), (T(16), 2)]


@given(called=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_case_8_bookable_days_bounds_property(called):
    days = slots.bookable_days(called, ALSACE)
    assert len(days) == 9
    assert all(ALSACE.is_working_day(d) for d in days)
    assert ALSACE.working_days_between(called, days[0]) == 2
    assert ALSACE.working_days_between(called, days[-1]) == 10
    assert days == sorted(set(days))


@given(
    capacity=st.integers(1, 5),
    booked=st.dictionaries(st.sampled_from([T(8), T(10), T(14), T(16)]), st.integers(0, 6)),
)
def test_case_8_free_slots_never_exceed_capacity(capacity, booked):
    day = dt.date(2026, 3, 6)
    free = slots.free_slots([day], DAY, capacity, {(day, k): v for k, v in booked.items()})
    for slot in free:
        assert slot.free == capacity - booked.get(slot.start, 0) > 0
    offered = {s.start for s in free}
    for start, count in booked.items():
        assert (start in offered) == (count < capacity)


times = st.integers(6 * 4, 20 * 4).map(lambda q: T(q // 4, (q % 4) * 15))


@given(a=times, b=times, c=times, d=times)
def test_case_8_slots_are_two_hours_inside_the_day_and_outside_the_break(a, b, c, d):
    start, brk_from, brk_until, end = sorted([a, b, c, d])
    hours = slots.TeamHours(start, end, brk_from, brk_until)
    found = slots.day_slots(hours)
    for s, e in found:
        assert start <= s < e <= end
        assert e <= brk_from or s >= brk_until
        length = dt.datetime.combine(dt.date.min, e) - dt.datetime.combine(dt.date.min, s)
        assert length == dt.timedelta(hours=2)
    assert found == sorted(found)
