"""Reading bank statements and the unallocated-amounts worklist (PAY-5).

Unallocated credits belong to no centre yet: they are the utility's, so the
worklist is shown to whoever may view payments (PAYMENT_VIEW anywhere).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from robinet.core.exceptions import NotFound
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments.models import BankStatement, EntryStatus, StatementEntry

#: ageing buckets of the worklist: (label, from days, to days inclusive or None)
AGEING_BUCKETS = (
    (_("moins de 8 jours"), 0, 7),
    (_("8 à 30 jours"), 8, 30),
    (_("31 à 90 jours"), 31, 90),
    (_("plus de 90 jours"), 91, None),
)


def statement_list(*, user) -> QuerySet[BankStatement]:
    require(user, Perm.PAYMENT_VIEW)
    return BankStatement.objects.select_related("imported_by").order_by("-imported_at", "-pk")


def statement_get(*, user, pk) -> BankStatement:
    statement = statement_list(user=user).filter(pk=pk).first() if str(pk).isdecimal() else None
    if statement is None:
        raise NotFound(_("Relevé introuvable."))
    return statement


def statement_entries(*, statement: BankStatement) -> QuerySet[StatementEntry]:
    return statement.entries.select_related("account").order_by("line")


def worklist(
    *, user, status: str = EntryStatus.UNALLOCATED, search: str = ""
) -> QuerySet[StatementEntry]:
    """The credits with ``status`` (the unallocated ones by default), oldest first."""
    require(user, Perm.PAYMENT_VIEW)
    entries = StatementEntry.objects.filter(status=status).select_related("statement", "account")
    search = (search or "").strip()
    if search:
        entries = entries.filter(debtor_name__icontains=search) | entries.filter(
            remittance__icontains=search
        )
    return entries.order_by("value_date", "pk")


def entry_get(*, user, pk) -> StatementEntry:
    require(user, Perm.PAYMENT_VIEW)
    entry = (
        StatementEntry.objects.select_related("statement", "account").filter(pk=pk).first()
        if str(pk).isdecimal()
        else None
    )
    if entry is None:
        raise NotFound(_("Opération de relevé introuvable."))
    return entry


@dataclass(frozen=True)
class AgeingRow:
    label: str
    count: int
    total: Decimal


def worklist_ageing(*, user, today: dt.date) -> list[AgeingRow]:
    """How long the unallocated credits have waited (by value date), per bucket."""
    require(user, Perm.PAYMENT_VIEW)
    rows = []
    for label, low, high in AGEING_BUCKETS:
        entries = StatementEntry.objects.filter(
            status=EntryStatus.UNALLOCATED, value_date__lte=today - dt.timedelta(days=low)
        )
        if high is not None:
            entries = entries.filter(value_date__gt=today - dt.timedelta(days=high + 1))
        totals = entries.aggregate(n=Count("pk"), total=Sum("amount"))
        rows.append(AgeingRow(str(label), totals["n"], totals["total"] or Decimal("0.00")))
    return rows


def allocation_target(*, user, number: str, invoice_number: str = ""):
    """(account, invoice or None) the officer named, checked: ``ValidationFailed`` naming
    ``account`` or ``invoice`` when unknown, not visible, or not the account's."""
    from robinet.billing.models import Invoice
    from robinet.core.exceptions import ValidationFailed
    from robinet.customers import selectors as customer_selectors

    try:
        account = customer_selectors.account_get_for_user(
            user=user, number=(number or "").strip(), perm=Perm.PAYMENT_VIEW
        )
    except NotFound:
        raise ValidationFailed(
            {"account": [_("Compte client « %(n)s » introuvable.") % {"n": number}]}
        ) from None
    invoice = None
    if (invoice_number or "").strip():
        invoice = Invoice.objects.filter(number=invoice_number.strip(), account=account).first()
        if invoice is None:
            raise ValidationFailed(
                {
                    "invoice": [
                        _("Facture « %(n)s » introuvable sur ce compte.") % {"n": invoice_number}
                    ]
                }
            )
    return account, invoice
