"""Write-offs (*admissions en non-valeur*) and provisions for doubtful debts (COLL-11).

A :class:`WriteOffRequest` lists open debit items of one account and the
amount of each to write off; a second person approves it (four eyes) and the
approval books it: a credit open item of kind ``write_off`` allocated to the
items, and a journal entry losses 654 / customers 411 or doubtful 416.

A :class:`ProvisionRun` transfers old overdue items to doubtful customers and
adjusts their provision by age bucket; the :class:`ProvisionSnapshot` of each
item keeps what is already posted, so the next run posts only the difference.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import JournalEntry, OpenItem

__all__ = [
    "ProvisionRun",
    "ProvisionSnapshot",
    "WriteOffItem",
    "WriteOffReason",
    "WriteOffRequest",
    "WriteOffState",
]


class WriteOffReason(models.TextChoices):
    IRRECOVERABLE = "irrecoverable", _("Irrécouvrable après contentieux")
    DECEASED = "deceased", _("Débiteur décédé ou disparu")
    OVER_INDEBTEDNESS = "over_indebtedness", _("Effacement (surendettement)")
    BELOW_COST = "below_cost", _("Inférieur au coût du recouvrement")
    TIME_BARRED = "time_barred", _("Prescrite")


class WriteOffState(models.TextChoices):
    REQUESTED = "requested", _("Proposée")
    APPROVED = "approved", _("Approuvée")
    BOOKED = "booked", _("Comptabilisée")
    REJECTED = "rejected", _("Refusée")


class WriteOffRequest(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="write_off_requests"
    )
    reason = models.CharField(_("motif"), max_length=20, choices=WriteOffReason.choices)
    note = models.TextField(_("commentaire"), blank=True, default="")
    total = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    state = models.CharField(
        _("état"), max_length=10, choices=WriteOffState.choices, default=WriteOffState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("proposée par"),
    )
    requested_at = models.DateTimeField(_("proposée le"))
    decided_by = author_field(_("décidée par"))
    decided_on = models.DateField(_("décidée le"), null=True, blank=True)
    decision_note = models.TextField(_("note de décision"), blank=True, default="")
    credit_item = models.OneToOneField(
        OpenItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="write_off_request",
        verbose_name=_("poste d'admission"),
    )
    entry = models.ForeignKey(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("écriture"),
    )

    class Meta:
        verbose_name = _("admission en non-valeur")
        verbose_name_plural = _("admissions en non-valeur")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=WriteOffState.values), name="write_off_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=WriteOffReason.values), name="write_off_reason_valid"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="write_off_total_positive"),
            # Four eyes: whoever decides is not whoever asked.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="write_off_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(state=WriteOffState.REQUESTED)
                | Q(decided_by__isnull=False, decided_on__isnull=False),
                name="write_off_decided_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(state=WriteOffState.BOOKED)
                | Q(credit_item__isnull=False, entry__isnull=False),
                name="write_off_booked_has_documents",
            ),
        ]
        indexes = [models.Index(fields=["state", "requested_at"], name="write_off_by_state")]

    def __str__(self) -> str:
        return self.number


class WriteOffItem(models.Model):
    request = models.ForeignKey(WriteOffRequest, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("poste admis en non-valeur")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_item_positive"),
            models.UniqueConstraint(fields=["request", "item"], name="write_off_item_once"),
        ]


class ProvisionRun(models.Model):
    """One provisioning at a date: what it transferred and provisioned, by age bucket."""

    on = models.DateField(_("arrêté au"))
    at = models.DateTimeField(_("lancé le"))
    by = author_field(_("par"))
    doubtful_moved = models.DecimalField(
        _("transféré en douteux (net)"), max_digits=14, decimal_places=2
    )
    increase = models.DecimalField(_("dotation"), max_digits=14, decimal_places=2)
    decrease = models.DecimalField(_("reprise"), max_digits=14, decimal_places=2)
    figures = models.JSONField(_("chiffres par tranche"), default=dict)

    class Meta:
        verbose_name = _("calcul des provisions")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.on}"


class ProvisionSnapshot(models.Model):
    """What is posted for one open item: its part on doubtful customers (416), its provision."""

    item = models.OneToOneField(OpenItem, on_delete=models.PROTECT, related_name="provision")
    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="+")
    doubtful = models.DecimalField(_("en douteux"), max_digits=12, decimal_places=2, default=0)
    provision = models.DecimalField(_("provision"), max_digits=12, decimal_places=2, default=0)
    bucket = models.PositiveSmallIntegerField(_("tranche"), default=0)
    run = models.ForeignKey(ProvisionRun, null=True, on_delete=models.PROTECT, related_name="+")
    updated_on = models.DateField(_("mis à jour le"))

    class Meta:
        verbose_name = _("provision d'un poste")
        constraints = [
            models.CheckConstraint(
                condition=Q(doubtful__gte=0, provision__gte=0, provision__lte=F("doubtful")),
                name="provision_snapshot_within_doubtful",
            ),
        ]
