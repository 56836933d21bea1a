"""Outsourced collection operators and collection agencies (PAY-8).

An operator collects from our customers and transfers the money in one lump
(:class:`OperatorTransfer`), with a statement listing what each customer paid
(:class:`OperatorStatement` and its lines). The lines are booked as payments
only once the statement is validated against the transfer(s) it covers.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.imports import ImportFile
from robinet.customers.models import CustomerAccount

from .core import Payment


class OperatorKind(models.TextChoices):
    # The values are the payment means of the payments booked from their statements.
    OPERATOR = "operator", _("Opérateur d'encaissement")
    AGENCY = "agency", _("Agence de recouvrement")


class CollectionOperator(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("type"), max_length=12, choices=OperatorKind.choices)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("opérateur d'encaissement")
        verbose_name_plural = _("opérateurs d'encaissement")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OperatorKind.values), name="operator_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="operator_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class StatementStatus(models.TextChoices):
    IMPORTED = "imported", _("Importé")
    BOOKED = "booked", _("Rapproché et comptabilisé")
    DIFFERENCE = "difference", _("En écart")


class OperatorStatement(models.Model):
    operator = models.ForeignKey(
        CollectionOperator, on_delete=models.PROTECT, related_name="statements"
    )
    import_file = models.OneToOneField(
        ImportFile, on_delete=models.PROTECT, related_name="+", verbose_name=_("fichier")
    )
    filename = models.CharField(_("nom du fichier"), max_length=255)
    status = models.CharField(
        _("état"), max_length=12, choices=StatementStatus.choices, default=StatementStatus.IMPORTED
    )
    line_count = models.PositiveIntegerField(_("lignes"))
    total = models.DecimalField(_("total du relevé"), max_digits=14, decimal_places=2)
    transfer_total = models.DecimalField(
        _("total des virements"), max_digits=14, decimal_places=2, default=0
    )
    #: the differences found at the last examination (codes and French messages)
    differences = models.JSONField(_("écarts"), default=list, blank=True)
    imported_at = models.DateTimeField(_("importé le"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("importé par"),
    )
    examined_at = models.DateTimeField(_("examiné le"), null=True, blank=True)
    booked_at = models.DateTimeField(_("comptabilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("relevé d'opérateur")
        verbose_name_plural = _("relevés d'opérateurs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=StatementStatus.values), name="statement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=StatementStatus.BOOKED, booked_at__isnull=False)
                | (~Q(status=StatementStatus.BOOKED) & Q(booked_at__isnull=True)),
                name="statement_booked_has_date",
            ),
            # Booked only when the statement matches its transfers to the cent (PAY-8).
            models.CheckConstraint(
                condition=~Q(status=StatementStatus.BOOKED) | Q(total=models.F("transfer_total")),
                name="statement_booked_matches_transfers",
            ),
        ]
        indexes = [models.Index(fields=["operator", "imported_at"])]

    def __str__(self) -> str:
        return f"{self.operator.code} {self.filename}"

    @property
    def difference(self):
        return self.total - self.transfer_total

    def can_examine(self) -> bool:
        return self.status != StatementStatus.BOOKED


class OperatorTransfer(models.Model):
    """Money received on the bank account from an operator (recorded by an officer)."""

    operator = models.ForeignKey(
        CollectionOperator, on_delete=models.PROTECT, related_name="transfers"
    )
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("reçu le"))
    bank_reference = models.CharField(_("référence bancaire"), max_length=80)
    #: the statement this transfer was validated against (set when it is booked)
    statement = models.ForeignKey(
        OperatorStatement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
        verbose_name=_("relevé"),
    )
    created_at = models.DateTimeField(_("saisi le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("saisi par"),
    )

    class Meta:
        verbose_name = _("virement d'opérateur")
        verbose_name_plural = _("virements d'opérateurs")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="operator_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(bank_reference=""), name="operator_transfer_has_reference"
            ),
            models.UniqueConstraint(
                fields=["operator", "bank_reference"], name="operator_transfer_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator.code} {self.bank_reference}"


class LineOutcome(models.TextChoices):
    PENDING = "pending", _("À rapprocher")
    BOOKED = "booked", _("Comptabilisée")
    UNKNOWN_ACCOUNT = "unknown_account", _("Compte inconnu")
    UNKNOWN_INVOICE = "unknown_invoice", _("Facture inconnue")
    DUPLICATE = "duplicate", _("Ligne en double")
    ALREADY_BOOKED = "already_booked", _("Déjà comptabilisée")


class OperatorStatementLine(models.Model):
    statement = models.ForeignKey(OperatorStatement, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField(_("ligne du fichier"))
    reference = models.CharField(_("référence de l'opérateur"), max_length=60)
    account_number = models.CharField(_("n° de compte"), max_length=32)
    invoice_number = models.CharField(_("n° de facture"), max_length=32, blank=True, default="")
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("payé le"))
    account = models.ForeignKey(
        CustomerAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("résultat"), max_length=16, choices=LineOutcome.choices, default=LineOutcome.PENDING
    )
    message = models.CharField(_("message"), max_length=255, blank=True, default="")
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="operator_line"
    )

    class Meta:
        verbose_name = _("ligne de relevé d'opérateur")
        ordering = ["statement", "line"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="operator_line_positive"),
            models.CheckConstraint(
                condition=Q(outcome__in=LineOutcome.values), name="operator_line_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome=LineOutcome.BOOKED, payment__isnull=False)
                | (~Q(outcome=LineOutcome.BOOKED) & Q(payment__isnull=True)),
                name="operator_line_booked_has_payment",
            ),
            models.UniqueConstraint(fields=["statement", "line"], name="operator_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.line}"
