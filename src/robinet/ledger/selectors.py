"""Reads of the open items."""

from decimal import Decimal

from django.db.models import QuerySet, Sum

from robinet.ledger.models import OpenItem


def open_items(account) -> QuerySet[OpenItem]:
    return OpenItem.objects.filter(account=account, cleared_on__isnull=True).order_by(
        "due_date", "id"
    )


def account_balance(account) -> Decimal:
    """What the account owes (positive) or is owed (negative): the sum of open amounts."""
    total = open_items(account).aggregate(total=Sum("open_amount"))["total"]
    return total if total is not None else Decimal("0.00")
