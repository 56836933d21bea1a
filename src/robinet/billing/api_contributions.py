"""JSON API of municipal contributions to projects (BILL-7): the services of the screens.

* ``GET /billing/contributions``: agreements with their follow-up figures;
* ``POST /billing/contributions``: an agreement with its schedule (equal
  shares over ``due_dates``, or explicit ``instalments``); 422 naming
  ``instalments`` when the schedule does not add up to the total, ``account``
  when the account is not a local authority;
* ``GET /billing/contributions/{number}``: the agreement, its schedule and follow-up;
* ``GET …/pdf``: the agreement document (parties, amounts, schedule, payments);
* ``POST …/sign``, ``POST …/invoice-due`` (one ``contribution`` invoice per
  instalment due), ``POST …/close``.

The invoices are then read like any invoice (``GET /invoices/{number}``,
``/invoices?kind=contribution``).
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from robinet.billing import contributions
from robinet.billing.api import InvoiceOut, _binary, _page
from robinet.billing.models import ContributionAgreement
from robinet.customers import selectors as customer_selectors

router = Router(tags=["conventions de participation"])


class FollowupOut(Schema):
    total_incl_vat: Decimal
    invoiced: Decimal
    to_invoice: Decimal
    paid: Decimal = Field(description="Invoiced minus what is still open on the open items")
    outstanding: Decimal
    instalments: int
    invoiced_instalments: int


class ContributionInstalmentOut(Schema):
    position: int
    due_date: dt.date
    amount_excl_vat: Decimal
    invoice: str | None = None
    open_amount: Decimal | None = None

    @staticmethod
    def resolve_invoice(obj) -> str | None:
        return obj.invoice.number if obj.invoice_id else None

    @staticmethod
    def resolve_open_amount(obj) -> Decimal | None:
        item = getattr(obj.invoice, "open_item", None) if obj.invoice_id else None
        return item.open_amount if item else None


class AgreementSummaryOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    project: str
    service: str = Field(description="water | sanitation")
    status: str = Field(description="draft | signed | closed")
    total_excl_vat: Decimal
    vat_rate: Decimal
    signed_on: dt.date | None
    followup: FollowupOut


class AgreementOut(AgreementSummaryOut):
    deliberation: str
    closed_on: dt.date | None
    signed: bool = Field(description="The signed copy is on file")
    instalments: list[ContributionInstalmentOut]

    @staticmethod
    def resolve_signed(obj) -> bool:
        return bool(obj.signed_document)

    @staticmethod
    def resolve_instalments(obj):
        return contributions.schedule_of(obj)


class InstalmentIn(Schema):
    due_date: dt.date
    amount_excl_vat: Decimal = Field(gt=0, max_digits=12, decimal_places=2)


class AgreementIn(Schema):
    account: str = Field(description="Account number of the municipality (local authority)")
    project: str = Field(max_length=160)
    service: str = Field(description="water | sanitation")
    total_excl_vat: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    vat_rate: Decimal = Field(Decimal(0), description="0 (outside the scope of VAT), 5.5, 10, 20")
    due_dates: list[dt.date] = Field(
        [], max_length=120, description="Equal instalments on these dates"
    )
    instalments: list[InstalmentIn] = Field(
        [], max_length=120, description="Or explicit instalments adding up to the total"
    )


class SignIn(Schema):
    deliberation: str = Field(max_length=120, description="Council deliberation reference")
    signed_on: dt.date | None = Field(None, description="Default: today")


class InvoiceDueIn(Schema):
    up_to: dt.date | None = Field(None, description="Instalments due on or before; default today")


def _with_followup(agreements: list[ContributionAgreement]) -> list[ContributionAgreement]:
    figures = contributions.followup_for(agreements)
    for agreement in agreements:
        agreement.followup = figures[agreement.pk]
    return agreements


def _agreement(request, number: str) -> ContributionAgreement:
    agreement = contributions.agreement_get_for_user(user=request.user, number=number)
    return _with_followup([agreement])[0]


@router.get(
    "/billing/contributions",
    response=list[AgreementSummaryOut],
    summary="Conventions de participation",
)
def agreement_list(request, status: str = "", account: str = "", limit: int = 50, offset: int = 0):
    agreements = contributions.agreement_search(user=request.user, status=status, account=account)
    return _with_followup(list(agreements[_page(limit, offset)]))


@router.post(
    "/billing/contributions", response={201: AgreementOut}, summary="Enregistrer une convention"
)
def agreement_create(request, payload: AgreementIn):
    account = customer_selectors.account_get_for_user(user=request.user, number=payload.account)
    agreement = contributions.agreement_create(
        actor=request.user,
        account=account,
        project=payload.project,
        service=payload.service,
        total_excl_vat=payload.total_excl_vat,
        vat_rate=payload.vat_rate,
        due_dates=payload.due_dates,
        instalments=[(i.due_date, i.amount_excl_vat) for i in payload.instalments],
    )
    return Status(201, _agreement(request, agreement.number))


@router.get("/billing/contributions/{number}", response=AgreementOut, summary="Lire une convention")
def agreement_get(request, number: str):
    return _agreement(request, number)


@router.get(
    "/billing/contributions/{number}/pdf",
    summary="Convention (PDF)",
    openapi_extra=_binary("application/pdf", "The agreement document"),
)
def agreement_pdf(request, number: str):
    content, filename = contributions.agreement_pdf(_agreement(request, number))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.post(
    "/billing/contributions/{number}/sign", response=AgreementOut, summary="Signer la convention"
)
def agreement_sign(request, number: str, payload: SignIn):
    contributions.agreement_sign(
        actor=request.user,
        agreement=_agreement(request, number),
        signed_on=payload.signed_on,
        deliberation=payload.deliberation,
    )
    return _agreement(request, number)


@router.post(
    "/billing/contributions/{number}/invoice-due",
    response=list[InvoiceOut],
    summary="Facturer les échéances dues",
)
def agreement_invoice_due(request, number: str, payload: InvoiceDueIn):
    """One ``contribution`` invoice per instalment due not yet invoiced (empty list if none)."""
    from robinet.billing import selectors

    invoices = contributions.agreement_invoice_due(
        actor=request.user, agreement=_agreement(request, number), up_to=payload.up_to
    )
    return [selectors.invoice_get_for_user(user=request.user, number=i.number) for i in invoices]


@router.post(
    "/billing/contributions/{number}/close",
    response=AgreementOut,
    summary="Solder la convention",
)
def agreement_close(request, number: str):
    """409 ``instalments_to_invoice`` while an instalment is not invoiced."""
    contributions.agreement_close(actor=request.user, agreement=_agreement(request, number))
    return _agreement(request, number)
