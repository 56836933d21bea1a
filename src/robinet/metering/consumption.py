"""Consumption between readings (METER-2, METER-3, METER-4). Pure: no database.

The rules, in order:

* **Same meter, index up (or equal)**: the consumption is the difference.
* **Same meter, index down**: a *rollover* (the totaliser passed 10^digits − 1
  and restarted at 0) when it is plausible, i.e. when the volume through zero,
  ``10^digits − previous + current``, is at most :data:`ROLLOVER_MAX_SHARE`
  (10 %) of the dial's capacity. That only happens when the previous index
  was in the top tenth of the range and the new one in the bottom tenth. The
  consumption is then that volume. Otherwise the index *decreased*: no
  consumption, and validation holds the reading (METER-2).
* **Across a meter change** (METER-4): the old meter's part (removal index −
  previous index) plus the new meter's part (current index − install index),
  each part following the two rules above on its own dial.
* **Chains with estimates** (METER-3): an actual reading replaces the
  estimates since the previous actual reading; its consumption is measured
  from that actual reading, and the estimates' consumptions stop counting (the
  difference with what was billed on estimate is billed then).

A consumption is never negative.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ROLLOVER_MAX_SHARE = Decimal("0.1")
ZERO = Decimal(0)


_CAPACITY = {digits: Decimal(10) ** digits for digits in range(1, 13)}


def capacity(digits: int) -> Decimal:
    """The number of m³ a dial of ``digits`` whole-m³ digits counts before restarting at 0."""
    return _CAPACITY.get(digits) or Decimal(10) ** digits


@dataclass(frozen=True)
class Index:
    """An index read on a meter (``digits``: its totaliser's whole-m³ digits)."""

    meter: Hashable
    index: Decimal
    digits: int = 5


@dataclass(frozen=True)
class MeterChange:
    """METER-4: the old meter's removal index and the new meter's install index."""

    removal_index: Decimal
    install_index: Decimal


@dataclass(frozen=True)
class Consumption:
    """``volume`` is None when the index decreased without a plausible rollover."""

    volume: Decimal | None
    rollover: bool = False
    rollovers: int = 0

    @property
    def decreased(self) -> bool:
        return self.volume is None


def dial_difference(previous: Decimal, current: Decimal, digits: int) -> Consumption:
    """Volume on one dial from ``previous`` to ``current`` (rollover rule above)."""
    if current >= previous:
        return Consumption(current - previous)
    if previous >= capacity(digits):  # the index does not fit this dial: no rollover
        return Consumption(None)
    through_zero = capacity(digits) - previous + current
    if through_zero <= capacity(digits) * ROLLOVER_MAX_SHARE:
        return Consumption(through_zero, rollover=True, rollovers=1)
    return Consumption(None)


def consumption_between(
    previous: Index, current: Index, change: MeterChange | None = None
) -> Consumption:
    """Consumption from ``previous`` to ``current`` (see the module's rules).

    Readings on two different meters need the ``change`` between them.
    """
    if change is None:
        if previous.meter != current.meter:
            raise ValueError("readings on two meters need the meter change between them")
        return dial_difference(previous.index, current.index, current.digits)
    old = dial_difference(previous.index, change.removal_index, previous.digits)
    new = dial_difference(change.install_index, current.index, current.digits)
    if old.volume is None or new.volume is None:
        return Consumption(None)
    return Consumption(
        old.volume + new.volume,
        rollover=old.rollover or new.rollover,
        rollovers=old.rollovers + new.rollovers,
    )


@dataclass(frozen=True)
class ChainPoint:
    """One reading of a service point's chain, in date order.

    ``install_index``: on the first reading of a new meter, the index it was
    installed at (the install reading itself gives its own index).
    """

    meter: Hashable
    index: Decimal
    digits: int = 5
    estimate: bool = False
    install_index: Decimal | None = None
    read_on: dt.date | None = None


def chain_consumptions(points: Sequence[ChainPoint]) -> list[Consumption | None]:
    """The consumption of each point of a chain (None: first point, or a replaced estimate).

    An actual point is measured from the last actual point before it and
    replaces the estimates in between; an estimate is measured from the point
    before it. On a meter change, the previous point is the old meter's
    removal index and ``install_index`` (default: the point's own index) the
    new meter's install index.
    """
    results: list[Consumption | None] = [None] * len(points)
    last_actual: int | None = None
    last: int | None = None
    for i, point in enumerate(points):
        base = last if point.estimate else last_actual
        if base is None:
            base = last
        if base is not None:
            previous = points[base]
            change = None
            if previous.meter != point.meter:
                install = point.install_index if point.install_index is not None else point.index
                change = MeterChange(previous.index, install)
            results[i] = consumption_between(
                Index(previous.meter, previous.index, previous.digits),
                Index(point.meter, point.index, point.digits),
                change,
            )
            if not point.estimate:
                for j in range(base + 1, i):  # estimates replaced by this actual reading
                    results[j] = None
        last = i
        if not point.estimate:
            last_actual = i
    return results
