"""JSON API of write-offs (*admissions en non-valeur*, COLL-11).

* ``GET /collections/write-offs`` (filters ``account``, ``state``);
* ``POST /collections/write-offs``: propose a write-off (201); ``items`` lists
  open debit items by document number with an optional ``amount`` (all that
  is owed when absent); 400 naming the field (``account``, ``items``,
  ``reason``);
* ``POST /collections/write-offs/{number}/approve``: approve and book it —
  403 for the requester (four eyes) or without ``collection.write_off_approve``,
  409 when already decided or an item changed;
* ``POST /collections/write-offs/{number}/reject``: refuse it (``note`` required).

Amounts are strings. Permissions as on the screens.
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.collections import writeoff_selectors as selectors
from robinet.collections import writeoffs
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

router = Router(tags=["recouvrement"])


class WriteOffItemOut(Schema):
    document: str = Field(alias="item.document_number")
    due_date: dt.date = Field(alias="item.due_date")
    amount: Decimal
    open_amount: Decimal = Field(alias="item.open_amount")


class WriteOffOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    reason: str = Field(
        description="irrecoverable | deceased | over_indebtedness | below_cost | time_barred"
    )
    state: str = Field(description="requested | approved | booked | rejected")
    total: Decimal
    note: str
    requested_by: str = Field(alias="requested_by.username")
    requested_at: dt.datetime
    decided_by: str | None = None
    decided_on: dt.date | None
    decision_note: str
    items: list[WriteOffItemOut]

    @staticmethod
    def resolve_decided_by(obj) -> str | None:
        return obj.decided_by.username if obj.decided_by_id else None

    @staticmethod
    def resolve_items(obj):
        return selectors.write_off_items(obj)


class ItemIn(Schema):
    document: str
    amount: Decimal | None = None


class WriteOffIn(Schema):
    account: str
    items: list[ItemIn]
    reason: str
    note: str = ""


class DecisionIn(Schema):
    note: str = ""


def _account(request, number: str):
    try:
        return customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=Perm.COLLECTION_VIEW
        )
    except NotFound:
        raise ValidationFailed(
            {"account": [_("Compte client %(n)s introuvable.") % {"n": number}]}
        ) from None


@router.get(
    "/collections/write-offs", response=list[WriteOffOut], summary="Admissions en non-valeur"
)
def write_off_list(request, account: str = "", state: str = "", limit: int = 50, offset: int = 0):
    rows = selectors.write_off_list(user=request.user, state=state, account=account)
    return list(rows.prefetch_related("items__item")[_page(limit, offset)])


@router.post(
    "/collections/write-offs",
    response={201: WriteOffOut},
    summary="Proposer une admission en non-valeur",
)
def write_off_create(request, payload: WriteOffIn):
    account = _account(request, payload.account)
    require(request.user, Perm.WRITE_OFF_REQUEST, account.centre)
    found = {i.document_number: i for i in selectors.open_debits(account)}
    missing = [i.document for i in payload.items if i.document not in found]
    if missing:
        raise ValidationFailed(
            {"items": [_("Poste %(n)s introuvable ou soldé.") % {"n": ", ".join(missing)}]}
        )
    wo = writeoffs.write_off_request(
        actor=request.user,
        account=account,
        items=[(found[i.document], i.amount) for i in payload.items],
        reason=payload.reason,
        note=payload.note,
    )
    return Status(201, selectors.write_off_get_for_user(user=request.user, number=wo.number))


@router.post(
    "/collections/write-offs/{number}/approve",
    response=WriteOffOut,
    summary="Approuver et comptabiliser une admission en non-valeur",
)
def write_off_approve(request, number: str, payload: DecisionIn):
    wo = selectors.write_off_get_for_user(user=request.user, number=number)
    writeoffs.write_off_approve(actor=request.user, request=wo, note=payload.note)
    return selectors.write_off_get_for_user(user=request.user, number=number)


@router.post(
    "/collections/write-offs/{number}/reject",
    response=WriteOffOut,
    summary="Refuser une admission en non-valeur",
)
def write_off_reject(request, number: str, payload: DecisionIn):
    wo = selectors.write_off_get_for_user(user=request.user, number=number)
    writeoffs.write_off_reject(actor=request.user, request=wo, note=payload.note)
    return selectors.write_off_get_for_user(user=request.user, number=number)
