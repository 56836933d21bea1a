"""The demo's customer requests go through the services (CASE-1…10)."""

import datetime as dt

import pytest

from robinet.cases.choices import OPEN_STATUSES, InterventionStatus
from robinet.cases.models import Appointment, Case, Contact, Intervention, Task
from robinet.core import clock
from robinet.demo import cases
from robinet.demo.generator import generate

pytestmark = pytest.mark.django_db


def test_demo_seeds_a_year_of_requests_and_is_idempotent():
    today = clock.today()
    generate(customers=80, today=today, readings=False)
    figures = cases.seed_demo(today, count=120)
    assert figures["cases"] == Case.objects.count() > 100
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    assert figures["open"] == open_cases.count() > 0
    # Overdue cases (CASE-3), multi-contact (CASE-1), sensitive letters (CASE-5).
    assert open_cases.filter(response_due__lt=clock.now()).exists()
    assert Case.objects.filter(multi_contact=True).exists()
    assert Case.objects.filter(sensitive=True).exists()
    # Closed claims were answered in writing (CASE-4); deferred cases wait on a task (CASE-6).
    assert not Case.objects.filter(status="closed", nature="claim", answered_at__isnull=True)
    assert Task.objects.filter(status="open").exists()
    assert Contact.objects.filter(is_answer=True).exists()
    assert Contact.objects.filter(case__isnull=True).exists()  # for the control report
    # Appointments in the coming days and the scheduler's list (CASE-8).
    booked = Appointment.objects.filter(status="booked")
    assert booked.count() == figures["appointments"] > 0
    assert all(a.day > today for a in booked)
    assert Intervention.objects.filter(urgency="urgent").exists()
    assert Intervention.objects.filter(status=InterventionStatus.SCHEDULER).exists()
    before = Case.objects.count()
    assert cases.seed_demo(today)["cases"] == before
    assert Case.objects.count() == before
    assert today - Case.objects.order_by("opened_at").first().opened_at.date() > dt.timedelta(300)
