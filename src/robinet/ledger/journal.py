"""Reads of the general ledger for the screens and the API: entries, one entry, the chart (PAY-7).

Entries are scoped to the centres where the viewer holds ``ACCOUNTING_VIEW``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

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
        # A run's entry gathers many invoices or payments: each the piece of its own line.
        piece = piece.strip()
        entries = entries.filter(
            Q(piece_ref__icontains=piece)
            | Q(
                pk__in=JournalLine.objects.exclude(piece_ref="")
                .filter(piece_ref__icontains=piece)
                .values("entry_id")
            )
        )
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


#: lines of an entry shown at a time (a run's entry has one per invoice or payment)
LINES_PER_PAGE = 200


def entry_lines(entry: JournalEntry, *, page: int | str | None = None) -> list[dict] | Page:
    """The entry's lines with the account label, the customer account and the line's own
    piece (the entry's when it has none), in order: all of them, or one ``page``."""
    labels = dict(LedgerAccount.objects.values_list("code", "label"))
    lines = entry.lines.select_related("customer_account__party").order_by("pk")
    if page is not None:
        shown = Paginator(lines, LINES_PER_PAGE).get_page(page)
        shown.object_list = [_line(line, labels, entry) for line in shown.object_list]
        return shown
    return [_line(line, labels, entry) for line in lines]


def _line(line: JournalLine, labels: dict[str, str], entry: JournalEntry) -> dict:
    return {
        "ledger_account": line.ledger_account,
        "label": labels.get(line.ledger_account, ""),
        "customer_account": line.customer_account,
        "piece_ref": line.piece_ref or entry.piece_ref,
        "debit": line.debit,
        "credit": line.credit,
    }


def entry_totals(entry: JournalEntry) -> tuple[Decimal, Decimal]:
    """(total debit, total credit) of the entry's lines."""
    totals = entry.lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return cents(totals["debit"] or ZERO), cents(totals["credit"] or ZERO)


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
