"""JSON API of services, fees and works (BILL-7, COLL-1): the services of the screens.

* ``GET /billing/price-list``: the items in force;
* ``POST /billing/fees-invoices``: bill fees to an account (refused on an
  individual when the item is not allowed, COLL-1);
* ``/billing/quotes``: create, list, read, PDF, send, accept (multipart with
  the signed copy), refuse, and ``POST …/works-invoice`` once the works are done.

Fees, deposit and works invoices are then read like any invoice
(``GET /invoices/{number}``, ``/invoices?kind=works``).
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from robinet.billing import fees, selectors, works
from robinet.billing.api import InvoiceOut, VatOut, _binary, _page
from robinet.customers import selectors as customer_selectors

router = Router(tags=["travaux et prestations"])


class PriceItemOut(Schema):
    code: str
    label: str
    kind: str = Field(description="fee | works")
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    service: str
    beneficiary: str
    allowed_for_individuals: bool
    deposit_percent: Decimal
    legal_basis: str
    valid_from: dt.date
    valid_until: dt.date | None


class QuoteItemIn(Schema):
    code: str = Field(description="Price-list item code")
    quantity: Decimal = Field(Decimal(1), gt=0, le=100000)


class FeesInvoiceIn(Schema):
    account: str = Field(description="Account number")
    contract: str | None = Field(None, description="Contract number (optional)")
    items: list[QuoteItemIn] = Field(min_length=1, max_length=50)
    reason: str = ""


class QuoteLineOut(Schema):
    position: int
    code: str
    label: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount_excl_vat: Decimal
    vat_rate: Decimal
    deposit_percent: Decimal


class QuoteSummaryOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    subject: str
    status: str = Field(description="draft | sent | accepted | refused | expired | invoiced")
    issue_date: dt.date
    valid_until: dt.date
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    deposit_incl_vat: Decimal


class QuoteOut(QuoteSummaryOut):
    service_point: str | None = None
    site_address: str
    sent_on: dt.date | None
    decided_on: dt.date | None
    refusal_reason: str
    works_done_on: dt.date | None
    signed: bool = Field(description="The signed copy is on file")
    vat: list[VatOut]
    lines: list[QuoteLineOut]
    deposit_invoice: str | None = None
    works_invoice: str | None = None

    @staticmethod
    def resolve_service_point(obj) -> str | None:
        return obj.service_point.reference if obj.service_point_id else None

    @staticmethod
    def resolve_signed(obj) -> bool:
        return bool(obj.signed_document)

    @staticmethod
    def resolve_vat(obj):
        return obj.vat_breakdown

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.order_by("position"))

    @staticmethod
    def resolve_deposit_invoice(obj) -> str | None:
        invoice = works.deposit_invoice_of(obj)
        return invoice.number if invoice else None

    @staticmethod
    def resolve_works_invoice(obj) -> str | None:
        invoice = works.works_invoice_of(obj)
        return invoice.number if invoice else None


class QuoteIn(Schema):
    account: str = Field(description="Account number of the customer or third party")
    subject: str = Field(max_length=160)
    lines: list[QuoteItemIn] = Field(min_length=1, max_length=50)
    service_point: str | None = Field(None, description="Service point reference (optional)")
    site_address: str = Field("", max_length=255)
    valid_until: dt.date | None = Field(None, description="Default: 90 days after today")


class RefuseIn(Schema):
    reason: str = ""


class WorksInvoiceIn(Schema):
    works_done_on: dt.date | None = Field(None, description="Default: today")


def _invoice(request, number: str):
    return selectors.invoice_get_for_user(user=request.user, number=number)


def _quote(request, number: str):
    return works.quote_get_for_user(user=request.user, number=number)


@router.get("/billing/price-list", response=list[PriceItemOut], summary="Bordereau de prix")
def price_list(request, kind: str = ""):
    """Items in force today (``kind``: fee or works)."""
    selectors.invoice_list(user=request.user)  # billing.view
    return list(fees.price_list(kind=kind or None))


@router.post(
    "/billing/fees-invoices", response={201: InvoiceOut}, summary="Facturer des prestations"
)
def fees_invoice_create(request, payload: FeesInvoiceIn):
    """BILL-7: one ``fees`` invoice; 422 ``fee_not_allowed_for_individuals`` (COLL-1)."""
    account = customer_selectors.account_get_for_user(user=request.user, number=payload.account)
    contract = None
    if payload.contract:
        contract = customer_selectors.contract_get_for_user(
            user=request.user, number=payload.contract
        )
    invoice = fees.fees_invoice_issue(
        actor=request.user,
        account=account,
        contract=contract,
        items=[(i.code, i.quantity) for i in payload.items],
        reason=payload.reason,
    )
    return Status(201, _invoice(request, invoice.number))


@router.get("/billing/quotes", response=list[QuoteSummaryOut], summary="Devis de travaux")
def quote_list(request, status: str = "", account: str = "", limit: int = 50, offset: int = 0):
    return list(
        works.quote_search(user=request.user, status=status, account=account)[_page(limit, offset)]
    )


@router.post("/billing/quotes", response={201: QuoteOut}, summary="Établir un devis")
def quote_create(request, payload: QuoteIn):
    account = customer_selectors.account_get_for_user(user=request.user, number=payload.account)
    service_point = None
    if payload.service_point:
        service_point = customer_selectors.service_point_get_for_user(
            user=request.user, reference=payload.service_point
        )
    quote = works.quote_create(
        actor=request.user,
        account=account,
        subject=payload.subject,
        lines=[(i.code, i.quantity) for i in payload.lines],
        service_point=service_point,
        site_address=payload.site_address,
        valid_until=payload.valid_until,
    )
    return Status(201, _quote(request, quote.number))


@router.get("/billing/quotes/{number}", response=QuoteOut, summary="Lire un devis")
def quote_get(request, number: str):
    return _quote(request, number)


@router.get(
    "/billing/quotes/{number}/pdf",
    summary="Devis (PDF)",
    openapi_extra=_binary("application/pdf", "The quote document"),
)
def quote_pdf(request, number: str):
    content, filename = works.quote_pdf(_quote(request, number))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.post("/billing/quotes/{number}/send", response=QuoteOut, summary="Devis envoyé")
def quote_send(request, number: str):
    works.quote_send(actor=request.user, quote=_quote(request, number))
    return _quote(request, number)


@router.post("/billing/quotes/{number}/accept", response=QuoteOut, summary="Accepter un devis")
def quote_accept(
    request,
    number: str,
    signed_document: File[UploadedFile],
    accepted_on: Form[dt.date | None] = None,
):
    """Multipart: the signed copy (PDF or image); a deposit invoice when the price list asks.

    409 ``quote_expired`` past the validity date.
    """
    works.quote_accept(
        actor=request.user,
        quote=_quote(request, number),
        signed_document=signed_document,
        accepted_on=accepted_on,
    )
    return _quote(request, number)


@router.post("/billing/quotes/{number}/refuse", response=QuoteOut, summary="Refuser un devis")
def quote_refuse(request, number: str, payload: RefuseIn):
    works.quote_refuse(actor=request.user, quote=_quote(request, number), reason=payload.reason)
    return _quote(request, number)


@router.post(
    "/billing/quotes/{number}/works-invoice",
    response={201: InvoiceOut},
    summary="Facturer les travaux",
)
def works_invoice_create(request, number: str, payload: WorksInvoiceIn):
    """The ``works`` invoice of an accepted quote, deducting the deposit (« Acompte versé »)."""
    invoice = works.works_invoice_issue(
        actor=request.user, quote=_quote(request, number), works_done_on=payload.works_done_on
    )
    return Status(201, _invoice(request, invoice.number))
