"""The counter cash desk — *régie de recettes* (PAY-2, PAY-9).

* :class:`CashDay` — one per centre and date (*journée de caisse*): the
  payments taken at that counter that day, closed once with its totals by
  means and the cash counted by the officer;
* :class:`CashDayPayment` — the link day ↔ payment (a payment is append-only,
  so the day points at it; a payment belongs to one day at most);
* :class:`ChequeDepositSlip` and :class:`ChequeDepositSlipLine` — deposit
  slips (*bordereaux de remise de chèques*): a cheque is on one slip at most;
* :class:`CashTransmission` — what treasury actually received from a centre
  for a closed day (*versement*), reconciled with what the centre reported
  (PAY-9).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.append_only import AppendOnlyModel
from robinet.core.models.fields import author_field
from robinet.organisation.models import Entity

from .core import Payment


class CashDay(models.Model):
    centre = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre")
    )
    day = models.DateField(_("journée"))
    opened_at = models.DateTimeField(_("ouverte le"))
    opened_by = author_field()
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("clôturée par"),
    )
    # Closing figures (filled once, at closing): the payments of the day not cancelled.
    total_cash = models.DecimalField(
        _("espèces"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    total_cheque = models.DecimalField(
        _("chèques"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    total_card = models.DecimalField(
        _("cartes"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    payment_count = models.PositiveIntegerField(_("règlements"), null=True, blank=True)
    counted_cash = models.DecimalField(
        _("espèces comptées"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cash_difference = models.DecimalField(
        _("écart de caisse"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("journée de caisse")
        verbose_name_plural = _("journées de caisse")
        ordering = ["-day", "centre_id"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "day"], name="cash_day_one_per_centre_date"),
            models.CheckConstraint(
                condition=Q(
                    closed_at__isnull=True,
                    closed_by__isnull=True,
                    counted_cash__isnull=True,
                    total_cash__isnull=True,
                    total_cheque__isnull=True,
                    total_card__isnull=True,
                    payment_count__isnull=True,
                    cash_difference__isnull=True,
                )
                | Q(
                    closed_at__isnull=False,
                    closed_by__isnull=False,
                    counted_cash__isnull=False,
                    total_cash__isnull=False,
                    total_cheque__isnull=False,
                    total_card__isnull=False,
                    payment_count__isnull=False,
                    cash_difference__isnull=False,
                ),
                name="cash_day_closed_has_closing_figures",
            ),
            models.CheckConstraint(
                condition=Q(counted_cash__isnull=True) | Q(counted_cash__gte=0),
                name="cash_day_counted_cash_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre.code} {self.day:%d/%m/%Y}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def reported_total(self):
        """What the centre declares it hands over: the cash counted and the cheques (PAY-9).

        Card payments are credited to the utility by the card acquirer, not by the centre.
        """
        if not self.is_closed:
            return None
        return self.counted_cash + self.total_cheque


class CashDayPayment(AppendOnlyModel):
    cash_day = models.ForeignKey(CashDay, on_delete=models.PROTECT, related_name="links")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="cash_day_link")

    class Meta:
        verbose_name = _("règlement de la journée")


class ChequeDepositSlip(AppendOnlyModel):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    centre = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre")
    )
    deposited_on = models.DateField(_("date de remise"))
    bank_account_label = models.CharField(_("compte bancaire"), max_length=120)
    cheque_count = models.PositiveIntegerField(_("nombre de chèques"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("créé le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("bordereau de remise de chèques")
        verbose_name_plural = _("bordereaux de remise de chèques")
        ordering = ["-deposited_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cheque_count__gt=0, total__gt=0), name="cheque_slip_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ChequeDepositSlipLine(AppendOnlyModel):
    slip = models.ForeignKey(ChequeDepositSlip, on_delete=models.PROTECT, related_name="lines")
    # A cheque is deposited once: on one slip at most.
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="deposit_slip_line"
    )

    class Meta:
        verbose_name = _("chèque remis")


class CashTransmission(AppendOnlyModel):
    """Money treasury received from a centre for a closed day (*versement*, PAY-9)."""

    cash_day = models.ForeignKey(CashDay, on_delete=models.PROTECT, related_name="transmissions")
    amount = models.DecimalField(_("montant reçu"), max_digits=12, decimal_places=2)
    received_on = models.DateField(_("reçu le"))
    reference = models.CharField(_("référence"), max_length=60)
    created_at = models.DateTimeField(_("saisi le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("versement de centre")
        verbose_name_plural = _("versements de centre")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cash_transmission_positive"),
            models.UniqueConstraint(
                fields=["cash_day", "reference"], name="cash_transmission_reference_once"
            ),
        ]
