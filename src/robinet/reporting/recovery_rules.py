"""Recovery indicators (REP-2), as pure functions of summed parts.

Every indicator is computed from parts that add up (amounts, counts), so that
a region's figure is recomputed from its centres' summed parts, never averaged
from their rates. Percentages are rounded half-up to one place; a zero
denominator gives None (undefined, shown blank), never 0 or an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: the delays (days after the invoice date) at which a billing cohort's recovery is measured
COHORT_DAYS = (30, 60, 90, 180, 365)

_ONE_PLACE = Decimal("0.1")


def _pct(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_ONE_PLACE, ROUND_HALF_UP)


@dataclass(frozen=True)
class Cohort:
    """A billing cohort: what was invoiced, and what payments cleared of it within N days."""

    billed: Decimal
    #: days → amount of payments allocated to the cohort's invoices within that many days
    collected: dict[int, Decimal]

    def rate(self, days: int) -> Decimal | None:
        """REP-2 cohort recovery rate after ``days``: collected within ``days`` ÷ billed × 100."""
        return cohort_rate(self.collected.get(days, Decimal(0)), self.billed)


def cohort_rate(collected: Decimal, billed: Decimal) -> Decimal | None:
    """REP-2: collected ÷ billed × 100, one place; None when nothing was billed.

    Negative billing (a cohort of credit notes only) is meaningless as a
    denominator and gives None as well.
    """
    if billed <= 0:
        return None
    return _pct(collected, billed)


def dso(closing_receivables: Decimal, billed: Decimal, days: int) -> Decimal | None:
    """Days sales outstanding, *standard* (average) method (REP-2).

    DSO = closing receivables ÷ amount billed over the period × days in the
    period, rounded half-up to one day-tenth. None when nothing was billed
    (or the period is empty). A credit balance gives a negative DSO, kept as
    is: it says customers paid ahead.
    """
    if billed <= 0 or days <= 0:
        return None
    return (Decimal(closing_receivables) * days / Decimal(billed)).quantize(
        _ONE_PLACE, ROUND_HALF_UP
    )


def cei(
    opening: Decimal, billed: Decimal, closing: Decimal, closing_current: Decimal
) -> Decimal | None:
    """Collection effectiveness index (REP-2), a percentage.

    CEI = (opening receivables + billed − closing receivables)
          ÷ (opening receivables + billed − closing current receivables) × 100,

    where *current* receivables are those not yet due at the closing date.
    The denominator is what could have been collected in the period; None when
    it is zero or negative (nothing was collectable).
    """
    collectable = opening + billed - closing_current
    if collectable <= 0:
        return None
    return _pct(opening + billed - closing, collectable)


def keep_rate(kept: int, due: int) -> Decimal | None:
    """Keep rate of promises or plan instalments (REP-2): kept ÷ due × 100; None when none was due."""
    if due <= 0:
        return None
    return _pct(kept, due)


def days_in(start, end) -> int:
    """Days in the period [start, end], both included (0 when end precedes start)."""
    return max((end - start).days + 1, 0)
