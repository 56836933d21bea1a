"""Response deadlines of customer requests, in French working days (CASE-3). Pure.

Seed 003 §4.8: a letter is answered within 5 working days, an e-mail within
48 hours, a request that needs a field intervention or another department
within 15 working days; no deadline runs while a third party's approval is
awaited.

Conventions (decided here, relied on by the lists of overdue cases):

* the working days are those of the customer's department
  (:func:`robinet.core.calendar.working_calendar`: Monday–Friday except the
  public holidays, with Good Friday and 26 December in Alsace-Moselle), and
  the wall-clock time is the department's (Paris in metropolitan France);
* the day of receipt does not count: the answer is due on the n-th working
  day *after* it, **at the same wall-clock time** as the receipt (a letter
  registered on Wednesday at 10:00 is due the next Wednesday at 10:00 when no
  holiday intervenes);
* letter, phone, counter visit and web service: 5 working days;
* e-mail, web form and SMS: 48 hours counted as 2 working days, at the same
  wall-clock time;
* a request received on a day that is not a working day (weekend, holiday)
  counts as received at 00:00 on the next working day, which does not count
  either (an e-mail of Saturday 10:00 is due at the end of Tuesday, Wednesday
  00:00): a later request is never due before an earlier one;
* a request needing a field intervention or another service: 15 working days;
* ``third_party`` and ``none``: no deadline (``None``).
"""

from __future__ import annotations

import datetime as dt

from robinet.cases.choices import Channel, DeadlineRule
from robinet.core.calendar import working_calendar

#: CASE-3: working days to answer, per channel (rule ``channel``)
LETTER_DAYS = 5
ELECTRONIC_DAYS = 2  # 48 hours
FIELD_OR_SERVICE_DAYS = 15
#: a case is "due soon" when its deadline falls within this many working days
DUE_SOON_WORKING_DAYS = 1

ELECTRONIC_CHANNELS = frozenset({Channel.EMAIL, Channel.WEB_FORM, Channel.SMS})


def working_days_for(rule: str, channel: str) -> int | None:
    """How many working days a case of ``rule`` received by ``channel`` has (None: no deadline)."""
    if rule == DeadlineRule.CHANNEL:
        if channel not in Channel.values:
            raise ValueError(f"unknown channel: {channel!r}")
        return ELECTRONIC_DAYS if channel in ELECTRONIC_CHANNELS else LETTER_DAYS
    if rule == DeadlineRule.FIELD_OR_SERVICE:
        return FIELD_OR_SERVICE_DAYS
    if rule in (DeadlineRule.THIRD_PARTY, DeadlineRule.NONE):
        return None
    raise ValueError(f"unknown deadline rule: {rule!r}")


def _after_working_days(moment: dt.datetime, days: int, department: str | None) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    calendar = working_calendar(department)
    local = moment.astimezone(calendar.time_zone)
    if not calendar.is_working_day(local.date()):
        # Received on a weekend or holiday: counted as received when the next working day
        # opens, so that a later request is never due earlier than an earlier one.
        local = dt.datetime.combine(
            calendar.next_working_day(local.date()), dt.time(0), calendar.time_zone
        )
    due_day = calendar.add_working_days(local.date(), days)
    return dt.datetime.combine(due_day, local.time().replace(tzinfo=None), calendar.time_zone)


def response_due(
    *, rule: str, channel: str, opened_at: dt.datetime, department: str | None
) -> dt.datetime | None:
    """When the answer to a case received at ``opened_at`` is due (CASE-3), or None."""
    days = working_days_for(rule, channel)
    if days is None:
        return None
    return _after_working_days(opened_at, days, department)


def due_soon_threshold(
    now: dt.datetime, department: str | None = None, days: int = DUE_SOON_WORKING_DAYS
) -> dt.datetime:
    """Cases due before this moment are "due soon" (``days`` working days from ``now``)."""
    return _after_working_days(now, days, department)


def is_overdue(due: dt.datetime | None, now: dt.datetime) -> bool:
    """A deadline has passed (a case without deadline is never overdue)."""
    return due is not None and due < now
