"""JSON API of the counter cash desk (PAY-2).

* ``GET /payments/cash-days``: days of the user's centres (filters ``centre``,
  ``closed``, ``start``, ``end``); ``GET /payments/cash-days/{id}``: one day
  with its payments and live totals;
* ``POST /payments/cash-payments``: take a payment at a centre's counter
  today (201); 400 naming ``account``, ``amount``, ``cheque_number``…; 409
  ``cash_day_closed`` when the day is closed;
* ``POST /payments/cash-days/{id}/close``: close a day with the counted cash;
  409 ``cash_day_already_closed``;
* ``GET /payments/cheque-slips`` and ``POST /payments/cheque-slips``: deposit
  slips (default: every cheque of the centre not yet deposited).

Same services and permissions as the screens (:mod:`robinet.payments.cashdesk`).
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.core.exceptions import ValidationFailed
from robinet.payments import cash_selectors as selectors
from robinet.payments import cashdesk
from robinet.payments.models import CashDay, ChequeDepositSlip, Payment

router = Router(tags=["caisse"])


class CashDayOut(Schema):
    id: int
    centre: str = Field(alias="centre.code")
    day: dt.date
    closed: bool = Field(alias="is_closed")
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    total_cash: Decimal | None = Field(description="Expected cash (closing)")
    total_cheque: Decimal | None
    total_card: Decimal | None
    payment_count: int | None
    counted_cash: Decimal | None
    cash_difference: Decimal | None = Field(description="Counted − expected cash")
    reported_total: Decimal | None = Field(description="Counted cash + cheques (PAY-9)")


class CounterPaymentOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    centre: str = Field(alias="centre.code")
    means: str = Field(description="cash | cheque | card")
    amount: Decimal
    received_on: dt.date
    invoice: str | None = None
    cheque_number: str
    cheque_bank: str
    drawer: str
    cancelled: bool = False

    @staticmethod
    def resolve_invoice(obj) -> str | None:
        return obj.invoice.number if obj.invoice_id else None

    @staticmethod
    def resolve_cancelled(obj) -> bool:
        return hasattr(obj, "reversal")


class TotalsOut(Schema):
    cash: Decimal
    cheque: Decimal
    card: Decimal
    count: int


class CashDayDetailOut(CashDayOut):
    totals: TotalsOut = Field(description="Live totals of the payments not cancelled")
    payments: list[CounterPaymentOut]

    @staticmethod
    def resolve_totals(obj):
        return selectors.day_totals(obj)

    @staticmethod
    def resolve_payments(obj):
        return list(selectors.day_payments(obj))


class CounterPaymentIn(Schema):
    centre: int = Field(description="Id of the counter's centre")
    account: str = Field(description="Customer account number")
    means: str = Field(description="cash | cheque | card")
    amount: Decimal = Field(max_digits=12, decimal_places=2)
    invoice: str = Field("", description="Number of the invoice paid (optional)")
    cheque_number: str = Field("", max_length=20)
    cheque_bank: str = Field("", max_length=80)
    drawer: str = Field("", max_length=120)


class CashDayCloseIn(Schema):
    counted_cash: Decimal = Field(max_digits=12, decimal_places=2)


class SlipOut(Schema):
    id: int
    number: str
    centre: str = Field(alias="centre.code")
    deposited_on: dt.date
    bank_account_label: str
    cheque_count: int
    total: Decimal
    payments: list[str] = Field(description="Payment numbers of the cheques")

    @staticmethod
    def resolve_payments(obj) -> list[str]:
        return list(selectors.slip_payments(obj).values_list("number", flat=True))


class SlipIn(Schema):
    centre: int
    bank_account_label: str = Field(max_length=120)
    deposited_on: dt.date | None = None
    payments: list[str] | None = Field(
        None, description="Payment numbers; default: every cheque not yet deposited"
    )


def _day(request, day_id: int) -> CashDay:
    return selectors.cash_day_get_for_user(user=request.user, pk=day_id)


@router.get("/payments/cash-days", response=list[CashDayOut], summary="Journées de caisse")
def cash_day_list(
    request, centre: int | None = None, closed: bool | None = None, start: dt.date | None = None,
    end: dt.date | None = None, limit: int = 50, offset: int = 0,
):  # fmt: skip
    days = selectors.cash_day_list(user=request.user, start=start, end=end, closed=closed)
    if centre is not None:
        days = days.filter(centre_id=centre)
    return list(days[_page(limit, offset)])


@router.get("/payments/cash-days/{day_id}", response=CashDayDetailOut, summary="Journée de caisse")
def cash_day_get(request, day_id: int):
    return _day(request, day_id)


@router.post(
    "/payments/cash-payments",
    response={201: CounterPaymentOut},
    summary="Encaisser au guichet (PAY-2)",
)
def counter_payment_take(request, payload: CounterPaymentIn):
    centre = selectors.centre_get_for_user(user=request.user, pk=payload.centre)
    account = cashdesk.account_for_counter(user=request.user, number=payload.account)
    invoice = cashdesk.invoice_for_counter(account=account, number=payload.invoice)
    payment = cashdesk.counter_payment_take(
        actor=request.user,
        centre=centre,
        account=account,
        means=payload.means,
        amount=payload.amount,
        invoice=invoice,
        cheque_number=payload.cheque_number,
        cheque_bank=payload.cheque_bank,
        drawer=payload.drawer,
    )
    return Status(201, Payment.objects.select_related("account", "centre").get(pk=payment.pk))


@router.post(
    "/payments/cash-days/{day_id}/close",
    response=CashDayOut,
    summary="Clôturer une journée de caisse",
)
def cash_day_close(request, day_id: int, payload: CashDayCloseIn):
    day = cashdesk.cash_day_close(
        actor=request.user, day=_day(request, day_id), counted_cash=payload.counted_cash
    )
    return _day(request, day.pk)


@router.get("/payments/cheque-slips", response=list[SlipOut], summary="Bordereaux de remise")
def slip_list(request, centre: int | None = None, limit: int = 50, offset: int = 0):
    slips = selectors.slip_list(user=request.user)
    if centre is not None:
        slips = slips.filter(centre_id=centre)
    return list(slips[_page(limit, offset)])


@router.post(
    "/payments/cheque-slips", response={201: SlipOut}, summary="Créer un bordereau de remise"
)
def slip_create(request, payload: SlipIn):
    centre = selectors.centre_get_for_user(user=request.user, pk=payload.centre)
    payments = None
    if payload.payments is not None:
        found = list(Payment.objects.filter(number__in=payload.payments, centre=centre))
        unknown = sorted(set(payload.payments) - {p.number for p in found})
        if unknown:
            raise ValidationFailed(
                {
                    "payments": [
                        _("Règlements inconnus dans ce centre : %(numbers)s.")
                        % {"numbers": ", ".join(unknown)}
                    ]
                }
            )
        payments = found
    slip = cashdesk.cheque_slip_create(
        actor=request.user,
        centre=centre,
        bank_account_label=payload.bank_account_label,
        deposited_on=payload.deposited_on,
        payments=payments,
    )
    return Status(201, ChequeDepositSlip.objects.select_related("centre").get(pk=slip.pk))
