"""JSON API of direct-debit returns (PAY-4) and refunds (PAY-6).

* ``GET /payments/return-files`` and ``GET /payments/return-files/{id}``: the
  imported pain.002 / camt.054 files, with each operation's outcome;
* ``POST /payments/return-files`` (``{"filename", "content"}``, the XML as
  text): import a file; 400 naming the operation at fault (nothing imported),
  409 ``already_imported``;
* ``GET /payments/refunds`` (filter ``status``: proposed | approved | exported)
  and ``GET /payments/refunds/{number}``;
* ``POST /payments/refunds/propose``: propose the credit balances (201);
* ``POST /payments/refunds/{number}/approve``: approve (IBAN checked again,
  CUST-6); 400 naming ``iban`` or ``amount``, 409 ``refund_not_proposed``;
* ``POST /payments/refund-files`` (optional ``execution_date``): export the
  approved refunds (201); ``GET /payments/refund-files/{id}/xml``: the pain.001.

Same permissions as the screens (:mod:`robinet.payments.returns`, :mod:`robinet.payments.refunds`).
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _binary, _page
from robinet.payments import refunds, returns

router = Router(tags=["retours de prélèvements et remboursements"])


class ReturnItemOut(Schema):
    position: int
    end_to_end_id: str
    status: str = Field(description="Bank status: RJCT, RTRN, ACCP, ACSC…")
    reason_code: str
    reason_label: str
    amount: Decimal
    outcome: str = Field(description="accepted | reversed | already")
    payment: str | None = None
    fee_invoice: str | None = None

    @staticmethod
    def resolve_payment(obj) -> str | None:
        return obj.payment.number if obj.payment_id else None

    @staticmethod
    def resolve_fee_invoice(obj) -> str | None:
        return obj.fee_invoice.number if obj.fee_invoice_id else None


class ReturnFileSummaryOut(Schema):
    id: int
    kind: str = Field(description="pain002 | camt054")
    message_id: str
    filename: str
    items_count: int
    rejected_count: int
    accepted_count: int
    imported_at: dt.datetime


class ReturnFileOut(ReturnFileSummaryOut):
    items: list[ReturnItemOut]

    @staticmethod
    def resolve_items(obj):
        return list(returns.return_items(obj))


class ReturnFileIn(Schema):
    filename: str = Field(max_length=255)
    content: str = Field(description="The XML file as text")


class RefundOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    amount: Decimal
    iban: str
    bic: str
    holder: str
    status: str = Field(description="proposed | approved | exported")
    proposed_on: dt.date
    approved_at: dt.datetime | None
    file: int | None = None

    @staticmethod
    def resolve_file(obj) -> int | None:
        return obj.file_id


class SkippedOut(Schema):
    account: str
    reason: str


class ProposeOut(Schema):
    proposed: list[RefundOut]
    skipped: list[SkippedOut]


class RefundFileIn(Schema):
    execution_date: dt.date | None = None


class RefundFileOut(Schema):
    id: int
    message_id: str
    execution_date: dt.date
    refunds_count: int
    total: Decimal
    created_at: dt.datetime


@router.get("/payments/return-files", response=list[ReturnFileSummaryOut], summary="Retours")
def return_file_list(request, limit: int = 50, offset: int = 0):
    return list(returns.return_file_list(user=request.user)[_page(limit, offset)])


@router.get(
    "/payments/return-files/{file_id}", response=ReturnFileOut, summary="Lire un fichier de retours"
)
def return_file_read(request, file_id: int):
    return returns.return_file_get(user=request.user, pk=file_id)


@router.post(
    "/payments/return-files",
    response={201: ReturnFileOut},
    summary="Importer un pain.002 ou un camt.054",
)
def return_file_import(request, payload: ReturnFileIn):
    outcome = returns.return_file_import(
        actor=request.user, data=payload.content.encode("utf-8"), filename=payload.filename
    )
    return Status(201, outcome.file)


@router.get("/payments/refunds", response=list[RefundOut], summary="Remboursements")
def refund_list(request, status: str = "", limit: int = 50, offset: int = 0):
    return list(refunds.refund_list(user=request.user, status=status)[_page(limit, offset)])


@router.post(
    "/payments/refunds/propose", response={201: ProposeOut}, summary="Proposer les remboursements"
)
def refund_propose(request):
    outcome = refunds.refunds_propose(actor=request.user)
    return Status(
        201,
        {
            "proposed": outcome.proposed,
            "skipped": [{"account": a.number, "reason": r} for a, r in outcome.skipped],
        },
    )


@router.get("/payments/refunds/{number}", response=RefundOut, summary="Lire un remboursement")
def refund_read(request, number: str):
    return refunds.refund_get(user=request.user, number=number)


@router.post(
    "/payments/refunds/{number}/approve", response=RefundOut, summary="Approuver un remboursement"
)
def refund_approve(request, number: str):
    refund = refunds.refund_get(user=request.user, number=number)
    return refunds.refund_approve(actor=request.user, refund=refund)


@router.post(
    "/payments/refund-files",
    response={201: RefundFileOut},
    summary="Virer les remboursements approuvés (pain.001)",
)
def refund_file_create(request, payload: RefundFileIn):
    return Status(
        201, refunds.refunds_export(actor=request.user, execution_date=payload.execution_date)
    )


@router.get(
    "/payments/refund-files/{file_id}/xml",
    summary="Fichier pain.001 des remboursements",
    openapi_extra=_binary("application/xml", "pain.001.001.09"),
)
def refund_file_xml(request, file_id: int):
    refund_file = refunds.refund_file_get(user=request.user, pk=file_id)
    response = HttpResponse(refund_file.content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{refund_file.filename}"'
    return response
