"""JSON API of vouchers for administrations — *vignettes* (PAY-10).

* ``GET /payments/voucher-agreements``: agreements (filters ``year``, ``status``, ``q``);
* ``POST /payments/voucher-agreements``: a draft agreement (201); 400 naming the field
  (``quantities``, ``quantity_<value>``, ``accounts``…);
* ``GET /payments/voucher-agreements/{id}``: the agreement with its figures per face value;
* ``GET /payments/voucher-stock``: stock per entity and face value, with thresholds and
  ``below_threshold``;
* ``POST /payments/voucher-redemptions``: vouchers handed in pay the administration's
  bills (201, the payment); 400 naming ``serials`` when a voucher was not issued to an
  agreement covering the account, or was already used.

Same permissions as the screens (checked by :mod:`robinet.payments.vouchers`).
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing import selectors as billing_selectors
from robinet.billing.api import _page
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm
from robinet.payments import voucher_selectors as selectors
from robinet.payments import vouchers
from robinet.payments.models import VoucherAgreement

router = Router(tags=["vignettes"])


class VoucherFiguresOut(Schema):
    denomination: int = Field(description="Face value in euros")
    agreed: int
    issued: int = Field(description="Net of returns and exchanges")
    redeemed: int
    cancelled: int
    unused: int
    redeemed_amount: Decimal
    unused_amount: Decimal


class VoucherAgreementSummaryOut(Schema):
    id: int
    number: str
    region: str = Field(alias="region.code")
    year: int
    administration_name: str
    status: str = Field(description="draft | signed | paid | closed")
    total_amount: Decimal
    signed_on: dt.date | None
    paid_on: dt.date | None
    treasury_reference: str
    closed_on: dt.date | None


class VoucherLineOut(Schema):
    denomination: int
    quantity: int


class VoucherAgreementOut(VoucherAgreementSummaryOut):
    administration_account: str | None = None
    accounts: list[str]
    lines: list[VoucherLineOut]
    figures: list[VoucherFiguresOut]

    @staticmethod
    def resolve_administration_account(obj) -> str | None:
        return obj.administration_account.number if obj.administration_account_id else None

    @staticmethod
    def resolve_accounts(obj) -> list[str]:
        return list(obj.accounts.order_by("number").values_list("number", flat=True))

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())

    @staticmethod
    def resolve_figures(obj):
        return selectors.agreement_figures(obj)


class VoucherAgreementIn(Schema):
    region: str = Field(description="Code of the regional directorate")
    year: int = Field(description="Fiscal year")
    administration_account: str = Field("", description="The administration's account number")
    administration_name: str = Field("", max_length=160, description="Without an account")
    accounts: list[str] = Field(default_factory=list, description="Other covered accounts")
    quantities: dict[int, int] = Field(description="Face value (euros) → number of vouchers")


class StockOut(Schema):
    entity: str = Field(alias="entity.code")
    entity_name: str = Field(alias="entity.name")
    denomination: int
    quantity: int
    alert_threshold: int
    below_threshold: bool


class RangeIn(Schema):
    denomination: int
    serial_from: int = Field(ge=1)
    serial_to: int | None = Field(None, ge=1, description="Empty for a single voucher")


class RedemptionIn(Schema):
    account: str = Field(description="The administration's account number")
    invoice: str = Field("", description="Invoice paid first (PAY-1)")
    centre: str = Field("", description="Code of the centre (default: the account's)")
    received_on: dt.date | None = None
    serials: list[RangeIn]


class VoucherPaymentOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    means: str
    amount: Decimal
    received_on: dt.date
    payer_reference: str


def _agreement(request, agreement_id: int) -> VoucherAgreement:
    return selectors.agreement_get_for_user(user=request.user, pk=agreement_id)


def _account(request, number: str, field: str):
    try:
        return customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=Perm.PAYMENT_VIEW
        )
    except NotFound:
        raise ValidationFailed(
            {field: [_("Compte client %(n)s introuvable.") % {"n": number}]}
        ) from None


@router.get(
    "/payments/voucher-agreements",
    response=list[VoucherAgreementSummaryOut],
    summary="Conventions vignettes",
)
def agreement_list(
    request, year: int | None = None, status: str = "", q: str = "", limit: int = 50,
    offset: int = 0,
):  # fmt: skip
    require(request.user, Perm.PAYMENT_VIEW)
    agreements = selectors.agreement_list(user=request.user, year=year, status=status, search=q)
    return list(agreements[_page(limit, offset)])


@router.post(
    "/payments/voucher-agreements",
    response={201: VoucherAgreementOut},
    summary="Créer une convention vignettes (brouillon)",
)
def agreement_create(request, payload: VoucherAgreementIn):
    region = Entity.objects.filter(code=payload.region).first()
    if region is None:
        raise ValidationFailed({"region": [_("Entité %(c)s introuvable.") % {"c": payload.region}]})
    account = (
        _account(request, payload.administration_account, "administration_account")
        if payload.administration_account
        else None
    )
    agreement = vouchers.agreement_create(
        actor=request.user,
        region=region,
        year=payload.year,
        administration_account=account,
        administration_name=payload.administration_name,
        accounts=[_account(request, n, "accounts") for n in payload.accounts],
        quantities=payload.quantities,
    )
    return Status(201, agreement)


@router.get(
    "/payments/voucher-agreements/{agreement_id}",
    response=VoucherAgreementOut,
    summary="Lire une convention vignettes",
)
def agreement_get(request, agreement_id: int):
    return _agreement(request, agreement_id)


@router.get("/payments/voucher-stock", response=list[StockOut], summary="Stock de vignettes")
def stock(request, alerts_only: bool = False):
    require(request.user, Perm.PAYMENT_VIEW)
    if alerts_only:
        return selectors.stock_alerts(user=request.user)
    return selectors.stock_list(user=request.user)


@router.post(
    "/payments/voucher-redemptions",
    response={201: VoucherPaymentOut},
    summary="Régler des factures par vignettes",
)
def redemption_create(request, payload: RedemptionIn):
    account = _account(request, payload.account, "account")
    invoice = None
    if payload.invoice:
        try:
            invoice = billing_selectors.invoice_get_for_user(
                user=request.user, number=payload.invoice, perm=Perm.PAYMENT_VIEW
            )
        except NotFound:
            raise ValidationFailed(
                {"invoice": [_("Facture %(n)s introuvable.") % {"n": payload.invoice}]}
            ) from None
    centre = None
    if payload.centre:
        centre = Entity.objects.filter(code=payload.centre).first()
        if centre is None:
            raise ValidationFailed(
                {"centre": [_("Entité %(c)s introuvable.") % {"c": payload.centre}]}
            )
    payment = vouchers.voucher_redeem(
        actor=request.user,
        account=account,
        ranges=[
            (r.denomination, r.serial_from, r.serial_to or r.serial_from) for r in payload.serials
        ],
        invoice=invoice,
        centre=centre,
        received_on=payload.received_on,
    )
    return Status(201, payment)
