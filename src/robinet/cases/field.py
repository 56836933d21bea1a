"""Field interventions and appointments: services (CASE-8)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from robinet.cases.choices import LIVE_INTERVENTION_STATUSES, AppointmentStatus, InterventionStatus
from robinet.cases.models import Appointment, Intervention
from robinet.core import audit, clock


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
