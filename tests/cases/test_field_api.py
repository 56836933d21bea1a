"""CASE-8 through the JSON API: free slots, booking, cancellation, reports, export."""

import pytest

from robinet.cases.choices import InterventionStatus
from robinet.cases.models import Intervention
from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from tests.cases.test_field_services import customer, make_case, new_intervention, scheduler
from tests.customers.api.test_api import ApiClient

customer = customer
scheduler = scheduler
pytestmark = pytest.mark.django_db


def test_case_8_create_book_and_cancel_through_the_api(counsellor, customer, field_team):
    api = ApiClient(api_token_create(user=counsellor))
    case = make_case(customer)
    refused = api.post("/interventions", {"case": case.number, "kind": "leak"})
    assert refused.status_code == 400
    assert "emergency_kind" in refused.json()["extra"]["fields"]
    created = api.post("/interventions", {"case": case.number, "kind": "meter_accuracy"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == "INT-2026-000001"
    assert body["appointment_required"] is True
    number = body["number"]
    slots = api.get("/appointments/free-slots", intervention=number).json()
    assert slots[0] == {"team": "TERRAIN-1", "day": "2026-03-06", "starts_at": "08:00:00",
                        "ends_at": "10:00:00", "free": 2}  # fmt: skip
    assert slots[-1]["day"] == "2026-03-18"
    too_early = api.post("/appointments", {"intervention": number, "team": "TERRAIN-1",
                                           "day": "2026-03-05", "starts_at": "08:00"})  # fmt: skip
    assert too_early.status_code == 400
    assert "day" in too_early.json()["extra"]["fields"]
    booked = api.post("/appointments", {"intervention": number, "team": "TERRAIN-1",
                                        "day": "2026-03-06", "starts_at": "08:00"})  # fmt: skip
    assert booked.status_code == 201, booked.content
    appointment = booked.json()
    assert appointment["ends_at"] == "10:00:00"
    read = api.get(f"/interventions/{number}").json()
    assert read["status"] == "scheduled"
    assert read["appointment"]["id"] == appointment["id"]
    no_reason = api.post(f"/appointments/{appointment['id']}/cancel", {"reason": ""})
    assert no_reason.status_code == 400
    cancelled = api.post(f"/appointments/{appointment['id']}/cancel", {"reason": "Client"})
    assert cancelled.json()["status"] == "cancelled"
    assert api.get(f"/interventions/{number}").json()["status"] == "to_schedule"


def test_case_8_report_and_export_need_field_schedule(counsellor, scheduler, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    officer_api = ApiClient(api_token_create(user=counsellor))
    assert officer_api.get("/interventions/export").status_code == 403
    report = {"outcome": "Fait", "index": "150"}
    refused = officer_api.post(f"/interventions/{intervention.number}/report", report)
    assert refused.status_code == 403
    api = ApiClient(api_token_create(user=scheduler))
    done = api.post(f"/interventions/{intervention.number}/report", report)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done"
    assert done.json()["reading_index"] == "150.000"


def test_case_8_export_and_scheduler_list(counsellor, scheduler, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    api = ApiClient(api_token_create(user=scheduler))
    officer_api = ApiClient(api_token_create(user=counsellor))
    # Free slots exist: it cannot go to the scheduler yet.
    conflict = officer_api.post(f"/interventions/{intervention.number}/scheduler",
                                {"phone_checked": True})  # fmt: skip
    assert conflict.status_code == 409
    field_team.active = False
    field_team.save(update_fields=["active"])
    moved = officer_api.post(f"/interventions/{intervention.number}/scheduler",
                             {"phone_checked": True})  # fmt: skip
    assert moved.json()["status"] == "scheduler"
    assert [i["number"] for i in api.get("/interventions/scheduler").json()] == [
        intervention.number
    ]
    assert officer_api.get("/interventions/scheduler").status_code == 403
    set_free = new_intervention(counsellor, customer, customer_wants_appointment=False)
    Intervention.objects.filter(pk=set_free.pk).update(appointment_required=False,
                                                       presence_required=False)  # fmt: skip
    exported = api.get("/interventions/export", format="json")
    assert exported.status_code == 200
    assert [row["number"] for row in exported.json()] == [set_free.number]
    set_free.refresh_from_db()
    assert set_free.status == InterventionStatus.DISPATCHED
    assert api.get("/interventions/export", format="xml").status_code == 400


def test_case_8_outsider_sees_nothing(org, make_user, counsellor, customer):
    intervention = new_intervention(counsellor, customer)
    outsider = make_user("ailleurs", Role.CONTACT_CENTRE_OFFICER, org.centres[3])
    api = ApiClient(api_token_create(user=outsider))
    assert api.get(f"/interventions/{intervention.number}").status_code == 404
    assert api.get("/interventions").json() == []
