"""METER-2 « demander une nouvelle relève »: an internal case for the field team, closed by the
next valid reading of the service point (entry, import, field report)."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import IntegrityError, transaction
from hypothesis import assume, given
from hypothesis import strategies as st

from robinet.cases import field
from robinet.cases.choices import TeamKind
from robinet.cases.models import Case, Team
from robinet.metering import case_links, services
from robinet.metering.imports import import_readings
from robinet.metering.models import NewReadingRequest
from robinet.organisation.roles import Role
from tests.metering.factories import occupied_point, read, regular_history

NOW = dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def operations(org):
    """The operations team of the region: internal field requests are routed to it."""
    return Team.objects.create(
        code="EQ-OPS", name="Opérations", kind=TeamKind.OPERATIONS, entity=org.region
    )


@pytest.fixture
def point(org):
    """(account, service point) with eight regular quarters; the holder has a mobile."""
    account, sp = occupied_point(org.centres[0])
    regular_history(sp)  # last reading 2024-12-31 at 340 m³
    account.party.mobile = "0612345678"
    account.party.save(update_fields=["mobile"])
    return account, sp


def held(sp, on=dt.date(2025, 3, 1), index="300"):
    reading = read(sp, on, index)
    assert reading.status == "held"
    return reading


def ask(officer, reading, comment=""):
    return services.anomaly_resolve(
        actor=officer, reading=reading, resolution="new_reading_requested", comment=comment
    )


def test_meter_2_new_reading_opens_an_internal_case_for_the_field_team(officer, point, operations):
    account, sp = point
    reading = held(sp)
    result = ask(officer, reading, comment="Index douteux")
    assert result.status == "rejected"
    request = NewReadingRequest.objects.get(reading=reading)
    case = request.case
    assert case.case_type.code == "RELEVE"
    assert case.nature == "internal"
    assert case.account == account
    assert case.centre == sp.centre
    assert case.team == operations
    assert case.response_due is None  # an internal request has no deadline (CASE-3)
    assert case.contacts.count() == 0  # no customer contact on an internal request
    assert "Index douteux" in case.description
    # the field team gets a meter-reading intervention on the point
    intervention = request.intervention
    assert (intervention.kind, intervention.service_point, intervention.case) == (
        "meter_reading",
        sp,
        case,
    )
    assert intervention.contact_phone == "0612345678"
    assert case.status == "deferred"  # waiting for the visit


def test_meter_2_without_a_mobile_the_case_waits_in_the_team_list(officer, org, operations):
    account, sp = occupied_point(org.centres[0])
    regular_history(sp)
    request = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    assert request.intervention is None
    assert request.case.status == "open"
    assert request.case.team == operations


def test_meter_2_a_second_request_joins_the_open_case(officer, point):
    _account, sp = point
    first = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    second = NewReadingRequest.objects.get(reading=ask(officer, held(sp, dt.date(2025, 3, 2))))
    assert second.case == first.case
    assert second.intervention == first.intervention
    assert Case.objects.filter(case_type__code="RELEVE").count() == 1


def test_meter_2_a_valid_entry_closes_the_case_and_cancels_the_visit(officer, point):
    _account, sp = point
    request = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    new = read(sp, dt.date(2025, 3, 20), "360", actor=officer)
    assert new.status == "valid"
    request.refresh_from_db()
    assert request.closing_reading == new
    assert request.closed_at is not None
    case = request.case
    case.refresh_from_db()
    assert case.status == "closed"
    assert "Nouveau relevé valide reçu : 20/03/2025" in case.resolution
    assert case.closed_by is None  # closed by the system, not by the officer
    request.intervention.refresh_from_db()
    assert request.intervention.status == "cancelled"


def test_meter_2_older_held_or_estimated_readings_do_not_close_it(officer, point):
    _account, sp = point
    request = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    read(sp, dt.date(2025, 2, 1), "345")  # valid but read before the rejected reading
    read(sp, dt.date(2025, 3, 10), "200")  # held again (index below)
    services.estimate_readings(actor=None, service_points=[sp], at=dt.date(2025, 3, 15))
    request.refresh_from_db()
    assert request.closed_at is None
    assert request.case.is_open


def test_meter_2_the_field_report_closes_the_case_its_visit_done(officer, point, org, make_user):
    _account, sp = point
    request = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    scheduler = make_user("ordonnanceur", Role.MANAGER, org.region)
    intervention = field.report_record(
        actor=scheduler, intervention=request.intervention, outcome="Index relevé", index="361"
    )
    assert intervention.status == "done"
    assert intervention.reading.status == "valid"
    request.refresh_from_db()
    assert request.closing_reading == intervention.reading
    assert request.case.status == "closed"


def test_meter_2_an_imported_reading_closes_the_case(officer, point):
    _account, sp = point
    request = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    serial = sp.meters.get().serial
    data = f"meter_serial;date;index;source\n{serial};2025-04-02;365;field\n".encode()
    result = import_readings(io.BytesIO(data), filename="releves.csv")
    assert result.valid == 1
    request.refresh_from_db()
    assert request.closing_reading is not None
    assert request.closing_reading.import_file_id == result.import_id
    assert request.case.status == "closed"
    request.intervention.refresh_from_db()
    assert request.intervention.status == "cancelled"


def test_meter_2_a_case_closed_by_hand_is_left_alone(officer, point):
    from robinet.cases.services import case_cancel

    _account, sp = point
    request = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    case_cancel(actor=officer, case=request.case, reason="Relève faite par la tournée")
    read(sp, dt.date(2025, 3, 20), "360")
    request.refresh_from_db()
    assert request.closed_at is not None
    assert request.case.status == "cancelled"


def test_meter_2_missing_dictionary_entry_is_a_clear_error(officer, point):
    from robinet.cases.models import CaseType
    from robinet.core.exceptions import ValidationFailed

    CaseType.objects.filter(code="RELEVE").update(active=False)
    _account, sp = point
    reading = held(sp)
    with pytest.raises(ValidationFailed) as err:
        ask(officer, reading)
    assert "RELEVE" in str(err.value.fields["case_type"])
    reading.refresh_from_db()
    assert reading.status == "held"  # nothing half-written


def test_meter_2_a_closing_reading_is_dated_constraint(officer, point):
    _account, sp = point
    request = NewReadingRequest.objects.get(reading=ask(officer, held(sp)))
    other = read(sp, dt.date(2025, 3, 20), "360")
    with pytest.raises(IntegrityError), transaction.atomic():
        NewReadingRequest.objects.filter(pk=request.pk).update(
            closing_reading=other, closed_at=None
        )


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=dt.datetime(2090, 12, 31),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    )
)
def test_bill_9_the_notice_month_is_the_next_calendar_month_same_time(moment):
    """The METER-5 case is due one calendar month later, at the same local time, never on a
    day the month lacks (31 January → end of February)."""
    from django.utils import timezone

    start = timezone.localtime(moment)
    assume(start.hour != 2)  # the hour the clocks change in France: no same time to keep
    due = timezone.localtime(case_links.add_months(moment, 1))
    assert due > moment
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == 1
    assert (due.hour, due.minute, due.second) == (start.hour, start.minute, start.second)
    assert due.day == start.day or (due.day < start.day and (due + dt.timedelta(days=1)).day == 1)


def test_case_links_add_months_keeps_the_time_and_the_month_end():
    start = dt.datetime(2026, 1, 31, 10, 30, tzinfo=dt.UTC)
    later = case_links.add_months(start, 1)
    assert (later.month, later.day) == (2, 28)
    assert later.astimezone(dt.UTC).hour in (10, 11)  # same local wall-clock time
