"""Leak relief (*écrêtement, loi Warsmann*, BILL-9): the capped volumes, a pure rule.

CGCT L2224-12-4 III bis and R2224-20-1: on a dwelling, once a leak on the
pipes after the meter is certified, the water volume billed is capped at
twice the average consumption and the sanitation part is billed on the
average only; the levies follow the capped volumes.

``average`` is the reference the METER-5 notice compared with: the average
consumption of the same length of time over the last three years (or of
comparable premises). The caps are rounded half-up to the hundredth of a m³
(the worked example of the issue: average 334.67, water cap 669.33).

Each volume line of the invoice follows one cap (``basis``): ``water`` lines
and the levies on water consumption follow the water cap, ``sanitation``
lines and the levies tied to sanitation (a ``public_bodies`` component the
tariff reserves to points with sanitation, ``requires_service:
sanitation``) follow the sanitation cap. The caller decides the basis;
:func:`basis_of` gives the rule.

Per component, the credited volume is ``billed − cap`` (never negative,
never more than the positive volume billed). It is spread over the
component's lines: over the tariff periods in proportion of their volumes
(the run splits a period's volume pro rata temporis the same way), then,
inside a period, from the highest block down (the excess is the top of the
consumption). Each credit keeps the line's unit price; the amount is rounded
half-up to the cent and never exceeds the line's amount. No database here.

A faulty meter (the meter-check branch) is corrected the same way
(:func:`correction`): every volume component is billed again on the
corrected consumption of the period (the reference average: the METER-3
estimate on the history), and the difference is credited.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from robinet.core.money import round_money

WATER = "water"
SANITATION = "sanitation"
CAP_QUANTUM = Decimal("0.01")
VOLUME_QUANTUM = Decimal("0.001")
WATER_FACTOR = Decimal(2)


@dataclass(frozen=True)
class VolumeLine:
    """One volume (m³) line of the invoice concerned."""

    position: int
    component_code: str
    basis: str  # WATER or SANITATION: which cap the line follows
    quantity: Decimal
    unit_price: Decimal
    amount_excl_vat: Decimal
    period_start: dt.date | None = None
    block: int | None = None


@dataclass(frozen=True)
class CreditLine:
    position: int
    component_code: str
    quantity: Decimal
    unit_price: Decimal
    amount_excl_vat: Decimal


@dataclass(frozen=True)
class ComponentRelief:
    component_code: str
    basis: str
    billed: Decimal
    cap: Decimal
    credited: Decimal


@dataclass(frozen=True)
class Relief:
    average: Decimal
    water_cap: Decimal
    sanitation_cap: Decimal
    components: tuple[ComponentRelief, ...]
    lines: tuple[CreditLine, ...]

    @property
    def total_excl_vat(self) -> Decimal:
        return sum((line.amount_excl_vat for line in self.lines), Decimal(0))


def caps(average: Decimal) -> tuple[Decimal, Decimal]:
    """(water cap, sanitation cap) for a reference average, to the hundredth of a m³."""
    if average < 0:
        raise ValueError("a negative average consumption")
    water = (WATER_FACTOR * average).quantize(CAP_QUANTUM, rounding=ROUND_HALF_UP)
    sanitation = average.quantize(CAP_QUANTUM, rounding=ROUND_HALF_UP)
    return water, sanitation


def three_year_average(volumes: list[Decimal]) -> Decimal:
    """The average of yearly volumes (e.g. the last three years), to the thousandth of a m³."""
    if not volumes:
        raise ValueError("no history")
    return (sum(volumes, Decimal(0)) / len(volumes)).quantize(
        VOLUME_QUANTUM, rounding=ROUND_HALF_UP
    )


def basis_of(service: str, *, tied_to_sanitation: bool = False) -> str | None:
    """Which cap a volume line follows; ``None``: not capped (other services)."""
    if service == "water":
        return WATER
    if service == "sanitation":
        return SANITATION
    if service == "public_bodies":
        return SANITATION if tied_to_sanitation else WATER
    return None


def _spread(excess: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``excess`` shared in proportion of ``weights`` (thousandths; remainder on the last)."""
    total = sum(weights, Decimal(0))
    shares: list[Decimal] = []
    for weight in weights[:-1]:
        share = (excess * weight / total).quantize(VOLUME_QUANTUM, rounding=ROUND_DOWN)
        shares.append(min(share, weight))
    shares.append(min(excess - sum(shares, Decimal(0)), weights[-1]))
    # Rounding may leave a few thousandths: give them to the periods with room left.
    left = excess - sum(shares, Decimal(0))
    for i, weight in enumerate(weights):
        if left <= 0:
            break
        extra = min(left, weight - shares[i])
        shares[i] += extra
        left -= extra
    return shares


def relief(*, average: Decimal, lines: list[VolumeLine]) -> Relief:
    """The volumes and amounts to credit so that each component is billed on its cap."""
    water_cap, sanitation_cap = caps(average)
    return _credit(average, water_cap, sanitation_cap, lines)


def correction(*, corrected: Decimal, lines: list[VolumeLine]) -> Relief:
    """A faulty meter (BILL-9 meter check): each volume component billed on ``corrected`` m³.

    Water, sanitation and the levies all follow the corrected volume (rounded
    half-up to the hundredth); what was billed above it is credited.
    """
    if corrected < 0:
        raise ValueError("a negative corrected consumption")
    volume = corrected.quantize(CAP_QUANTUM, rounding=ROUND_HALF_UP)
    return _credit(corrected, volume, volume, lines)


def _credit(
    average: Decimal, water_cap: Decimal, sanitation_cap: Decimal, lines: list[VolumeLine]
) -> Relief:
    by_component: dict[str, list[VolumeLine]] = defaultdict(list)
    for line in lines:
        if line.basis not in (WATER, SANITATION):
            raise ValueError(f"unknown basis {line.basis!r}")
        by_component[line.component_code].append(line)
    components: list[ComponentRelief] = []
    credits: list[CreditLine] = []
    for code, of_component in by_component.items():
        basis = of_component[0].basis
        cap = water_cap if basis == WATER else sanitation_cap
        billed = sum((ln.quantity for ln in of_component), Decimal(0))
        positive = [ln for ln in of_component if ln.quantity > 0]
        creditable = sum((ln.quantity for ln in positive), Decimal(0))
        excess = min(max(billed - cap, Decimal(0)), creditable)
        components.append(ComponentRelief(code, basis, billed, cap, excess))
        if excess <= 0:
            continue
        periods: dict[dt.date | None, list[VolumeLine]] = defaultdict(list)
        for ln in positive:
            periods[ln.period_start].append(ln)
        keys = sorted(periods, key=lambda k: (k is None, k))
        shares = _spread(
            excess, [sum((ln.quantity for ln in periods[k]), Decimal(0)) for k in keys]
        )
        for key, share in zip(keys, shares, strict=True):
            left = share
            for ln in sorted(periods[key], key=lambda ln: -(ln.block or 0)):
                if left <= 0:
                    break
                quantity = min(left, ln.quantity)
                left -= quantity
                amount = min(round_money(quantity * ln.unit_price), ln.amount_excl_vat)
                credits.append(
                    CreditLine(ln.position, code, quantity, ln.unit_price, max(amount, Decimal(0)))
                )
    credits.sort(key=lambda c: c.position)
    return Relief(
        average=average,
        water_cap=water_cap,
        sanitation_cap=sanitation_cap,
        components=tuple(components),
        lines=tuple(credits),
    )
