"""Billing periods of a contract (BILL-4): pure, calendar-aligned, caught up in order.

A cycle's periods end on calendar boundaries (the last day of a month, a
quarter, a half-year or a year). A contract's first period starts on its
start date; each next one the day after the previous end. A run with a
period end bills every whole period ending on or before it that is not
billed yet, oldest first, and the final period of a closed contract ends on
its end date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}


@dataclass(frozen=True)
class BillingPeriod:
    start: dt.date
    end: dt.date
    final: bool = False


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def cycle_end(cycle: str, day: dt.date) -> dt.date:
    """The last day of the cycle period containing ``day``."""
    step = CYCLE_MONTHS[cycle]
    month = ((day.month - 1) // step + 1) * step
    return _month_end(day.year, month)


def due_periods(
    *,
    cycle: str,
    first_day: dt.date,
    through: dt.date,
    contract_end: dt.date | None = None,
    limit: int = 48,
) -> list[BillingPeriod]:
    """The periods to bill from ``first_day`` up to ``through`` (inclusive).

    ``first_day`` is the contract start, or the day after the last billed
    period. A period is due when it ends on or before ``through``; the last
    period of a closed contract ends on its end date and is final.
    """
    periods: list[BillingPeriod] = []
    start = first_day
    while start <= through and len(periods) < limit:
        end = cycle_end(cycle, start)
        if contract_end is not None and contract_end <= end:
            if contract_end <= through and contract_end >= start:
                periods.append(BillingPeriod(start, contract_end, final=True))
            break
        if end > through:
            break
        periods.append(BillingPeriod(start, end))
        start = end + dt.timedelta(days=1)
    return periods
