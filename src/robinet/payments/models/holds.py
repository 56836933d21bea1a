"""Holds on direct debit (CASE-7): a claim not solved the same day suspends the debit."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount


class DirectDebitHold(models.Model):
    """While a hold is live (not lifted), the account's invoices are not collected by SEPA."""

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.PROTECT,
        related_name="direct_debit_holds",
        verbose_name=_("compte"),
    )
    reference = models.CharField(_("référence"), max_length=40, blank=True)
    reason = models.CharField(_("motif"), max_length=255)
    created_at = models.DateTimeField(_("suspendu le"))
    created_by = author_field(_("suspendu par"))
    lifted_at = models.DateTimeField(_("levé le"), null=True, blank=True)
    lifted_by = author_field(_("levé par"))

    class Meta:
        verbose_name = _("suspension du prélèvement")
        verbose_name_plural = _("suspensions du prélèvement")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["account"], name="dd_hold_live_idx", condition=Q(lifted_at__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=models.F("created_at")),
                name="dd_hold_lifted_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} — {self.reason}"

    @property
    def is_live(self) -> bool:
        return self.lifted_at is None
