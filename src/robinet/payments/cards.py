"""Card payments through the payment-service provider (PAY-2): checkout, callback, expiry.

* :func:`card_checkout_start` opens a checkout with the configured provider
  (staff on the screen, the portal later) and records a pending
  :class:`~robinet.payments.models.CardTransaction`;
* :func:`card_callback_receive` handles the provider's server-to-server
  notification: the signature is verified before anything is read or written,
  the amount must be the checkout's, and it is idempotent: the same
  notification twice books one payment (``payment_record`` refuses the
  provider reference a second time with ``DuplicatePayment``);
* :func:`card_checkouts_expire` closes checkouts never confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, NotFound, ValidationFailed
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm
from robinet.payments import providers
from robinet.payments.models import CardStatus, CardTransaction, PaymentMeans
from robinet.payments.services import DuplicatePayment, payment_record, validate_amount

#: a checkout not confirmed within this delay is expired by :func:`card_checkouts_expire`
CHECKOUT_LIFETIME = dt.timedelta(hours=1)


class InvalidCallback(ApplicationError):
    """A notification whose signature does not verify: ignored, nothing written."""

    http_status = 400


def card_checkout_start(
    *,
    actor,
    account,
    amount: Decimal,
    invoice=None,
    return_url: str = "",
    check_permission: bool = True,
) -> CardTransaction:
    """Open a card checkout for ``amount`` on ``account`` (optionally for ``invoice``).

    Validates its input (raises ``ValidationFailed`` naming ``amount`` or
    ``invoice``); PAYMENT_TAKE on the account's centre unless the caller acts
    for the customer (the portal) and passes ``check_permission=False``.
    """
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, account.centre)
    validate_amount(amount)
    if invoice is not None and invoice.account_id != account.pk:
        raise ValidationFailed(
            {"invoice": [_("Cette facture n'est pas celle de ce compte client.")]}
        )
    return_url = (return_url or "").strip()
    if return_url and (
        not return_url.startswith("/") or return_url.startswith("//") or len(return_url) > 500
    ):
        raise ValidationFailed(
            {"return_url": [_("Adresse de retour : un chemin de Robinet commençant par « / ».")]}
        )
    provider = providers.get_provider()
    checkout = provider.start_checkout(
        account_number=account.number,
        amount=amount,
        invoice_number=invoice.number if invoice is not None else "",
        return_url=return_url,
    )
    now = clock.now()
    with transaction.atomic():
        card = CardTransaction.objects.create(
            provider=provider.name,
            provider_reference=checkout.reference,
            account=account,
            invoice=invoice,
            amount=amount,
            status=CardStatus.PENDING,
            redirect_url=checkout.redirect_url,
            return_url=return_url,
            created_at=now,
            updated_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            verb="card_checkout_started",
            target=card,
            subject=account,
            data={"reference": card.provider_reference, "amount": amount},
        )
    return card


def card_callback_receive(
    *, provider_name: str, body: bytes, headers: Mapping[str, str]
) -> CardTransaction:
    """Apply a provider's notification (PAY-2). Called for the outside: no actor.

    Raises :class:`InvalidCallback` (400, nothing written) for a bad signature
    or another provider than the configured one, ``NotFound`` for an unknown
    reference, ``ApplicationError`` ``card_amount_mismatch`` when the amount is
    not the checkout's and ``card_status_conflict`` when a final transaction is
    told the opposite. A repeated notification changes nothing and answers the
    transaction as it is.
    """
    if provider_name != settings.ROBINET_CARD_PROVIDER:
        raise InvalidCallback(
            _("Prestataire de paiement inconnu : %(name)s.") % {"name": provider_name},
            code="card_provider_unknown",
        )
    event = providers.get_provider(provider_name).parse_callback(body=body, headers=headers)
    if not event.signature_valid:
        raise InvalidCallback(
            _("Notification de paiement refusée : signature invalide."),
            code="card_bad_signature",
        )
    with transaction.atomic():
        card = (
            CardTransaction.objects.select_for_update()
            .filter(provider=provider_name, provider_reference=event.reference)
            .first()
        )
        if card is None:
            raise NotFound(_("Paiement par carte inconnu : %(ref)s.") % {"ref": event.reference})
        if event.amount != card.amount:
            raise ApplicationError(
                _("Montant notifié (%(given)s) différent du montant du paiement (%(expected)s).")
                % {"given": event.amount, "expected": card.amount},
                code="card_amount_mismatch",
                fields={"amount": [_("Montant différent de celui du paiement.")]},
            )
        wanted = CardStatus.PAID if event.status == providers.PAID else CardStatus.DECLINED
        if card.status == wanted:
            return card  # the same notification again: nothing more to do
        if card.status != CardStatus.PENDING:
            raise ApplicationError(
                _("Le paiement %(ref)s est déjà « %(status)s ».")
                % {"ref": card.provider_reference, "status": card.get_status_display()},
                code="card_status_conflict",
                http_status=409,
            )
        if wanted == CardStatus.PAID:
            try:
                payment = payment_record(
                    actor=None,
                    account=card.account,
                    means=PaymentMeans.CARD,
                    amount=card.amount,
                    invoice=card.invoice,
                    external_reference=card.provider_reference,
                    payer_reference=card.provider_reference,
                    check_permission=False,
                )
            except DuplicatePayment as exc:
                payment = exc.payment
            card.payment = payment
        card.status = wanted
        card.updated_at = clock.now()
        card.save(update_fields=["status", "payment", "updated_at"])
        audit.record(
            actor=None,
            verb=f"card_{wanted}",
            target=card,
            subject=card.account,
            data={
                "reference": card.provider_reference,
                "amount": card.amount,
                "payment": card.payment.number if card.payment else "",
            },
        )
    return card


def card_checkouts_expire(*, older_than: dt.timedelta = CHECKOUT_LIFETIME) -> int:
    """Mark the pending checkouts started before ``now - older_than`` as expired; how many."""
    now = clock.now()
    with transaction.atomic():
        stale = list(
            CardTransaction.objects.select_for_update()
            .filter(status=CardStatus.PENDING, created_at__lt=now - older_than)
            .order_by("pk")
        )
        for card in stale:
            card.status = CardStatus.EXPIRED
            card.updated_at = now
            card.save(update_fields=["status", "updated_at"])
            audit.record(
                actor=None,
                verb="card_expired",
                target=card,
                subject=card.account,
                data={"reference": card.provider_reference},
            )
    return len(stale)


# --- reads -------------------------------------------------------------------------------------


def card_transaction_list(*, user, account_number: str = "", status: str = ""):
    scope = scope_for(user)
    qs = CardTransaction.objects.filter(
        scope.entity_filter(Perm.PAYMENT_VIEW, "account__centre")
    ).select_related("account__party", "invoice", "payment")
    if account_number:
        qs = qs.filter(account__number=account_number.strip())
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def card_transaction_get_for_user(*, user, pk: int | None = None, reference: str = ""):
    lookup = {"pk": pk} if pk is not None else {"provider_reference": reference}
    card = card_transaction_list(user=user).filter(**lookup).first()
    if card is None:
        raise NotFound(_("Paiement par carte introuvable."))
    return card


def card_transaction_get_public(*, reference: str) -> CardTransaction:
    """For the provider's hosted page (the test provider): by its unguessable reference."""
    card = (
        CardTransaction.objects.select_related("account", "invoice")
        .filter(provider_reference=reference)
        .first()
    )
    if card is None:
        raise NotFound(_("Paiement par carte introuvable."))
    return card
