"""Pure rules of field interventions (CASE-8, seed 003 §4.7, §5.1.6).

No database access: the services in :mod:`robinet.cases.field` call these.

* :func:`take_charge_by`: an urgent intervention is taken in charge within the
  hour, a priority one the same working day, a normal one has no such deadline;
* :func:`appointment_needed`: the table of §5.1.6.1 — is the customer's
  presence required, and so is an appointment needed;
* :func:`contact_instruction`: what the officer tells the customer, by channel;
* :func:`default_urgency`: the urgency proposed for a kind of intervention.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from robinet.cases.choices import (
    PRESENCE_REQUIRED_KINDS,
    Channel,
    InterventionKind,
    Urgency,
)
from robinet.core.calendar import WorkingCalendar
from robinet.customers.choices import MeterAccessibility

#: end of the working day for a priority intervention (wall clock, department's zone)
DAY_ENDS_AT = dt.time(18, 0)
DAY_STARTS_AT = dt.time(8, 0)
URGENT_DELAY = dt.timedelta(hours=1)

#: The urgency proposed when the officer does not choose one. A leak or a lack of water
#: can endanger people or property (§5.1.6.2): urgent; a water-quality complaint is
#: taken in charge the same day; everything else is a normal, planned visit.
DEFAULT_URGENCY = {
    InterventionKind.LEAK: Urgency.URGENT,
    InterventionKind.NO_WATER: Urgency.URGENT,
    InterventionKind.WATER_QUALITY: Urgency.PRIORITY,
}

#: the channels where the officer talks to the customer and books at once
LIVE_CHANNELS = (Channel.PHONE, Channel.VISIT)


def default_urgency(kind: str) -> str:
    return DEFAULT_URGENCY.get(kind, Urgency.NORMAL)


def take_charge_by(urgency: str, moment: dt.datetime, calendar: WorkingCalendar):
    """When an intervention must be taken in charge (CASE-8), or ``None`` for a normal one.

    * urgent: within the hour, whatever the day or the time (danger does not wait);
    * priority: by the end of the working day (18:00 in the department's time zone). A
      request made after 18:00, or on a day off, is due by the end of the next working
      day: the field teams on duty handle emergencies, a priority waits for the day's teams.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("take_charge_by() needs a timezone-aware datetime")
    if urgency == Urgency.URGENT:
        return moment + URGENT_DELAY
    if urgency == Urgency.PRIORITY:
        local = moment.astimezone(calendar.time_zone)
        day = local.date()
        if not calendar.is_working_day(day) or local.time() >= DAY_ENDS_AT:
            day = calendar.next_working_day(day)
        end = dt.datetime.combine(day, DAY_ENDS_AT, tzinfo=calendar.time_zone)
        return end.astimezone(moment.tzinfo)
    if urgency == Urgency.NORMAL:
        return None
    raise ValueError(f"unknown urgency: {urgency!r}")


def presence_required(kind: str, meter_accessibility: str) -> bool:
    """Seed 003 §5.1.6.1: the kind needs the customer, or the meter is not accessible.

    An unknown accessibility ("N/A") counts as not accessible: we are not allowed to
    enter private property, so the customer has to be there.
    """
    return kind in PRESENCE_REQUIRED_KINDS or meter_accessibility != MeterAccessibility.ACCESSIBLE


def appointment_needed(
    kind: str, meter_accessibility: str, customer_wants: bool, urgency: str
) -> tuple[bool, bool]:
    """``(presence_required, appointment_required)`` by the table of §5.1.6.1 (CASE-8).

    Presence required → appointment; otherwise no appointment unless the customer
    wishes to be present. Urgent and priority interventions never wait for an
    appointment (they are taken in charge within the hour or the day).
    """
    presence = presence_required(kind, meter_accessibility)
    if urgency != Urgency.NORMAL:
        return presence, False
    return presence, presence or bool(customer_wants)


def contact_instruction(channel: str, needed: bool) -> str:
    """What the officer does, by the channel of the request (table of §5.1.6.1).

    Phone or counter visit: book with the customer now when an appointment is needed,
    otherwise none. Written channels: an outbound call (phone preferred) to book when
    one is needed, otherwise tell the customer an agent will pass within 10 days.
    """
    if channel in LIVE_CHANNELS:
        if needed:
            return _("Prendre un rendez-vous avec le client maintenant.")
        return _("Pas de rendez-vous, sauf si le client souhaite être présent.")
    if needed:
        return _(
            "Appeler le client (téléphone de préférence) pour prendre un rendez-vous : "
            "contact sortant."
        )
    return _(
        "Informer le client que l'agent passera dans les 10 jours à venir "
        "(noter ses contraintes de délai)."
    )


def urgent_fields_missing(
    kind: str,
    urgency: str,
    *,
    emergency_kind: str,
    leak_volume: str,
    phenomenon_duration: str,
    exact_location: str,
) -> list[str]:
    """Names of the fields an urgent or priority intervention must give (§5.1.6.2)."""
    if urgency == Urgency.NORMAL:
        return []
    given = {
        "emergency_kind": emergency_kind,
        "phenomenon_duration": phenomenon_duration,
        "exact_location": exact_location,
    }
    if kind == InterventionKind.LEAK:
        given["leak_volume"] = leak_volume
    return [name for name, value in given.items() if not (value or "").strip()]
