"""CASE-8: take-charge deadlines, presence and appointment table, contact instructions."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.cases import interventions as rules
from robinet.cases.choices import PRESENCE_REQUIRED_KINDS, Channel, InterventionKind, Urgency
from robinet.core.calendar import working_calendar
from robinet.customers.choices import MeterAccessibility

PARIS = ZoneInfo("Europe/Paris")
ALSACE = working_calendar("67")
kinds = st.sampled_from(InterventionKind.values)
accessibilities = st.sampled_from(MeterAccessibility.values)
urgencies = st.sampled_from(Urgency.values)
channels = st.sampled_from(Channel.values)


def at(*args):
    return dt.datetime(*args, tzinfo=PARIS)


def test_case_8_urgent_within_the_hour_even_at_night():
    assert rules.take_charge_by(Urgency.URGENT, at(2026, 3, 4, 10), ALSACE) == at(2026, 3, 4, 11)
    assert rules.take_charge_by(Urgency.URGENT, at(2026, 3, 7, 23, 30), ALSACE) == at(
        2026, 3, 8, 0, 30
    )


def test_case_8_priority_by_end_of_working_day():
    assert rules.take_charge_by(Urgency.PRIORITY, at(2026, 3, 4, 10), ALSACE) == at(2026, 3, 4, 18)


def test_case_8_priority_after_hours_or_day_off_is_next_working_day():
    # Wednesday 19:00 -> Thursday 18:00; Saturday -> Monday; Good Friday in Alsace -> Monday.
    assert rules.take_charge_by(Urgency.PRIORITY, at(2026, 3, 4, 19), ALSACE) == at(2026, 3, 5, 18)
    assert rules.take_charge_by(Urgency.PRIORITY, at(2026, 3, 7, 9), ALSACE) == at(2026, 3, 9, 18)
    assert rules.take_charge_by(Urgency.PRIORITY, at(2026, 4, 3, 9), ALSACE) == at(2026, 4, 7, 18)


def test_case_8_normal_has_no_take_charge_deadline():
    assert rules.take_charge_by(Urgency.NORMAL, at(2026, 3, 4, 10), ALSACE) is None


def test_take_charge_needs_aware_time():
    with pytest.raises(ValueError):
        rules.take_charge_by(Urgency.URGENT, dt.datetime(2026, 3, 4, 10), ALSACE)  # noqa: DTZ001


NAIVE = dict(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2030, 1, 1))  # noqa: DTZ001


@given(moment=st.datetimes(**NAIVE))
def test_case_8_priority_deadline_is_a_working_day_at_18_after_the_request(moment):
    moment = moment.replace(tzinfo=PARIS)
    due = rules.take_charge_by(Urgency.PRIORITY, moment, ALSACE)
    assert due > moment
    assert due.time() == dt.time(18)
    assert ALSACE.is_working_day(due.date())
    assert (due.date() - moment.date()).days <= 5


@pytest.mark.parametrize("kind", PRESENCE_REQUIRED_KINDS)
def test_case_8_presence_mandatory_kinds_need_an_appointment(kind):
    assert rules.appointment_needed(kind, MeterAccessibility.ACCESSIBLE, False, Urgency.NORMAL) == (
        True,
        True,
    )


@pytest.mark.parametrize("access", [MeterAccessibility.NOT_ACCESSIBLE, MeterAccessibility.UNKNOWN])
def test_case_8_non_accessible_or_unknown_meter_needs_presence(access):
    assert rules.appointment_needed(InterventionKind.METER_SWAP, access, False, Urgency.NORMAL) == (
        True,
        True,
    )


def test_case_8_accessible_meter_no_appointment_unless_customer_wants():
    args = (InterventionKind.METER_SWAP, MeterAccessibility.ACCESSIBLE)
    assert rules.appointment_needed(*args, False, Urgency.NORMAL) == (False, False)
    assert rules.appointment_needed(*args, True, Urgency.NORMAL) == (False, True)


@given(kind=kinds, access=accessibilities, wants=st.booleans(), urgency=urgencies)
def test_case_8_appointment_table_over_all_combinations(kind, access, wants, urgency):
    presence, appointment = rules.appointment_needed(kind, access, wants, urgency)
    expected_presence = kind in PRESENCE_REQUIRED_KINDS or access != MeterAccessibility.ACCESSIBLE
    assert presence == expected_presence
    if urgency != Urgency.NORMAL:
        assert appointment is False  # urgent and priority never wait for an appointment
    else:
        assert appointment == (presence or wants)
        assert not presence or appointment  # presence required -> appointment


@given(channel=channels, needed=st.booleans())
def test_case_8_contact_instruction_by_channel(channel, needed):
    text = rules.contact_instruction(channel, needed)
    assert text
    if channel in (Channel.PHONE, Channel.VISIT):
        assert ("maintenant" in text) == needed
    elif needed:
        assert "contact sortant" in text
    else:
        assert "10 jours" in text


def test_case_8_default_urgency_by_kind():
    assert rules.default_urgency(InterventionKind.LEAK) == Urgency.URGENT
    assert rules.default_urgency(InterventionKind.WATER_QUALITY) == Urgency.PRIORITY
    assert rules.default_urgency(InterventionKind.METER_READING) == Urgency.NORMAL


def test_case_8_urgent_fields_required_for_urgent_and_priority():
    empty = dict(emergency_kind="", leak_volume="", phenomenon_duration="", exact_location="")
    assert rules.urgent_fields_missing(InterventionKind.LEAK, Urgency.NORMAL, **empty) == []
    assert set(rules.urgent_fields_missing(InterventionKind.LEAK, Urgency.URGENT, **empty)) == {
        "emergency_kind",
        "leak_volume",
        "phenomenon_duration",
        "exact_location",
    }
    # the volume is asked only for a leak
    assert "leak_volume" not in rules.urgent_fields_missing(
        InterventionKind.NO_WATER, Urgency.PRIORITY, **empty
    )
