"""The RPQS service-performance indicators (REP-3), as formulas of plain figures. Pure: no database.

Each function follows the definition of the indicator in the arrêté du 2 mai
2007 (annexes V for drinking water and VI for sanitation, taken under the
décret n° 2007-675) and the SISPEA indicator sheets; ``docs/domain/rpqs.md``
quotes them. Values are rounded half-up as published: rates in % to 2
decimals, euros per m³ to 2 decimals, claims per 1,000 customers to 2 decimals.
An indicator whose denominator is zero is undefined (None), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")
WATER = "water"
SANITATION = "sanitation"

#: Reference volume of the price indicators D102.0 / D204.0 (m³ per year).
REFERENCE_VOLUME = Decimal(120)


def _ratio(numerator: Decimal | int, denominator: Decimal | int, factor: int = 1) -> Decimal | None:
    if not denominator:
        return None
    value = Decimal(numerator) * factor / Decimal(denominator)
    return value.quantize(TWO_PLACES, ROUND_HALF_UP)


def unpaid_rate(unpaid_at_year_end: Decimal, billed_previous_year: Decimal) -> Decimal | None:
    """P154.0 (water) / P257.0 (sanitation), in %.

    Amount still unpaid at 31 December of year N on the bills issued for year
    N−1 ÷ amount incl. VAT billed for year N−1 (works excluded) × 100.
    """
    return _ratio(unpaid_at_year_end, billed_previous_year, 100)


def claims_rate(written_claims: int, customers: int) -> Decimal | None:
    """P155.1 (water) / P258.1 (sanitation): written claims received in year N per 1,000 customers."""
    return _ratio(written_claims, customers, 1000)


def solidarity_per_m3(
    social_write_offs: Decimal, solidarity_fund_payments: Decimal, volume_billed_m3: Decimal
) -> Decimal | None:
    """P109.0 (water) / P207.0 (sanitation), in €/m³.

    (Social debt write-offs + payments to a solidarity fund in year N, VAT
    excluded) ÷ volume billed in year N.
    """
    return _ratio(social_write_offs + solidarity_fund_payments, volume_billed_m3)


def price_per_m3(bill_incl_vat_for_120_m3: Decimal) -> Decimal:
    """D102.0 (water) / D204.0 (sanitation): the 120 m³ bill incl. VAT at 1 January ÷ 120, €/m³."""
    return (bill_incl_vat_for_120_m3 / REFERENCE_VOLUME).quantize(TWO_PLACES, ROUND_HALF_UP)


def opening_delay_rate(openings_within_delay: int, openings: int) -> Decimal | None:
    """P152.1: openings of connections done within the delay the service committed to ÷ openings, %."""
    return _ratio(openings_within_delay, openings, 100)


def unpaid_at(
    amount: Decimal, settled_by_date: Decimal, written_off_by_date: Decimal = Decimal(0)
) -> Decimal:
    """What a bill still owes at a date for P154.0: its amount less what cleared it by then.

    A write-off clears the item in the ledger but is not a payment: SISPEA
    counts every bill not paid, "whatever the reason", so it stays unpaid.
    """
    return amount - settled_by_date + written_off_by_date


@dataclass(frozen=True)
class Indicator:
    """One line of the RPQS table: the figures, the value and how it reads."""

    code: str
    label: str
    service: str  # WATER or SANITATION
    numerator: Decimal | int | None
    denominator: Decimal | int | None
    value: Decimal | None
    unit: str
