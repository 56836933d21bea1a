"""What a contract owes for a period: volume, pricing, controls (BILL-2, BILL-4, BILL-5).

Pure: the run (and the simulation on the customer page) load the facts in
bulk and call :func:`compute`; nothing here touches the database.

The volume of a period is what the service point's counting readings
measured in it: the consumption of each valid reading dated in the period
(each reading's consumption runs from the previous actual reading, across a
meter change and a rollover, METER-4). An estimated reading billed earlier
and since replaced by a real reading (METER-3) is deducted from the period
of the real reading, which is how "the next real reading corrects it".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from robinet.billing.periods import BillingPeriod
from robinet.tariffs import pricing

ZERO = Decimal(0)


class ReadingFact(NamedTuple):
    """A reading as the engine sees it (a named tuple: a run makes millions of them)."""

    id: int
    read_on: dt.date
    index: Decimal
    source: str
    status: str  # valid | corrected (held readings come separately)
    consumption: Decimal | None
    meter_serial: str = ""


@dataclass(frozen=True)
class ContractFacts:
    contract_id: int
    account_id: int
    centre_id: int
    service_point_id: int
    customer_class: str
    commune_insee: str
    start_date: dt.date
    end_date: dt.date | None
    water: bool
    sanitation: bool
    dwellings: int
    diameter_mm: int | None
    payment_terms_days: int
    social: bool = False
    cycle: str = "semiannual"
    # Validity (start, end or None) of the account's social-tariff eligibility.
    social_periods: tuple[tuple[dt.date, dt.date | None], ...] = ()


@dataclass(frozen=True)
class Thresholds:
    max_amount_incl_vat: Decimal = Decimal("2000")
    max_volume_m3: Decimal = Decimal("1000")


@dataclass(frozen=True)
class PeriodVolume:
    volume: Decimal
    estimated: bool
    old: ReadingFact | None
    new: ReadingFact | None
    billed_estimate_ids: tuple[int, ...] = ()  # deducted here (METER-3)
    reading_ids: tuple[int, ...] = ()  # the readings whose consumption is billed


@dataclass(frozen=True)
class Outcome:
    """A computed bill, or the reasons it is held (BILL-5), or both."""

    period: BillingPeriod
    volume: PeriodVolume | None
    bill: pricing.Bill | None
    reasons: tuple[tuple[str, str], ...] = ()
    tariff_periods: tuple[dict, ...] = field(default=())

    @property
    def held(self) -> bool:
        return bool(self.reasons)


def window_start(facts: ContractFacts, period: BillingPeriod) -> dt.date:
    """Readings dated after this day (exclusive) and up to the period end belong to it.

    The move-in reading on the contract's first day opens the contract: it
    measured the previous holder's consumption, so the first period excludes it.
    """
    if period.start == facts.start_date:
        return period.start
    return period.start - dt.timedelta(days=1)


def period_volume(
    readings: Sequence[ReadingFact],
    *,
    after: dt.date,
    end: dt.date,
    billed_estimates: frozenset[int] = frozenset(),
) -> PeriodVolume:
    """Volume measured by the readings dated in ``(after, end]`` (sorted by date, id)."""
    in_window = [
        r
        for r in readings
        if r.status == "valid" and r.consumption is not None and after < r.read_on <= end
    ]
    before = [r for r in readings if r.status == "valid" and r.read_on <= after]
    old = before[-1] if before else None
    volume = sum((r.consumption for r in in_window), ZERO)
    deducted: list[int] = []
    if any(r.source != "estimate" for r in in_window):
        # The real reading's consumption runs from the last actual one: take back
        # what estimates since then already billed.
        last_actual = max(
            (r.read_on for r in before if r.source != "estimate"), default=dt.date.min
        )
        for r in readings:
            if (
                r.id in billed_estimates
                and r.status == "corrected"
                and last_actual < r.read_on <= after
            ):
                volume -= r.consumption or ZERO
                deducted.append(r.id)
    new = in_window[-1] if in_window else None
    estimated = new is not None and new.source == "estimate"
    return PeriodVolume(
        volume, estimated, old, new, tuple(deducted), tuple(r.id for r in in_window)
    )


_SERVICES = {
    (water, sanitation): frozenset(
        {"public_bodies", "other"}
        | ({"water"} if water else set())
        | ({"sanitation"} if sanitation else set())
    )
    for water in (False, True)
    for sanitation in (False, True)
}


def services_of(facts: ContractFacts) -> frozenset[str]:
    # The same four sets every time: their hash is computed once (pricing memo).
    return _SERVICES[bool(facts.water), bool(facts.sanitation)]


def compute(
    facts: ContractFacts,
    period: BillingPeriod,
    *,
    readings: Sequence[ReadingFact],
    tariffs: Sequence[pricing.TariffVersion],
    thresholds: Thresholds,
    held_readings: Sequence[tuple[dt.date, str]] = (),
    billed_estimates: frozenset[int] = frozenset(),
) -> Outcome:
    """Price one period of one contract and run the pre-billing controls (BILL-5)."""
    reasons: list[tuple[str, str]] = []
    pending = [(day, why) for day, why in held_readings if day <= period.end]
    if pending:
        day, why = pending[0]
        reasons.append(
            ("reading_anomaly", f"relevé du {day.isoformat()} en anomalie ({why}) non traité")
        )
    volume = period_volume(
        readings,
        after=window_start(facts, period),
        end=period.end,
        billed_estimates=billed_estimates,
    )
    if facts.diameter_mm is None:
        reasons.append(("missing_meter", "aucun compteur posé sur le point de service"))
        return Outcome(period, volume, None, tuple(reasons))
    request = pricing.BillRequest(
        period_start=period.start,
        period_end=period.end,
        volume=max(volume.volume, ZERO),
        diameter_mm=facts.diameter_mm,
        dwellings=max(facts.dwellings, 1),
        social=facts.social,
        services=services_of(facts),
    )
    try:
        bill, periods = price(tariffs, request)
    except pricing.PricingError as exc:
        code = "missing_tariff" if exc.code == "missing_tariff" else "pricing_error"
        reasons.append((code, exc.message))
        return Outcome(period, volume, None, tuple(reasons))
    if volume.volume < 0:
        reasons.append(
            (
                "negative_amount",
                f"volume négatif ({volume.volume} m³) : l'estimation précédente dépassait le réel",
            )
        )
    if bill.total_incl_vat < 0:
        reasons.append(("negative_amount", f"montant négatif ({bill.total_incl_vat} €)"))
    if bill.total_incl_vat > thresholds.max_amount_incl_vat:
        reasons.append(
            (
                "amount_above_threshold",
                f"{bill.total_incl_vat} € TTC au-delà du seuil de {thresholds.max_amount_incl_vat} €",
            )
        )
    if volume.volume > thresholds.max_volume_m3:
        reasons.append(
            (
                "volume_above_threshold",
                f"{volume.volume} m³ au-delà du seuil de {thresholds.max_volume_m3} m³",
            )
        )
    return Outcome(period, volume, bill, tuple(reasons), periods)


# Pricing memo: a run prices the same request (period, volume, diameter,
# options) under the same tariffs again and again — most households of a
# commune consume one of a few hundred whole m³ volumes. ``pricing.price`` is
# pure and its Bill immutable, so a bill computed once is reused. Keyed by the
# identity of the tariff objects (kept alive by the entry, so an id is never
# reused while cached) and the request.
_MEMO: dict[tuple, tuple] = {}
MEMO_LIMIT = 50_000  # a few hundred MB at most


def price(
    tariffs: Sequence[pricing.TariffVersion], request: pricing.BillRequest
) -> tuple[pricing.Bill, tuple[dict, ...]]:
    """``pricing.price`` and the bill's tariff periods, memoised (see ``_MEMO``)."""
    key = (tuple(map(id, tariffs)), request)
    hit = _MEMO.get(key)
    if hit is not None:
        return hit[1], hit[2]
    bill = pricing.price(tariffs, request)
    periods = tariff_periods(bill)
    if len(_MEMO) >= MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = (tuple(tariffs), bill, periods)
    return bill, periods


def tariff_periods(bill: pricing.Bill) -> tuple[dict, ...]:
    """Volume of each tariff period of the bill (BILL-2: the bill shows each)."""
    return tuple(
        {
            "tariff": p.tariff_code,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "days": p.days,
            "volume": str(p.volume),
        }
        for p in bill.periods
    )


def due_date(issue_date: dt.date, facts: ContractFacts) -> dt.date:
    return issue_date + dt.timedelta(days=facts.payment_terms_days)


def thresholds_for(
    table: Mapping[str, Thresholds], customer_class: str, default: Thresholds = Thresholds()
) -> Thresholds:
    return table.get(customer_class, default)
