"""Bank statements, their credit entries and the unallocated-amounts worklist (PAY-5).

A :class:`BankStatement` is one statement of the utility's bank account read
from a camt.053, CFONB 120 or MT940 file; each credit it carries is a
:class:`StatementEntry`. A matched credit is stored at import as ``matched``
(*à comptabiliser*) and booked as a transfer payment by the statement's
booking run (``payments.statement_booking``, chunked, on the run workers),
which turns it ``booked``; the others wait in the worklist of *montants en instance
d'affectation* (status ``unallocated``) with ranked suggestions, until an
officer allocates (one account), splits (several accounts), marks it for
refund, or transfers it out. Each payment booked from an entry is linked by an
:class:`EntryPayment` row (one per account when split).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.imports import ImportFile
from robinet.customers.models import CustomerAccount

from .core import Payment


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", _("camt.053 (ISO 20022)")
    CFONB120 = "cfonb120", _("CFONB 120")
    MT940 = "mt940", _("MT940 (SWIFT)")


class BankStatement(models.Model):
    # a camt.053 file may hold several statements
    import_file = models.ForeignKey(
        ImportFile, on_delete=models.PROTECT, related_name="+", verbose_name=_("fichier")
    )
    filename = models.CharField(_("nom du fichier"), max_length=255)
    format = models.CharField(_("format"), max_length=12, choices=StatementFormat.choices)
    statement_id = models.CharField(_("identifiant du relevé"), max_length=80)
    account_iban = models.CharField(_("IBAN du compte"), max_length=34)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    from_date = models.DateField(_("du"))
    to_date = models.DateField(_("au"))
    opening_balance = models.DecimalField(
        _("solde d'ouverture"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    closing_balance = models.DecimalField(
        _("solde de clôture"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    credit_count = models.PositiveIntegerField(_("crédits"))
    credit_total = models.DecimalField(_("total des crédits"), max_digits=14, decimal_places=2)
    debit_count = models.PositiveIntegerField(_("débits ignorés"), default=0)
    imported_at = models.DateTimeField(_("importé le"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("importé par"),
    )

    class Meta:
        verbose_name = _("relevé bancaire")
        verbose_name_plural = _("relevés bancaires")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "statement_id"], name="bank_statement_id_once"
            ),
            models.CheckConstraint(
                condition=Q(from_date__lte=models.F("to_date")), name="bank_statement_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(currency="EUR"), name="bank_statement_in_euros"),
            models.CheckConstraint(
                condition=Q(format__in=StatementFormat.values), name="bank_statement_format_valid"
            ),
            models.CheckConstraint(
                condition=~Q(statement_id=""), name="bank_statement_id_not_empty"
            ),
            models.CheckConstraint(condition=Q(credit_total__gte=0), name="bank_statement_total"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} ({self.from_date:%d/%m/%Y} – {self.to_date:%d/%m/%Y})"


class EntryStatus(models.TextChoices):
    #: matched at import, its payment booked by the statement's booking run (PAY-5)
    MATCHED = "matched", _("À comptabiliser")
    BOOKED = "booked", _("Affecté")
    UNALLOCATED = "unallocated", _("En instance d'affectation")
    REFUNDED = "refunded", _("À rembourser")
    TRANSFERRED = "transferred", _("Transféré")


class StatementEntry(models.Model):
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="entries")
    line = models.PositiveIntegerField(_("ligne"))  # position in the file (the line, for CFONB)
    #: the bank's unique reference of the entry; the payments' external reference
    reference = models.CharField(_("référence bancaire"), max_length=80, unique=True)
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    booked_on = models.DateField(_("date d'opération"))
    value_date = models.DateField(_("date de valeur"))
    debtor_name = models.CharField(_("donneur d'ordre"), max_length=140, blank=True)
    debtor_iban = models.CharField(_("IBAN du donneur d'ordre"), max_length=34, blank=True)
    remittance = models.CharField(_("libellé"), max_length=500, blank=True)
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=80, blank=True)
    status = models.CharField(_("état"), max_length=12, choices=EntryStatus.choices)
    #: the account the matching rule chose (booked at import) or the officer chose
    account = models.ForeignKey(
        CustomerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("compte client"),
    )
    #: the invoice the matching rule chose (kept for the booking run, as the payment's invoice)
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("facture"),
    )
    confidence = models.PositiveSmallIntegerField(_("confiance"), default=0)
    #: posted bank (512) / suspense (471) at import because left unallocated (PAY-7); its
    #: allocation, refund or transfer then leaves 471. False for entries imported before.
    in_suspense = models.BooleanField(_("passé en compte d'attente"), default=False)
    #: what produced the match (or why none): rule, parsed reference, similarity…
    signals = models.JSONField(_("indices"), default=dict, blank=True)
    #: ranked suggestions for the worklist: [{account_id, number, name, score, signals}]
    suggestions = models.JSONField(_("suggestions"), default=list, blank=True)
    note = models.CharField(_("motif"), max_length=255, blank=True)
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("traité par"),
    )

    class Meta:
        verbose_name = _("opération de relevé")
        verbose_name_plural = _("opérations de relevé")
        ordering = ["statement", "line"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "line"], name="statement_entry_line_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="statement_entry_credit"),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="statement_entry_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__lte=100), name="statement_entry_confidence_percent"
            ),
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.BOOKED) | Q(account__isnull=False),
                name="statement_entry_booked_has_account",
            ),
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.MATCHED) | Q(account__isnull=False),
                name="statement_entry_matched_has_account",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[EntryStatus.MATCHED, EntryStatus.BOOKED, EntryStatus.UNALLOCATED]
                )
                | ~Q(note=""),
                name="statement_entry_refund_transfer_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "value_date"], name="statement_entry_worklist"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} €"


class EntryPayment(models.Model):
    """A payment booked from a statement entry (several when the officer split it)."""

    entry = models.ForeignKey(StatementEntry, on_delete=models.PROTECT, related_name="bookings")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("affectation d'opération de relevé")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="entry_payment_positive"),
        ]
