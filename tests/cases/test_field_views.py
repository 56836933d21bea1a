"""CASE-8 screens: trigger, book, move, cancel, scheduler list, team book, report."""

import pytest

from robinet.cases.choices import AppointmentStatus, InterventionStatus
from robinet.cases.models import Appointment, Intervention
from robinet.organisation.roles import Role
from tests.backoffice.conftest import web
from tests.cases.test_field_services import (
    FRIDAY,
    T,
    customer,
    make_case,
    new_intervention,
    scheduler,
)

web = web
customer = customer
scheduler = scheduler
pytestmark = pytest.mark.django_db


def test_case_8_create_screen_prefills_phone_then_goes_to_booking(
    web, counsellor, customer, field_team
):
    case = make_case(customer)
    page = web.login(counsellor).get("cases:intervention-create", case.pk)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Déclencher une intervention" in html
    assert "0612345678" in html
    assert "Le client souhaite être présent" in html
    refused = web.post("cases:intervention-create", case.pk, data={"kind": "leak"})
    assert refused.status_code == 422
    assert "Obligatoire pour une intervention urgente" in refused.content.decode()
    created = web.post(
        "cases:intervention-create", case.pk,
        data={"kind": "meter_accuracy", "contact_phone": "0612345678"},
    )  # fmt: skip
    intervention = Intervention.objects.get()
    assert created.status_code == 302
    assert created.url == f"/cases/interventions/{intervention.pk}/slots/"


def test_case_8_slots_screen_books_and_moves(web, counsellor, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    page = web.login(counsellor).get("cases:appointment-slots", intervention.pk)
    assert page.status_code == 200
    html = page.content.decode()
    assert "08:00–10:00" in html
    assert 'value="2026-03-06"' in html
    assert 'value="2026-03-05"' not in html  # J+1 not proposed
    booked = web.post(
        "cases:appointment-slots", intervention.pk,
        data={"team": field_team.pk, "day": "2026-03-06", "starts_at": "08:00"},
    )  # fmt: skip
    assert booked.status_code == 302
    assert Appointment.objects.get().starts_at == T(8)
    web.post(
        "cases:appointment-slots", intervention.pk,
        data={"team": field_team.pk, "day": "2026-03-09", "starts_at": "14:00"},
    )  # fmt: skip
    live = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert (live.day.isoformat(), live.starts_at) == ("2026-03-09", T(14))
    detail = web.get("cases:intervention-detail", intervention.pk)
    assert detail.status_code == 200
    assert "Rendez-vous pris" in detail.content.decode()
    web.post("cases:intervention-detail", intervention.pk,
             data={"action": "cancel_appointment", "reason": "Client"})  # fmt: skip
    live.refresh_from_db()
    assert live.status == AppointmentStatus.CANCELLED


def test_case_8_no_slot_sends_to_scheduler_with_phone_checked(
    web, counsellor, scheduler, customer, field_team
):
    field_team.active = False
    field_team.save(update_fields=["active"])
    intervention = new_intervention(counsellor, customer)
    page = web.login(counsellor).get("cases:appointment-slots", intervention.pk)
    assert "Aucun créneau libre" in page.content.decode()
    unchecked = web.post("cases:appointment-slots", intervention.pk,
                         data={"action": "scheduler", "contact_phone": "0612345678"})  # fmt: skip
    assert unchecked.status_code == 422
    sent = web.post("cases:appointment-slots", intervention.pk,
                    data={"action": "scheduler", "contact_phone": "0612345678",
                          "phone_checked": "on"})  # fmt: skip
    assert sent.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.SCHEDULER
    assert web.get("cases:scheduler").status_code == 403
    listing = web.login(scheduler).get("cases:scheduler")
    assert listing.status_code == 200
    assert intervention.number in listing.content.decode()


def test_case_8_team_book_and_report_screen(web, counsellor, scheduler, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    from robinet.cases import field

    field.appointment_book(
        actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY, starts_at=T(8)
    )
    book = web.login(counsellor).get(
        "cases:appointment-book", data={"team": field_team.pk, "day": "2026-03-06"}
    )
    assert book.status_code == 200
    html = book.content.decode()
    assert intervention.number in html
    assert "1 libre" in html
    # The officer has no report form; the scheduling team has.
    assert (
        'id="report-form"'
        not in web.get("cases:intervention-detail", intervention.pk).content.decode()
    )
    web.login(scheduler)
    assert (
        'id="report-form"' in web.get("cases:intervention-detail", intervention.pk).content.decode()
    )
    done = web.post("cases:intervention-detail", intervention.pk,
                    data={"action": "report", "outcome": "Fait", "index": "160"})  # fmt: skip
    assert done.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.DONE


def test_case_8_permission_refused_without_case_permissions(
    org, make_user, web, counsellor, customer
):
    intervention = new_intervention(counsellor, customer)
    agency = make_user("agence", Role.EXTERNAL_AGENCY, org.region)
    web.login(agency)
    assert web.get("cases:intervention-detail", intervention.pk).status_code == 403
    assert web.get("cases:intervention-create", intervention.case.pk).status_code == 403
    auditor = make_user("auditrice", Role.AUDITOR, org.region)
    web.login(auditor)
    assert web.get("cases:intervention-detail", intervention.pk).status_code == 200
    refused = web.post("cases:appointment-slots", intervention.pk,
                       data={"team": "1", "day": "2026-03-06", "starts_at": "08:00"})  # fmt: skip
    assert refused.status_code == 403
