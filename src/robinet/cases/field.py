"""Field interventions and the appointment book: services (CASE-8, seed 003 §4.7, §5.1.6).

Writes only; reads are in :mod:`robinet.cases.field_selectors`, rules in
:mod:`robinet.cases.interventions` and :mod:`robinet.cases.slots`.

Permissions: ``case.handle`` on the case's centre to create an intervention and
book, move or cancel its appointment (the officer on the phone does it);
``case.field`` (the scheduling team) to record a field report. ``actor=None`` is
a system job (the reminder command, a file import started by an operator).

Decisions:

* a field report authorises its consequences: the reading of the index it gives
  and the missed-appointment fee are recorded as system writes (no second
  permission check on metering or billing), audited under the report's actor;
* the missed-appointment fee is billed only when ``ROBINET_MISSED_APPOINTMENT_FEE``
  names a price-list code (``FRAIS-RDV-MANQUE`` in the typical list), as the
  *règlement de service* must provide for it;
* reminders are sent for the appointments of the next calendar day: the job runs
  every day, weekends included, so Monday's appointments are reminded on Sunday.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from robinet.cases import interventions as rules
from robinet.cases import slots as slot_rules
from robinet.cases.choices import (
    LIVE_INTERVENTION_STATUSES,
    AppointmentStatus,
    CaseStatus,
    Channel,
    Direction,
    InterventionKind,
    InterventionStatus,
    Urgency,
)
from robinet.cases.models import Appointment, Contact, FieldTeam, Intervention
from robinet.core import audit, clock
from robinet.core.calendar import WorkingCalendar, department_of_insee, working_calendar
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from robinet.core.numbering import format_number, next_number
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

SERIES = "INT"
BOOKABLE_STATUSES = (InterventionStatus.TO_SCHEDULE, InterventionStatus.SCHEDULER)
MAX_OUTCOME = 40


def _require(actor, perm: str, entity) -> None:
    if actor is not None:
        require(actor, perm, entity)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def calendar_of(intervention_or_point) -> WorkingCalendar:
    """The working calendar of the place of the visit (its department's holidays)."""
    point = getattr(intervention_or_point, "service_point", intervention_or_point)
    insee = getattr(point, "commune_insee", "") or ""
    try:
        return working_calendar(department_of_insee(insee) if insee else None)
    except ValueError:
        return working_calendar(None)


def _default_point(account):
    if account is None:
        return None
    contract = account.contracts.filter(status="active").select_related("service_point").first()
    return contract.service_point if contract else None


# --- creation --------------------------------------------------------------------------------


@transaction.atomic
def intervention_create(
    *,
    actor,
    case,
    kind: str,
    urgency: str | None = None,
    service_point=None,
    customer_wants_appointment: bool = False,
    contact_phone: str | None = None,
    emergency_kind: str = "",
    leak_volume: str = "",
    phenomenon_duration: str = "",
    exact_location: str = "",
    comment: str = "",
) -> Intervention:
    """Trigger a field intervention from a case (CASE-8).

    The urgency defaults from the kind (:data:`interventions.DEFAULT_URGENCY`). The
    customer's mobile phone is mandatory (CUST-5): the one given, else the account
    holder's. An urgent or priority intervention gives the emergency, the volume of a
    leak, how long it has lasted and the exact place (§5.1.6.2). An OPEN case becomes
    DEFERRED: it waits for the visit.
    """
    _require(actor, Perm.CASE_HANDLE, case.centre)
    errors: dict[str, list[str]] = {}
    if kind not in InterventionKind.values:
        errors["kind"] = [_("Type d'intervention inconnu.")]
    urgency = urgency or (rules.default_urgency(kind) if not errors else Urgency.NORMAL)
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Urgence inconnue.")]
    if not case.is_open:
        errors["case"] = [_("Ce dossier n'est plus ouvert.")]
    account = case.account
    if service_point is None:
        service_point = _default_point(account)
    elif account is not None and not service_point.contracts.filter(account=account).exists():
        errors["service_point"] = [_("Ce point de desserte n'est pas celui de ce client.")]
    phone = (contact_phone or "").strip()
    if not phone and account is not None:
        phone = (account.party.mobile or "").strip()
    if not phone:
        errors["contact_phone"] = [
            _("Le téléphone portable du client est obligatoire pour une intervention.")
        ]
    elif len(phone) > 20:
        errors["contact_phone"] = [_("Numéro de téléphone trop long.")]
    if "kind" not in errors and "urgency" not in errors:
        for name in rules.urgent_fields_missing(
            kind,
            urgency,
            emergency_kind=emergency_kind,
            leak_volume=leak_volume,
            phenomenon_duration=phenomenon_duration,
            exact_location=exact_location,
        ):
            errors[name] = [_("Obligatoire pour une intervention urgente ou prioritaire.")]
    if errors:
        raise ValidationFailed(errors)
    accessibility = service_point.meter_accessibility if service_point is not None else "unknown"
    presence, appointment = rules.appointment_needed(
        kind, accessibility, customer_wants_appointment, urgency
    )
    now = clock.now()
    year = clock.today().year
    intervention = Intervention.objects.create(
        number=format_number(SERIES, year, next_number(SERIES, year)),
        case=case,
        account=account,
        service_point=service_point,
        centre=case.centre,
        kind=kind,
        urgency=urgency,
        emergency_kind=emergency_kind.strip(),
        leak_volume=leak_volume.strip(),
        phenomenon_duration=phenomenon_duration.strip(),
        exact_location=exact_location.strip(),
        meter_accessibility=accessibility,
        presence_required=presence,
        customer_wants_appointment=bool(customer_wants_appointment),
        appointment_required=appointment,
        contact_phone=phone,
        comment=comment,
        take_charge_by=rules.take_charge_by(urgency, now, calendar_of(service_point)),
        created_at=now,
        created_by=_user(actor),
    )
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.DEFERRED
        case.save(update_fields=["status"])
    audit.record(
        actor=actor,
        verb="intervention.created",
        target=intervention,
        subject=case,
        data={
            "number": intervention.number,
            "kind": kind,
            "urgency": urgency,
            "appointment_required": appointment,
        },
    )
    return intervention


# --- the appointment book --------------------------------------------------------------------


def _teams(intervention, team=None):
    teams = FieldTeam.objects.filter(centre_id=intervention.centre_id, active=True)
    if team is not None:
        teams = teams.filter(pk=team.pk)
    return list(teams.order_by("code"))


def _booked_counts(teams, days) -> dict[tuple[int, dt.date, dt.time], int]:
    counts: dict[tuple[int, dt.date, dt.time], int] = {}
    if not teams or not days:
        return counts
    for team_id, day, start in Appointment.objects.filter(
        team__in=teams, day__in=days, status=AppointmentStatus.BOOKED
    ).values_list("team_id", "day", "starts_at"):
        counts[(team_id, day, start)] = counts.get((team_id, day, start), 0) + 1
    return counts


def slots_available(
    *, intervention, team=None, called_on: dt.date | None = None
) -> list[tuple[FieldTeam, dt.date, dt.time, dt.time, int]]:
    """Free slots from J+2 to J+10 working days, over the active teams of the centre (CASE-8)."""
    called_on = called_on or clock.today()
    days = slot_rules.bookable_days(called_on, calendar_of(intervention))
    teams = _teams(intervention, team)
    counts = _booked_counts(teams, days)
    result = []
    for t in teams:
        booked = {(d, s): n for (tid, d, s), n in counts.items() if tid == t.pk}
        for slot in slot_rules.free_slots(days, slot_rules.TeamHours.of(t), t.capacity, booked):
            result.append((t, slot.day, slot.start, slot.end, slot.free))
    result.sort(key=lambda r: (r[1], r[2], r[0].code))
    return result


def _book(*, actor, intervention, team, day, starts_at) -> Appointment:
    if intervention.status not in BOOKABLE_STATUSES:
        raise InvalidTransition(_("Cette intervention ne peut plus prendre de rendez-vous."))
    if intervention.urgency != Urgency.NORMAL:
        raise InvalidTransition(
            _("Une intervention urgente ou prioritaire n'attend pas de rendez-vous.")
        )
    # The team's row is the lock of its book: two bookings of one slot queue here.
    locked = FieldTeam.objects.select_for_update().filter(pk=team.pk).first()
    if locked is None or not locked.active or locked.centre_id != intervention.centre_id:
        raise ValidationFailed({"team": [_("Équipe terrain indisponible pour ce centre.")]})
    hours = slot_rules.TeamHours.of(locked)
    slot = dict(slot_rules.day_slots(hours)).get(starts_at)
    if slot is None:
        raise ValidationFailed({"starts_at": [_("Ce créneau n'existe pas pour cette équipe.")]})
    if day not in slot_rules.bookable_days(clock.today(), calendar_of(intervention)):
        raise ValidationFailed(
            {"day": [_("Un rendez-vous se prend entre 2 et 10 jours ouvrés après l'appel.")]}
        )
    booked = Appointment.objects.filter(
        team=locked, day=day, starts_at=starts_at, status=AppointmentStatus.BOOKED
    ).count()
    if booked >= locked.capacity:
        raise ValidationFailed({"starts_at": [_("Ce créneau est complet.")]})
    appointment = Appointment.objects.create(
        intervention=intervention,
        team=locked,
        day=day,
        starts_at=starts_at,
        ends_at=slot,
        booked_at=clock.now(),
        booked_by=_user(actor),
    )
    intervention.status = InterventionStatus.SCHEDULED
    intervention.save(update_fields=["status", "exported_at"])
    audit.record(
        actor=actor,
        verb="appointment.booked",
        target=appointment,
        subject=intervention,
        data={"team": locked.code, "day": day.isoformat(), "starts_at": f"{starts_at:%H:%M}"},
    )
    return appointment


@transaction.atomic
def appointment_book(*, actor, intervention, team, day: dt.date, starts_at: dt.time) -> Appointment:
    """Book a proposed 2-hour slot with room left (CASE-8); the intervention is SCHEDULED."""
    _require(actor, Perm.CASE_HANDLE, intervention.centre)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    return _book(actor=actor, intervention=intervention, team=team, day=day, starts_at=starts_at)


def _cancel_appointment(*, actor, appointment, reason: str) -> None:
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = clock.now()
    appointment.cancel_reason = reason[:200]
    appointment.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit.record(
        actor=actor,
        verb="appointment.cancelled",
        target=appointment,
        subject=appointment.intervention,
        data={"reason": appointment.cancel_reason},
    )


def _live_appointment(appointment) -> Appointment:
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("intervention")
        .get(pk=appointment.pk)
    )
    if locked.status != AppointmentStatus.BOOKED:
        raise InvalidTransition(_("Ce rendez-vous n'est plus réservé."))
    return locked


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Indiquez le motif.")]})
    return reason


@transaction.atomic
def appointment_cancel(*, actor, appointment, reason: str) -> Appointment:
    """Cancel a booked appointment: its intervention is to be scheduled again."""
    _require(actor, Perm.CASE_HANDLE, appointment.intervention.centre)
    reason = _reason(reason)
    appointment = _live_appointment(appointment)
    _cancel_appointment(actor=actor, appointment=appointment, reason=reason)
    intervention = appointment.intervention
    if intervention.status in (InterventionStatus.SCHEDULED, InterventionStatus.DISPATCHED):
        # Back in the book; sent again to the field once a new slot is booked.
        intervention.status = InterventionStatus.TO_SCHEDULE
        intervention.exported_at = None
        intervention.save(update_fields=["status", "exported_at"])
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, actor, appointment, team, day: dt.date, starts_at: dt.time, reason: str = ""
) -> Appointment:
    """Move an appointment: the old one is cancelled, the new one booked, or neither."""
    _require(actor, Perm.CASE_HANDLE, appointment.intervention.centre)
    appointment = _live_appointment(appointment)
    _cancel_appointment(
        actor=actor,
        appointment=appointment,
        reason=(reason or "").strip() or _("Rendez-vous déplacé"),
    )
    intervention = Intervention.objects.select_for_update().get(pk=appointment.intervention_id)
    intervention.status = InterventionStatus.TO_SCHEDULE
    intervention.exported_at = None
    return _book(actor=actor, intervention=intervention, team=team, day=day, starts_at=starts_at)


@transaction.atomic
def intervention_cancel(*, actor, intervention, reason: str) -> Intervention:
    """Cancel a live intervention and its booked appointment."""
    _require(actor, Perm.CASE_HANDLE, intervention.centre)
    reason = _reason(reason)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.status not in LIVE_INTERVENTION_STATUSES:
        raise InvalidTransition(_("Cette intervention n'est plus en cours."))
    for appointment in Appointment.objects.select_for_update().filter(
        intervention=intervention, status=AppointmentStatus.BOOKED
    ):
        _cancel_appointment(actor=actor, appointment=appointment, reason=reason)
    intervention.status = InterventionStatus.CANCELLED
    intervention.cancelled_at = clock.now()
    intervention.save(update_fields=["status", "cancelled_at"])
    audit.record(
        actor=actor, verb="intervention.cancelled", target=intervention, data={"reason": reason}
    )
    return intervention


@transaction.atomic
def to_scheduler(
    *, actor, intervention, phone_checked: bool, contact_phone: str | None = None
) -> Intervention:
    """No free slot within 10 working days: the scheduling team will call back (§5.1.6.1 b).

    The customer's phone must have been checked with them (and may be corrected here).
    """
    _require(actor, Perm.CASE_HANDLE, intervention.centre)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.status != InterventionStatus.TO_SCHEDULE:
        raise InvalidTransition(_("Cette intervention n'est pas à planifier."))
    errors: dict[str, list[str]] = {}
    if not phone_checked:
        errors["phone_checked"] = [_("Vérifiez le téléphone du client avec lui.")]
    phone = (contact_phone or "").strip()
    if contact_phone is not None and not phone:
        errors["contact_phone"] = [_("Le téléphone portable du client est obligatoire.")]
    if errors:
        raise ValidationFailed(errors)
    if slots_available(intervention=intervention):
        raise InvalidTransition(
            _("Des créneaux sont libres dans les 10 jours ouvrés : prenez le rendez-vous.")
        )
    intervention.status = InterventionStatus.SCHEDULER
    if phone:
        intervention.contact_phone = phone[:20]
    intervention.save(update_fields=["status", "contact_phone"])
    audit.record(
        actor=actor,
        verb="intervention.to_scheduler",
        target=intervention,
        data={"phone": intervention.contact_phone},
    )
    return intervention


# --- reminders -------------------------------------------------------------------------------


def reminder_text(appointment) -> str:
    return _(
        "Rappel : rendez-vous le %(day)s entre %(start)s et %(end)s pour l'intervention "
        "%(number)s. Merci d'être présent. Pour le déplacer, appelez votre service des eaux."
    ) % {
        "day": f"{appointment.day:%d/%m/%Y}",
        "start": f"{appointment.starts_at:%H:%M}",
        "end": f"{appointment.ends_at:%H:%M}",
        "number": appointment.intervention.number,
    }


def reminders_send(*, on: dt.date | None = None) -> int:
    """SMS the day before every booked appointment not reminded yet (§4.7); returns how many.

    Each SMS is traced as an outbound contact on the case. One transaction per
    appointment: a failure leaves the others sent and this one to retry.
    """
    from robinet.collections.notices.sms import SmsMessage, get_sms_backend, to_gsm

    on = on or clock.today()
    backend = get_sms_backend()
    sent = 0
    ids = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            reminder_sent_at__isnull=True,
            day__gt=on,
            day__lte=on + dt.timedelta(days=1),
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update(of=("self",))
                .select_related("intervention__case")
                .filter(pk=pk, status=AppointmentStatus.BOOKED, reminder_sent_at__isnull=True)
                .first()
            )
            if appointment is None:
                continue
            intervention = appointment.intervention
            body = to_gsm(reminder_text(appointment))
            backend.send_messages(
                [
                    SmsMessage(
                        to=intervention.contact_phone, body=body, reference=intervention.number
                    )
                ]
            )
            now = clock.now()
            appointment.reminder_sent_at = now
            appointment.save(update_fields=["reminder_sent_at"])
            Contact.objects.create(
                case=intervention.case,
                account=intervention.account,
                centre=intervention.centre,
                direction=Direction.OUTBOUND,
                channel=Channel.SMS,
                occurred_at=now,
                recorded_at=now,
                subject=_("Confirmation du rendez-vous %(number)s")
                % {"number": intervention.number},
                body=body,
            )
            audit.record(
                actor=None,
                verb="appointment.reminded",
                target=appointment,
                subject=intervention,
                data={"to": intervention.contact_phone},
            )
            sent += 1
    return sent


# --- field report ----------------------------------------------------------------------------


def parse_index(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed({"index": [_("Index invalide.")]}) from None
    if not number.is_finite() or number < 0:
        raise ValidationFailed({"index": [_("Index invalide.")]})
    return number


def missed_fee_code() -> str:
    return settings.ROBINET_MISSED_APPOINTMENT_FEE.strip()


@transaction.atomic
def report_record(
    *,
    actor,
    intervention,
    outcome: str,
    comment: str = "",
    done_at: dt.datetime | None = None,
    index=None,
    missed: bool = False,
) -> Intervention:
    """Record the field report: DONE, or MISSED by the customer (CASE-8, §4.7).

    A missed appointment is billed when the setting names a fee; an index creates a
    field reading through metering.
    """
    _require(actor, Perm.FIELD_SCHEDULE, intervention.centre)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.status not in LIVE_INTERVENTION_STATUSES:
        raise InvalidTransition(_("Cette intervention n'est plus en cours."))
    errors: dict[str, list[str]] = {}
    outcome = (outcome or "").strip()
    if not outcome:
        errors["outcome"] = [_("Indiquez le résultat de l'intervention.")]
    elif len(outcome) > MAX_OUTCOME:
        errors["outcome"] = [_("40 caractères au plus.")]
    now = clock.now()
    done_at = done_at or now
    if done_at > now:
        errors["done_at"] = [_("La date de l'intervention ne peut être dans le futur.")]
    elif done_at < intervention.created_at:
        errors["done_at"] = [_("La date de l'intervention précède sa demande.")]
    appointment = (
        Appointment.objects.select_for_update()
        .filter(intervention=intervention, status=AppointmentStatus.BOOKED)
        .first()
    )
    if missed and appointment is None:
        errors["missed"] = [_("Seul un rendez-vous peut être manqué.")]
    try:
        value = parse_index(index)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        value = None
    if value is not None and missed:
        errors["index"] = [_("Pas d'index sur un rendez-vous manqué.")]
    elif value is not None and intervention.service_point is None:
        errors["index"] = [_("Cette intervention n'a pas de point de desserte.")]
    if errors:
        raise ValidationFailed(errors)
    if appointment is not None:
        appointment.status = AppointmentStatus.MISSED if missed else AppointmentStatus.DONE
        appointment.save(update_fields=["status"])
    intervention.status = InterventionStatus.MISSED if missed else InterventionStatus.DONE
    intervention.reported_at = done_at
    intervention.report_outcome = outcome
    intervention.report_comment = comment or ""
    if value is not None:
        from robinet.metering.services import reading_record

        intervention.reading = reading_record(
            actor=None,
            service_point=intervention.service_point,
            read_on=done_at.astimezone(calendar_of(intervention).time_zone).date(),
            index=value,
            source="field",
            reader=_("Intervention %(number)s") % {"number": intervention.number},
        )
    code = missed_fee_code()
    if missed and code and intervention.account is not None:
        from robinet.billing.fees import fees_invoice_issue

        intervention.fee_invoice = fees_invoice_issue(
            actor=None,
            account=intervention.account,
            items=[(code, Decimal(1))],
            reason=_("Rendez-vous %(number)s non honoré") % {"number": intervention.number},
        )
    intervention.save()
    audit.record(
        actor=actor,
        verb="intervention.reported",
        target=intervention,
        data={
            "outcome": outcome,
            "missed": missed,
            "reading": intervention.reading_id,
            "fee_invoice": intervention.fee_invoice_id,
        },
    )
    return intervention


# --- cancelled case --------------------------------------------------------------------------


def cancel_for_case(*, actor, case) -> int:
    """A cancelled case cancels its live interventions and their appointments (seed 003 §5.1.7.2).

    Runs inside the caller's transaction; returns how many interventions were cancelled.
    """
    now = clock.now()
    interventions = list(
        Intervention.objects.select_for_update().filter(
            case=case, status__in=LIVE_INTERVENTION_STATUSES
        )
    )
    for intervention in interventions:
        Appointment.objects.filter(
            intervention=intervention, status=AppointmentStatus.BOOKED
        ).update(
            status=AppointmentStatus.CANCELLED,
            cancelled_at=now,
            cancel_reason=_("Dossier annulé"),
        )
        intervention.status = InterventionStatus.CANCELLED
        intervention.cancelled_at = now
        intervention.save(update_fields=["status", "cancelled_at"])
        audit.record(actor=actor, verb="intervention.cancelled", target=intervention, data={})
    return len(interventions)
