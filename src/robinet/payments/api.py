"""JSON API of customer accounts and payments (PAY-1, PAY-2, PAY-4).

* ``GET /accounts/{number}/statement``: documents in posting order with the
  running balance (filters ``start``, ``end``, ``kind``, ``open_only``);
* ``GET /accounts/{number}/open-items``: what is still open (debits > 0, credits < 0);
* ``GET /accounts/{number}/payments`` and ``GET /accounts/{number}/allocations``;
* ``POST /payments``: book a payment (201), allocated by the PAY-1 rule; 400
  naming the field; 409 ``duplicate_payment`` when ``external_reference`` was
  already booked for that means;
* ``GET /payments/{number}``, ``POST /payments/{number}/reversal``;
* ``POST /allocations`` (by hand) and ``POST /allocations/{id}/cancel``.

Same permissions as the screens.
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.billing.models import Invoice
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.customers import selectors as customer_selectors
from robinet.ledger import selectors, services
from robinet.ledger.models import Allocation
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments.models import Payment
from robinet.payments.services import payment_record, payment_reverse

router = Router(tags=["comptes et règlements"])


class OpenItemOut(Schema):
    id: int
    kind: str = Field(description="invoice | credit_note | payment | reversal | refund | opening")
    document: str = Field(alias="document_number")
    label: str
    posted_on: dt.date
    due_date: dt.date
    amount: Decimal = Field(description="> 0 owed by the customer, < 0 owed to the customer")
    open_amount: Decimal
    cleared_on: dt.date | None


class StatementRowOut(Schema):
    item: OpenItemOut
    debit: Decimal
    credit: Decimal
    balance: Decimal = Field(description="Running balance after this document")


class StatementOut(Schema):
    account: str
    start: dt.date | None
    end: dt.date | None
    opening_balance: Decimal
    total_debit: Decimal
    total_credit: Decimal
    closing_balance: Decimal
    balance: Decimal = Field(description="The account's balance today (Σ open amounts)")
    rows: list[StatementRowOut]


class AllocationOut(Schema):
    id: int
    debit: str = Field(alias="debit.document_number")
    credit: str = Field(alias="credit.document_number")
    amount: Decimal = Field(description="< 0 for an un-allocation")
    allocated_on: dt.date
    reverses: int | None = Field(None, alias="reverses_id")
    manual: bool
    reason: str


class PaymentOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    means: str
    amount: Decimal
    received_on: dt.date
    invoice: str | None = None
    payer_reference: str
    external_reference: str
    cheque_number: str
    reversed_on: dt.date | None = None
    debit_status: str = Field("", description="SEPA debits (PAY-3): pending | settled | rejected")
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_invoice(obj) -> str | None:
        return obj.invoice.number if obj.invoice_id else None

    @staticmethod
    def resolve_reversed_on(obj) -> dt.date | None:
        # A missing reverse one-to-one raises an AttributeError subclass.
        reversal = getattr(obj, "reversal", None)
        return reversal.reversed_on if reversal else None

    @staticmethod
    def resolve_allocations(obj):
        return Allocation.objects.filter(credit__payment=obj).select_related("debit", "credit")


class PaymentIn(Schema):
    account: str = Field(description="Customer account number")
    means: str = Field(description="cash | cheque | card | transfer | direct_debit | voucher | …")
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    received_on: dt.date | None = None
    invoice: str = Field("", description="The invoice the payer named (allocated first)")
    payer_reference: str = Field("", max_length=140)
    external_reference: str = Field("", max_length=80, description="Idempotency key per means")
    cheque_number: str = Field("", max_length=20)
    cheque_bank: str = Field("", max_length=80)
    drawer: str = Field("", max_length=120)


class ReversalIn(Schema):
    reason: str = Field(max_length=255)
    reason_code: str = Field("", max_length=8)


class AllocationIn(Schema):
    account: str
    debit_item: int = Field(description="Open item id of the debit (invoice…)")
    credit_item: int = Field(description="Open item id of the credit (payment, credit note)")
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    reason: str = Field("", max_length=255)


class PaymentCancelIn(Schema):
    reason: str = Field(max_length=255)


def _account(request, number: str):
    account = customer_selectors.account_get_for_user(
        user=request.user, number=number, perm=Perm.PAYMENT_VIEW
    )
    require(request.user, Perm.PAYMENT_VIEW, account.centre)
    return account


def _payment(request, number: str) -> Payment:
    payment = (
        Payment.objects.select_related("account__centre", "invoice").filter(number=number).first()
    )
    if payment is None:
        raise NotFound(_("Règlement introuvable."))
    _account(request, payment.account.number)
    return payment


@router.get(
    "/accounts/{number}/statement", response=StatementOut, summary="Relevé de compte (PAY-1)"
)
def account_statement(
    request, number: str, start: dt.date | None = None, end: dt.date | None = None,
    kind: str = "", open_only: bool = False,
):  # fmt: skip
    account = _account(request, number)
    if start and end and start > end:
        raise ValidationFailed({"end": [_("La fin précède le début.")]})
    statement = selectors.account_statement(
        account, start=start, end=end, kinds=[kind] if kind else None, open_only=open_only
    )
    return {
        "account": account.number,
        "start": start,
        "end": end,
        "opening_balance": statement.opening_balance,
        "total_debit": statement.total_debit,
        "total_credit": statement.total_credit,
        "closing_balance": statement.closing_balance,
        "balance": selectors.account_balance(account),
        "rows": statement.rows,
    }


@router.get("/accounts/{number}/open-items", response=list[OpenItemOut], summary="Postes ouverts")
def account_open_items(request, number: str):
    return list(selectors.open_items(_account(request, number)).exclude(open_amount=0))


@router.get("/accounts/{number}/payments", response=list[PaymentOut], summary="Règlements")
def account_payments(request, number: str, limit: int = 50, offset: int = 0):
    return list(selectors.account_payments(_account(request, number))[_page(limit, offset)])


@router.get("/accounts/{number}/allocations", response=list[AllocationOut], summary="Lettrages")
def account_allocations(request, number: str, limit: int = 50, offset: int = 0):
    return list(selectors.account_allocations(_account(request, number))[_page(limit, offset)])


@router.post("/payments", response={201: PaymentOut}, summary="Enregistrer un règlement")
def payment_create(request, payload: PaymentIn):
    account = _account(request, payload.account)
    invoice = None
    if payload.invoice:
        invoice = Invoice.objects.filter(number=payload.invoice, account=account).first()
        if invoice is None:
            raise ValidationFailed({"invoice": [_("Facture inconnue sur ce compte.")]})
    payment = payment_record(
        actor=request.user,
        account=account,
        means=payload.means,
        amount=payload.amount,
        received_on=payload.received_on,
        invoice=invoice,
        payer_reference=payload.payer_reference,
        external_reference=payload.external_reference,
        cheque_number=payload.cheque_number,
        cheque_bank=payload.cheque_bank,
        drawer=payload.drawer,
    )
    return Status(201, _payment(request, payment.number))


@router.get("/payments/{number}", response=PaymentOut, summary="Lire un règlement")
def payment_get(request, number: str):
    return _payment(request, number)


@router.post(
    "/payments/{number}/reversal", response=PaymentOut, summary="Annuler un règlement (PAY-4)"
)
def payment_reversal(request, number: str, payload: ReversalIn):
    payment = _payment(request, number)
    payment_reverse(
        actor=request.user, payment=payment, reason=payload.reason, reason_code=payload.reason_code
    )
    return _payment(request, number)


@router.post("/allocations", response={201: AllocationOut}, summary="Lettrer à la main")
def allocation_create(request, payload: AllocationIn):
    account = _account(request, payload.account)
    debit = selectors.item_for_account(account, payload.debit_item)
    credit = selectors.item_for_account(account, payload.credit_item)
    fields = {}
    if debit is None:
        fields["debit_item"] = [_("Poste inconnu sur ce compte.")]
    if credit is None:
        fields["credit_item"] = [_("Poste inconnu sur ce compte.")]
    if fields:
        raise ValidationFailed(fields)
    allocation = services.allocate(
        actor=request.user, debit=debit, credit=credit, amount=payload.amount,
        reason=payload.reason,
    )  # fmt: skip
    return Status(201, allocation)


@router.post("/allocations/{allocation_id}/cancel", response=AllocationOut, summary="Délettrer")
def allocation_cancel(request, allocation_id: int, payload: PaymentCancelIn):
    allocation = (
        Allocation.objects.select_related("debit__account__centre").filter(pk=allocation_id).first()
    )
    if allocation is None:
        raise NotFound(_("Lettrage introuvable."))
    _account(request, allocation.debit.account.number)
    return services.unallocate(actor=request.user, allocation=allocation, reason=payload.reason)
