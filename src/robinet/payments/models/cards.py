"""Card payments taken through a payment-service provider (PAY-2).

A :class:`CardTransaction` is the checkout started with the provider: it is
pending until the provider's signed callback says paid (the payment is then
booked and linked) or declined; a checkout never confirmed expires.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.customers.models import CustomerAccount

from .core import Payment


class CardStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    PAID = "paid", _("Payée")
    DECLINED = "declined", _("Refusée")
    EXPIRED = "expired", _("Expirée")


#: a pending checkout may become any of these; the others are final
CARD_TRANSITIONS = {
    CardStatus.PENDING: {CardStatus.PAID, CardStatus.DECLINED, CardStatus.EXPIRED},
}


class CardTransaction(models.Model):
    provider = models.CharField(_("prestataire"), max_length=32)
    provider_reference = models.CharField(_("référence du prestataire"), max_length=80, unique=True)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="card_transactions"
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("facture"),
    )
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("état"), max_length=12, choices=CardStatus.choices, default=CardStatus.PENDING
    )
    redirect_url = models.CharField(_("page de paiement"), max_length=500)
    return_url = models.CharField(_("adresse de retour"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("créée le"))
    updated_at = models.DateTimeField(_("mise à jour le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("saisie par"),
    )
    payment = models.OneToOneField(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_transaction",
        verbose_name=_("règlement"),
    )

    class Meta:
        verbose_name = _("paiement par carte")
        verbose_name_plural = _("paiements par carte")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="card_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=CardStatus.values), name="card_status_valid"
            ),
            # Paid exactly when a payment was booked for it.
            models.CheckConstraint(
                condition=Q(status=CardStatus.PAID, payment__isnull=False)
                | (~Q(status=CardStatus.PAID) & Q(payment__isnull=True)),
                name="card_paid_has_payment",
            ),
        ]
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return self.provider_reference

    @property
    def is_pending(self) -> bool:
        return self.status == CardStatus.PENDING
