"""Payment plan arithmetic (COLL-5): the schedule and how far it has been paid. Pure.

* :func:`schedule` spreads a debt over a down payment (optional) and ``count``
  monthly instalments. The instalments are equal to the cent, except the last,
  which carries what the division leaves (a few cents at most): they add up
  exactly to the total and each is positive. Dates are monthly from the first
  due date and clamped to the end of shorter months (31 January → 28 or
  29 February → 31 March: always counted from the first date, never drifting).
  The down payment, when there is one, is instalment 1, due the day the plan
  is agreed.
* :func:`plan_status` reads a schedule against what has been paid: an
  instalment is paid when the cumulated payments reach the cumulated amounts
  due up to it (payments go to the oldest instalment first); it is missed when
  it is not paid once its date plus the grace period has passed. A plan is
  *kept* when everything is paid, *broken* at the first miss, *running*
  otherwise.
* :func:`left_to_pay` — what is still owed on each instalment given what has
  been paid (the same oldest-first reading): the amount a direct debit
  collects for it (COLL-5 plans paid by direct debit, PAY-3).

No database, no settings: amounts are ``Decimal`` and rounded with
:func:`robinet.core.money.round_money` only.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from robinet.core.money import is_rounded, round_money

MIN_COUNT = 1
MAX_COUNT = 36
MAX_GRACE_DAYS = 60
CENT = Decimal("0.01")
ZERO = Decimal("0")

PAID, MISSED, PENDING = "paid", "missed", "pending"
KEPT, BROKEN, RUNNING = "kept", "broken", "running"


class ScheduleError(ValueError):
    """A rule refused the schedule; ``field`` names the input, ``message`` is French."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Due:
    """One instalment of a schedule."""

    sequence: int
    due_on: dt.date
    amount: Decimal


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` moved ``months`` months on, its day clamped to the end of the month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def schedule(
    *,
    total: Decimal,
    down_payment: Decimal = ZERO,
    count: int,
    first_due: dt.date,
    agreed_on: dt.date,
) -> list[Due]:
    """The instalments of a plan: ``(sequence, due_on, amount)``, down payment first.

    ``count`` is the number of monthly instalments after the down payment
    (1 to 36). Raises :class:`ScheduleError` naming the field at fault.
    """
    if not isinstance(total, Decimal) or not total.is_finite() or total <= 0:
        raise ScheduleError("items", _("Le montant à échelonner doit être positif."))
    if not is_rounded(total):
        raise ScheduleError("items", _("Le montant à échelonner s'exprime au centime près."))
    if not isinstance(count, int) or isinstance(count, bool) or not MIN_COUNT <= count <= MAX_COUNT:
        raise ScheduleError(
            "count",
            _("Le nombre d'échéances va de %(low)s à %(high)s.")
            % {"low": MIN_COUNT, "high": MAX_COUNT},
        )
    if not isinstance(down_payment, Decimal) or not down_payment.is_finite() or down_payment < 0:
        raise ScheduleError("down_payment", _("L'acompte ne peut pas être négatif."))
    if not is_rounded(down_payment):
        raise ScheduleError("down_payment", _("L'acompte s'exprime au centime près."))
    if down_payment >= total:
        raise ScheduleError("down_payment", _("L'acompte doit être inférieur au montant dû."))
    if first_due < agreed_on:
        raise ScheduleError(
            "first_due", _("La première échéance ne peut pas précéder la date de l'accord.")
        )
    if down_payment > 0 and first_due == agreed_on:
        raise ScheduleError(
            "first_due", _("Avec un acompte, la première échéance suit la date de l'accord.")
        )
    rest_cents = int((total - down_payment) / CENT)
    base_cents = rest_cents // count
    if base_cents < 1:
        raise ScheduleError(
            "count", _("Trop d'échéances pour ce montant : chacune doit être d'au moins 0,01 €.")
        )
    base = round_money(Decimal(base_cents) * CENT)
    last = round_money(total - down_payment - base * (count - 1))
    dues: list[Due] = []
    if down_payment > 0:
        dues.append(Due(1, agreed_on, round_money(down_payment)))
    offset = len(dues)
    for k in range(count):
        dues.append(Due(offset + k + 1, add_months(first_due, k), last if k == count - 1 else base))
    return dues


@dataclass(frozen=True)
class PlanStatus:
    """What has become of each instalment, by sequence, and of the plan."""

    states: dict[int, str]
    outcome: str  # kept | broken | running
    paid: Decimal
    due_total: Decimal

    @property
    def kept(self) -> bool:
        return self.outcome == KEPT

    @property
    def broken(self) -> bool:
        return self.outcome == BROKEN

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, self.due_total - self.paid)


def _fields(item) -> tuple[int, dt.date, Decimal]:
    if isinstance(item, tuple):
        return item[0], item[1], item[2]
    return item.sequence, item.due_on, item.amount


def plan_status(
    instalments: Iterable[Due] | Sequence[tuple[int, dt.date, Decimal]],
    *,
    paid: Decimal,
    on: dt.date,
    grace_days: int,
) -> PlanStatus:
    """The state of each instalment and of the plan on ``on`` given ``paid`` so far."""
    rows = sorted((_fields(i) for i in instalments), key=lambda r: r[0])
    paid = max(ZERO, paid)
    grace = dt.timedelta(days=grace_days)
    states: dict[int, str] = {}
    cumulated = ZERO
    for sequence, due_on, amount in rows:
        cumulated += amount
        if paid >= cumulated:
            states[sequence] = PAID
        elif due_on + grace < on:
            states[sequence] = MISSED
        else:
            states[sequence] = PENDING
    if rows and all(s == PAID for s in states.values()):
        outcome = KEPT
    elif MISSED in states.values():
        outcome = BROKEN
    else:
        outcome = RUNNING
    return PlanStatus(states=states, outcome=outcome, paid=paid, due_total=cumulated)


def left_to_pay(
    instalments: Iterable[Due] | Sequence[tuple[int, dt.date, Decimal]], *, paid: Decimal
) -> dict[int, Decimal]:
    """What is still owed on each instalment, by sequence: 0 when paid, at most its amount.

    Payments go to the oldest instalment first, as in :func:`plan_status`; the
    amounts add up to the schedule's total minus ``paid`` (never below 0).
    """
    rows = sorted((_fields(i) for i in instalments), key=lambda r: r[0])
    left = max(ZERO, paid)
    owed: dict[int, Decimal] = {}
    for sequence, _due_on, amount in rows:
        covered = min(amount, left)
        left -= covered
        owed[sequence] = amount - covered
    return owed
