"""French working days and working hours, per department (pure, no database).

Public holidays come from the ``holidays`` package. In the installed version,
``holidays.France`` models the local rules as *subdivisions*:

* Alsace-Moselle (Good Friday, 26 December): ``"57"`` for Moselle and
  ``"6AE"`` (Collectivité européenne d'Alsace) for Bas-Rhin 67 and Haut-Rhin 68;
* the overseas departments by their INSEE number: ``"971"`` Guadeloupe,
  ``"972"`` Martinique, ``"973"`` Guyane, ``"974"`` La Réunion, ``"976"``
  Mayotte (abolition of slavery, Mi-Carême, Victor Schœlcher…);
* the overseas collectivities by letter codes (``"PM"``, ``"BL"``, ``"MF"``…).

(The package also exposes GP, MQ, GF, RE, YT as "countries"; they are the
same rules, so we use the France subdivisions only.)

Conventions (documented once, relied on by deadlines in cases and collections):

* a working day is Monday–Friday (Monday–Saturday with
  ``saturday_is_working=True``) that is not a public holiday of the department;
* ``add_working_days(d, n)`` is the n-th working day *after* ``d`` (the day of
  the triggering event does not count); ``n = 0`` returns ``d`` itself when it
  is a working day, otherwise rolls forward to the next working day;
* ``working_days_between(a, b)`` counts working days in ``(a, b]``, so that
  ``working_days_between(a, add_working_days(a, n)) == n`` for ``n ≥ 1``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# INSEE department (or collectivity) number -> holidays.France subdivision code.
_SUBDIVISION_OF_DEPARTMENT = {
    "57": "57",  # Moselle
    "67": "6AE",  # Bas-Rhin  } Collectivité européenne d'Alsace
    "68": "6AE",  # Haut-Rhin }
    "971": "971",  # Guadeloupe
    "972": "972",  # Martinique
    "973": "973",  # Guyane
    "974": "974",  # La Réunion
    "975": "PM",  # Saint-Pierre-et-Miquelon
    "976": "976",  # Mayotte
    "977": "BL",  # Saint-Barthélemy
    "978": "MF",  # Saint-Martin
}

# Opening hours are wall-clock hours where the customer is.
_TIME_ZONE_OF_DEPARTMENT = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
}
METROPOLITAN_TIME_ZONE = "Europe/Paris"

_DEPARTMENT = re.compile(r"0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8]")

_ONE_DAY = dt.timedelta(days=1)


def normalize_department(department: str | int | None) -> str | None:
    """``"67"``, ``"2A"``, ``"974"`` (also ``1`` -> ``"01"``); ``None`` stays ``None``.

    Raises ``ValueError`` for anything that is not a department number (a
    whole INSEE commune code is refused: use :func:`department_of_insee`).
    """
    if department is None or department == "":
        return None
    code = str(department).strip().upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    if not _DEPARTMENT.fullmatch(code):
        raise ValueError(f"not a French department number: {department!r}")
    return code


def department_of_insee(insee_code: str) -> str:
    """Department of an INSEE commune code: ``"67482"`` -> ``"67"``,
    ``"97411"`` -> ``"974"``, ``"2A004"`` -> ``"2A"``.

    (An INSEE code is not a postal code: Strasbourg is 67482, postcode 67000.)
    """
    code = str(insee_code).strip().upper()
    if not re.fullmatch(r"(\d{2}|2[AB])\d{3}", code):
        raise ValueError(f"not an INSEE commune code: {insee_code!r}")
    department = normalize_department(code[:3] if code.startswith("97") else code[:2])
    if department is None:  # pragma: no cover - the pattern above excludes it
        raise ValueError(f"not an INSEE commune code: {insee_code!r}")
    return department


def subdivision_of_department(department: str | None) -> str | None:
    """The ``holidays.France`` subdivision for a department, or ``None`` (national)."""
    code = normalize_department(department)
    return _SUBDIVISION_OF_DEPARTMENT.get(code) if code else None


def time_zone_of_department(department: str | None) -> ZoneInfo:
    code = normalize_department(department)
    return ZoneInfo(_TIME_ZONE_OF_DEPARTMENT.get(code or "", METROPOLITAN_TIME_ZONE))


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days of one department. Get one with :func:`working_calendar`."""

    department: str | None
    subdivision: str | None
    saturday_is_working: bool = False

    @property
    def time_zone(self) -> ZoneInfo:
        return time_zone_of_department(self.department)

    def holidays_of_year(self, year: int) -> dict[dt.date, str]:
        """``{date: French name}`` of the public holidays of ``year``."""
        return dict(_holiday_dates(self.subdivision, year))

    def holiday_name(self, day: dt.date) -> str | None:
        return _holiday_dates(self.subdivision, day.year).get(day)

    def is_holiday(self, day: dt.date) -> bool:
        return day in _holiday_dates(self.subdivision, day.year)

    def is_working_day(self, day: dt.date) -> bool:
        last_working_weekday = 5 if self.saturday_is_working else 4
        return day.weekday() <= last_working_weekday and not self.is_holiday(day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        if n < 0:
            raise ValueError("add_working_days() needs n >= 0")
        if n == 0:
            return day if self.is_working_day(day) else self.next_working_day(day)
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in ``(start, end]``; negative when ``end < start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start + _ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def add_working_hours(
        self,
        moment: dt.datetime,
        hours: int | dt.timedelta,
        *,
        opening: dt.time = dt.time(8, 0),
        closing: dt.time = dt.time(18, 0),
    ) -> dt.datetime:
        """``moment`` plus ``hours`` counted only within opening hours of working days.

        Opening hours are wall-clock hours in the department's time zone
        (Europe/Paris, Indian/Reunion…). Time outside opening hours does not
        count: a request at 17:00 with a 4-hour deadline is due at 11:00 the next
        working day. A deadline that ends exactly at closing time is due at
        closing time. ``hours = 0`` rolls a moment outside opening hours (closing
        time excepted) forward to the next opening. The result is in ``moment``'s time zone.
        """
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("add_working_hours() needs a timezone-aware datetime")
        if not opening < closing:
            raise ValueError("opening must be before closing")
        remaining = hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)
        if remaining < dt.timedelta(0):
            raise ValueError("add_working_hours() needs hours >= 0")
        zone = self.time_zone
        cursor = moment.astimezone(zone)
        while True:
            day = cursor.date()
            day_open = dt.datetime.combine(day, opening, tzinfo=zone)
            day_close = dt.datetime.combine(day, closing, tzinfo=zone)
            # Closing time itself still belongs to the day when nothing remains to add,
            # so that adding h1 then h2 hours equals adding h1 + h2.
            past_closing = cursor > day_close or (
                cursor == day_close and remaining > dt.timedelta(0)
            )
            if not self.is_working_day(day) or past_closing:
                cursor = dt.datetime.combine(self.next_working_day(day), opening, tzinfo=zone)
                continue
            cursor = max(cursor, day_open)
            available = day_close - cursor
            if remaining <= available:
                return (cursor + remaining).astimezone(moment.tzinfo)
            remaining -= available
            cursor = day_close


@lru_cache(maxsize=1024)
def _holiday_dates(subdivision: str | None, year: int) -> dict[dt.date, str]:
    # One holidays object per (subdivision, year): built once, then only read,
    # so calendars can be shared between threads.
    days = holidays.France(subdiv=subdivision, years=year, language="fr")
    return {day: name for day, name in days.items() if day.year == year}


@lru_cache(maxsize=256)
def _calendar(subdivision: str | None, department: str | None, saturday: bool) -> WorkingCalendar:
    return WorkingCalendar(
        department=department, subdivision=subdivision, saturday_is_working=saturday
    )


def working_calendar(
    department: str | None = None, *, saturday_is_working: bool = False
) -> WorkingCalendar:
    """The (cached) calendar of ``department`` (``None``: national holidays only)."""
    code = normalize_department(department)
    return _calendar(subdivision_of_department(code), code, saturday_is_working)


def is_working_day(
    day: dt.date, department: str | None = None, *, saturday_is_working: bool = False
) -> bool:
    return working_calendar(department, saturday_is_working=saturday_is_working).is_working_day(day)


def is_holiday(day: dt.date, department: str | None = None) -> bool:
    return working_calendar(department).is_holiday(day)


def next_working_day(
    day: dt.date, department: str | None = None, *, saturday_is_working: bool = False
) -> dt.date:
    return working_calendar(department, saturday_is_working=saturday_is_working).next_working_day(
        day
    )


def add_working_days(
    day: dt.date, n: int, department: str | None = None, *, saturday_is_working: bool = False
) -> dt.date:
    """The n-th working day after ``day`` (``n = 0``: ``day`` or the next working day)."""
    return working_calendar(department, saturday_is_working=saturday_is_working).add_working_days(
        day, n
    )


def working_days_between(
    start: dt.date,
    end: dt.date,
    department: str | None = None,
    *,
    saturday_is_working: bool = False,
) -> int:
    """Working days in ``(start, end]`` (negative when ``end < start``)."""
    return working_calendar(
        department, saturday_is_working=saturday_is_working
    ).working_days_between(start, end)


def add_working_hours(
    moment: dt.datetime,
    hours: int | dt.timedelta,
    department: str | None = None,
    *,
    opening: dt.time = dt.time(8, 0),
    closing: dt.time = dt.time(18, 0),
    saturday_is_working: bool = False,
) -> dt.datetime:
    """See :meth:`WorkingCalendar.add_working_hours`."""
    return working_calendar(department, saturday_is_working=saturday_is_working).add_working_hours(
        moment, hours, opening=opening, closing=closing
    )
