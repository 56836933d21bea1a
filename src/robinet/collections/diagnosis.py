"""Debtor diagnosis (COLL-6): repayment capacity, a suggested plan and an orientation. Pure.

The officer records facts the debtor gives (monthly income and charges,
savings, other debts, household size); the rules below turn them into:

* **monthly capacity** = income − charges − *reste à vivre*, floored at 0,
  where the *reste à vivre* (what a household keeps to live on) is
  ``FLOOR_FIRST_PERSON`` for the first person plus ``FLOOR_PER_OTHER_PERSON``
  for each other person;
* **down payment**: savings can fund one, up to the debt (when savings cover
  the whole debt, the suggestion is to pay it at once: one instalment, no
  down payment);
* **instalments** = ceil((debt − down payment) / capacity), at most
  ``MAX_SUGGESTED_INSTALMENTS`` (24) and at least 1;
* **orientation**, the first that applies:

  - *over-indebtedness commission* when other debts exceed
    ``OVER_INDEBTEDNESS_YEARS`` years of capacity;
  - *FSL* (housing solidarity fund) when the debt cannot be repaid within
    24 months of capacity;
  - *social services* when it needs more than ``SOCIAL_SERVICES_MONTHS``
    months;
  - none otherwise.

No value judgement is recorded (CUST-8): the diagnosis stores figures and
the orientation only, never a comment on the person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from robinet.core.money import is_rounded, round_money

ZERO = Decimal("0")

# Configurable constants (documented in docs/domain/payment-plans.md).
FLOOR_FIRST_PERSON = Decimal("600.00")
FLOOR_PER_OTHER_PERSON = Decimal("300.00")
MAX_SUGGESTED_INSTALMENTS = 24
SOCIAL_SERVICES_MONTHS = 12
OVER_INDEBTEDNESS_YEARS = 2
MAX_HOUSEHOLD = 30

NONE, FSL, SOCIAL_SERVICES, OVER_INDEBTEDNESS = (
    "none",
    "fsl",
    "social_services",
    "over_indebtedness",
)


class DiagnosisError(ValueError):
    """A figure was refused; ``field`` names it, ``message`` is French."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Situation:
    monthly_income: Decimal
    monthly_charges: Decimal
    assets: Decimal
    liabilities: Decimal
    household_size: int
    debt: Decimal


@dataclass(frozen=True)
class Assessment:
    living_floor: Decimal
    monthly_capacity: Decimal
    down_payment: Decimal
    suggested_instalments: int
    monthly_amount: Decimal
    orientation: str
    months_needed: int | None  # None: capacity is nil


def living_floor(household_size: int) -> Decimal:
    """The *reste à vivre* of a household of ``household_size`` people."""
    return FLOOR_FIRST_PERSON + FLOOR_PER_OTHER_PERSON * (household_size - 1)


def _check(situation: Situation) -> None:
    for name in ("monthly_income", "monthly_charges", "assets", "liabilities", "debt"):
        value = getattr(situation, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise DiagnosisError(name, _("Indiquez un montant positif ou nul."))
        if not is_rounded(value):
            raise DiagnosisError(name, _("Le montant s'exprime au centime près."))
    size = situation.household_size
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_HOUSEHOLD:
        raise DiagnosisError(
            "household_size",
            _("Le foyer compte de 1 à %(max)s personnes.") % {"max": MAX_HOUSEHOLD},
        )


def assess(situation: Situation) -> Assessment:
    """The capacity, the suggested plan and the orientation for ``situation``."""
    _check(situation)
    floor = living_floor(situation.household_size)
    capacity = max(ZERO, round_money(situation.monthly_income - situation.monthly_charges - floor))
    debt = situation.debt
    if debt == 0:
        return Assessment(floor, capacity, ZERO, 1, ZERO, NONE, 0)
    if situation.assets >= debt:
        down, rest = ZERO, debt
        months: int | None = 1
        count = 1
    else:
        down, rest = situation.assets, debt - situation.assets
        months = math.ceil(rest / capacity) if capacity > 0 else None
        count = max(1, min(MAX_SUGGESTED_INSTALMENTS, months or MAX_SUGGESTED_INSTALMENTS))
    monthly = round_money(rest / count)
    if (
        situation.liabilities > 0
        and situation.liabilities > capacity * 12 * OVER_INDEBTEDNESS_YEARS
    ):
        orientation = OVER_INDEBTEDNESS
    elif months is None or months > MAX_SUGGESTED_INSTALMENTS:
        orientation = FSL
    elif months > SOCIAL_SERVICES_MONTHS:
        orientation = SOCIAL_SERVICES
    else:
        orientation = NONE
    return Assessment(floor, capacity, down, count, monthly, orientation, months)
