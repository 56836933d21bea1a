"""CASE-8: interventions exported to the field workforce system, reports imported back."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest

from robinet.cases import field, field_files
from robinet.cases.choices import AppointmentStatus, InterventionKind, InterventionStatus
from robinet.cases.models import Appointment, Intervention
from robinet.core import clock
from robinet.core.exceptions import PermissionDenied
from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.customers.choices import MeterAccessibility
from robinet.metering.models import Reading
from tests.cases.test_field_services import (
    FRIDAY,
    T,
    customer,
    new_intervention,
    scheduler,
    set_access,
)

customer = customer
scheduler = scheduler
pytestmark = pytest.mark.django_db
FRIDAY_EVENING = dt.datetime.fromisoformat("2026-03-06T18:00:00+01:00")


@pytest.fixture
def evening(now, ready):
    """Reports come back the evening of the visits."""
    with clock.as_of(FRIDAY_EVENING):
        yield FRIDAY_EVENING


@pytest.fixture
def ready(counsellor, customer, field_team):
    """One intervention booked, one without appointment need, one still to book."""
    booked = new_intervention(counsellor, customer)
    field.appointment_book(
        actor=counsellor, intervention=booked, team=field_team, day=FRIDAY, starts_at=T(14)
    )
    set_access(customer, MeterAccessibility.ACCESSIBLE)
    free = new_intervention(counsellor, customer, kind=InterventionKind.METER_READING)
    waiting = new_intervention(counsellor, customer, kind=InterventionKind.INDEX_DISPUTE)
    return booked, free, waiting


def rows_of(data: bytes):
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_case_8_export_csv_documented_header_and_dispatch(ready, scheduler):
    booked, free, waiting = ready
    data = field_files.interventions_export(actor=scheduler)
    rows = rows_of(data)
    assert data.decode("utf-8-sig").splitlines()[0].split(";") == list(field_files.EXPORT_COLUMNS)
    assert [r["number"] for r in rows] == [booked.number, free.number]
    assert rows[0]["appointment_day"] == "2026-03-06"
    assert rows[0]["appointment_from"] == "14:00"
    assert rows[0]["team"] == "TERRAIN-1"
    assert rows[0]["phone"] == "0612345678"
    assert rows[1]["appointment_day"] == ""
    for i in (booked, free):
        i.refresh_from_db()
        assert i.status == InterventionStatus.DISPATCHED
        assert i.exported_at is not None
    waiting.refresh_from_db()
    assert waiting.status == InterventionStatus.TO_SCHEDULE
    # Sent once only.
    assert rows_of(field_files.interventions_export(actor=scheduler)) == []


def test_case_8_export_json(ready, scheduler):
    lines = json.loads(field_files.interventions_export(actor=scheduler, fmt="json"))
    assert len(lines) == 2
    assert set(lines[0]) == set(field_files.EXPORT_COLUMNS)


def test_case_8_export_needs_field_schedule(ready, counsellor):
    with pytest.raises(PermissionDenied):
        field_files.interventions_export(actor=counsellor)


def report_file(*lines: str) -> bytes:
    return "\n".join(["intervention;done_at;outcome;index;comment;missed", *lines]).encode()


def test_case_8_round_trip_export_then_reports(ready, scheduler, evening):
    booked, free, _waiting = ready
    exported = rows_of(field_files.interventions_export(actor=scheduler))
    data = report_file(
        f"{exported[0]['number']};2026-03-06 14:30;Client absent;;Avis de passage;oui",
        f"{exported[1]['number']};06/03/2026 15:45;Relevé;215,5;;non",
    )
    result = field_files.reports_import(actor=scheduler, source=data, filename="cr.csv")
    assert len(result.reported) == 2
    booked.refresh_from_db()
    free.refresh_from_db()
    assert booked.status == InterventionStatus.MISSED
    assert Appointment.objects.get(intervention=booked).status == AppointmentStatus.MISSED
    assert free.status == InterventionStatus.DONE
    assert free.reading.index == Decimal("215.5")
    assert free.reported_at == dt.datetime.fromisoformat("2026-03-06T15:45:00+01:00")
    with pytest.raises(AlreadyImported):
        field_files.reports_import(actor=scheduler, source=data, filename="cr.csv")


def test_case_8_bad_report_file_writes_nothing_and_names_the_lines(ready, scheduler, evening):
    booked, free, waiting = ready
    data = report_file(
        f"{booked.number};2026-03-06 14:30;Fait;120;;non",  # fine on its own
        "INT-2026-999999;2026-03-06 14:30;Fait;;;non",  # unknown
        f"{free.number};hier;Fait;;;peut-être",  # bad date and flag
    )
    with pytest.raises(InvalidImportFile) as err:
        field_files.reports_import(actor=scheduler, source=data, filename="cr.csv")
    lines = {(e["line"], e["field"]) for e in err.value.data["errors"]}
    assert lines == {(3, "intervention"), (4, "done_at"), (4, "missed")}
    assert "ligne 3" in str(err.value)
    # A line refused by the service (missed without appointment) rolls back the good ones.
    data = report_file(
        f"{booked.number};2026-03-06 14:30;Fait;120;;non",
        f"{waiting.number};2026-03-06 15:40;Absent;;;oui",
    )
    with pytest.raises(InvalidImportFile) as err:
        field_files.reports_import(actor=scheduler, source=data, filename="cr2.csv")
    assert {(e["line"], e["field"]) for e in err.value.data["errors"]} == {(3, "missed")}
    assert not Intervention.objects.filter(reported_at__isnull=False).exists()
    assert not Reading.objects.filter(index=120).exists()
    booked.refresh_from_db()
    assert booked.status == InterventionStatus.SCHEDULED
