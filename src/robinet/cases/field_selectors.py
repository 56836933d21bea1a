"""Reads of field interventions and the appointment book (CASE-8), scoped to the user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet

from robinet.cases import slots as slot_rules
from robinet.cases.choices import AppointmentStatus, InterventionStatus
from robinet.cases.models import Appointment, FieldTeam, Intervention
from robinet.core.exceptions import NotFound
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

_RELATED = ("case", "account", "account__party", "service_point", "centre")


def _interventions(user, perm: str) -> QuerySet[Intervention]:
    rows = Intervention.objects.select_related(*_RELATED)
    if user is None:  # a system job
        return rows
    require(user, perm)
    return rows.filter(scope_for(user).entity_filter(perm, "centre"))


def intervention_list(
    *, user, status: str = "", centre: str = "", case=None, perm: str = Perm.CASE_VIEW
) -> QuerySet[Intervention]:
    rows = _interventions(user, perm)
    if status:
        rows = rows.filter(status=status)
    if centre:
        rows = rows.filter(centre__code=centre)
    if case is not None:
        rows = rows.filter(case=case)
    return rows


def intervention_get_for_user(
    *, user, pk: int | None = None, number: str = "", perm: str = Perm.CASE_VIEW
) -> Intervention:
    lookup = {"pk": pk} if pk is not None else {"number": number}
    found = _interventions(user, perm).filter(**lookup).first()
    if found is None:
        raise NotFound()
    return found


def scheduler_list(*, user) -> QuerySet[Intervention]:
    """The scheduling team's call-back list: no slot within 10 working days (§5.1.6.1 b)."""
    return intervention_list(
        user=user, status=InterventionStatus.SCHEDULER, perm=Perm.FIELD_SCHEDULE
    ).order_by("created_at", "id")


def live_appointment(intervention) -> Appointment | None:
    return (
        Appointment.objects.select_related("team")
        .filter(intervention=intervention, status=AppointmentStatus.BOOKED)
        .first()
    )


def appointments_of(intervention) -> QuerySet[Appointment]:
    return Appointment.objects.select_related("team").filter(intervention=intervention)


def team_list(*, user) -> QuerySet[FieldTeam]:
    require(user, Perm.CASE_VIEW)
    return FieldTeam.objects.filter(active=True).filter(
        scope_for(user).entity_filter(Perm.CASE_VIEW, "centre")
    )


def team_get_for_user(*, user, pk: int) -> FieldTeam:
    found = team_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class BookSlot:
    start: dt.time
    end: dt.time
    capacity: int
    appointments: list = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(self.capacity - len(self.appointments), 0)


def team_book(*, team: FieldTeam, days: list[dt.date]) -> list[tuple[dt.date, list[BookSlot]]]:
    """A team's book: for each day, its slots with the booked appointments."""
    booked: dict[tuple[dt.date, dt.time], list[Appointment]] = {}
    for a in Appointment.objects.select_related("intervention").filter(
        team=team, day__in=days, status=AppointmentStatus.BOOKED
    ):
        booked.setdefault((a.day, a.starts_at), []).append(a)
    hours = slot_rules.TeamHours.of(team)
    return [
        (
            day,
            [
                BookSlot(start, end, team.capacity, booked.get((day, start), []))
                for start, end in slot_rules.day_slots(hours)
            ],
        )
        for day in days
    ]


def exportable(*, centre: str = "") -> QuerySet[Intervention]:
    """Live interventions the field can do: no appointment needed, or one booked; not sent."""
    rows = Intervention.objects.select_related(*_RELATED).filter(exported_at__isnull=True)
    rows = rows.filter(
        status__in=[InterventionStatus.TO_SCHEDULE, InterventionStatus.SCHEDULED]
    ).exclude(status=InterventionStatus.TO_SCHEDULE, appointment_required=True)
    if centre:
        rows = rows.filter(centre__code=centre)
    return rows.order_by("created_at", "id")
