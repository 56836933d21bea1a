"""Spreading an allocation over the parts of an invoice (PAY-1a). Pure: no database.

An invoice's *parts* are what each beneficiary is owed on it: the amounts
excluding VAT per (beneficiary, service) and the VAT per rate. A payment
clearing part of the invoice is spread pro rata to what remains of each
part (by default), or part after part in a configured order of categories
(fees, interest, principal). Cents are never lost or invented, no part ever
receives more than remains of it, and the allocation that settles the
invoice gives each part exactly its remainder.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from robinet.core.money import allocate as split

ZERO = Decimal("0.00")


class Part(NamedTuple):  # a tuple: bookings make millions of them
    beneficiary: str
    service: str
    remaining: Decimal
    category: str = "principal"


def spread(
    amount: Decimal, parts: Sequence[Part], *, order: Sequence[str] | None = None
) -> list[Decimal]:
    """How much of ``amount`` goes to each part (same order as ``parts``).

    ``amount`` may be negative (a credit note's or an un-allocation's share); it is
    spread like its absolute value over what remains to be *un*-cleared then.
    """
    if not parts:
        raise ValueError("spread() needs at least one part")
    total = sum((p.remaining for p in parts), ZERO)
    if amount == total:
        return [p.remaining for p in parts]
    if order is not None:
        return _in_order(amount, parts, order)
    positive = [max(p.remaining, ZERO) for p in parts]
    if amount < 0 or sum(positive, ZERO) == 0:
        # Nothing positive left to weigh by: spread over the parts' sizes.
        weights = [abs(p.remaining) for p in parts]
        if sum(weights, ZERO) == 0:
            weights = [Decimal(1)] * len(parts)
        return split(amount, weights)
    return split(amount, positive)


def _in_order(amount: Decimal, parts: Sequence[Part], order: Sequence[str]) -> list[Decimal]:
    rank = {category: i for i, category in enumerate(order)}
    indexes = sorted(range(len(parts)), key=lambda i: (rank.get(parts[i].category, len(rank)), i))
    result = [ZERO] * len(parts)
    left = amount
    for i in indexes:
        if left <= 0:
            break
        take = min(left, max(parts[i].remaining, ZERO))
        result[i] = take
        left -= take
    if left != 0:
        # More than the positive parts (or a negative amount): the rest pro rata.
        extra = spread(left, parts)
        result = [a + b for a, b in zip(result, extra, strict=True)]
    return result
