"""Open items (*postes ouverts*) of customer accounts, in the FI-CA sense.

Every financial document posts one open item per account: an invoice a debit
(positive amount), a credit note a credit (negative amount). ``open_amount``
is what remains to clear; the payments issue adds payments, allocations and
clearing on top of this table without changing its meaning. An item is
never deleted; only ``open_amount`` and ``cleared_on`` move, by clearing.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.customers.models import Contract, CustomerAccount


class OpenItemKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit_note", _("Avoir")


class OpenItem(models.Model):
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="open_items"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("nature"), max_length=12, choices=OpenItemKind.choices)
    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="open_item"
    )
    document_number = models.CharField(_("pièce"), max_length=20)
    posted_on = models.DateField(_("comptabilisé le"))
    due_date = models.DateField(_("échéance"))
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    open_amount = models.DecimalField(_("reste dû"), max_digits=12, decimal_places=2)
    cleared_on = models.DateField(_("soldé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("poste ouvert")
        verbose_name_plural = _("postes ouverts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OpenItemKind.values), name="open_item_kind_valid"
            ),
            # Debits are positive, credits negative; what is open has the same sign
            # and never exceeds the item.
            models.CheckConstraint(
                condition=Q(kind=OpenItemKind.INVOICE, amount__gte=0, open_amount__gte=0)
                | Q(kind=OpenItemKind.CREDIT_NOTE, amount__lte=0, open_amount__lte=0),
                name="open_item_sign_follows_kind",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, open_amount__lte=models.F("amount"))
                | Q(amount__lte=0, open_amount__gte=models.F("amount")),
                name="open_item_open_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(open_amount=0) | Q(cleared_on__isnull=True),
                name="open_item_cleared_when_nothing_open",
            ),
        ]
        indexes = [
            # Balances and the collection worklists read the open part only.
            models.Index(
                fields=["account", "due_date"],
                condition=Q(cleared_on__isnull=True),
                name="open_item_open_by_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_number} {self.open_amount}"
