"""External collection agencies (COLL-8, ORG-4).

An officer assigns an account's overdue items to an agency
(:class:`AgencyAssignment`, with the items and their amounts at assignment);
while the assignment is live the utility's own dunning holds (a
``CollectionBlock`` of reason ``agency``, COLL-3). The agency reports what it
did (:class:`AgencyReport`: contacts, promises, collected amounts and its
commission), one line per external reference. The money it collects is booked
through the operator statements of PAY-8 (``payments.CollectionOperator``),
never here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem

__all__ = [
    "AgencyAssignment",
    "AgencyMember",
    "AgencyReport",
    "AssignmentItem",
    "AssignmentState",
    "CollectionAgency",
    "ReportKind",
]


def _money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("Confiée")
    RECALLED = "recalled", _("Rappelée")
    CLOSED = "closed", _("Close (soldée)")


class ReportKind(models.TextChoices):
    CONTACT = "contact", _("Contact")
    PROMISE = "promise", _("Promesse de paiement")
    PAYMENT = "payment", _("Encaissement")
    DISPUTE = "dispute", _("Contestation")
    UNREACHABLE = "unreachable", _("Injoignable")


#: report kinds that carry an amount
KINDS_WITH_AMOUNT = (ReportKind.PROMISE, ReportKind.PAYMENT)


class CollectionAgency(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail de contact"), blank=True)
    commission_rate = models.DecimalField(
        _("taux de commission (%)"), max_digits=5, decimal_places=2, default=0
    )
    active = models.BooleanField(_("active"), default=True)
    operator = models.OneToOneField(
        "payments.CollectionOperator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agency",
        verbose_name=_("opérateur d'encaissement (relevés et virements)"),
    )

    class Meta:
        verbose_name = _("agence de recouvrement")
        verbose_name_plural = _("agences de recouvrement")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="agency_code_not_empty"),
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0, commission_rate__lte=100),
                name="agency_commission_rate_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class AgencyMember(models.Model):
    """An external agency user and the agency it works for (ORG-4)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_member"
    )
    agency = models.ForeignKey(CollectionAgency, on_delete=models.PROTECT, related_name="members")

    class Meta:
        verbose_name = _("membre d'une agence")
        verbose_name_plural = _("membres des agences")


class AgencyAssignment(models.Model):
    agency = models.ForeignKey(
        CollectionAgency, on_delete=models.PROTECT, related_name="assignments"
    )
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="agency_assignments"
    )
    assigned_on = models.DateField(_("confiée le"))
    amount = _money(_("montant confié"))
    state = models.CharField(
        _("état"), max_length=10, choices=AssignmentState.choices, default=AssignmentState.ASSIGNED
    )
    recalled_on = models.DateField(_("rappelée le"), null=True, blank=True)
    closed_on = models.DateField(_("close le"), null=True, blank=True)
    reason = models.CharField(_("motif du rappel"), max_length=255, blank=True)
    created_by = author_field(_("confiée par"))
    created_at = models.DateTimeField(_("enregistrée le"))

    class Meta:
        verbose_name = _("dette confiée")
        verbose_name_plural = _("dettes confiées")
        ordering = ["-assigned_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(state="assigned"),
                name="assignment_one_live_per_account",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="assignment_amount_positive"),
            models.CheckConstraint(
                condition=Q(state__in=AssignmentState.values), name="assignment_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="assigned", recalled_on__isnull=True, closed_on__isnull=True)
                | Q(state="recalled", recalled_on__isnull=False)
                & ~Q(reason="")
                & Q(closed_on__isnull=True)
                | Q(state="closed", closed_on__isnull=False, recalled_on__isnull=True),
                name="assignment_state_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The reference of the block and of the agency's files."""
        return f"AGC-{self.pk}"


class AssignmentItem(models.Model):
    """An open item an assignment covers, with what was open when it was assigned."""

    assignment = models.ForeignKey(AgencyAssignment, on_delete=models.PROTECT, related_name="items")
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    amount_at_assignment = _money(_("reste dû à la transmission"))

    class Meta:
        verbose_name = _("poste confié")
        verbose_name_plural = _("postes confiés")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "open_item"], name="assignment_item_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_at_assignment__gt=0), name="assignment_item_open"
            ),
        ]


class AgencyReport(models.Model):
    """One line the agency reported on an assignment (idempotent on its reference)."""

    agency = models.ForeignKey(CollectionAgency, on_delete=models.PROTECT, related_name="reports")
    assignment = models.ForeignKey(
        AgencyAssignment, on_delete=models.PROTECT, related_name="reports"
    )
    external_reference = models.CharField(_("référence de l'agence"), max_length=60)
    reported_on = models.DateField(_("date"))
    kind = models.CharField(_("nature"), max_length=12, choices=ReportKind.choices)
    amount = _money(_("montant"), null=True, blank=True)
    promised_on = models.DateField(_("date promise"), null=True, blank=True)
    commission = _money(_("commission"), default=0)
    note = models.CharField(_("commentaire"), max_length=255, blank=True)
    import_file = models.ForeignKey(
        "core.ImportFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = author_field(_("saisi par"))
    created_at = models.DateTimeField(_("enregistré le"))

    class Meta:
        verbose_name = _("compte rendu d'agence")
        verbose_name_plural = _("comptes rendus d'agence")
        ordering = ["-reported_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_reference"], name="agency_report_reference_once"
            ),
            models.CheckConstraint(
                condition=~Q(external_reference=""), name="agency_report_reference_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReportKind.values), name="agency_report_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="agency_report_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=KINDS_WITH_AMOUNT) | Q(amount__isnull=False),
                name="agency_report_amount_required",
            ),
            models.CheckConstraint(
                condition=Q(commission__gte=0), name="agency_report_commission_gte_0"
            ),
        ]
