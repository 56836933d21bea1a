"""CASE-8 services: interventions, the appointment book, reminders, field reports."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.billing.fees import seed_price_list
from robinet.cases import field
from robinet.cases.choices import (
    AppointmentStatus,
    CaseStatus,
    Channel,
    DeadlineRule,
    Direction,
    InterventionKind,
    InterventionStatus,
    Nature,
    Urgency,
)
from robinet.cases.models import Appointment, Case, Contact, FieldTeam
from robinet.collections.notices import sms
from robinet.core import clock
from robinet.core.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from robinet.customers.choices import MeterAccessibility
from robinet.metering.models import Reading
from robinet.organisation.roles import Role
from tests.cases.conftest import NOW, case_type

pytestmark = pytest.mark.django_db

T = dt.time
FRIDAY = dt.date(2026, 3, 6)  # J+2 after Wednesday 4 March
J10 = dt.date(2026, 3, 18)
_numbers = iter(range(1, 10_000))


def make_case(account, *, centre=None, channel=Channel.PHONE, code=None):
    """A case written directly (the case services belong to another module)."""
    from robinet.cases.models import CaseType

    kind = case_type(code) if code else CaseType.objects.filter(intervention=True).first()
    return Case.objects.create(
        number=f"DOS-2026-{next(_numbers):06d}",
        account=account,
        centre=centre or account.centre,
        case_type=kind,
        nature=Nature.REQUEST,
        channel=channel,
        subject="Intervention demandée",
        opened_at=clock.now(),
        deadline_rule=DeadlineRule.FIELD_OR_SERVICE,
        response_due=clock.now() + dt.timedelta(days=21),
    )


def with_mobile(account, mobile="0612345678"):
    account.party.mobile = mobile
    account.party.save(update_fields=["mobile"])
    return account


def point_of(account):
    return account.contracts.first().service_point


def set_access(account, accessibility):
    sp = point_of(account)
    sp.meter_accessibility = accessibility
    sp.save(update_fields=["meter_accessibility"])
    return sp


def new_intervention(actor, account, kind=InterventionKind.METER_ACCURACY, **kw):
    return field.intervention_create(actor=actor, case=make_case(account), kind=kind, **kw)


@pytest.fixture
def customer(household):
    return with_mobile(household)


@pytest.fixture
def scheduler(org, make_user):
    """A manager of the region: schedules the field (case.field) and bills fees."""
    return make_user("ordonnanceur", Role.MANAGER, org.region)


@pytest.fixture
def sms_outbox(settings):
    settings.ROBINET_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


# --- creation --------------------------------------------------------------------------------


def test_case_8_create_defers_the_case_and_needs_an_appointment(counsellor, customer):
    intervention = new_intervention(counsellor, customer)
    assert intervention.number == "INT-2026-000001"
    assert intervention.presence_required
    assert intervention.appointment_required
    assert intervention.urgency == Urgency.NORMAL
    assert intervention.take_charge_by is None
    assert intervention.contact_phone == "0612345678"
    assert intervention.service_point == point_of(customer)
    assert intervention.status == InterventionStatus.TO_SCHEDULE
    intervention.case.refresh_from_db()
    assert intervention.case.status == CaseStatus.DEFERRED


def test_cust_5_mobile_phone_mandatory(counsellor, household):
    with pytest.raises(ValidationFailed) as err:
        new_intervention(counsellor, household)
    assert "contact_phone" in err.value.fields
    given = new_intervention(counsellor, household, contact_phone="0798765432")
    assert given.contact_phone == "0798765432"


def test_case_8_urgent_needs_emergency_description_and_takes_charge_within_the_hour(
    counsellor, customer
):
    with pytest.raises(ValidationFailed) as err:
        new_intervention(counsellor, customer, kind=InterventionKind.LEAK)
    assert set(err.value.fields) == {
        "emergency_kind",
        "leak_volume",
        "phenomenon_duration",
        "exact_location",
    }
    leak = new_intervention(
        counsellor,
        customer,
        kind=InterventionKind.LEAK,
        emergency_kind="Fuite domaine public",
        leak_volume="Geyser",
        phenomenon_duration="Depuis ce matin",
        exact_location="Devant le 12",
    )
    assert leak.urgency == Urgency.URGENT  # default of a leak
    assert leak.take_charge_by == NOW + dt.timedelta(hours=1)
    assert leak.appointment_required is False


def test_case_8_accessible_meter_no_appointment_unless_wished(counsellor, customer):
    set_access(customer, MeterAccessibility.ACCESSIBLE)
    plain = new_intervention(counsellor, customer, kind=InterventionKind.METER_SWAP)
    assert (plain.presence_required, plain.appointment_required) == (False, False)
    wished = new_intervention(
        counsellor, customer, kind=InterventionKind.METER_SWAP, customer_wants_appointment=True
    )
    assert wished.appointment_required is True


def test_case_8_create_needs_case_handle(org, make_user, customer):
    auditor = make_user("auditrice", Role.AUDITOR, org.region)
    with pytest.raises(PermissionDenied):
        new_intervention(auditor, customer)


# --- the book --------------------------------------------------------------------------------


def test_case_8_slots_from_j2_to_j10_working_days(counsellor, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    proposed = field.slots_available(intervention=intervention)
    days = sorted({row[1] for row in proposed})
    assert days[0] == FRIDAY
    assert days[-1] == J10
    assert len(proposed) == 9 * 4
    assert {row[4] for row in proposed} == {2}


def test_case_8_book_outside_the_window_refused(counsellor, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    for day in (dt.date(2026, 3, 5), dt.date(2026, 3, 19)):
        with pytest.raises(ValidationFailed) as err:
            field.appointment_book(
                actor=counsellor, intervention=intervention, team=field_team, day=day,
                starts_at=T(8),
            )  # fmt: skip
        assert "day" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        field.appointment_book(
            actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY,
            starts_at=T(12),
        )  # fmt: skip
    assert "starts_at" in err.value.fields


def test_case_8_capacity_full_slot_not_offered_nor_bookable(counsellor, customer, field_team):
    booked = []
    for _ in range(2):
        intervention = new_intervention(counsellor, customer)
        booked.append(
            field.appointment_book(
                actor=counsellor,
                intervention=intervention,
                team=field_team,
                day=FRIDAY,
                starts_at=T(8),
            )  # fmt: skip
        )
    assert booked[0].ends_at == T(10)
    assert booked[0].intervention.status == InterventionStatus.SCHEDULED
    third = new_intervention(counsellor, customer)
    offered = {(r[1], r[2]) for r in field.slots_available(intervention=third)}
    assert (FRIDAY, T(8)) not in offered
    assert (FRIDAY, T(10)) in offered
    with pytest.raises(ValidationFailed) as err:
        field.appointment_book(
            actor=counsellor, intervention=third, team=field_team, day=FRIDAY, starts_at=T(8)
        )
    assert "starts_at" in err.value.fields
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 2


def test_case_8_reschedule_cancels_the_old_and_books_the_new(counsellor, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    first = field.appointment_book(
        actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY, starts_at=T(8)
    )
    second = field.appointment_reschedule(
        actor=counsellor, appointment=first, team=field_team, day=J10, starts_at=T(16),
        reason="Client absent vendredi",
    )  # fmt: skip
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CANCELLED
    assert first.cancel_reason == "Client absent vendredi"
    assert (second.day, second.starts_at, second.status) == (J10, T(16), AppointmentStatus.BOOKED)
    # A failed move keeps the old appointment.
    with pytest.raises(ValidationFailed):
        field.appointment_reschedule(
            actor=counsellor, appointment=second, team=field_team, day=dt.date(2026, 3, 19),
            starts_at=T(8),
        )  # fmt: skip
    second.refresh_from_db()
    assert second.status == AppointmentStatus.BOOKED


def test_case_8_cancel_appointment_and_intervention(counsellor, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    appointment = field.appointment_book(
        actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY, starts_at=T(8)
    )
    with pytest.raises(ValidationFailed) as err:
        field.appointment_cancel(actor=counsellor, appointment=appointment, reason=" ")
    assert "reason" in err.value.fields
    field.appointment_cancel(actor=counsellor, appointment=appointment, reason="Client")
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.TO_SCHEDULE
    again = field.appointment_book(
        actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY, starts_at=T(8)
    )
    field.intervention_cancel(actor=counsellor, intervention=intervention, reason="Doublon")
    again.refresh_from_db()
    intervention.refresh_from_db()
    assert again.status == AppointmentStatus.CANCELLED
    assert intervention.status == InterventionStatus.CANCELLED
    assert intervention.cancelled_at == NOW
    with pytest.raises(InvalidTransition):
        field.intervention_cancel(actor=counsellor, intervention=intervention, reason="Encore")


def test_case_8_urgent_is_not_booked(counsellor, customer, field_team):
    quality = new_intervention(
        counsellor, customer, kind=InterventionKind.WATER_QUALITY, emergency_kind="Eau trouble",
        phenomenon_duration="2 jours", exact_location="Cuisine",
    )  # fmt: skip
    assert quality.urgency == Urgency.PRIORITY
    with pytest.raises(InvalidTransition):
        field.appointment_book(
            actor=counsellor, intervention=quality, team=field_team, day=FRIDAY, starts_at=T(8)
        )


def test_case_8_to_scheduler_only_without_free_slot_and_with_phone_checked(
    counsellor, customer, field_team
):
    intervention = new_intervention(counsellor, customer)
    with pytest.raises(ValidationFailed) as err:
        field.to_scheduler(actor=counsellor, intervention=intervention, phone_checked=False)
    assert "phone_checked" in err.value.fields
    with pytest.raises(InvalidTransition):
        field.to_scheduler(actor=counsellor, intervention=intervention, phone_checked=True)
    field_team.active = False
    field_team.save(update_fields=["active"])
    moved = field.to_scheduler(
        actor=counsellor, intervention=intervention, phone_checked=True,
        contact_phone="0611111111",
    )  # fmt: skip
    assert moved.status == InterventionStatus.SCHEDULER
    assert moved.contact_phone == "0611111111"


# --- reminders -------------------------------------------------------------------------------


def test_case_8_reminder_sms_sent_once_and_traced(counsellor, customer, field_team, sms_outbox):
    intervention = new_intervention(counsellor, customer)
    appointment = field.appointment_book(
        actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY, starts_at=T(10)
    )
    assert field.reminders_send(on=dt.date(2026, 3, 4)) == 0  # two days before: not yet
    assert field.reminders_send(on=dt.date(2026, 3, 5)) == 1
    assert field.reminders_send(on=dt.date(2026, 3, 5)) == 0  # once
    (message,) = sms_outbox
    assert message.to == "0612345678"
    assert "06/03/2026" in message.body
    assert "10:00" in message.body
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == NOW
    contact = Contact.objects.get(case=intervention.case)
    assert (contact.direction, contact.channel) == (Direction.OUTBOUND, Channel.SMS)


# --- reports ---------------------------------------------------------------------------------


def _booked(counsellor, customer, field_team):
    intervention = new_intervention(counsellor, customer)
    field.appointment_book(
        actor=counsellor, intervention=intervention, team=field_team, day=FRIDAY, starts_at=T(8)
    )
    return intervention


def test_case_8_report_needs_field_schedule(counsellor, customer, field_team):
    intervention = _booked(counsellor, customer, field_team)
    with pytest.raises(PermissionDenied):
        field.report_record(actor=counsellor, intervention=intervention, outcome="Fait")


def test_case_8_report_with_index_creates_a_reading(counsellor, scheduler, customer, field_team):
    intervention = _booked(counsellor, customer, field_team)
    done = field.report_record(
        actor=scheduler, intervention=intervention, outcome="Compteur vérifié", index="180",
        comment="RAS",
    )  # fmt: skip
    assert done.status == InterventionStatus.DONE
    assert done.reported_at == NOW
    assert done.reading.index == Decimal("180")
    assert done.reading.source == "field"
    assert Reading.objects.filter(pk=done.reading_id, service_point=point_of(customer)).exists()
    assert Appointment.objects.get(intervention=done).status == AppointmentStatus.DONE
    with pytest.raises(InvalidTransition):
        field.report_record(actor=scheduler, intervention=done, outcome="Deux fois")


def test_case_8_report_errors_name_their_fields(counsellor, scheduler, customer, field_team):
    intervention = new_intervention(counsellor, customer)  # no appointment booked
    with pytest.raises(ValidationFailed) as err:
        field.report_record(
            actor=scheduler, intervention=intervention, outcome="", index="abc", missed=True,
            done_at=NOW + dt.timedelta(hours=1),
        )  # fmt: skip
    assert set(err.value.fields) >= {"outcome", "index", "missed", "done_at"}


def test_case_8_missed_fee_billed_only_when_enabled(
    counsellor, scheduler, customer, field_team, settings
):
    seed_price_list(valid_from=dt.date(2026, 1, 1))
    settings.ROBINET_MISSED_APPOINTMENT_FEE = ""
    missed = field.report_record(
        actor=scheduler, intervention=_booked(counsellor, customer, field_team),
        outcome="Client absent", missed=True,
    )  # fmt: skip
    assert missed.status == InterventionStatus.MISSED
    assert missed.fee_invoice is None
    assert Appointment.objects.get(intervention=missed).status == AppointmentStatus.MISSED
    settings.ROBINET_MISSED_APPOINTMENT_FEE = "FRAIS-RDV-MANQUE"
    billed = field.report_record(
        actor=scheduler, intervention=_booked(counsellor, customer, field_team),
        outcome="Client absent", missed=True,
    )  # fmt: skip
    assert billed.fee_invoice is not None
    assert billed.fee_invoice.account == customer
    assert billed.fee_invoice.total_excl_vat == Decimal("50.00")


def test_case_8_cancel_for_case_still_cancels(counsellor, customer, field_team):
    intervention = _booked(counsellor, customer, field_team)
    from django.db import transaction

    with transaction.atomic():
        assert field.cancel_for_case(actor=counsellor, case=intervention.case) == 1
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.CANCELLED
    assert not Appointment.objects.filter(status=AppointmentStatus.BOOKED).exists()
    assert FieldTeam.objects.count() == 1


def test_case_8_no_reminder_for_cancelled_and_sunday_reminds_monday(
    counsellor, customer, field_team, sms_outbox
):
    cancelled = _booked(counsellor, customer, field_team)
    field.intervention_cancel(actor=counsellor, intervention=cancelled, reason="Doublon")
    monday = new_intervention(counsellor, customer)
    field.appointment_book(
        actor=counsellor, intervention=monday, team=field_team, day=dt.date(2026, 3, 9),
        starts_at=T(16),
    )  # fmt: skip
    assert field.reminders_send(on=dt.date(2026, 3, 5)) == 0  # Friday's was cancelled
    assert field.reminders_send(on=dt.date(2026, 3, 8)) == 1  # Sunday for Monday
    assert [m.reference for m in sms_outbox] == [monday.number]
