"""CASE-8 commands: reminders, export to the field, import of reports."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from robinet.cases import field
from robinet.cases.choices import InterventionStatus
from robinet.core import clock
from tests.cases.test_field_services import (
    FRIDAY,
    T,
    customer,
    new_intervention,
    sms_outbox,
)

customer = customer
sms_outbox = sms_outbox
pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(counsellor, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    field.appointment_book(
        actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY, starts_at=T(8)
    )
    return intervention


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_case_8_send_reminders_command(booked, sms_outbox):
    assert "1 SMS" in run("appointments", "send-reminders", "--date", "2026-03-05")
    assert "0 SMS" in run("appointments", "send-reminders", "--date", "2026-03-05")
    assert len(sms_outbox) == 1
    with pytest.raises(CommandError):
        run("appointments", "send-reminders", "--date", "05/03/2026")


def test_case_8_export_and_import_commands(booked, tmp_path, org):
    out = tmp_path / "export.csv"
    run("interventions", "export", "--centre", org.centres[0].code, "--output", str(out))
    assert booked.number in out.read_text(encoding="utf-8-sig")
    booked.refresh_from_db()
    assert booked.status == InterventionStatus.DISPATCHED
    assert run("interventions", "export", "--format", "json").strip() == "[]"
    bad = tmp_path / "bad.csv"
    bad.write_text("intervention;done_at;outcome\nINT-0;2026-03-06 10:00;Fait\n")
    with clock.as_of(dt.datetime.fromisoformat("2026-03-06T18:00:00+01:00")):
        with pytest.raises(CommandError, match="rien n'a été importé"):
            run("interventions", "import-reports", str(bad))
        good = tmp_path / "good.csv"
        good.write_text(f"intervention;done_at;outcome\n{booked.number};2026-03-06 10:00;Fait\n")
        assert "1 compte(s) rendu(s)" in run("interventions", "import-reports", str(good))
    booked.refresh_from_db()
    assert booked.status == InterventionStatus.DONE
