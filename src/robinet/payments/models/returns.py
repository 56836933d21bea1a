"""Direct-debit returns and rejects (PAY-4) and refunds of credit balances (PAY-6).

A bank return file (pain.002 status report or camt.054 debit notification)
is recorded once with its items: each item says what happened to one
direct-debit payment, found by its end-to-end id. Accepted items are kept for
the record but reverse nothing. Return files and items are append-only.

A refund pays a credit balance back to the customer by SEPA credit transfer:
proposed (checks passed), approved (posted: the credit is consumed), then
exported in a pain.001 file.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.append_only import AppendOnlyModel
from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount

from .core import Payment, PaymentReversal


class ReturnFileKind(models.TextChoices):
    PAIN002 = "pain002", _("Compte rendu de prélèvements (pain.002)")
    CAMT054 = "camt054", _("Avis de débit / impayés (camt.054)")


class ReturnOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepté (aucune annulation)")
    REVERSED = "reversed", _("Rejeté : règlement annulé")
    ALREADY_REVERSED = "already", _("Rejeté : règlement déjà annulé")


class BankReturnFile(AppendOnlyModel):
    kind = models.CharField(_("type de fichier"), max_length=8, choices=ReturnFileKind.choices)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, unique=True)
    message_id = models.CharField(_("identifiant du message"), max_length=35)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    items_count = models.PositiveIntegerField(_("opérations"))
    rejected_count = models.PositiveIntegerField(_("rejets"))
    accepted_count = models.PositiveIntegerField(_("acceptées"))
    imported_at = models.DateTimeField(_("importé le"))
    imported_by = author_field()

    class Meta:
        verbose_name = _("fichier de retours bancaires")
        verbose_name_plural = _("fichiers de retours bancaires")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ReturnFileKind.values), name="return_file_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(items_count=models.F("rejected_count") + models.F("accepted_count")),
                name="return_file_counts_add_up",
            ),
            models.UniqueConstraint(
                fields=["kind", "message_id"],
                condition=~Q(message_id=""),
                name="return_file_message_once",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id or self.filename


class ReturnItem(AppendOnlyModel):
    file = models.ForeignKey(BankReturnFile, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveIntegerField(_("rang dans le fichier"))
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35)
    status = models.CharField(_("statut bancaire"), max_length=8)
    reason_code = models.CharField(_("code motif"), max_length=8, blank=True, default="")
    reason_label = models.CharField(_("motif"), max_length=160, blank=True, default="")
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    outcome = models.CharField(_("suite donnée"), max_length=8, choices=ReturnOutcome.choices)
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_items",
        verbose_name=_("règlement"),
    )
    reversal = models.OneToOneField(
        PaymentReversal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_item",
        verbose_name=_("annulation"),
    )
    fee_invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("facture de frais de rejet"),
    )

    class Meta:
        verbose_name = _("opération retournée")
        verbose_name_plural = _("opérations retournées")
        ordering = ["file", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ReturnOutcome.values), name="return_item_outcome_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="return_item_amount_positive"),
            models.CheckConstraint(
                condition=~Q(outcome="reversed") | Q(payment__isnull=False, reversal__isnull=False),
                name="return_item_reversed_has_reversal",
            ),
            models.CheckConstraint(
                condition=Q(outcome="reversed")
                | Q(reversal__isnull=True, fee_invoice__isnull=True),
                name="return_item_only_rejects_reverse",
            ),
            models.CheckConstraint(
                condition=Q(outcome="accepted") | ~Q(reason_code=""),
                name="return_item_reject_has_reason",
            ),
            models.UniqueConstraint(fields=["file", "position"], name="return_item_position_once"),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id


class RefundStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposé")
    APPROVED = "approved", _("Approuvé")
    EXPORTED = "exported", _("Virement émis")


class RefundFile(models.Model):
    """A pain.001 credit-transfer file, kept as generated (it was validated against the XSD)."""

    message_id = models.CharField(_("identifiant du message"), max_length=35, unique=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    execution_date = models.DateField(_("date d'exécution"))
    refunds_count = models.PositiveIntegerField(_("remboursements"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    content = models.TextField(_("contenu XML"))
    created_at = models.DateTimeField(_("créé le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("fichier de virements de remboursement")
        verbose_name_plural = _("fichiers de virements de remboursement")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="refund_file_total_positive"),
            models.CheckConstraint(condition=Q(refunds_count__gt=0), name="refund_file_not_empty"),
        ]

    def __str__(self) -> str:
        return self.message_id

    @property
    def filename(self) -> str:
        return f"remboursements-{self.message_id}.xml"


class Refund(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    # Snapshots taken when proposed, re-checked against the account on approval (CUST-6).
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    holder = models.CharField(_("titulaire"), max_length=140)
    status = models.CharField(
        _("état"), max_length=8, choices=RefundStatus.choices, default=RefundStatus.PROPOSED
    )
    proposed_on = models.DateField(_("proposé le"))
    approved_at = models.DateTimeField(_("approuvé le"), null=True, blank=True)
    approved_by = author_field(_("approuvé par"))
    open_item = models.OneToOneField(
        "ledger.OpenItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund",
        verbose_name=_("poste de remboursement"),
    )
    file = models.ForeignKey(
        RefundFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("fichier de virements"),
    )

    class Meta:
        verbose_name = _("remboursement")
        verbose_name_plural = _("remboursements")
        ordering = ["-proposed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values), name="refund_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(iban="") & ~Q(bic=""), name="refund_has_bank_details"
            ),
            models.CheckConstraint(
                condition=Q(status="proposed", approved_at__isnull=True, open_item__isnull=True)
                | Q(
                    status__in=("approved", "exported"),
                    approved_at__isnull=False,
                    open_item__isnull=False,
                ),
                name="refund_approved_is_posted",
            ),
            models.CheckConstraint(
                condition=Q(status="exported", file__isnull=False)
                | Q(~Q(status="exported"), file__isnull=True),
                name="refund_exported_has_file",
            ),
            # One refund in progress per account at a time.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=("proposed", "approved")),
                name="refund_one_pending_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.number
