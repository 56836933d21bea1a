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

from robinet.billing.engine import ContractFacts, Outcome, services_of, tariff_periods
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
    already = [line for p in prior for line in p.lines]
    try:
        bill = pricing.rerate_year(tariffs, request, already)
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
    return replace(outcome, bill=bill, reasons=reasons, tariff_periods=tariff_periods(bill))


def prior_line(row) -> pricing.Line:
    """A stored invoice line back as the engine's line (for the deductions)."""
    return pricing.Line(
        component_code=row.component_code,
        label=row.label,
        service=row.service,
        beneficiary=row.beneficiary,
        kind=row.component_kind,
        tariff_code=row.tariff_code,
        period_start=row.period_start,
        period_end=row.period_end,
        quantity=row.quantity,
        unit=row.unit,
        unit_price=row.unit_price,
        amount_excl_vat=row.amount_excl_vat,
        vat_rate=row.vat_rate,
        block=row.block,
    )
