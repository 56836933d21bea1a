"""The appointment book's arithmetic: 2-hour slots and bookable days (CASE-8). Pure.

* :func:`day_slots`: the 2-hour slots of a team's day, from ``works_from`` to
  ``works_until``, skipping the break (a slot never straddles it; a remainder
  shorter than 2 hours is not offered);
* :func:`bookable_days`: working days from J+2 to J+10 working days after the
  call, inclusive (seed 003 §4.7: "au plus tôt 2 jours ouvrés et au plus tard
  10 jours ouvrés après l'appel"). Customers call Monday to Saturday: a call on
  a Saturday (or any day off) counts from that day, like a call on a working day;
* :func:`free_slots`: the slots of those days with room left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from robinet.core.calendar import WorkingCalendar

SLOT_LENGTH = dt.timedelta(hours=2)
EARLIEST = 2  # working days after the call
LATEST = 10


@dataclass(frozen=True)
class TeamHours:
    works_from: dt.time
    works_until: dt.time
    break_from: dt.time | None = None
    break_until: dt.time | None = None

    @classmethod
    def of(cls, team) -> TeamHours:
        return cls(team.works_from, team.works_until, team.break_from, team.break_until)


@dataclass(frozen=True)
class FreeSlot:
    day: dt.date
    start: dt.time
    end: dt.time
    free: int


def _at(t: dt.time) -> dt.datetime:
    return dt.datetime.combine(dt.date(2000, 1, 1), t)


def _periods(hours: TeamHours) -> list[tuple[dt.time, dt.time]]:
    if hours.break_from is None or hours.break_until is None:
        return [(hours.works_from, hours.works_until)]
    return [(hours.works_from, hours.break_from), (hours.break_until, hours.works_until)]


def day_slots(hours: TeamHours) -> list[tuple[dt.time, dt.time]]:
    """The ``(start, end)`` 2-hour slots of a day, in order."""
    slots = []
    for begin, finish in _periods(hours):
        cursor, end = _at(begin), _at(finish)
        while cursor + SLOT_LENGTH <= end:
            slots.append((cursor.time(), (cursor + SLOT_LENGTH).time()))
            cursor += SLOT_LENGTH
    return slots


def bookable_days(called_on: dt.date, calendar: WorkingCalendar) -> list[dt.date]:
    """Working days from J+2 to J+10 working days after ``called_on``, inclusive (CASE-8)."""
    first = calendar.add_working_days(called_on, EARLIEST)
    last = calendar.add_working_days(called_on, LATEST)
    days, day = [], first
    while day <= last:
        if calendar.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def is_proposable(
    day: dt.date, start: dt.time, *, called_on: dt.date, calendar: WorkingCalendar, hours: TeamHours
) -> bool:
    """The slot is one of the team's and its day one of the bookable days."""
    return day in bookable_days(called_on, calendar) and any(
        s == start for s, _e in day_slots(hours)
    )


def free_slots(
    days: Iterable[dt.date],
    hours: TeamHours,
    capacity: int,
    booked_counts: Mapping[tuple[dt.date, dt.time], int],
) -> list[FreeSlot]:
    """Slots of ``days`` with room left: ``capacity`` minus the booked appointments."""
    result = []
    slots = day_slots(hours)
    for day in days:
        for start, end in slots:
            free = capacity - booked_counts.get((day, start), 0)
            if free > 0:
                result.append(FreeSlot(day, start, end, free))
    return result
