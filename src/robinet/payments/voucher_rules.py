"""Pure rules of vouchers (PAY-10): where serials are, what a movement may move.

No database here: the services load the movements of one face value that
touch a range and ask :func:`locate` where each serial of the range is, then
:func:`check_origin` whether all of them are where the movement takes them
from. A *place* is a small tuple:

* ``None`` — never received (still at the printer);
* ``("entity", id)`` — in the stock of an entity (region or centre);
* ``("agreement", id)`` — handed to the administration of an agreement;
* ``("redeemed", agreement_id)`` — spent to pay a bill;
* ``("cancelled",)`` — destroyed.

A serial is in exactly one place at a time: every movement must take all the
serials of its range from one place, so no serial can be in two live places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

Place = tuple | None

RECEIPT = "receipt"
TRANSFER = "transfer"
ISSUE = "issue"
EXCHANGE_IN = "exchange_in"
EXCHANGE_OUT = "exchange_out"
RETURN = "return"
REDEMPTION = "redemption"
CANCELLATION = "cancellation"

#: serials in one movement at most (a printer's delivery)
MAX_RANGE = 100_000


@dataclass(frozen=True)
class Move:
    """A movement as the rules see it."""

    kind: str
    serial_from: int
    serial_to: int
    source_id: int | None = None
    destination_id: int | None = None
    agreement_id: int | None = None

    @property
    def quantity(self) -> int:
        return self.serial_to - self.serial_from + 1


def origin(move: Move) -> Place:
    """Where ``move`` takes its vouchers from."""
    if move.source_id is not None:
        return ("entity", move.source_id)
    if move.kind == RECEIPT:
        return None
    return ("agreement", move.agreement_id)


def destination(move: Move) -> Place:
    """Where ``move`` puts its vouchers."""
    if move.destination_id is not None:
        return ("entity", move.destination_id)
    if move.kind in (ISSUE, EXCHANGE_OUT):
        return ("agreement", move.agreement_id)
    if move.kind == REDEMPTION:
        return ("redeemed", move.agreement_id)
    return ("cancelled",)


Segment = tuple[int, int, Place]  # first serial, last serial, place


def locate(moves: Iterable[Move], first: int, last: int) -> list[Segment]:
    """The places of serials ``first``–``last`` after ``moves`` (in the order they happened).

    Returns contiguous segments covering the whole range, each with one place.
    """
    segments: list[Segment] = [(first, last, None)]
    for move in moves:
        low, high = max(first, move.serial_from), min(last, move.serial_to)
        if low > high:
            continue
        to = destination(move)
        updated: list[Segment] = []
        for start, end, place in segments:
            if end < low or start > high:
                updated.append((start, end, place))
                continue
            if start < low:
                updated.append((start, low - 1, place))
            updated.append((max(start, low), min(end, high), to))
            if end > high:
                updated.append((high + 1, end, place))
        segments = _merge(updated)
    return segments


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for start, end, place in segments:
        if merged and merged[-1][2] == place and merged[-1][1] + 1 == start:
            merged[-1] = (merged[-1][0], end, place)
        else:
            merged.append((start, end, place))
    return merged


def misplaced(segments: list[Segment], expected: Place) -> list[Segment]:
    """The segments that are not at ``expected``."""
    return [s for s in segments if s[2] != expected]


def stock_deltas(moves: Iterable[tuple[Move, int]]) -> dict[tuple[int, int], int]:
    """Σ of ``(move, denomination)`` per (entity id, denomination): what the stock must be."""
    totals: dict[tuple[int, int], int] = {}
    for move, denomination in moves:
        if move.destination_id is not None:
            key = (move.destination_id, denomination)
            totals[key] = totals.get(key, 0) + move.quantity
        if move.source_id is not None:
            key = (move.source_id, denomination)
            totals[key] = totals.get(key, 0) - move.quantity
    return totals


def ranges_overlap(ranges: list[tuple[int, int, int]]) -> bool:
    """Whether two of ``(denomination, first, last)`` share a serial."""
    by_denomination: dict[int, list[tuple[int, int]]] = {}
    for denomination, first, last in ranges:
        by_denomination.setdefault(denomination, []).append((first, last))
    for spans in by_denomination.values():
        spans.sort()
        for (_a, end), (start, _b) in zip(spans, spans[1:], strict=False):
            if start <= end:
                return True
    return False


@dataclass
class DenominationFigures:
    """One face value of one agreement in the yearly statement."""

    denomination: int
    agreed: int = 0
    issued: int = 0  # net: issued + exchanged out − returned − exchanged in
    redeemed: int = 0
    cancelled: int = 0  # lost or destroyed while at the administration

    @property
    def unused(self) -> int:
        return self.issued - self.redeemed - self.cancelled

    @property
    def face(self) -> Decimal:
        return Decimal(self.denomination)

    @property
    def agreed_amount(self) -> Decimal:
        return self.face * self.agreed

    @property
    def issued_amount(self) -> Decimal:
        return self.face * self.issued

    @property
    def redeemed_amount(self) -> Decimal:
        return self.face * self.redeemed

    @property
    def unused_amount(self) -> Decimal:
        return self.face * self.unused


def agreement_figures(
    agreed: dict[int, int], moves: Iterable[tuple[str, int, int]]
) -> list[DenominationFigures]:
    """Statement figures of one agreement from its lines and ``(kind, denomination, qty)``."""
    figures = {d: DenominationFigures(d, agreed=q) for d, q in agreed.items()}
    for kind, denomination, quantity in moves:
        row = figures.setdefault(denomination, DenominationFigures(denomination))
        if kind in (ISSUE, EXCHANGE_OUT):
            row.issued += quantity
        elif kind in (RETURN, EXCHANGE_IN):
            row.issued -= quantity
        elif kind == REDEMPTION:
            row.redeemed += quantity
        elif kind == CANCELLATION:
            row.cancelled += quantity
    return [figures[d] for d in sorted(figures)]
