"""Working-day calendar (ARCHITECTURE principle 1: deadlines are pure functions)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.core.calendar import (
    add_working_days,
    add_working_hours,
    department_of_insee,
    is_holiday,
    is_working_day,
    next_working_day,
    normalize_department,
    subdivision_of_department,
    working_calendar,
    working_days_between,
)

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
STRASBOURG = department_of_insee("67482")
PARIS_DEPT = department_of_insee("75056")

DEPARTMENTS = [None, "75", "57", "67", "68", "2A", "971", "972", "973", "974", "976"]
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31))
departments = st.sampled_from(DEPARTMENTS)
small_n = st.integers(min_value=0, max_value=60)
saturday = st.booleans()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- department codes --------------------------------------------------------


@pytest.mark.parametrize(
    ("insee", "department"),
    [
        ("67482", "67"),  # Strasbourg
        ("75056", "75"),  # Paris
        ("01053", "01"),
        ("2A004", "2A"),  # Ajaccio
        ("2b033", "2B"),  # Bastia
        ("97411", "974"),  # Saint-Denis (La Réunion)
        ("97101", "971"),
        ("97611", "976"),
    ],
)
def test_department_of_insee_case(insee, department):
    assert department_of_insee(insee) == department


@pytest.mark.parametrize("insee", ["6748", "674821", "ABCDE", "", "2C004", "96001"])
def test_department_of_insee_refuses_bad_codes_case(insee):
    with pytest.raises(ValueError):
        department_of_insee(insee)


def test_department_normalisation_and_subdivisions():
    assert normalize_department(None) is None
    assert normalize_department("2a") == "2A"
    assert normalize_department(1) == "01"
    with pytest.raises(ValueError):
        normalize_department("67482")  # a commune code, not a department
    # The holidays package's subdivision codes for France (checked on the installed version).
    assert subdivision_of_department("57") == "57"
    assert subdivision_of_department("67") == subdivision_of_department("68") == "6AE"
    assert subdivision_of_department("974") == "974"
    assert subdivision_of_department("75") is None


# --- concrete days -----------------------------------------------------------


def test_labour_day_2026_is_a_holiday_everywhere():
    for department in DEPARTMENTS:
        assert is_holiday(d("2026-05-01"), department)
        assert not is_working_day(d("2026-05-01"), department)


def test_good_friday_2026_in_strasbourg_not_in_paris():
    good_friday = d("2026-04-03")
    assert not is_working_day(good_friday, STRASBOURG)
    assert not is_working_day(good_friday, "57")
    assert is_working_day(good_friday, PARIS_DEPT)
    assert working_calendar(STRASBOURG).holiday_name(good_friday) == "Vendredi saint"


def test_saint_stephen_in_alsace_moselle_only():
    assert is_holiday(d("2025-12-26"), "68")
    assert not is_holiday(d("2025-12-26"), "75")


def test_overseas_abolition_of_slavery_days():
    assert is_holiday(d("2026-12-20"), "974")  # La Réunion, a Sunday in 2026
    assert is_working_day(d("2025-12-19"), "974")  # Friday 19 Dec 2025: working
    assert not is_working_day(d("2024-12-20"), "974")  # Friday 20 Dec 2024
    assert is_working_day(d("2024-12-20"), "75")
    assert is_holiday(d("2026-05-27"), "971")  # Guadeloupe
    assert is_holiday(d("2026-05-22"), "972")  # Martinique
    assert is_holiday(d("2026-06-10"), "973")  # Guyane
    assert is_holiday(d("2026-04-27"), "976")  # Mayotte
    assert not is_holiday(d("2026-04-27"), None)


def test_weekends_and_saturday_option():
    saturday_day = d("2026-03-07")
    assert not is_working_day(saturday_day)
    assert is_working_day(saturday_day, saturday_is_working=True)
    assert not is_working_day(d("2026-03-08"), saturday_is_working=True)  # Sunday


def test_add_working_days_over_a_bridge():
    # Thursday 30 April 2026 + 1 working day: Fri 1 May is a holiday -> Mon 4 May.
    assert add_working_days(d("2026-04-30"), 1) == d("2026-05-04")
    # Ascension (Thu 14 May): Wed 13 + 1 = Fri 15, + 2 = Mon 18 May.
    assert add_working_days(d("2026-05-13"), 1) == d("2026-05-15")
    assert add_working_days(d("2026-05-13"), 2) == d("2026-05-18")
    # Mon-Sat counting: Sat 2 May is working.
    assert add_working_days(d("2026-04-30"), 1, saturday_is_working=True) == d("2026-05-02")


def test_add_zero_working_days_rolls_forward_only_when_needed():
    assert add_working_days(d("2026-03-04"), 0) == d("2026-03-04")  # a Wednesday
    assert add_working_days(d("2026-03-07"), 0) == d("2026-03-09")  # Saturday -> Monday
    assert add_working_days(d("2026-04-02"), 0, STRASBOURG) == d("2026-04-02")
    assert add_working_days(d("2026-04-03"), 0, STRASBOURG) == d("2026-04-07")  # Fri+Mon off


def test_add_working_days_refuses_negative():
    with pytest.raises(ValueError):
        add_working_days(d("2026-03-04"), -1)


def test_working_days_between_concrete():
    assert working_days_between(d("2026-04-30"), d("2026-05-08")) == 4  # 4, 5, 6, 7 May
    assert working_days_between(d("2026-05-08"), d("2026-04-30")) == -4
    assert working_days_between(d("2026-03-04"), d("2026-03-04")) == 0


def test_next_working_day_after_christmas_in_alsace():
    assert next_working_day(d("2025-12-24"), "67") == d("2025-12-29")
    assert next_working_day(d("2025-12-24"), "75") == d("2025-12-26")


# --- working hours ---------------------------------------------------------------


def test_add_working_hours_skips_night_and_holiday_weekend():
    # Thu 30 April 17:00 + 4h: 1h Thursday, Fri 1 May off, weekend -> Mon 4 May 11:00.
    start = dt.datetime(2026, 4, 30, 17, 0, tzinfo=PARIS)
    assert add_working_hours(start, 4) == dt.datetime(2026, 5, 4, 11, 0, tzinfo=PARIS)


def test_add_working_hours_edges():
    before_opening = dt.datetime(2026, 3, 4, 6, 30, tzinfo=PARIS)
    assert add_working_hours(before_opening, 2) == dt.datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)
    # Ending exactly at closing time is due at closing time.
    assert add_working_hours(before_opening, 10) == dt.datetime(2026, 3, 4, 18, 0, tzinfo=PARIS)
    # Zero hours at night rolls to the next opening.
    night = dt.datetime(2026, 3, 6, 22, 0, tzinfo=PARIS)  # a Friday
    assert add_working_hours(night, 0) == dt.datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)
    # Custom opening hours and a timedelta.
    assert add_working_hours(
        dt.datetime(2026, 3, 4, 11, 0, tzinfo=PARIS),
        dt.timedelta(hours=1, minutes=30),
        opening=dt.time(9),
        closing=dt.time(12),
    ) == dt.datetime(2026, 3, 5, 9, 30, tzinfo=PARIS)


def test_add_working_hours_in_the_department_time_zone():
    # 17:00 UTC on Thu 30 April is 21:00 in La Réunion: closed; 1 May off -> Mon 4 May
    # 08:00 local + 4h = 12:00 Réunion = 08:00 UTC, returned in the caller's zone (UTC).
    start = dt.datetime(2026, 4, 30, 17, 0, tzinfo=dt.UTC)
    due = add_working_hours(start, 4, "974")
    assert due == dt.datetime(2026, 5, 4, 12, 0, tzinfo=REUNION)
    assert due.tzinfo is dt.UTC


def test_add_working_hours_refuses_naive_and_negative():
    with pytest.raises(ValueError):
        add_working_hours(dt.datetime(2026, 3, 4, 9, 0), 1)  # noqa: DTZ001
    with pytest.raises(ValueError):
        add_working_hours(dt.datetime(2026, 3, 4, 9, 0, tzinfo=PARIS), -1)


def test_add_working_hours_across_daylight_saving_change():
    # Fri 27 March 2026 17:00 + 2h -> Mon 30 March 09:00 (clocks changed on Sunday 29).
    start = dt.datetime(2026, 3, 27, 17, 0, tzinfo=PARIS)
    due = add_working_hours(start, 2)
    assert due == dt.datetime(2026, 3, 30, 9, 0, tzinfo=PARIS)
    assert due.utcoffset() == dt.timedelta(hours=2)


# --- properties ------------------------------------------------------------------


@given(days, small_n, departments, saturday)
def test_result_is_a_working_day_after_start(day, n, department, sat):
    result = add_working_days(day, n, department, saturday_is_working=sat)
    assert is_working_day(result, department, saturday_is_working=sat)
    assert result >= day
    if n:
        assert result > day


@given(days, small_n, departments)
def test_add_is_monotonic_in_n(day, n, department):
    assert add_working_days(day, n, department) <= add_working_days(day, n + 1, department)
    assert add_working_days(day, n + 1, department) > add_working_days(day, n, department) or (
        n == 0 and not is_working_day(day, department)
    )


@given(days, small_n, small_n, departments, saturday)
def test_add_composes_from_a_working_day(day, n, m, department, sat):
    start = add_working_days(day, 0, department, saturday_is_working=sat)
    first = add_working_days(start, n, department, saturday_is_working=sat)
    assert add_working_days(first, m, department, saturday_is_working=sat) == add_working_days(
        start, n + m, department, saturday_is_working=sat
    )


@given(days, st.integers(min_value=1, max_value=60), departments)
def test_between_inverts_add(day, n, department):
    assert working_days_between(day, add_working_days(day, n, department), department) == n


@given(days, days, departments)
def test_between_is_antisymmetric_and_bounded(a, b, department):
    count = working_days_between(a, b, department)
    assert count == -working_days_between(b, a, department)
    assert abs(count) <= abs((b - a).days)


@given(st.integers(min_value=2000, max_value=2060), st.sampled_from(["57", "67", "68"]))
def test_alsace_moselle_has_at_least_the_national_holidays(year, department):
    national = set(working_calendar().holidays_of_year(year))
    local = set(working_calendar(department).holidays_of_year(year))
    assert national <= local
    assert len(local) >= len(national) + 2  # Good Friday and 26 December


@given(st.integers(min_value=2000, max_value=2060), st.sampled_from(DEPARTMENTS))
def test_every_department_keeps_national_holidays(year, department):
    assert set(working_calendar().holidays_of_year(year)) <= set(
        working_calendar(department).holidays_of_year(year)
    )


@given(days, departments)
def test_saturday_option_only_adds_working_days(day, department):
    if is_working_day(day, department):
        assert is_working_day(day, department, saturday_is_working=True)


moments = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2040, 12, 31),  # noqa: DTZ001
    timezones=st.just(PARIS),
)
hours = st.integers(min_value=0, max_value=80)


@given(moments, hours, departments)
def test_working_hours_land_inside_opening_hours(moment, h, department):
    due = add_working_hours(moment, h, department)
    local = due.astimezone(working_calendar(department).time_zone)
    assert is_working_day(local.date(), department)
    assert dt.time(8) <= local.time() <= dt.time(18)
    assert due >= moment


@given(moments, hours, hours)
def test_working_hours_compose_and_are_monotonic(moment, h1, h2):
    assert add_working_hours(add_working_hours(moment, h1), h2) == add_working_hours(
        moment, h1 + h2
    )
    assert add_working_hours(moment, h1) <= add_working_hours(moment, h1 + h2)


@given(moments, st.integers(min_value=0, max_value=10))
def test_ten_working_hours_are_one_working_day(moment, n):
    start = add_working_hours(moment, 0)
    if start.astimezone(PARIS).time() == dt.time(8):
        due = add_working_hours(start, 10 * n)
        expected_day = add_working_days(start.date(), n - 1) if n else start.date()
        assert due.date() == expected_day


def test_working_hours_compose_at_closing_time():
    """Found by hypothesis: a deadline ending at closing time, plus zero hours, stays there."""
    moment = dt.datetime(2020, 1, 2, 16, 0, tzinfo=PARIS)
    at_closing = add_working_hours(moment, 2)
    assert at_closing == dt.datetime(2020, 1, 2, 18, 0, tzinfo=PARIS)
    assert add_working_hours(at_closing, 0) == at_closing
    assert add_working_hours(at_closing, 1) == dt.datetime(2020, 1, 3, 9, 0, tzinfo=PARIS)
