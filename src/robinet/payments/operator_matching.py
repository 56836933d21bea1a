"""Validating an operator's statement against the transfers it covers (PAY-8), pure.

No database here: the service resolves accounts, invoices and earlier
bookings, then asks :func:`examine` whether the statement may be booked.
The rule: every line is sound (known account, known invoice when one is
named, its reference neither repeated in the file nor booked before) and
the statement total equals, to the cent, the total of the transfer(s) it
covers. Otherwise nothing is booked and every difference is listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

UNKNOWN_ACCOUNT = "unknown_account"
UNKNOWN_INVOICE = "unknown_invoice"
DUPLICATE = "duplicate"
ALREADY_BOOKED = "already_booked"
NO_TRANSFER = "no_transfer"
TOTAL_MISMATCH = "total_mismatch"


@dataclass(frozen=True)
class StatementLine:
    line: int
    reference: str
    amount: Decimal
    account_known: bool = True
    invoice_known: bool = True  # True also when the line names no invoice
    already_booked: bool = False


@dataclass(frozen=True)
class Transfer:
    key: int | str
    amount: Decimal
    received_on: object = None  # a date; only used to choose the earliest


@dataclass
class Examination:
    statement_total: Decimal
    transfer_total: Decimal
    transfers: list[int | str] = field(default_factory=list)
    #: line number → issue codes (in the order found)
    line_issues: dict[int, list[str]] = field(default_factory=dict)
    #: statement-level issue codes
    issues: list[str] = field(default_factory=list)

    @property
    def bookable(self) -> bool:
        return not self.issues and not self.line_issues

    @property
    def booked_total(self) -> Decimal:
        return self.statement_total if self.bookable else Decimal("0.00")

    @property
    def difference(self) -> Decimal:
        return self.statement_total - self.transfer_total


def line_issues(lines: Sequence[StatementLine]) -> dict[int, list[str]]:
    """The problems of each line on its own and against the others (the first of a
    repeated reference is kept, the next ones are duplicates)."""
    found: dict[int, list[str]] = {}
    seen: set[str] = set()
    for item in sorted(lines, key=lambda x: x.line):
        codes = []
        if not item.account_known:
            codes.append(UNKNOWN_ACCOUNT)
        if not item.invoice_known:
            codes.append(UNKNOWN_INVOICE)
        if item.reference in seen:
            codes.append(DUPLICATE)
        elif item.already_booked:
            codes.append(ALREADY_BOOKED)
        seen.add(item.reference)
        if codes:
            found[item.line] = codes
    return found


def pick_transfer(total: Decimal, candidates: Sequence[Transfer]) -> Transfer | None:
    """The transfer a statement of ``total`` covers when none was chosen: the earliest
    unassigned one of exactly that amount."""
    equal = [t for t in candidates if t.amount == total]
    equal.sort(key=lambda t: (t.received_on is None, t.received_on or 0, str(t.key)))
    return equal[0] if equal else None


def examine(
    lines: Sequence[StatementLine],
    *,
    chosen: Sequence[Transfer] | None = None,
    candidates: Sequence[Transfer] = (),
) -> Examination:
    """Whether the statement may be booked against ``chosen`` transfers (the officer's choice)
    or, without a choice, against the one of ``candidates`` of the same total."""
    total = sum((x.amount for x in lines), Decimal("0.00"))
    if chosen:
        transfers = list(chosen)
    else:
        picked = pick_transfer(total, candidates)
        transfers = [picked] if picked is not None else []
    result = Examination(
        statement_total=total,
        transfer_total=sum((t.amount for t in transfers), Decimal("0.00")),
        transfers=[t.key for t in transfers],
        line_issues=line_issues(lines),
    )
    if not transfers:
        result.issues.append(NO_TRANSFER)
    elif result.transfer_total != total:
        result.issues.append(TOTAL_MISMATCH)
    return result
