"""The public-accountant bridge of a *régie*: PES V2 exports, titles, reductions, statuses.

A *régie* does not collect its bills: it issues receivable titles that the
public accountant (DGFiP) recovers. An export (:class:`PesExport`) is one PES
Aller file: an ORMC bordereau titling the invoices of a billing run (one
:class:`Title` per invoice, a database constraint) and, when there are some,
an annulation/reduction bordereau for the credit notes issued since on titled
invoices (one :class:`TitleReduction` per credit note). The accountant's
recovery statuses come back as files; each line becomes a
:class:`TitleEvent` (payment booked, enforcement noted, write-off booked,
cancellation recorded), the title keeps the latest status and the amounts.
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.fields import author_field
from robinet.pes.choices import ReportedStatus, TitleStatus

# SQLite adds decimals as floats: compare within half a cent (exact on PostgreSQL).
HALF_CENT = models.Value(Decimal("0.005"))


class PesExport(models.Model):
    """One PES Aller file, kept as sent (its bytes and SHA-256)."""

    run = models.ForeignKey(
        "core.BatchRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("facturation"),
    )
    year = models.PositiveSmallIntegerField(_("exercice"))
    issued_on = models.DateField(_("émis le"))
    bordereau = models.PositiveIntegerField(_("bordereau ORMC"), null=True, blank=True)
    reduction_bordereau = models.PositiveIntegerField(
        _("bordereau d'annulation"), null=True, blank=True
    )
    filename = models.CharField(_("fichier"), max_length=100)
    content = models.BinaryField(_("contenu du fichier"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, unique=True)
    titles = models.PositiveIntegerField(_("titres"), default=0)
    total = models.DecimalField(_("total des titres TTC"), max_digits=14, decimal_places=2)
    reductions = models.PositiveIntegerField(_("réductions"), default=0)
    reductions_total = models.DecimalField(
        _("total des réductions TTC"), max_digits=14, decimal_places=2, default=0
    )
    skipped = models.JSONField(_("factures non titrées"), default=list, blank=True)
    created_at = models.DateTimeField(_("créé le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("export PES")
        verbose_name_plural = _("exports PES")
        ordering = ["-created_at", "-id"]
        constraints = [
            # IdBord is unique per exercise and bordereau type (PES V2).
            models.UniqueConstraint(fields=["year", "bordereau"], name="pes_export_bordereau_once"),
            models.UniqueConstraint(
                fields=["year", "reduction_bordereau"], name="pes_export_reduction_bordereau_once"
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0, reductions_total__gte=0),
                name="pes_export_totals_positive",
            ),
            # A file carries titles or reductions, and a bordereau number for each kind it has.
            models.CheckConstraint(
                condition=Q(titles__gt=0) | Q(reductions__gt=0), name="pes_export_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(titles=0, bordereau__isnull=True)
                | Q(titles__gt=0, bordereau__isnull=False),
                name="pes_export_titles_have_bordereau",
            ),
            models.CheckConstraint(
                condition=Q(reductions=0, reduction_bordereau__isnull=True)
                | Q(reductions__gt=0, reduction_bordereau__isnull=False),
                name="pes_export_reductions_have_bordereau",
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class Title(models.Model):
    """A receivable title (*titre de recettes*, ORMC article) for one invoice."""

    invoice = models.OneToOneField(
        "billing.Invoice",
        on_delete=models.PROTECT,
        related_name="pes_title",
        verbose_name=_("facture"),
    )
    account = models.ForeignKey(
        "customers.CustomerAccount",
        on_delete=models.PROTECT,
        related_name="pes_titles",
        verbose_name=_("compte"),
    )
    export = models.ForeignKey(PesExport, on_delete=models.PROTECT, related_name="title_rows")
    number = models.CharField(_("n° de titre"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("exercice"))
    piece = models.PositiveIntegerField(_("n° de pièce (IdPce)"))
    amount = models.DecimalField(_("montant TTC"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("état"), max_length=12, choices=TitleStatus.choices, default=TitleStatus.SENT
    )
    status_on = models.DateField(_("état au"))
    paid = models.DecimalField(_("recouvré"), max_digits=12, decimal_places=2, default=0)
    written_off = models.DecimalField(
        _("admis en non-valeur"), max_digits=12, decimal_places=2, default=0
    )
    reduced = models.DecimalField(_("réduit / annulé"), max_digits=12, decimal_places=2, default=0)
    reference = models.CharField(_("référence du comptable"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("titre de recettes")
        verbose_name_plural = _("titres de recettes")
        ordering = ["-year", "-piece"]
        constraints = [
            models.UniqueConstraint(fields=["year", "piece"], name="pes_title_piece_once"),
            models.CheckConstraint(
                condition=Q(status__in=TitleStatus.values), name="pes_title_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="pes_title_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0, written_off__gte=0, reduced__gte=0),
                name="pes_title_amounts_not_negative",
            ),
            # What was recovered, written off or reduced never exceeds the title.
            models.CheckConstraint(
                condition=Q(amount__gte=F("paid") + F("written_off") + F("reduced") - HALF_CENT),
                name="pes_title_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "status_on"])]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self):
        return self.amount - self.paid - self.written_off - self.reduced


class TitleReduction(models.Model):
    """A credit note on a titled invoice, sent as an annulation/reduction of the title."""

    title = models.ForeignKey(Title, on_delete=models.PROTECT, related_name="reductions")
    credit_note = models.OneToOneField(
        "billing.Invoice",
        on_delete=models.PROTECT,
        related_name="pes_reduction",
        verbose_name=_("avoir"),
    )
    export = models.ForeignKey(PesExport, on_delete=models.PROTECT, related_name="reduction_rows")
    year = models.PositiveSmallIntegerField(_("exercice"))
    piece = models.PositiveIntegerField(_("n° de pièce (IdPce)"))
    amount = models.DecimalField(_("montant TTC"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("réduction de titre")
        verbose_name_plural = _("réductions de titres")
        constraints = [
            models.UniqueConstraint(fields=["year", "piece"], name="pes_reduction_piece_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="pes_reduction_amount_positive"),
        ]


class TitleEvent(models.Model):
    """One line of a recovery-status file, and what it did in Robinet."""

    title = models.ForeignKey(Title, on_delete=models.PROTECT, related_name="events")
    import_file = models.ForeignKey(
        "core.ImportFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("fichier")
    )
    line = models.PositiveIntegerField(_("ligne"))
    status = models.CharField(_("statut"), max_length=12, choices=ReportedStatus.choices)
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2, default=0)
    occurred_on = models.DateField(_("date"))
    reference = models.CharField(_("référence du comptable"), max_length=40, blank=True)
    payment = models.OneToOneField(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pes_event",
        verbose_name=_("règlement"),
    )
    write_off_item = models.OneToOneField(
        "ledger.OpenItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pes_event",
        verbose_name=_("poste d'admission en non-valeur"),
    )
    created_at = models.DateTimeField(_("importé le"))

    class Meta:
        verbose_name = _("retour du comptable")
        verbose_name_plural = _("retours du comptable")
        ordering = ["occurred_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["import_file", "line"], name="pes_event_line_once"),
            models.CheckConstraint(
                condition=Q(status__in=ReportedStatus.values), name="pes_event_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="pes_event_amount_not_negative"
            ),
            # A payment is booked for a paid line, a write-off item for a written-off one.
            models.CheckConstraint(
                condition=Q(status=ReportedStatus.PAID, payment__isnull=False, amount__gt=0)
                | ~Q(status=ReportedStatus.PAID) & Q(payment__isnull=True),
                name="pes_event_paid_has_payment",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=ReportedStatus.WRITTEN_OFF, write_off_item__isnull=False, amount__gt=0
                )
                | ~Q(status=ReportedStatus.WRITTEN_OFF) & Q(write_off_item__isnull=True),
                name="pes_event_write_off_has_item",
            ),
        ]
