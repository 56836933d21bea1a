"""CASE-3: response deadlines in French working days (pure rules)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.cases.choices import Channel, DeadlineRule
from robinet.cases.deadlines import due_soon_threshold, is_overdue, response_due
from robinet.core.calendar import working_calendar

PARIS = ZoneInfo("Europe/Paris")


def at(y, m, d, h=10, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=PARIS)


def due(channel, opened, department=None, rule=DeadlineRule.CHANNEL):
    return response_due(rule=rule, channel=channel, opened_at=opened, department=department)


def test_case_3_letter_five_working_days_same_time():
    # Wednesday 4 March 2026 10:00 -> Wednesday 11 March 10:00.
    assert due(Channel.LETTER, at(2026, 3, 4)) == at(2026, 3, 11)
    assert due(Channel.PHONE, at(2026, 3, 4)) == at(2026, 3, 11)
    assert due(Channel.VISIT, at(2026, 3, 4)) == at(2026, 3, 11)
    assert due(Channel.WEB_SERVICE, at(2026, 3, 4)) == at(2026, 3, 11)


def test_case_3_email_48_hours_as_two_working_days():
    assert due(Channel.EMAIL, at(2026, 3, 4)) == at(2026, 3, 6)
    assert due(Channel.WEB_FORM, at(2026, 3, 4)) == at(2026, 3, 6)
    assert due(Channel.SMS, at(2026, 3, 4)) == at(2026, 3, 6)
    # Friday 10:00 -> Tuesday 10:00; a weekend message counts as received when Monday
    # opens: due at the end of Tuesday, never before a Friday one (monotone).
    end_of_tuesday = dt.datetime(2026, 3, 11, 0, 0, tzinfo=PARIS)
    assert due(Channel.EMAIL, at(2026, 3, 6)) == at(2026, 3, 10)
    assert due(Channel.EMAIL, at(2026, 3, 7)) == end_of_tuesday
    assert due(Channel.EMAIL, at(2026, 3, 8)) == end_of_tuesday


def test_case_3_field_or_service_fifteen_working_days():
    assert due(Channel.EMAIL, at(2026, 3, 4), rule=DeadlineRule.FIELD_OR_SERVICE) == at(2026, 3, 25)


@pytest.mark.parametrize("rule", [DeadlineRule.THIRD_PARTY, DeadlineRule.NONE])
def test_case_3_third_party_and_none_have_no_deadline(rule):
    assert due(Channel.LETTER, at(2026, 3, 4), rule=rule) is None


@pytest.mark.parametrize(
    ("opened", "expected", "holiday"),
    [
        # Ascension Thursday 14 May 2026.
        (at(2026, 5, 12), at(2026, 5, 20), "Ascension"),
        # Whit Monday 25 May 2026.
        (at(2026, 5, 21), at(2026, 5, 29), "Lundi de Pentecôte"),
        # 14 July 2026 is a Tuesday.
        (at(2026, 7, 10), at(2026, 7, 20), "Fête nationale"),
        # 11 November 2026 is a Wednesday.
        (at(2026, 11, 9), at(2026, 11, 17), "Armistice"),
        # 1 November 2027 is a Monday.
        (at(2027, 10, 29), at(2027, 11, 8), "Toussaint"),
        # 25 December 2026 is a Friday (national: 26 is a Saturday anyway).
        (at(2026, 12, 22), at(2026, 12, 30), "Noël"),
    ],
)
def test_case_3_national_public_holidays_are_skipped(opened, expected, holiday):
    assert due(Channel.LETTER, opened, "75") == expected


def test_case_3_alsace_moselle_good_friday_and_26_december():
    # Good Friday 3 April 2026 is a holiday in 57, 67, 68 only; Easter Monday 6 April everywhere.
    opened = at(2026, 4, 1)
    assert due(Channel.LETTER, opened, "75") == at(2026, 4, 9)
    for department in ("57", "67", "68"):
        assert due(Channel.LETTER, opened, department) == at(2026, 4, 10)
    # 26 December 2025 is a Friday: a holiday in Alsace-Moselle only.
    opened = at(2025, 12, 23)
    assert due(Channel.EMAIL, opened, "69") == at(2025, 12, 26)
    assert due(Channel.EMAIL, opened, "67") == at(2025, 12, 29)


def test_case_3_due_keeps_the_wall_clock_time_across_daylight_saving():
    # Summer time starts on Sunday 29 March 2026.
    assert due(Channel.LETTER, at(2026, 3, 26, 15, 30)) == at(2026, 4, 2, 15, 30)


def test_case_3_overdue_and_due_soon():
    now = at(2026, 3, 6, 10)  # a Friday
    assert due_soon_threshold(now) == at(2026, 3, 9, 10)
    assert is_overdue(at(2026, 3, 6, 9), now)
    assert not is_overdue(at(2026, 3, 6, 10), now)
    assert not is_overdue(None, now)


def test_case_3_unknown_rule_or_channel_is_refused():
    with pytest.raises(ValueError):
        due("fax", at(2026, 3, 4))
    with pytest.raises(ValueError):
        due(Channel.LETTER, at(2026, 3, 4), rule="soon")
    with pytest.raises(ValueError):
        due(Channel.LETTER, at(2026, 3, 4).replace(tzinfo=None))


moments = st.datetimes(
    min_value=at(2024, 1, 1, 0).replace(tzinfo=None),
    max_value=at(2030, 12, 31, 0).replace(tzinfo=None),
    timezones=st.just(PARIS),
)
departments = st.sampled_from([None, "75", "57", "67", "68", "974", "2A"])
channels = st.sampled_from(Channel.values)


@given(moments, departments, channels)
def test_case_3_property_due_is_a_working_day_after_the_opening(opened, department, channel):
    calendar = working_calendar(department)
    for rule in (DeadlineRule.CHANNEL, DeadlineRule.FIELD_OR_SERVICE):
        moment = due(channel, opened, department, rule)
        assert moment > opened
        assert calendar.is_working_day(moment.astimezone(calendar.time_zone).date())


@given(moments, departments, channels)
def test_case_3_property_fifteen_days_never_before_five(opened, department, channel):
    field = due(channel, opened, department, DeadlineRule.FIELD_OR_SERVICE)
    assert field >= due(Channel.LETTER, opened, department)
    assert due(Channel.LETTER, opened, department) >= due(Channel.EMAIL, opened, department)
    assert field >= due(channel, opened, department)


@given(
    moments,
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=40)),
    departments,
    channels,
)
def test_case_3_property_monotone_in_opening(opened, delay, department, channel):
    later = (opened + delay).astimezone(PARIS)
    for rule in (DeadlineRule.CHANNEL, DeadlineRule.FIELD_OR_SERVICE):
        assert due(channel, later, department, rule) >= due(channel, opened, department, rule)
