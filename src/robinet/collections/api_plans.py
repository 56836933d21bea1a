"""JSON API of payment plans, promises and the debtor diagnosis (COLL-5, COLL-6).

* ``GET /collections/plans`` (filters ``account``, ``state``);
* ``POST /collections/plans``: agree a plan (201); 400 naming the field
  (``count``, ``first_due``, ``down_payment``, ``items``, ``direct_debit``…),
  409 when the account already has an active plan;
* ``GET /collections/plans/{id}``: the plan with its instalments and figures;
* ``POST /collections/plans/{id}/cancel``: cancel it (``reason`` required);
* ``GET /collections/promises`` (filters ``account``, ``state``);
* ``POST /collections/promises``: record a promise to pay (201);
* ``POST /collections/accounts/{number}/diagnosis``: record a diagnosis (201).

Amounts are strings. Same permissions as the screens: ``collection.view`` to
read, ``collection.plans`` on the account's centre to change.
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.collections import plan_selectors as selectors
from robinet.collections import plans
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

router = Router(tags=["recouvrement"])


class InstalmentOut(Schema):
    sequence: int
    due_on: dt.date
    amount: Decimal
    state: str = Field(description="pending | paid | missed")


class PlanSummaryOut(Schema):
    id: int
    number: str
    account: str = Field(alias="account.number")
    state: str = Field(description="active | kept | broken | cancelled")
    agreed_on: dt.date
    total: Decimal
    down_payment: Decimal
    grace_days: int
    direct_debit: bool
    signed_on: dt.date | None
    closed_on: dt.date | None


class PlanItemOut(Schema):
    document: str
    due_date: dt.date
    amount_at_start: Decimal
    open_amount: Decimal


class PlanOut(PlanSummaryOut):
    paid: Decimal
    remaining: Decimal
    note: str
    items: list[PlanItemOut]
    instalments: list[InstalmentOut]

    @staticmethod
    def resolve_paid(obj) -> Decimal:
        return selectors.plan_figures(obj).paid

    @staticmethod
    def resolve_remaining(obj) -> Decimal:
        return selectors.plan_figures(obj).remaining

    @staticmethod
    def resolve_items(obj):
        return [
            {
                "document": i.open_item.document_number,
                "due_date": i.open_item.due_date,
                "amount_at_start": i.amount_at_start,
                "open_amount": i.open_item.open_amount,
            }
            for i in selectors.plan_items(obj)
        ]

    @staticmethod
    def resolve_instalments(obj):
        return selectors.plan_instalments(obj)


class PlanIn(Schema):
    account: str = Field(description="Customer account number")
    count: int = Field(description="Monthly instalments after the down payment (1 to 36)")
    first_due: dt.date
    down_payment: Decimal = Decimal("0")
    grace_days: int = 10
    direct_debit: bool = Field(False, description="Needs an active SEPA mandate")
    items: list[str] | None = Field(
        None, description="Document numbers of the open items covered (default: all)"
    )


class PlanCancelIn(Schema):
    reason: str = Field(max_length=255)


class PromiseOut(Schema):
    id: int
    account: str = Field(alias="account.number")
    made_on: dt.date
    due_on: dt.date
    amount: Decimal
    grace_days: int
    state: str = Field(description="pending | kept | broken | cancelled")
    closed_on: dt.date | None


class PromiseIn(Schema):
    account: str
    due_on: dt.date
    amount: Decimal
    grace_days: int = 3


class DiagnosisIn(Schema):
    household_size: int = 1
    monthly_income: Decimal
    monthly_charges: Decimal
    assets: Decimal = Decimal("0")
    liabilities: Decimal = Decimal("0")
    fsl_requested: bool = False


class DiagnosisOut(Schema):
    id: int
    account: str = Field(alias="account.number")
    made_on: dt.date
    household_size: int
    monthly_income: Decimal
    monthly_charges: Decimal
    assets: Decimal
    liabilities: Decimal
    debt: Decimal
    monthly_capacity: Decimal
    suggested_instalments: int
    orientation: str = Field(description="none | fsl | social_services | over_indebtedness")
    fsl_requested: bool


def _account(request, number: str, field: str = "account"):
    try:
        return customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=Perm.COLLECTION_VIEW
        )
    except NotFound:
        raise ValidationFailed(
            {field: [_("Compte client %(n)s introuvable.") % {"n": number}]}
        ) from None


@router.get("/collections/plans", response=list[PlanSummaryOut], summary="Échéanciers")
def plan_list(request, account: str = "", state: str = "", limit: int = 50, offset: int = 0):
    require(request.user, Perm.COLLECTION_VIEW)
    rows = selectors.plan_list(user=request.user, state=state, account=account)
    return list(rows[_page(limit, offset)])


@router.post("/collections/plans", response={201: PlanOut}, summary="Accorder un échéancier")
def plan_create(request, payload: PlanIn):
    account = _account(request, payload.account)
    items = None
    if payload.items is not None:
        found = {
            i.document_number: i
            for i in selectors.account_open_debits(account).filter(
                document_number__in=payload.items
            )
        }
        missing = [n for n in payload.items if n not in found]
        if missing:
            raise ValidationFailed(
                {"items": [_("Poste %(n)s introuvable ou soldé.") % {"n": ", ".join(missing)}]}
            )
        items = list(found.values())
    plan = plans.payment_plan_create(
        account=account,
        items=items,
        count=payload.count,
        first_due=payload.first_due,
        down_payment=payload.down_payment,
        grace_days=payload.grace_days,
        direct_debit=payload.direct_debit,
        actor=request.user,
    )
    return Status(201, selectors.plan_get_for_user(user=request.user, pk=plan.pk))


@router.get("/collections/plans/{plan_id}", response=PlanOut, summary="Lire un échéancier")
def plan_get(request, plan_id: int):
    return selectors.plan_get_for_user(user=request.user, pk=plan_id)


@router.post(
    "/collections/plans/{plan_id}/cancel", response=PlanOut, summary="Annuler un échéancier"
)
def plan_cancel(request, plan_id: int, payload: PlanCancelIn):
    plan = selectors.plan_get_for_user(user=request.user, pk=plan_id)
    plans.payment_plan_cancel(plan=plan, reason=payload.reason, actor=request.user)
    return selectors.plan_get_for_user(user=request.user, pk=plan_id)


@router.get("/collections/promises", response=list[PromiseOut], summary="Promesses de paiement")
def promise_list(request, account: str = "", state: str = "", limit: int = 50, offset: int = 0):
    require(request.user, Perm.COLLECTION_VIEW)
    rows = selectors.promise_list(user=request.user, account=account, state=state)
    return list(rows[_page(limit, offset)])


@router.post(
    "/collections/promises", response={201: PromiseOut}, summary="Noter une promesse de paiement"
)
def promise_create(request, payload: PromiseIn):
    account = _account(request, payload.account)
    promise = plans.promise_create(
        account=account,
        due_on=payload.due_on,
        amount=payload.amount,
        grace_days=payload.grace_days,
        actor=request.user,
    )
    return Status(201, promise)


@router.post(
    "/collections/accounts/{number}/diagnosis",
    response={201: DiagnosisOut},
    summary="Enregistrer un diagnostic de la situation du débiteur",
)
def diagnosis_create(request, number: str, payload: DiagnosisIn):
    account = customer_selectors.account_get_for_user(
        user=request.user, number=number, perm=Perm.COLLECTION_VIEW
    )
    record = plans.diagnosis_record(account=account, actor=request.user, **payload.model_dump())
    return Status(201, record)
