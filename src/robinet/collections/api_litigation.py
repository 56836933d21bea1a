"""JSON API of litigation (COLL-9) and insolvency files (COLL-12).

* ``GET /collections/litigation`` (filters ``account``, ``stage``);
* ``POST /collections/litigation``: open a file (201); 400 with the reasons
  (``extra.fields.eligibility``) when the debt is not eligible;
* ``POST /collections/litigation/{number}/stage``: move to a stage (409 when
  the move is not allowed);
* ``GET /collections/litigation/{number}/bundle``: the order-for-payment bundle (PDF);
* ``POST /collections/litigation/{number}/costs``: record a legal cost (posted
  as an expense, 6227 / 401);
* ``POST /collections/litigation/{number}/reinvoice``: re-invoice the costs
  not invoiced yet (a ``fees`` invoice; 422 ``costs_not_rechargeable`` for a
  consumer without ``court_order``, COLL-1);
* ``POST /collections/litigation/{number}/recoveries``: an amount recovered,
  booked as a payment (the file closes as paid when its items are);
* ``POST /collections/litigation/{number}/unenforceable``: the judgment cannot
  be enforced: the file closes and a write-off request is proposed;
* ``GET /collections/insolvency`` (filters ``state``, ``kind``);
* ``POST /collections/insolvency``: record an over-indebtedness file or a
  collective procedure (201), which freezes the prior debt.

Amounts are strings. ``collection.view`` to read, ``collection.litigation``
on the account's centre to change.
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.collections import insolvency as ins
from robinet.collections import litigation as lit
from robinet.collections import litigation_booking as booking
from robinet.collections import litigation_selectors as selectors
from robinet.collections.litigation_pdf import bundle_pdf
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

router = Router(tags=["recouvrement"])


class LitigationItemOut(Schema):
    document: str = Field(alias="open_item.document_number")
    due_date: dt.date = Field(alias="open_item.due_date")
    amount: Decimal


class LitigationOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    stage: str = Field(
        description="draft | filed | order_issued | served | enforceable | enforcement | "
        "paid | abandoned"
    )
    opened_on: dt.date
    filed_on: dt.date | None
    order_issued_on: dt.date | None
    served_on: dt.date | None
    enforceable_on: dt.date | None
    enforcement_on: dt.date | None
    closed_on: dt.date | None
    court: str
    principal: Decimal
    costs: Decimal
    outcome: str
    recovered: Decimal = Field(description="Total recovered on the file (booked as payments)")
    write_off_request: str | None = Field(
        None, description="Number of the write-off proposed for an unenforceable judgment"
    )
    items: list[LitigationItemOut]

    @staticmethod
    def resolve_recovered(obj) -> Decimal:
        return booking.recovered_total(obj)

    @staticmethod
    def resolve_write_off_request(obj) -> str | None:
        return obj.write_off_request.number if obj.write_off_request_id else None

    @staticmethod
    def resolve_costs(obj) -> Decimal:
        return lit.costs_total(obj)

    @staticmethod
    def resolve_items(obj):
        return list(selectors.litigation_items(obj))


class LitigationIn(Schema):
    account: str = Field(description="Customer account number")
    items: list[str] | None = Field(
        None, description="Document numbers of the overdue items (default: all)"
    )
    court: str = ""


class StageIn(Schema):
    stage: str
    on: dt.date | None = None
    note: str = Field("", max_length=200)


class CostIn(Schema):
    kind: str = Field(description="court_fee | bailiff | lawyer")
    amount: Decimal
    on: dt.date | None = None
    label: str = Field("", max_length=120)


class ReinvoiceIn(Schema):
    court_order: bool = Field(
        False, description="A court decision awards the costs against the debtor (CPCE L111-8)"
    )
    on: dt.date | None = None


class ReinvoiceOut(Schema):
    invoice: str
    total: Decimal


class RecoveryIn(Schema):
    amount: Decimal
    on: dt.date | None = None
    means: str = Field("transfer", description="Payment means (PAY): transfer, cheque…")
    note: str = Field("", max_length=200)


class UnenforceableIn(Schema):
    reason: str = Field(..., max_length=200)
    on: dt.date | None = None


class InsolvencyOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    kind: str = Field(description="over_indebtedness | safeguard | receivership | liquidation")
    state: str = Field(description="open | plan | erased | closed")
    opened_on: dt.date
    bodacc_on: dt.date | None
    claim_deadline: dt.date | None
    declared_on: dt.date | None
    prior_debt: Decimal
    reference: str
    closed_on: dt.date | None


class InsolvencyIn(Schema):
    account: str
    kind: str
    opened_on: dt.date
    bodacc_on: dt.date | None = None
    reference: str = ""
    administrator: str = ""


def _account(request, number: str):
    try:
        return customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=Perm.COLLECTION_VIEW
        )
    except NotFound:
        raise ValidationFailed(
            {"account": [_("Compte client %(n)s introuvable.") % {"n": number}]}
        ) from None


@router.get("/collections/litigation", response=list[LitigationOut], summary="Contentieux")
def litigation_list(request, account: str = "", stage: str = "", limit: int = 50, offset: int = 0):
    require(request.user, Perm.COLLECTION_VIEW)
    rows = selectors.litigation_list(user=request.user, stage=stage, account=account)
    return list(rows[_page(limit, offset)])


@router.post(
    "/collections/litigation",
    response={201: LitigationOut},
    summary="Ouvrir un dossier contentieux",
)
def litigation_open(request, payload: LitigationIn):
    account = _account(request, payload.account)
    items = None
    if payload.items is not None:
        found = {
            i.document_number: i
            for i in lit.overdue_items(account)
            if i.document_number in payload.items
        }
        missing = [n for n in payload.items if n not in found]
        if missing:
            raise ValidationFailed(
                {"items": [_("Poste %(n)s introuvable ou non échu.") % {"n": ", ".join(missing)}]}
            )
        items = list(found.values())
    file = lit.litigation_open(account, items, request.user, court=payload.court)
    return Status(201, selectors.litigation_get_for_user(user=request.user, number=file.number))


@router.post(
    "/collections/litigation/{number}/stage", response=LitigationOut, summary="Étape suivante"
)
def litigation_stage(request, number: str, payload: StageIn):
    file = selectors.litigation_get_for_user(user=request.user, number=number)
    lit.litigation_stage(file, payload.stage, request.user, on=payload.on, note=payload.note)
    return selectors.litigation_get_for_user(user=request.user, number=number)


@router.get(
    "/collections/litigation/{number}/bundle",
    summary="Dossier d'injonction de payer (PDF)",
    response={200: None},
)
def litigation_bundle(request, number: str):
    file = selectors.litigation_get_for_user(user=request.user, number=number)
    content, filename = bundle_pdf(file)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post(
    "/collections/litigation/{number}/costs",
    response={201: LitigationOut},
    summary="Frais de procédure (comptabilisés)",
)
def litigation_cost(request, number: str, payload: CostIn):
    file = selectors.litigation_get_for_user(user=request.user, number=number)
    lit.litigation_cost_add(
        file, payload.kind, payload.amount, request.user, on=payload.on, label=payload.label
    )
    return Status(201, selectors.litigation_get_for_user(user=request.user, number=number))


@router.post(
    "/collections/litigation/{number}/reinvoice",
    response={201: ReinvoiceOut},
    summary="Refacturer les frais de procédure (COLL-1)",
)
def litigation_reinvoice(request, number: str, payload: ReinvoiceIn):
    file = selectors.litigation_get_for_user(user=request.user, number=number)
    invoice = booking.costs_reinvoice(
        file, request.user, court_order=payload.court_order, on=payload.on
    )
    return Status(201, {"invoice": invoice.number, "total": invoice.total_incl_vat})


@router.post(
    "/collections/litigation/{number}/recoveries",
    response={201: LitigationOut},
    summary="Enregistrer un montant recouvré (règlement)",
)
def litigation_recovery(request, number: str, payload: RecoveryIn):
    file = selectors.litigation_get_for_user(user=request.user, number=number)
    booking.recovery_book(
        file, payload.amount, request.user, on=payload.on, means=payload.means, note=payload.note
    )
    return Status(201, selectors.litigation_get_for_user(user=request.user, number=number))


@router.post(
    "/collections/litigation/{number}/unenforceable",
    response=LitigationOut,
    summary="Jugement inexécutable : clore et proposer l'admission en non-valeur",
)
def litigation_unenforceable(request, number: str, payload: UnenforceableIn):
    file = selectors.litigation_get_for_user(user=request.user, number=number)
    booking.unenforceable_record(file, request.user, reason=payload.reason, on=payload.on)
    return selectors.litigation_get_for_user(user=request.user, number=number)


@router.get(
    "/collections/insolvency",
    response=list[InsolvencyOut],
    summary="Surendettement et procédures collectives",
)
def insolvency_list(request, state: str = "", kind: str = "", limit: int = 50, offset: int = 0):
    require(request.user, Perm.COLLECTION_VIEW)
    rows = selectors.insolvency_list(user=request.user, state=state, kind=kind)
    return list(rows[_page(limit, offset)])


@router.post(
    "/collections/insolvency",
    response={201: InsolvencyOut},
    summary="Enregistrer un surendettement ou une procédure collective",
)
def insolvency_record(request, payload: InsolvencyIn):
    account = _account(request, payload.account)
    file = ins.insolvency_record(
        account,
        payload.kind,
        payload.opened_on,
        request.user,
        bodacc_on=payload.bodacc_on,
        reference=payload.reference,
        administrator=payload.administrator,
    )
    return Status(201, selectors.insolvency_get_for_user(user=request.user, number=file.number))
