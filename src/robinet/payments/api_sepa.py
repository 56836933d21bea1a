"""JSON API of SEPA direct debit (PAY-3).

* ``GET /payments/mandates[?account=NUMBER][&status=active]``: an account's
  mandates, or all those of the user's centres (``payment.view``), paged;
* ``POST /payments/mandates``: a new mandate (201; 400 naming ``iban``,
  ``umr``, ``creditor_id``, ``signed_on`` or ``account``);
* ``GET /payments/mandates/{id}``, ``POST …/amend`` (IBAN, BIC, UMR, holder:
  amendment rows, reported on the next debit), ``POST …/revoke``;
* ``GET /payments/direct-debit-runs``, ``POST /payments/direct-debit-runs``
  (``collection_date``, ``version``; 400 naming ``collection_date`` off
  TARGET2 or too soon), ``GET …/{id}`` with its items — each with its
  ``kind`` (``invoice``, ``budget`` for a monthly-payment instalment, ``plan``
  for a payment-plan instalment) and ``status`` (``pending`` until the run is
  settled, ``settled``, ``rejected``) —, ``GET …/{id}/file`` (the pain.008
  XML), ``POST …/{id}/settle`` (PAY-3: the run is settled today; 400 naming
  ``date`` before its settlement date, 409 when already settled).

Same permissions as the screens (:mod:`robinet.payments.sepa`).
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _binary, _page
from robinet.customers import selectors as customer_selectors
from robinet.organisation.roles import Perm
from robinet.payments import sepa
from robinet.payments import sepa_selectors as selectors

router = Router(tags=["prélèvement SEPA"])


class MandateOut(Schema):
    id: int
    umr: str
    account: str = Field(alias="account.number")
    debtor_name: str
    iban: str
    bic: str
    signed_on: dt.date
    creditor_id: str
    status: str = Field(description="active | revoked | expired")
    sequence: str = Field(description="FRST until the first collection, then RCUR")
    last_collected_on: dt.date | None
    ended_on: dt.date | None
    end_reason: str


class MandateIn(Schema):
    account: str = Field(description="Account number")
    signed_on: dt.date
    umr: str = Field("", max_length=35, description="Generated when empty")
    iban: str = Field("", max_length=42, description="The account's IBAN when empty")
    bic: str = Field("", max_length=11)
    debtor_name: str = Field("", max_length=70)


class AmendIn(Schema):
    umr: str | None = Field(None, max_length=35)
    iban: str | None = Field(None, max_length=42)
    bic: str | None = Field(None, max_length=11)
    debtor_name: str | None = Field(None, max_length=70)


class RevokeIn(Schema):
    reason: str = Field(max_length=255)
    expired: bool = False


class DebitRunIn(Schema):
    collection_date: dt.date
    version: str = Field("001.08", description="001.08 (default) or 001.02")


class ItemOut(Schema):
    end_to_end_id: str
    kind: str = Field(description="invoice | budget (monthly payment) | plan (payment plan)")
    account: str = Field(alias="account.number")
    invoice: str | None = Field(None, description="The invoice debited (kind invoice)")
    budget_plan: int | None = Field(None, description="The monthly-payment plan (kind budget)")
    payment_plan: str | None = Field(None, description="The payment plan number (kind plan)")
    instalment: int | None = Field(None, description="Position / rank of the instalment")
    payment: str = Field(alias="payment.number")
    umr: str = Field(alias="mandate.umr")
    sequence: str
    amount: Decimal
    amended: bool
    status: str = Field(description="pending (until the run is settled) | settled | rejected")

    @staticmethod
    def resolve_invoice(obj) -> str | None:
        return obj.invoice.number if obj.invoice_id else None

    @staticmethod
    def resolve_budget_plan(obj) -> int | None:
        return obj.budget_instalment.plan_id if obj.budget_instalment_id else None

    @staticmethod
    def resolve_payment_plan(obj) -> str | None:
        return obj.plan_instalment.plan.number if obj.plan_instalment_id else None

    @staticmethod
    def resolve_instalment(obj) -> int | None:
        if obj.budget_instalment_id:
            return obj.budget_instalment.position
        if obj.plan_instalment_id:
            return obj.plan_instalment.sequence
        return None


class RunSummaryOut(Schema):
    id: int
    collection_date: dt.date
    version: str
    message_id: str
    item_count: int
    total: Decimal
    file_name: str
    file_sha256: str
    settles_on: dt.date = Field(description="Settlement date: payments pending until then")
    settled_on: dt.date | None = Field(description="Set once the run is settled")


class DebitRunOut(RunSummaryOut):
    items: list[ItemOut]

    @staticmethod
    def resolve_items(obj):
        return list(selectors.debit_run_items(run=obj))


@router.get("/payments/mandates", response=list[MandateOut], summary="Mandats")
def mandate_list(request, account: str = "", status: str = "", limit: int = 50, offset: int = 0):
    """An account's mandates (``account``), else every mandate the user may see, newest first."""
    if account:
        the_account = customer_selectors.account_get_for_user(
            user=request.user, number=account, perm=Perm.PAYMENT_VIEW
        )
        mandates = selectors.mandate_list(actor=request.user, account=the_account)
    else:
        mandates = selectors.mandates_visible(actor=request.user)
    if status:
        mandates = mandates.filter(status=status)
    return list(mandates[_page(limit, offset)])


@router.post("/payments/mandates", response={201: MandateOut}, summary="Créer un mandat")
def mandate_create(request, payload: MandateIn):
    account = customer_selectors.account_get_for_user(user=request.user, number=payload.account)
    mandate = sepa.mandate_create(
        actor=request.user,
        account=account,
        signed_on=payload.signed_on,
        umr=payload.umr,
        iban=payload.iban,
        bic=payload.bic,
        debtor_name=payload.debtor_name,
    )
    return Status(201, selectors.mandate_get(actor=request.user, pk=mandate.pk))


@router.get("/payments/mandates/{mandate_id}", response=MandateOut, summary="Lire un mandat")
def mandate_get(request, mandate_id: int):
    return selectors.mandate_get(actor=request.user, pk=mandate_id)


@router.post(
    "/payments/mandates/{mandate_id}/amend", response=MandateOut, summary="Modifier un mandat"
)
def mandate_amend(request, mandate_id: int, payload: AmendIn):
    mandate = selectors.mandate_get(actor=request.user, pk=mandate_id)
    sepa.mandate_amend(actor=request.user, mandate=mandate, **payload.dict())
    return selectors.mandate_get(actor=request.user, pk=mandate_id)


@router.post(
    "/payments/mandates/{mandate_id}/revoke", response=MandateOut, summary="Révoquer un mandat"
)
def mandate_revoke(request, mandate_id: int, payload: RevokeIn):
    mandate = selectors.mandate_get(actor=request.user, pk=mandate_id)
    sepa.mandate_revoke(
        actor=request.user, mandate=mandate, reason=payload.reason, expired=payload.expired
    )
    return selectors.mandate_get(actor=request.user, pk=mandate_id)


@router.get(
    "/payments/direct-debit-runs", response=list[RunSummaryOut], summary="Remises de prélèvements"
)
def run_list(request, limit: int = 50, offset: int = 0):
    return list(selectors.debit_run_list(actor=request.user)[_page(limit, offset)])


@router.post(
    "/payments/direct-debit-runs",
    response={201: DebitRunOut},
    summary="Créer une remise (pain.008)",
)
def run_create(request, payload: DebitRunIn):
    run = sepa.debit_run_create(
        actor=request.user, collection_date=payload.collection_date, version=payload.version
    )
    return Status(201, selectors.debit_run_get(actor=request.user, pk=run.pk))


@router.post(
    "/payments/direct-debit-runs/{run_id}/settle",
    response=DebitRunOut,
    summary="Régler une remise (fin de l'attente)",
)
def run_settle(request, run_id: int):
    run = selectors.debit_run_get(actor=request.user, pk=run_id)
    sepa.debit_runs_settle(actor=request.user, run=run)
    return selectors.debit_run_get(actor=request.user, pk=run_id)


@router.get("/payments/direct-debit-runs/{run_id}", response=DebitRunOut, summary="Lire une remise")
def run_get(request, run_id: int):
    return selectors.debit_run_get(actor=request.user, pk=run_id)


@router.get(
    "/payments/direct-debit-runs/{run_id}/file",
    summary="Fichier pain.008 de la remise",
    openapi_extra=_binary("application/xml", "pain.008 XML"),
)
def run_file(request, run_id: int):
    run = selectors.debit_run_get(actor=request.user, pk=run_id)
    response = HttpResponse(bytes(run.file_content), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{run.file_name}"'
    return response
