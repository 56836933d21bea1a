"""JSON API of the collection officer's worklist (COLL-7) and call outcomes (COLL-13).

* ``GET /collections/worklist``: the scored overdue accounts of the user's
  centres, largest expected loss first; filters ``centre`` (id), ``level``,
  ``customer_class``, ``min_amount``, ``action`` (next action code), ``q``
  (account number prefix or name); ``limit``/``offset``. Amounts are strings.
* ``POST /collections/accounts/{number}/contacts``: record the outcome of a
  call (``reached | absent | promise | disputed | wrong_number``), 201.

Same permissions as the screen: ``collection.view`` to read,
``collection.plans`` on the account's centre to record a call.
"""

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.collections import worklist
from robinet.collections.views_worklist import filters_from
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

router = Router(tags=["recouvrement"])


class ScoreOut(Schema):
    account: str = Field(alias="account.number")
    name: str = Field(alias="account.party.display_name")
    centre: str = Field(alias="account.centre.code")
    customer_class: str = Field(alias="account.customer_class")
    scored_on: dt.date
    amount_at_stake: Decimal
    probability: float = Field(description="probability of non-payment, 0…1")
    expected_loss: Decimal = Field(description="amount at stake × probability")
    reasons: list[str] = Field(description="the main reasons, in French")
    level: int = Field(description="highest dunning level reached")
    oldest_days: int
    next_action: str = Field(
        description="agency | check_address | follow_plan | follow_promise | wait_notice | "
        "call | offer_plan | dunning"
    )
    next_action_label: str

    @staticmethod
    def resolve_next_action_label(obj) -> str:
        return str(obj.get_next_action_display())


class WorklistOut(Schema):
    count: int
    model: str = Field(description="'fallback' or the id of the trained risk model")
    results: list[ScoreOut]


class CollectionContactIn(Schema):
    outcome: str = Field(description="reached | absent | promise | disputed | wrong_number")
    note: str = Field("", description="factual comment (200 characters at most)")
    next_step: str = ""
    next_step_on: dt.date | None = None


class CollectionContactOut(Schema):
    id: int
    account: str = Field(alias="account.number")
    occurred_on: dt.date
    summary: str
    next_step: str
    next_step_on: dt.date | None


@router.get("/collections/worklist", response=WorklistOut, summary="Liste de travail")
def worklist_get(
    request,
    centre: str = "",
    level: str = "",
    customer_class: str = "",
    min_amount: str = "",
    action: str = "",
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    require(request.user, Perm.COLLECTION_VIEW)
    filters = filters_from(
        {"centre": centre, "level": level, "class": customer_class,
         "min_amount": min_amount, "action": action, "q": q}
    )  # fmt: skip
    rows = worklist.worklist(user=request.user, filters=filters)
    model = worklist.current_model()
    return {
        "count": rows.count(),
        "model": str(model.pk) if model else "fallback",
        "results": list(rows[_page(limit, offset)]),
    }


@router.post(
    "/collections/accounts/{number}/contacts",
    response={201: CollectionContactOut},
    summary="Noter un appel",
)
def contact_create(request, number: str, payload: CollectionContactIn):
    account = customer_selectors.account_get_for_user(
        user=request.user, number=number, perm=Perm.COLLECTION_VIEW
    )
    event = worklist.contact_record(
        account=account,
        outcome=payload.outcome,
        note=payload.note,
        next_step=payload.next_step,
        next_step_on=payload.next_step_on,
        actor=request.user,
    )
    return Status(201, event)
