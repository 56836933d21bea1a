"""Taking and reversing payments (PAY-1, PAY-2, PAY-4, PAY-7).

:func:`payment_record` is the one door every means goes through (counter,
cheque, card callback, operator statement, voucher, bank): it numbers the
payment, posts its credit item and its journal entry, and allocates it by the
PAY-1 rule, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.core.money import is_rounded
from robinet.ledger import posting
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.ledger.services import _unallocate, _write_allocations, live_allocations
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import sepa
from robinet.payments.booking import IncomingPayment, book_payments
from robinet.payments.models import Payment, PaymentMeans, PaymentReversal


class DuplicatePayment(ApplicationError):
    """The outside reference was already booked; ``payment`` is the one booked."""

    http_status = 409

    def __init__(self, payment: Payment) -> None:
        super().__init__(
            _("Ce règlement (référence %(ref)s) est déjà enregistré sous le n° %(number)s.")
            % {"ref": payment.external_reference, "number": payment.number},
            code="duplicate_payment",
        )
        self.payment = payment


def validate_amount(amount, field: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationFailed({field: [_("Montant invalide.")]})
    if amount <= 0:
        raise ValidationFailed({field: [_("Le montant doit être positif.")]})
    if not is_rounded(amount):
        raise ValidationFailed({field: [_("Le montant s'exprime au centime près.")]})
    if amount >= Decimal("10000000000"):
        raise ValidationFailed({field: [_("Montant trop élevé.")]})
    return amount


def payment_record(
    *,
    actor,
    account,
    means: str,
    amount: Decimal,
    received_on: dt.date | None = None,
    invoice=None,
    payer_reference: str = "",
    external_reference: str = "",
    cheque_number: str = "",
    cheque_bank: str = "",
    drawer: str = "",
    centre=None,
    allocate: bool = True,
    check_permission: bool = True,
) -> Payment:
    """Book a payment on ``account`` and allocate it (PAY-1).

    ``centre`` is where it was received (default: the account's centre).
    ``check_permission`` is off only for callers that checked themselves or act
    for the outside (a verified card-provider callback).
    """
    centre = centre or account.centre
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, centre)
    errors: dict[str, list[str]] = {}
    if means not in PaymentMeans.values:
        errors["means"] = [_("Moyen de paiement inconnu : %(means)s.") % {"means": means}]
    try:
        validate_amount(amount)
    except ValidationFailed as error:
        errors.update(error.fields)
    if means == PaymentMeans.CHEQUE and not (cheque_number or "").strip():
        errors["cheque_number"] = [_("Le numéro du chèque est obligatoire.")]
    if invoice is not None and invoice.account_id != account.pk:
        errors["invoice"] = [_("Cette facture n'est pas celle de ce compte client.")]
    received_on = received_on or clock.today()
    if received_on > clock.today():
        errors["received_on"] = [_("La date de réception ne peut pas être dans le futur.")]
    if errors:
        raise ValidationFailed(errors)
    external_reference = (external_reference or "").strip()
    if external_reference:
        existing = Payment.objects.filter(
            means=means, external_reference=external_reference
        ).first()
        if existing is not None:
            raise DuplicatePayment(existing)
    try:
        with transaction.atomic():
            payment = _book(
                actor=actor,
                account=account,
                centre=centre,
                means=means,
                amount=amount,
                received_on=received_on,
                invoice=invoice,
                payer_reference=payer_reference,
                external_reference=external_reference,
                cheque_number=cheque_number,
                cheque_bank=cheque_bank,
                drawer=drawer,
                allocate=allocate,
            )
    except IntegrityError:
        # A concurrent twin (same provider callback twice) committed first.
        existing = Payment.objects.filter(
            means=means, external_reference=external_reference
        ).first()
        if external_reference and existing is not None:
            raise DuplicatePayment(existing) from None
        raise
    return payment


def _book(*, actor, account, centre, means, amount, received_on, allocate, **fields) -> Payment:
    (payment_id,) = book_payments(
        [
            IncomingPayment(
                account_id=account.pk,
                centre_id=centre.pk,
                account_centre_id=account.centre_id,
                means=means,
                amount=amount,
                received_on=received_on,
                invoice_id=getattr(fields.pop("invoice"), "pk", None),
                **fields,
            )
        ],
        actor=actor,
        allocate=allocate,
    )
    payment = Payment.objects.select_related("account").get(pk=payment_id)
    audit.record(
        actor=actor,
        verb="payment_recorded",
        target=payment,
        subject=account,
        data={"number": payment.number, "means": means, "amount": amount},
    )
    return payment


def payment_reverse(
    *,
    actor,
    payment: Payment,
    reason: str,
    reason_code: str = "",
    on: dt.date | None = None,
    check_permission: bool = True,
) -> PaymentReversal:
    """Cancel a payment (bounced cheque, reject, entry error): the invoices it paid reopen (PAY-4)."""
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, payment.centre)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Indiquez le motif de l'annulation.")]})
    on = on or clock.today()
    if on < payment.received_on:
        raise ValidationFailed({"on": [_("L'annulation ne peut précéder le règlement.")]})
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if PaymentReversal.objects.filter(payment=locked).exists():
            raise ApplicationError(
                _("Le règlement %(number)s est déjà annulé.") % {"number": payment.number},
                code="already_reversed",
                http_status=409,
            )
        reversal = PaymentReversal.objects.create(
            payment=locked,
            reversed_on=on,
            reason_code=reason_code[:8],
            reason=reason[:255],
            created_at=clock.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        credit = OpenItem.objects.get(payment=locked, kind=OpenItemKind.PAYMENT)
        _unallocate(live_allocations(credit), on=on, actor=actor, reason=reason)
        credit.refresh_from_db()
        debit = OpenItem.objects.create(
            account_id=locked.account_id,
            kind=OpenItemKind.REVERSAL,
            payment=locked,
            document_number=locked.number,
            label=(_("Annulation : %(reason)s") % {"reason": reason})[:120],
            posted_on=on,
            due_date=on,
            amount=locked.amount,
            open_amount=locked.amount,
        )
        # The reversal and the payment cancel each other out; the invoices stay open.
        _write_allocations([(debit, credit, locked.amount)], on=on, actor=actor, reason=reason)
        posting.post(
            [
                posting.payment_entry(
                    number=locked.number,
                    received_on=on,
                    account_id=locked.account_id,
                    centre_id=locked.account.centre_id,
                    means=locked.means,
                    amount=locked.amount,
                    reversal=True,
                )
            ]
        )
        if locked.means == PaymentMeans.DIRECT_DEBIT:  # an instalment debited goes back unpaid
            sepa.debit_reversed(actor=actor, payment=locked, reason=reason)
        audit.record(
            actor=actor,
            verb="payment_reversed",
            target=reversal,
            subject=locked.account,
            data={"number": locked.number, "reason": reason, "reason_code": reason_code},
        )
        return reversal
