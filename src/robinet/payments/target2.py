"""TARGET2 business days, on which SEPA direct debits settle (PAY-3). Pure.

The euro interbank calendar (``holidays``' financial calendar ``XECB``):
weekends, 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December.
It is *not* the French public-holiday calendar: 14 July or 15 August are
business days for a collection.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays


@cache
def _closing_days(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _closing_days(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """``day`` itself when it is a TARGET2 business day, else the next one."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The ``count``-th TARGET2 business day after ``day``."""
    while count > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day
