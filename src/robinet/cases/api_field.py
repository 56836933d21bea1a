"""JSON API of field interventions and the appointment book (CASE-8).

* ``GET /appointments/free-slots?intervention=NUM[&team=CODE]``: the free 2-hour
  slots from J+2 to J+10 working days;
* ``POST /appointments``: book one (201); 400 naming ``day``, ``starts_at`` (slot
  full or unknown), ``team``; 409 when the intervention cannot take an appointment;
* ``POST /appointments/{id}/reschedule``, ``POST /appointments/{id}/cancel``;
* ``GET /interventions`` (filters ``status``, ``centre``, ``case``), ``POST
  /interventions`` (201), ``GET /interventions/{number}``,
  ``POST /interventions/{number}/cancel``, ``POST /interventions/{number}/scheduler``
  (no free slot: to the scheduling team, phone checked);
* ``GET /interventions/scheduler``: the scheduling team's call-back list;
* ``POST /interventions/{number}/report``: the field report;
* ``GET /interventions/export?centre=&format=csv|json``: the interventions ready
  for the field, marked DISPATCHED (each call exports only what was not sent yet).

Permissions: ``case.view`` to read, ``case.handle`` to create and book,
``case.field`` for the scheduler's list, reports and the export.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import WithJsonSchema

from robinet.billing.api import _page
from robinet.cases import field, field_files
from robinet.cases import field_selectors as selectors
from robinet.cases.models import Appointment, Case, FieldTeam
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

router = Router(tags=["Interventions"])

# A wall-clock time of the utility's timezone, without offset ("08:00:00"): not the
# RFC 3339 ``time`` format, which requires one.
LocalTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
            "description": "Local time, HH:MM[:SS]",
        }
    ),
]


class AppointmentOut(Schema):
    id: int
    intervention: str = Field(alias="intervention.number")
    team: str = Field(alias="team.code")
    day: dt.date
    starts_at: LocalTime
    ends_at: LocalTime
    status: str = Field(description="booked | cancelled | done | missed")
    reminder_sent_at: dt.datetime | None
    cancel_reason: str


class InterventionOut(Schema):
    id: int
    number: str
    case: str = Field(alias="case.number")
    account: str | None = None
    kind: str
    urgency: str = Field(description="urgent | priority | normal")
    status: str = Field(
        description="to_schedule | scheduler | scheduled | dispatched | done | missed | cancelled"
    )
    presence_required: bool
    appointment_required: bool
    customer_wants_appointment: bool
    meter_accessibility: str
    contact_phone: str
    take_charge_by: dt.datetime | None
    emergency_kind: str
    leak_volume: str
    phenomenon_duration: str
    exact_location: str
    comment: str
    created_at: dt.datetime
    exported_at: dt.datetime | None
    reported_at: dt.datetime | None
    report_outcome: str
    report_comment: str
    reading_index: Decimal | None = None
    fee_invoice: str | None = None
    appointment: AppointmentOut | None = None

    @staticmethod
    def resolve_account(obj):
        return obj.account.number if obj.account_id else None

    @staticmethod
    def resolve_reading_index(obj):
        return obj.reading.index if obj.reading_id else None

    @staticmethod
    def resolve_fee_invoice(obj):
        return obj.fee_invoice.number if obj.fee_invoice_id else None

    @staticmethod
    def resolve_appointment(obj):
        return selectors.live_appointment(obj)


class InterventionIn(Schema):
    case: str = Field(description="Case number")
    kind: str
    urgency: str | None = Field(None, description="Default from the kind")
    customer_wants_appointment: bool = False
    contact_phone: str | None = Field(None, description="Default: the holder's mobile")
    emergency_kind: str = ""
    leak_volume: str = ""
    phenomenon_duration: str = ""
    exact_location: str = ""
    comment: str = ""


class SlotOut(Schema):
    team: str
    day: dt.date
    starts_at: LocalTime
    ends_at: LocalTime
    free: int


class BookIn(Schema):
    intervention: str
    team: str
    day: dt.date
    starts_at: LocalTime


class RescheduleIn(Schema):
    team: str
    day: dt.date
    starts_at: LocalTime
    reason: str = ""


class FieldReasonIn(Schema):
    reason: str = Field(max_length=200)


class SchedulerIn(Schema):
    phone_checked: bool
    contact_phone: str | None = None


class ReportIn(Schema):
    outcome: str
    comment: str = ""
    done_at: dt.datetime | None = None
    index: Decimal | None = None
    missed: bool = False


def _intervention(request, number: str, field_name: str = "", perm: str = Perm.CASE_VIEW):
    try:
        return selectors.intervention_get_for_user(user=request.user, number=number, perm=perm)
    except NotFound:
        if field_name:
            raise ValidationFailed(
                {field_name: [_("Intervention %(n)s introuvable.") % {"n": number}]}
            ) from None
        raise


def _team(intervention, code: str) -> FieldTeam:
    team = FieldTeam.objects.filter(code=code, centre_id=intervention.centre_id).first()
    if team is None:
        raise ValidationFailed({"team": [_("Équipe terrain %(c)s introuvable.") % {"c": code}]})
    return team


def _appointment(request, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_related("intervention", "team").filter(pk=appointment_id).first()
    )
    if appointment is None or not scope_for(request.user).covers(
        Perm.CASE_VIEW, appointment.intervention.centre
    ):
        raise NotFound()
    return appointment


def _fresh(request, intervention):
    return selectors.intervention_get_for_user(user=request.user, pk=intervention.pk)


@router.get("/appointments/free-slots", response=list[SlotOut], summary="Créneaux libres")
def free_slots(request, intervention: str, team: str = ""):
    found = _intervention(request, intervention, "intervention")
    chosen = _team(found, team) if team else None
    return [
        {"team": t.code, "day": d, "starts_at": s, "ends_at": e, "free": n}
        for t, d, s, e, n in field.slots_available(intervention=found, team=chosen)
    ]


@router.post("/appointments", response={201: AppointmentOut}, summary="Prendre un rendez-vous")
def appointment_book(request, payload: BookIn):
    require(request.user, Perm.CASE_HANDLE)
    intervention = _intervention(request, payload.intervention, "intervention")
    appointment = field.appointment_book(
        actor=request.user,
        intervention=intervention,
        team=_team(intervention, payload.team),
        day=payload.day,
        starts_at=payload.starts_at,
    )
    return Status(201, appointment)


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={201: AppointmentOut},
    summary="Déplacer un rendez-vous",
)
def appointment_reschedule(request, appointment_id: int, payload: RescheduleIn):
    appointment = _appointment(request, appointment_id)
    moved = field.appointment_reschedule(
        actor=request.user,
        appointment=appointment,
        team=_team(appointment.intervention, payload.team),
        day=payload.day,
        starts_at=payload.starts_at,
        reason=payload.reason,
    )
    return Status(201, moved)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response=AppointmentOut,
    summary="Annuler un rendez-vous",
)
def appointment_cancel(request, appointment_id: int, payload: FieldReasonIn):
    appointment = _appointment(request, appointment_id)
    return field.appointment_cancel(
        actor=request.user, appointment=appointment, reason=payload.reason
    )


@router.get("/interventions", response=list[InterventionOut], summary="Interventions")
def intervention_list(
    request, status: str = "", centre: str = "", case: str = "", limit: int = 50, offset: int = 0
):
    rows = selectors.intervention_list(user=request.user, status=status, centre=centre)
    if case:
        rows = rows.filter(case__number=case)
    return list(rows.select_related("reading", "fee_invoice")[_page(limit, offset)])


@router.post(
    "/interventions", response={201: InterventionOut}, summary="Déclencher une intervention"
)
def intervention_create(request, payload: InterventionIn):
    require(request.user, Perm.CASE_HANDLE)
    case = Case.objects.select_related("centre", "account__party").filter(number=payload.case)
    case = case.first()
    if case is None or not scope_for(request.user).covers(Perm.CASE_VIEW, case.centre):
        raise ValidationFailed({"case": [_("Dossier %(n)s introuvable.") % {"n": payload.case}]})
    data = payload.model_dump(exclude={"case"})
    intervention = field.intervention_create(actor=request.user, case=case, **data)
    return Status(201, _fresh(request, intervention))


@router.get(
    "/interventions/scheduler",
    response=list[InterventionOut],
    summary="Rappels de l'ordonnancement",
)
def scheduler_list(request, limit: int = 50, offset: int = 0):
    return list(selectors.scheduler_list(user=request.user)[_page(limit, offset)])


@router.get(
    "/interventions/export",
    summary="Exporter les interventions vers l'outil terrain",
    openapi_extra={
        "responses": {200: {"description": "CSV (;) ou JSON des interventions transmises"}}
    },
)
def intervention_export(request, centre: str = "", format: str = "csv"):  # noqa: A002
    if format not in field_files.FORMATS:
        raise ValidationFailed({"format": [_("Format attendu : csv ou json.")]})
    data = field_files.interventions_export(actor=request.user, centre=centre, fmt=format)
    media = "application/json" if format == "json" else "text/csv; charset=utf-8"
    response = HttpResponse(data, content_type=media)
    name = field_files.export_filename(format, centre)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/interventions/{number}", response=InterventionOut, summary="Lire une intervention")
def intervention_get(request, number: str):
    return _intervention(request, number)


@router.post(
    "/interventions/{number}/cancel", response=InterventionOut, summary="Annuler une intervention"
)
def intervention_cancel(request, number: str, payload: FieldReasonIn):
    intervention = _intervention(request, number)
    field.intervention_cancel(actor=request.user, intervention=intervention, reason=payload.reason)
    return _fresh(request, intervention)


@router.post(
    "/interventions/{number}/scheduler",
    response=InterventionOut,
    summary="Aucun créneau : transmettre à l'ordonnancement",
)
def intervention_to_scheduler(request, number: str, payload: SchedulerIn):
    intervention = _intervention(request, number)
    field.to_scheduler(
        actor=request.user,
        intervention=intervention,
        phone_checked=payload.phone_checked,
        contact_phone=payload.contact_phone,
    )
    return _fresh(request, intervention)


@router.post(
    "/interventions/{number}/report",
    response=InterventionOut,
    summary="Enregistrer le compte rendu d'intervention",
)
def intervention_report(request, number: str, payload: ReportIn):
    intervention = _intervention(request, number, perm=Perm.FIELD_SCHEDULE)
    field.report_record(actor=request.user, intervention=intervention, **payload.model_dump())
    return _fresh(request, intervention)
