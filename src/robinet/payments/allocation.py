"""Which open debits a credit clears, and for how much (PAY-1). Pure: no database.

The rule: the invoice the payer referenced first; then the oldest due date
first; on the same due date, fees before interest before principal (the
order is a parameter); then the oldest item. A credit larger than what is
owed leaves its remainder open (a credit balance); a smaller one leaves
the last debit partly open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_CATEGORY_ORDER = ("fee", "interest", "principal")


@dataclass(frozen=True)
class Debit:
    id: int
    due_date: dt.date
    open_amount: Decimal
    invoice_id: int | None = None
    category: str = "principal"


def order_debits(
    debits: Sequence[Debit],
    *,
    invoice_id: int | None = None,
    category_order: Sequence[str] = DEFAULT_CATEGORY_ORDER,
) -> list[Debit]:
    rank = {category: i for i, category in enumerate(category_order)}
    return sorted(
        debits,
        key=lambda d: (
            not (invoice_id is not None and d.invoice_id == invoice_id),
            d.due_date,
            rank.get(d.category, len(rank)),
            d.id,
        ),
    )


def allocate(
    amount: Decimal,
    debits: Sequence[Debit],
    *,
    invoice_id: int | None = None,
    category_order: Sequence[str] = DEFAULT_CATEGORY_ORDER,
) -> list[tuple[int, Decimal]]:
    """``[(debit id, amount cleared)]`` for a credit of ``amount`` (positive) against ``debits``.

    Never clears more than a debit's open amount nor more than ``amount`` in all.
    """
    if amount < 0:
        raise ValueError("allocate() takes the credit's amount as a positive number")
    left = amount
    result: list[tuple[int, Decimal]] = []
    for debit in order_debits(debits, invoice_id=invoice_id, category_order=category_order):
        if left <= 0:
            break
        if debit.open_amount <= 0:
            continue
        take = min(left, debit.open_amount)
        result.append((debit.id, take))
        left -= take
    return result
