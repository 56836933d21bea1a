"""Reads of write-offs and provisions (COLL-11), scoped to the viewer."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.collections.access import scoped
from robinet.collections.fetch import recovered_here
from robinet.collections.models import (
    ProvisionRun,
    ProvisionSnapshot,
    WriteOffItem,
    WriteOffRequest,
)
from robinet.collections.provisions import DEFAULT_BUCKETS, buckets_for
from robinet.core.exceptions import NotFound
from robinet.ledger.models import OpenItem
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

VIEW = Perm.COLLECTION_VIEW
ZERO = Decimal("0.00")


def write_off_list(*, user, state: str = "", account: str = "") -> QuerySet[WriteOffRequest]:
    """Requests of the accounts the user may see, newest first (filters: state, account)."""
    rows = scoped(
        WriteOffRequest.objects.select_related("account__party", "requested_by", "decided_by"),
        user,
    )
    if state:
        rows = rows.filter(state=state)
    if account:
        rows = rows.filter(account__number=account.strip())
    return rows.order_by("-requested_at", "-id")


def write_off_get_for_user(*, user, number: str) -> WriteOffRequest:
    request = (
        write_off_list(user=user)
        .select_related("account__centre", "credit_item", "entry")
        .filter(number=number)
        .first()
    )
    if request is None:
        raise NotFound(_("Admission en non-valeur introuvable."))
    return request


def write_off_items(request: WriteOffRequest) -> list[WriteOffItem]:
    return list(request.items.select_related("item").order_by("item__due_date", "item_id"))


def write_off_entry_lines(request: WriteOffRequest) -> list:
    """The journal lines of the write-off and of its provision reprise."""
    from robinet.ledger.models import JournalLine

    if request.entry_id is None:
        return []
    return list(
        JournalLine.objects.filter(entry__piece_ref=request.number)
        .select_related("entry")
        .order_by("entry_id", "-debit", "ledger_account")
    )


def open_debits(account) -> list[OpenItem]:
    """The account's open debit items, oldest first (what may be written off)."""
    return list(
        OpenItem.objects.filter(
            recovered_here(), account=account, cleared_on__isnull=True, open_amount__gt=0
        )
        .select_related("provision")
        .order_by("due_date", "pk")
    )


def provision_runs(*, user, limit: int = 10) -> list[ProvisionRun]:
    require(user, VIEW)
    return list(ProvisionRun.objects.select_related("by").order_by("-at", "-id")[:limit])


def provision_by_bucket(*, user) -> list[dict]:
    """What is carried now on doubtful customers and provisioned, by bucket (viewer's centres)."""
    rows = (
        scoped(ProvisionSnapshot.objects.filter(doubtful__gt=0), user)
        .values("bucket")
        .annotate(doubtful=Sum("doubtful"), provision=Sum("provision"))
        .order_by("bucket")
    )
    by_bucket = {r["bucket"]: r for r in rows}
    out = []
    for index, bucket in enumerate(buckets_for(None) or DEFAULT_BUCKETS):
        row = by_bucket.get(index, {})
        out.append(
            {
                "label": bucket.label,
                "rate": bucket.rate * 100,
                "doubtful": Decimal(row.get("doubtful") or 0).quantize(Decimal("0.01")),
                "provision": Decimal(row.get("provision") or 0).quantize(Decimal("0.01")),
            }
        )
    return out
