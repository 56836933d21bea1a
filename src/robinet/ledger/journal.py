"""Reads of the general ledger for the screens and the API: entries, one entry, the chart (PAY-7).

Entries are scoped to the centres where the viewer holds ``ACCOUNTING_VIEW``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from robinet.core.exceptions import NotFound
from robinet.ledger.models import Journal, JournalEntry, JournalLine, LedgerAccount
from robinet.ledger.reconciliation import cents
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")


def entry_list(
    *, user, journal: str = "", start: dt.date | None = None, end: dt.date | None = None,
    piece: str = "", account: str = "",
) -> QuerySet[JournalEntry]:  # fmt: skip
    """Entries the user may see, newest first, with their totals (``total_debit``)."""
    scope = require(user, Perm.ACCOUNTING_VIEW)
    entries = JournalEntry.objects.filter(scope.entity_filter(Perm.ACCOUNTING_VIEW, "centre"))
    if journal:
        entries = entries.filter(journal=journal)
    if start:
        entries = entries.filter(entry_date__gte=start)
    if end:
        entries = entries.filter(entry_date__lte=end)
    if piece:
        entries = entries.filter(piece_ref__icontains=piece.strip())
    if account:
        entries = entries.filter(
            pk__in=JournalLine.objects.filter(ledger_account__startswith=account.strip()).values(
                "entry_id"
            )
        )
    return (
        entries.select_related("centre")
        # A correlated subquery: evaluated for the rows shown only (a join would group them all).
        .annotate(
            total_debit=Subquery(
                JournalLine.objects.filter(entry=OuterRef("pk"))
                .values("entry")
                .annotate(t=Sum("debit"))
                .values("t")
            )
        )
        .order_by("-entry_date", "-pk")
    )


def entry_get_for_user(*, user, pk: int) -> JournalEntry:
    scope = require(user, Perm.ACCOUNTING_VIEW)
    entry = (
        JournalEntry.objects.filter(scope.entity_filter(Perm.ACCOUNTING_VIEW, "centre"), pk=pk)
        .select_related("centre")
        .first()
    )
    if entry is None:
        raise NotFound()
    return entry


def entry_lines(entry: JournalEntry) -> list[dict]:
    """The entry's lines with the account label and the customer account, in order."""
    labels = dict(LedgerAccount.objects.values_list("code", "label"))
    return [
        {
            "ledger_account": line.ledger_account,
            "label": labels.get(line.ledger_account, ""),
            "customer_account": line.customer_account,
            "debit": line.debit,
            "credit": line.credit,
        }
        for line in entry.lines.select_related("customer_account__party").order_by("pk")
    ]


def chart_list(*, user) -> list[dict]:
    """The chart of accounts with each account's balance (debit − credit) over the visible centres."""
    scope = require(user, Perm.ACCOUNTING_VIEW)
    balances = {
        code: cents(d) - cents(c)
        for code, d, c in JournalLine.objects.filter(
            scope.entity_filter(Perm.ACCOUNTING_VIEW, "entry__centre")
        )
        .values("ledger_account")
        .order_by("ledger_account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("ledger_account", "d", "c")
    }
    return [
        {
            "code": account.code,
            "label": account.label,
            "role": account.role or "",
            "balance": balances.get(account.code, ZERO),
        }
        for account in LedgerAccount.objects.order_by("code")
    ]


JOURNALS = Journal.choices
