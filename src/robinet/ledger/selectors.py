"""Reads of customer accounts: balance, open items, statement, allocations (PAY-1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum

from robinet.ledger.models import Allocation, OpenItem

ZERO = Decimal("0.00")


def open_items(account) -> QuerySet[OpenItem]:
    return OpenItem.objects.filter(account=account, cleared_on__isnull=True).order_by(
        "due_date", "id"
    )


def account_balance(account) -> Decimal:
    """What the account owes (positive) or is owed (negative): the sum of open amounts."""
    total = open_items(account).aggregate(total=Sum("open_amount"))["total"]
    return total if total is not None else ZERO


@dataclass(frozen=True)
class StatementRow:
    item: OpenItem
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass
class Statement:
    account: object
    start: dt.date | None
    end: dt.date | None
    opening_balance: Decimal
    rows: list[StatementRow] = field(default_factory=list)
    total_debit: Decimal = ZERO
    total_credit: Decimal = ZERO

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.total_debit - self.total_credit


def account_statement(
    account,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    kinds: list[str] | None = None,
    open_only: bool = False,
) -> Statement:
    """The account's documents in the order they were posted, with the running balance.

    The balance before ``start`` is the opening line; filtering by kind or by what
    is still open narrows the rows but the running balance stays the account's.
    """
    items = OpenItem.objects.filter(account=account)
    before = ZERO
    if start is not None:
        before = items.filter(posted_on__lt=start).aggregate(t=Sum("amount"))["t"] or ZERO
        items = items.filter(posted_on__gte=start)
    if end is not None:
        items = items.filter(posted_on__lte=end)
    statement = Statement(account=account, start=start, end=end, opening_balance=before)
    balance = before
    for item in items.select_related(
        "invoice", "payment__direct_debit__run", "payment__reversal"
    ).order_by("posted_on", "id"):
        balance += item.amount
        if kinds and item.kind not in kinds:
            continue
        if open_only and item.open_amount == 0:
            continue
        debit = item.amount if item.amount > 0 else ZERO
        credit = -item.amount if item.amount < 0 else ZERO
        statement.rows.append(StatementRow(item, debit, credit, balance))
        statement.total_debit += debit
        statement.total_credit += credit
    if kinds or open_only:
        # Totals of what is shown; the closing balance is still the account's.
        statement.opening_balance = balance - statement.total_debit + statement.total_credit
    return statement


def account_allocations(account) -> QuerySet[Allocation]:
    return (
        Allocation.objects.filter(account=account)
        .select_related("debit", "credit", "reverses", "created_by")
        .prefetch_related("reversed_by")
        .order_by("-allocated_on", "-id")
    )


def open_debits(account) -> QuerySet[OpenItem]:
    return open_items(account).filter(open_amount__gt=0)


def open_credits(account) -> QuerySet[OpenItem]:
    return open_items(account).filter(open_amount__lt=0)


def item_for_account(account, pk: int) -> OpenItem | None:
    return OpenItem.objects.filter(account=account, pk=pk).first()


def allocation_for_account(account, pk: int) -> Allocation | None:
    return (
        Allocation.objects.filter(account=account, pk=pk)
        .select_related("debit__account__centre", "credit")
        .first()
    )


def is_live(allocation: Allocation) -> bool:
    return (
        allocation.reverses_id is None
        and not Allocation.objects.filter(reverses=allocation).exists()
    )


def account_payments(account):
    from robinet.payments.models import Payment

    return (
        Payment.objects.filter(account=account)
        .select_related("reversal", "invoice")
        .order_by("-received_on", "-id")
    )
