"""Prepaid vouchers for administrations — *vignettes* (PAY-10).

* :class:`VoucherAgreement` — a region's agreement (*convention vignettes*)
  with an administration for a fiscal year: quantities per face value, paid
  by the Treasury, then closed; numbered ``VIG-<year>-<n>`` without gaps.
* :class:`VoucherMovement` — append-only: a range of serial numbers of one
  face value moving from one place to another (printer → region → centre →
  administration → redeemed at a counter, or back, or cancelled).
* :class:`VoucherStock` — per entity and face value, the quantity in stock
  (a cache of the movements, refreshed in the same transaction under a row
  lock, never negative) and the alert threshold.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.append_only import AppendOnlyModel
from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount
from robinet.organisation.models import Entity


class Denomination(models.IntegerChoices):
    """Face values printed on vouchers, in whole euros."""

    EUR_10 = 10, _("10 €")
    EUR_20 = 20, _("20 €")
    EUR_50 = 50, _("50 €")
    EUR_100 = 100, _("100 €")
    EUR_200 = 200, _("200 €")
    EUR_500 = 500, _("500 €")


class VoucherAgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SIGNED = "signed", _("Signée")
    PAID = "paid", _("Payée par le Trésor")
    CLOSED = "closed", _("Clôturée")


class VoucherMovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Réception de l'imprimeur")
    TRANSFER = "transfer", _("Dotation d'un centre")
    ISSUE = "issue", _("Remise à l'administration")
    EXCHANGE_IN = "exchange_in", _("Échange : vignettes reprises")
    EXCHANGE_OUT = "exchange_out", _("Échange : vignettes remises")
    RETURN = "return", _("Retour de l'administration")
    REDEMPTION = "redemption", _("Règlement d'une facture")
    CANCELLATION = "cancellation", _("Annulation")


class VoucherAgreement(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    region = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("direction régionale")
    )
    year = models.PositiveSmallIntegerField(_("exercice"))
    administration_name = models.CharField(_("administration"), max_length=160)
    administration_account = models.ForeignKey(
        CustomerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("compte de l'administration"),
    )
    accounts = models.ManyToManyField(
        CustomerAccount, related_name="voucher_agreements", verbose_name=_("comptes couverts")
    )
    total_amount = models.DecimalField(_("montant total"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("état"),
        max_length=8,
        choices=VoucherAgreementStatus.choices,
        default=VoucherAgreementStatus.DRAFT,
    )
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    paid_on = models.DateField(_("payée le"), null=True, blank=True)
    treasury_reference = models.CharField(
        _("référence du paiement (Trésor)"), max_length=80, blank=True, default=""
    )
    closed_on = models.DateField(_("clôturée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("convention vignettes")
        verbose_name_plural = _("conventions vignettes")
        ordering = ["-year", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VoucherAgreementStatus.values),
                name="voucher_agreement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gt=0), name="voucher_agreement_total_positive"
            ),
            models.CheckConstraint(
                condition=~Q(administration_name=""), name="voucher_agreement_has_administration"
            ),
            models.CheckConstraint(
                condition=Q(status=VoucherAgreementStatus.DRAFT, signed_on__isnull=True)
                | Q(~Q(status=VoucherAgreementStatus.DRAFT), signed_on__isnull=False),
                name="voucher_agreement_signed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[VoucherAgreementStatus.DRAFT, VoucherAgreementStatus.SIGNED],
                    paid_on__isnull=True,
                    treasury_reference="",
                )
                | Q(
                    Q(status__in=[VoucherAgreementStatus.PAID, VoucherAgreementStatus.CLOSED]),
                    ~Q(treasury_reference=""),
                    paid_on__isnull=False,
                ),
                name="voucher_agreement_paid_has_date_and_reference",
            ),
            models.CheckConstraint(
                condition=Q(status=VoucherAgreementStatus.CLOSED, closed_on__isnull=False)
                | Q(~Q(status=VoucherAgreementStatus.CLOSED), closed_on__isnull=True),
                name="voucher_agreement_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.administration_name}"


class VoucherAgreementLine(models.Model):
    """How many vouchers of one face value the agreement covers."""

    agreement = models.ForeignKey(VoucherAgreement, on_delete=models.CASCADE, related_name="lines")
    denomination = models.PositiveIntegerField(
        _("valeur faciale (€)"), choices=Denomination.choices
    )
    quantity = models.PositiveIntegerField(_("quantité"))

    class Meta:
        verbose_name = _("ligne de convention vignettes")
        ordering = ["denomination"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "denomination"], name="voucher_line_once_per_denomination"
            ),
            models.CheckConstraint(
                condition=Q(denomination__in=Denomination.values),
                name="voucher_line_denomination_known",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="voucher_line_quantity_pos"),
        ]


class VoucherMovement(AppendOnlyModel):
    """A range of serials ``serial_from``–``serial_to`` of one face value moving.

    Where a movement takes the vouchers from and to (see ``voucher_rules``):
    ``source`` / ``destination`` are entities (stock); without a source, the
    vouchers come from the administration of ``agreement`` (return, exchange
    in, redemption) or from the printer (receipt); without a destination they
    go to the administration (issue, exchange out), or are spent (redemption)
    or destroyed (cancellation).
    """

    kind = models.CharField(_("nature"), max_length=16, choices=VoucherMovementKind.choices)
    denomination = models.PositiveIntegerField(
        _("valeur faciale (€)"), choices=Denomination.choices
    )
    serial_from = models.PositiveBigIntegerField(_("du n°"))
    serial_to = models.PositiveBigIntegerField(_("au n°"))
    quantity = models.PositiveIntegerField(_("quantité"))
    source = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("depuis"),
    )
    destination = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vers"),
    )
    agreement = models.ForeignKey(
        VoucherAgreement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movements",
        verbose_name=_("convention"),
    )
    # Redemption: the centre where the vouchers were handed in and the payment booked.
    centre = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("centre d'encaissement"),
    )
    payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher_movements",
        verbose_name=_("règlement"),
    )
    occurred_on = models.DateField(_("date"))
    note = models.CharField(_("observation"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("saisi le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("mouvement de vignettes")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=VoucherMovementKind.values), name="voucher_movement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(denomination__in=Denomination.values),
                name="voucher_movement_denomination_known",
            ),
            models.CheckConstraint(
                condition=Q(serial_from__gte=1, serial_to__gte=F("serial_from")),
                name="voucher_movement_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(quantity=F("serial_to") - F("serial_from") + 1),
                name="voucher_movement_quantity_is_range",
            ),
            # Where each kind takes vouchers from and to.
            models.CheckConstraint(
                condition=~Q(kind=VoucherMovementKind.RECEIPT)
                | Q(source__isnull=True, destination__isnull=False, agreement__isnull=True),
                name="voucher_receipt_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind=VoucherMovementKind.TRANSFER)
                | Q(source__isnull=False, destination__isnull=False, agreement__isnull=True),
                name="voucher_transfer_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[VoucherMovementKind.ISSUE, VoucherMovementKind.EXCHANGE_OUT])
                | Q(source__isnull=False, destination__isnull=True, agreement__isnull=False),
                name="voucher_issue_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[VoucherMovementKind.RETURN, VoucherMovementKind.EXCHANGE_IN])
                | Q(source__isnull=True, destination__isnull=False, agreement__isnull=False),
                name="voucher_return_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind=VoucherMovementKind.REDEMPTION)
                | Q(
                    source__isnull=True,
                    destination__isnull=True,
                    agreement__isnull=False,
                    payment__isnull=False,
                    centre__isnull=False,
                ),
                name="voucher_redemption_shape",
            ),
            models.CheckConstraint(
                condition=Q(kind=VoucherMovementKind.REDEMPTION)
                | Q(payment__isnull=True, centre__isnull=True),
                name="voucher_only_redemption_has_payment",
            ),
            models.CheckConstraint(
                condition=~Q(kind=VoucherMovementKind.CANCELLATION)
                | Q(destination__isnull=True)
                & (
                    Q(source__isnull=False, agreement__isnull=True)
                    | Q(source__isnull=True, agreement__isnull=False)
                ),
                name="voucher_cancellation_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["denomination", "serial_from"]),
            models.Index(fields=["agreement", "kind"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.denomination} € {self.serial_from}–{self.serial_to}"
        )


class VoucherStock(models.Model):
    """Vouchers of one face value in stock at one entity, and the alert threshold."""

    entity = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entité")
    )
    denomination = models.PositiveIntegerField(
        _("valeur faciale (€)"), choices=Denomination.choices
    )
    quantity = models.IntegerField(_("en stock"), default=0)
    alert_threshold = models.IntegerField(_("seuil d'alerte"), default=0)

    class Meta:
        verbose_name = _("stock de vignettes")
        ordering = ["entity__path", "denomination"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "denomination"], name="voucher_stock_once_per_denomination"
            ),
            models.CheckConstraint(
                condition=Q(denomination__in=Denomination.values),
                name="voucher_stock_denomination_known",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="voucher_stock_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(alert_threshold__gte=0), name="voucher_stock_threshold_non_negative"
            ),
        ]

    @property
    def below_threshold(self) -> bool:
        return self.quantity < self.alert_threshold
