"""Estimation (METER-3) and the abnormal-increase check (METER-5). Pure: no database.

* A **daily average** is the volume of the counting periods ending in a
  window divided by their days (a period counts whole, by its end date).
* **Estimate at a date** (*compteur non vu*): the last counting index plus
  daily average × days since it, rounded half-up to the whole m³ (what a dial
  shows), wrapped through zero on the dial's capacity. The average is the
  service point's own over the last 12 months when it has at least
  :data:`MIN_OWN_DAYS` days of history there, else the average of similar
  premises (same use, same meter diameter, same commune), else zero.
* **Abnormal increase** (*loi Warsmann*, METER-5): on a dwelling (main or
  secondary residence), a consumption above :data:`WARSMANN_FACTOR` × the
  reference volume for the same number of days. The reference is the service
  point's own daily average over the last three years when it covers at
  least :data:`MIN_WARSMANN_DAYS` days, else comparable premises' average.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from robinet.metering.consumption import ZERO, capacity

MIN_OWN_DAYS = 30
MIN_WARSMANN_DAYS = 365
WARSMANN_FACTOR = Decimal(2)
AVERAGE_QUANTUM = Decimal("0.000001")
VOLUME = Decimal("0.001")
DWELLING_USES = ("main_residence", "secondary_residence")

BASIS_OWN = "own_history"
BASIS_SIMILAR = "similar_premises"
BASIS_NONE = "none"


@dataclass(frozen=True)
class Period:
    """A counting period: its end date, volume (m³) and length (days)."""

    end: dt.date
    volume: Decimal
    days: int


class History(NamedTuple):
    """Total volume and days of periods (what a selector aggregates in SQL).

    A named tuple: the import makes one per reading of a file (METER-5)."""

    volume: Decimal = ZERO
    days: int = 0

    @property
    def daily_average(self) -> Decimal | None:
        if self.days <= 0:
            return None
        return (self.volume / self.days).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)


def history(periods: Iterable[Period], *, start: dt.date, end: dt.date) -> History:
    """Sum of the periods ending in ``(start, end]`` that have days."""
    volume, days = ZERO, 0
    for period in periods:
        if start < period.end <= end and period.days > 0:
            volume += period.volume
            days += period.days
    return History(volume, days)


def daily_average(periods: Iterable[Period], *, start: dt.date, end: dt.date) -> Decimal | None:
    return history(periods, start=start, end=end).daily_average


def average_of(averages: Iterable[Decimal | None]) -> Decimal | None:
    """Mean of the known daily averages (similar premises' profile)."""
    known = [a for a in averages if a is not None]
    if not known:
        return None
    return (sum(known, ZERO) / len(known)).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Estimate:
    index: Decimal
    consumption: Decimal
    days: int
    daily_average: Decimal
    basis: str
    rollover: bool = False


def own_history_suffices(own: History) -> bool:
    """METER-3: the point's own history is long enough to estimate from (the similar
    premises' average is then not needed, nor worth computing)."""
    return own.days >= MIN_OWN_DAYS and own.daily_average is not None


def choose_average(own: History, similar: Decimal | None) -> tuple[Decimal, str]:
    """METER-3: own history if long enough, else similar premises, else zero."""
    if own_history_suffices(own):
        return own.daily_average, BASIS_OWN
    if similar is not None:
        return similar, BASIS_SIMILAR
    return ZERO, BASIS_NONE


def estimate_index(
    *,
    last_index: Decimal,
    last_read_on: dt.date,
    at: dt.date,
    own: History,
    similar_average: Decimal | None = None,
    digits: int = 5,
) -> Estimate:
    """The estimated index at ``at`` after the last counting reading (METER-3)."""
    days = max(0, (at - last_read_on).days)
    average, basis = choose_average(own, similar_average)
    volume = (average * days).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    index = last_index + volume
    rollover = False
    if index >= capacity(digits):
        index -= capacity(digits)
        rollover = True
    return Estimate(index.quantize(VOLUME), volume.quantize(VOLUME), days, average, basis, rollover)


class WarsmannCheck(NamedTuple):
    triggered: bool
    reference_volume: Decimal | None
    basis: str


def warsmann_check(
    *,
    consumption: Decimal,
    days: int,
    premises_use: str,
    own_three_years: History,
    similar_average: Decimal | None = None,
) -> WarsmannCheck:
    """METER-5: is ``consumption`` over ``days`` an abnormal increase on a dwelling?"""
    if premises_use not in DWELLING_USES or days <= 0:
        return WarsmannCheck(False, None, BASIS_NONE)
    own = own_three_years.daily_average if own_three_years.days >= MIN_WARSMANN_DAYS else None
    if own is not None:
        average, basis = own, BASIS_OWN
    elif similar_average is not None:
        average, basis = similar_average, BASIS_SIMILAR
    else:
        return WarsmannCheck(False, None, BASIS_NONE)
    reference = (average * days).quantize(VOLUME, rounding=ROUND_HALF_UP)
    # No reference volume (nothing consumed before): nothing to compare with.
    triggered = reference > 0 and consumption > WARSMANN_FACTOR * reference
    return WarsmannCheck(triggered, reference, basis)
