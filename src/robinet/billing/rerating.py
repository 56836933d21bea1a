"""BILL-1c: the last bill of the year on a real reading re-rates the year.

Block bounds are annual. Interim bills (a semiannual or quarterly cycle)
price each period with the bounds prorated to it, so a customer who uses
more water in summer than in winter pays the upper block too early or too
late. The bill that closes the calendar year (or the final bill) on a real
reading prices the whole year at the annual bounds and deducts what the
year's earlier bills charged (:func:`robinet.tariffs.pricing.rerate_year`):
the total is the difference. Pure: the run passes the year's earlier bills.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from robinet.billing.engine import ContractFacts, Outcome, price, services_of, tariff_periods
from robinet.tariffs import pricing


@dataclass(frozen=True)
class PriorBill:
    """An earlier bill of the same contract in the same calendar year."""

    period_start: object
    period_end: object
    volume: Decimal
    lines: tuple[pricing.Line, ...]


def closes_the_year(outcome: Outcome) -> bool:
    period = outcome.period
    return period.final or (period.end.month, period.end.day) == (12, 31)


def applies(outcome: Outcome, prior: Sequence[PriorBill]) -> bool:
    """Re-rate when the bill closes the year on a real reading after interim bills."""
    return (
        bool(prior)
        and outcome.bill is not None
        and not outcome.held
        and outcome.volume is not None
        and not outcome.volume.estimated
        and closes_the_year(outcome)
        and all(p.period_start.year == outcome.period.end.year for p in prior)
    )


def rerate(
    facts: ContractFacts,
    outcome: Outcome,
    *,
    prior: Sequence[PriorBill],
    tariffs: Sequence[pricing.TariffVersion],
) -> Outcome:
    """The outcome with its bill re-rated over the year, or unchanged when BILL-1c does not apply."""
    if not applies(outcome, prior):
        return outcome
    start = min(p.period_start for p in prior)
    volume = sum((p.volume for p in prior), Decimal(0)) + outcome.volume.volume
    request = pricing.BillRequest(
        period_start=start,
        period_end=outcome.period.end,
        volume=max(volume, Decimal(0)),
        diameter_mm=facts.diameter_mm,
        dwellings=max(facts.dwellings, 1),
        social=facts.social,
        services=services_of(facts),
    )
    already = tuple(line for p in prior for line in p.lines)
    try:
        bill, periods = rerate_year(tariffs, request, already)
    except pricing.PricingError as exc:
        return replace(outcome, reasons=(("pricing_error", exc.message),))
    reasons = ()
    if bill.total_incl_vat < 0:
        reasons = (
            (
                "negative_amount",
                f"la régularisation annuelle rembourse {-bill.total_incl_vat} € : "
                "à vérifier avant un avoir",
            ),
        )
    return replace(outcome, bill=bill, reasons=reasons, tariff_periods=periods)


# Re-rating memo, as the engine's pricing memo (``engine._MEMO``): contracts of a
# zone that consumed the same volumes over the year were billed the same interim
# lines and get the same yearly bill. ``pricing.rerate_year`` is pure and its Bill
# immutable; keyed by the identity of the tariff objects (kept alive by the entry),
# the year's request and the lines already billed (compared by value).
_MEMO: dict[tuple, tuple] = {}
MEMO_LIMIT = 20_000  # yearly bills carry about three times the lines


def rerate_year(
    tariffs: Sequence[pricing.TariffVersion],
    request: pricing.BillRequest,
    already: tuple[pricing.Line, ...],
) -> tuple[pricing.Bill, tuple[dict, ...]]:
    """``pricing.rerate_year`` and the bill's tariff periods, memoised (see ``_MEMO``);
    the year itself priced through the engine's memo (the same year's volume recurs
    with other interim bills)."""
    key = (tuple(map(id, tariffs)), request, already)
    hit = _MEMO.get(key)
    if hit is not None:
        return hit[1], hit[2]
    year, _periods = price(tariffs, request)
    bill = pricing.rerate_year(tariffs, request, already, year=year)
    periods = tariff_periods(bill)
    if len(_MEMO) >= MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = (tuple(tariffs), bill, periods)
    return bill, periods


#: the columns of a stored invoice line that carry the engine's line (``pricing.Line``),
#: in its order: what :func:`prior_line` reads back, what a credit note copies
PRICED_LINE_FIELDS = (
    "component_code",
    "label",
    "service",
    "beneficiary",
    "component_kind",
    "tariff_code",
    "period_start",
    "period_end",
    "quantity",
    "unit",
    "unit_price",
    "amount_excl_vat",
    "vat_rate",
    "block",
)


def prior_line(values: Sequence) -> pricing.Line:
    """A stored invoice line (its :data:`PRICED_LINE_FIELDS`) back as the engine's line
    (for the deductions)."""
    return pricing.Line(*values)
