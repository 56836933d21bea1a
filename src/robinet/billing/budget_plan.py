"""Pure rules of monthly payment — *mensualisation* (BILL-10, CASE-7). No database.

* :func:`annual_volume`: the volume the estimate prices — the contract's last
  12 months (scaled to a year when the readings cover at least
  :data:`MIN_HISTORY_DAYS`), else similar premises' daily average × 365, else a
  volume the officer gives;
* :func:`build_schedule`: the annual estimate (the priced total, taken as
  input) spread over 10 or 12 monthly instalments on a chosen day of the month;
  every instalment is rounded down to the cent and the last takes the rest, so
  the schedule adds up to the estimate exactly;
* :func:`adjust_next_two`: CASE-7 — the next two scheduled instalments take an
  adjustment (positive or negative), split in two halves (the second takes the
  odd cent); their new total is their old total plus the adjustment; never a
  zero or negative instalment (refused: suspend instead);
* :func:`change_amount`: the customer changes the monthly amount within
  ±:data:`CHANGE_LIMIT` of the base monthly amount (estimate / count), never
  below :data:`MIN_INSTALMENT`;
* :func:`settle`: yearly settlement — what the year's consumption invoices
  total minus the instalments collected: a balance due (> 0) or a refund (< 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")
COUNTS = (10, 12)
#: Days of the month an instalment may fall on (28 at most: every month has it).
DAYS = range(1, 29)
#: The floor of an instalment a customer may choose, in euros incl. VAT.
MIN_INSTALMENT = Decimal("5.00")
#: How far (fraction of the base monthly amount) a customer may move the amount.
CHANGE_LIMIT = Decimal("0.30")
#: Readings covering fewer days than this are not a year's history.
MIN_HISTORY_DAYS = 180
DAYS_PER_YEAR = 365
#: SEPA pre-notification: the first direct debit at least 14 days after the schedule (PAY-3).
PRE_NOTIFICATION_DAYS = 14


class PlanRuleError(ValueError):
    """A rule refused the request; ``field`` names the input, ``message`` is French."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Instalment:
    position: int
    due_date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class VolumeEstimate:
    volume: Decimal
    basis: str  # history | similar | given


@dataclass(frozen=True)
class Settlement:
    invoiced: Decimal
    collected: Decimal
    balance: Decimal

    @property
    def outcome(self) -> str:
        """``due`` (the customer owes the balance), ``refund`` (we owe), or ``nil``."""
        if self.balance > 0:
            return "due"
        if self.balance < 0:
            return "refund"
        return "nil"

    @property
    def refund(self) -> Decimal:
        return -self.balance if self.balance < 0 else Decimal(0)


def annual_volume(
    *,
    history_volume: Decimal,
    history_days: int,
    similar_daily: Decimal | None = None,
    given: Decimal | None = None,
) -> VolumeEstimate:
    """The year's volume (m³, 3 places): history, else similar premises, else ``given``."""
    if given is not None:
        if given < 0:
            raise PlanRuleError("volume", "Le volume annuel ne peut être négatif.")
        return VolumeEstimate(given.quantize(Decimal("0.001")), "given")
    if history_days >= MIN_HISTORY_DAYS:
        volume = history_volume * DAYS_PER_YEAR / history_days
        return VolumeEstimate(volume.quantize(Decimal("0.001")), "history")
    if similar_daily is not None:
        return VolumeEstimate((similar_daily * DAYS_PER_YEAR).quantize(Decimal("0.001")), "similar")
    raise PlanRuleError(
        "volume",
        "Pas d'historique de consommation sur 12 mois ni de locaux comparables : "
        "indiquez le volume annuel estimé.",
    )


def add_months(day: dt.date, months: int, day_of_month: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, day_of_month)


def first_due_date(*, not_before: dt.date, day_of_month: int) -> dt.date:
    """The first ``day_of_month`` on or after ``not_before``."""
    candidate = dt.date(not_before.year, not_before.month, day_of_month)
    return candidate if candidate >= not_before else add_months(candidate, 1, day_of_month)


def split(total: Decimal, count: int) -> list[Decimal]:
    """``count`` amounts to the cent, rounded down, the last taking the rest: they add to ``total``."""
    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [share] * (count - 1) + [total - share * (count - 1)]


def build_schedule(
    *, estimate: Decimal, count: int, day_of_month: int, first_due: dt.date
) -> list[Instalment]:
    """The instalments of a plan: monthly from ``first_due`` (whose day is ``day_of_month``)."""
    if count not in COUNTS:
        raise PlanRuleError("instalment_count", "10 ou 12 échéances.")
    if day_of_month not in DAYS:
        raise PlanRuleError("day_of_month", "Jour de prélèvement entre le 1er et le 28.")
    if estimate != estimate.quantize(CENT):
        raise PlanRuleError("estimate", "L'estimation s'exprime au centime.")
    if estimate < MIN_INSTALMENT * count:
        raise PlanRuleError(
            "estimate",
            f"Estimation annuelle trop faible pour une mensualisation "
            f"(au moins {MIN_INSTALMENT * count} € pour {count} échéances).",
        )
    first = dt.date(first_due.year, first_due.month, day_of_month)
    return [
        Instalment(position, add_months(first, position - 1, day_of_month), amount)
        for position, amount in enumerate(split(estimate, count), start=1)
    ]


def adjust_next_two(amounts: list[Decimal], adjustment: Decimal) -> list[Decimal]:
    """CASE-7: the next (at most two) scheduled amounts after an adjustment.

    ``amounts`` are the amounts of the scheduled instalments in date order; the
    result replaces the first two (or the only one). Refused when an instalment
    would not stay positive.
    """
    if not amounts:
        raise PlanRuleError("adjustment", "Plus aucune échéance à venir à ajuster.")
    if adjustment != adjustment.quantize(CENT):
        raise PlanRuleError("adjustment", "L'ajustement s'exprime au centime.")
    targets = amounts[:2]
    total = sum(targets, Decimal(0)) + adjustment
    new = split(total, len(targets)) if total > 0 else [total] * len(targets)
    if any(a < CENT for a in new):
        raise PlanRuleError(
            "adjustment",
            "L'ajustement rendrait une échéance nulle ou négative : suspendez plutôt les "
            "prélèvements.",
        )
    return new


def change_limits(*, estimate: Decimal, count: int) -> tuple[Decimal, Decimal]:
    """The lowest and highest monthly amount a customer may choose."""
    base = estimate / count
    low = max(MIN_INSTALMENT, (base * (1 - CHANGE_LIMIT)).quantize(CENT, rounding="ROUND_UP"))
    high = (base * (1 + CHANGE_LIMIT)).quantize(CENT, rounding=ROUND_DOWN)
    return low, max(low, high)


def change_amount(
    *, estimate: Decimal, count: int, remaining: int, new_amount: Decimal
) -> list[Decimal]:
    """The new amounts of the ``remaining`` scheduled instalments (all equal to ``new_amount``)."""
    if remaining <= 0:
        raise PlanRuleError("amount", "Plus aucune échéance à venir.")
    if new_amount != new_amount.quantize(CENT):
        raise PlanRuleError("amount", "Le montant s'exprime au centime.")
    low, high = change_limits(estimate=estimate, count=count)
    if not low <= new_amount <= high:
        raise PlanRuleError(
            "amount",
            f"Le montant mensuel doit rester entre {low} € et {high} € "
            f"(± {int(CHANGE_LIMIT * 100)} % de l'estimation, {MIN_INSTALMENT} € au moins).",
        )
    return [new_amount] * remaining


def settle(*, invoiced: Decimal, collected: Decimal) -> Settlement:
    """Yearly settlement: the year's invoices minus the instalments collected."""
    return Settlement(invoiced=invoiced, collected=collected, balance=invoiced - collected)
