"""JSON API of card payments (PAY-2).

* ``POST /payments/card-checkouts``: start a card payment (PAYMENT_TAKE on the
  account's centre); answers the transaction with the provider's
  ``redirect_url`` where the payer goes (201);
* ``GET /payments/card-transactions`` (filters ``account``, ``status``) and
  ``GET /payments/card-transactions/{id}``: read them (PAYMENT_VIEW).

The provider's own notification is not part of this API: it arrives on
``POST /payments/card/callback/<provider>/``, authenticated by its signature.
"""

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from robinet.billing import selectors as billing_selectors
from robinet.billing.api import _page
from robinet.customers import selectors as customer_selectors
from robinet.organisation.roles import Perm
from robinet.payments import cards

router = Router(tags=["paiements par carte"])


class CardOut(Schema):
    id: int
    provider: str
    provider_reference: str
    account: str = Field(alias="account.number")
    invoice: str | None = None
    amount: Decimal
    status: str = Field(description="pending | paid | declined | expired")
    redirect_url: str = Field(description="The provider's payment page")
    payment: str | None = Field(None, description="Number of the payment booked when paid")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_invoice(obj) -> str | None:
        return obj.invoice.number if obj.invoice_id else None

    @staticmethod
    def resolve_payment(obj) -> str | None:
        return obj.payment.number if obj.payment_id else None


class CheckoutIn(Schema):
    account: str = Field(description="Customer account number")
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    invoice: str = Field("", description="Invoice number (optional)")
    return_url: str = Field("", description="Robinet path the payer comes back to")


@router.post(
    "/payments/card-checkouts", response={201: CardOut}, summary="Démarrer un paiement par carte"
)
def checkout_start(request, payload: CheckoutIn):
    account = customer_selectors.account_get_for_user(
        user=request.user, number=payload.account, perm=Perm.PAYMENT_VIEW
    )
    invoice = None
    if payload.invoice:
        invoice = billing_selectors.invoice_get_for_user(user=request.user, number=payload.invoice)
    card = cards.card_checkout_start(
        actor=request.user,
        account=account,
        amount=payload.amount,
        invoice=invoice,
        return_url=payload.return_url,
    )
    return Status(201, cards.card_transaction_get_for_user(user=request.user, pk=card.pk))


@router.get("/payments/card-transactions", response=list[CardOut], summary="Paiements par carte")
def card_list(request, account: str = "", status: str = "", limit: int = 50, offset: int = 0):
    qs = cards.card_transaction_list(user=request.user, account_number=account, status=status)
    return list(qs[_page(limit, offset)])


@router.get(
    "/payments/card-transactions/{card_id}", response=CardOut, summary="Lire un paiement par carte"
)
def card_get(request, card_id: int):
    return cards.card_transaction_get_for_user(user=request.user, pk=card_id)
