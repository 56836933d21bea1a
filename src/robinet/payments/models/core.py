"""Payments received from customers, whatever the means (PAY-2).

A payment is append-only: a cheque that bounces or a payment taken by
mistake is *reversed* by a :class:`PaymentReversal`, which posts a debit
item on the account and the opposite journal entry. The means-specific
records (cash days, deposit slips, card transactions, operator statements,
vouchers) point at payments; a payment never changes after it is taken.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.append_only import AppendOnlyModel
from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount
from robinet.organisation.models import Entity


class PaymentMeans(models.TextChoices):
    DIRECT_DEBIT = "direct_debit", _("Prélèvement")
    TRANSFER = "transfer", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CARD = "card", _("Carte bancaire")
    CASH = "cash", _("Espèces")
    VOUCHER = "voucher", _("Vignette")
    AGENCY = "agency", _("Remise d'agence")
    OPERATOR = "operator", _("Opérateur d'encaissement")
    ACCOUNTANT = "accountant", _("Comptable public")


class Payment(AppendOnlyModel):
    number = models.CharField(_("numéro"), max_length=20)  # unique: payment_number_once
    # Both keys are the first columns of an index below: no index of their own.
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    # Where the money was received (a counter's centre) or, otherwise, the account's centre.
    centre = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("centre"),
        db_index=False,
    )
    means = models.CharField(_("moyen de paiement"), max_length=16, choices=PaymentMeans.choices)
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    received_on = models.DateField(_("reçu le"))
    # The invoice the payer named (PAY-1: allocated to it first).
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("facture réglée"),
    )
    payer_reference = models.CharField(_("référence du payeur"), max_length=140, blank=True)
    # An identifier given by the outside (PSP transaction, bank reference, operator
    # line): the same one twice is the same payment (idempotent callbacks and imports).
    external_reference = models.CharField(
        _("référence externe"), max_length=80, blank=True, default=""
    )
    cheque_number = models.CharField(_("n° de chèque"), max_length=20, blank=True, default="")
    cheque_bank = models.CharField(_("banque tirée"), max_length=80, blank=True, default="")
    drawer = models.CharField(_("tireur"), max_length=120, blank=True, default="")
    created_at = models.DateTimeField(_("saisi le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("règlement")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(means__in=PaymentMeans.values), name="payment_means_valid"
            ),
            models.CheckConstraint(
                condition=~Q(means=PaymentMeans.CHEQUE) | ~Q(cheque_number=""),
                name="payment_cheque_has_number",
            ),
            models.UniqueConstraint(
                fields=["means", "external_reference"],
                condition=~Q(external_reference=""),
                name="payment_external_reference_once",
            ),
            # A constraint, not unique=True: no pattern index on PostgreSQL, which every
            # payment would write and no query reads (numbers are matched exactly).
            models.UniqueConstraint(fields=["number"], name="payment_number_once"),
        ]
        indexes = [
            models.Index(fields=["account", "received_on"]),
            models.Index(fields=["centre", "received_on"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def debit_status(self) -> str:
        """PAY-3: ``pending`` / ``settled`` / ``rejected`` for a SEPA debit of a run, else ""."""
        try:
            item = self.direct_debit
        except ObjectDoesNotExist:
            return ""
        return item.status

    @property
    def is_pending(self) -> bool:
        """A direct debit not yet settled (PAY-3): « en attente » on statements."""
        return self.debit_status == "pending"


class PaymentReversal(AppendOnlyModel):
    """A payment cancelled: a bounced cheque, a direct-debit reject, an entry error (PAY-4)."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal")
    reversed_on = models.DateField(_("annulé le"))
    reason_code = models.CharField(_("code motif"), max_length=8, blank=True, default="")
    reason = models.CharField(_("motif"), max_length=255)
    created_at = models.DateTimeField(_("saisi le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("annulation de règlement")
