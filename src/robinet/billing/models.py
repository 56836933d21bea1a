"""Invoices, their lines, held bills and billing thresholds (BILL-4…8).

An issued invoice (or credit note) is immutable (BILL-6): the model refuses
saves of an existing row and deletes, the manager refuses bulk updates and
deletes, and the database itself refuses them with triggers (migration 0002).
Uniqueness of (contract, period start, generation) makes a re-run or a resume
unable to bill a period twice; a rebill after a credit note is the next
generation.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from robinet.billing.choices import (
    BILL_KINDS,
    CONTRIBUTION_VAT_RATES,
    LEAK_RELIEF_ACTIVE,
    LIVE_BUDGET_STATUSES,
    AgreementStatus,
    BudgetPlanStatus,
    ContributionService,
    EstimateBasis,
    HeldBillStatus,
    InstalmentStatus,
    InvoiceKind,
    LeakReliefKind,
    LeakReliefStatus,
    LineBeneficiary,
    LineService,
    PriceItemKind,
    QuoteStatus,
    SettlementOutcome,
)
from robinet.core.models.append_only import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    AppendOnlyViolation,
)
from robinet.core.models.fields import author_field
from robinet.customers.choices import CustomerClass
from robinet.customers.models import Contract, CustomerAccount, ServicePoint
from robinet.organisation.models import Entity

HALF_CENT = Value(Decimal("0.005"))


class ImmutableInvoice(AppendOnlyViolation):
    pass


def _refuse(*args, **kwargs):
    raise ImmutableInvoice(
        _("Une facture émise ne se modifie pas : émettez un avoir (BILL-6)."),
        code="invoice_immutable",
    )


class ImmutableQuerySet(AppendOnlyQuerySet):
    update = _refuse
    delete = _refuse


class ImmutableModel(AppendOnlyModel):
    """Issued invoices and their lines (BILL-6)."""

    objects = ImmutableQuerySet.as_manager()
    refuse = staticmethod(_refuse)

    class Meta:
        abstract = True


class Invoice(ImmutableModel):
    # Unique by the constraint invoice_number_once: as ``unique=True`` PostgreSQL would also
    # get a pattern index (LIKE), written on every bill and read by no query.
    number = models.CharField(_("numéro"), max_length=20)
    series = models.CharField(_("série"), max_length=4)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang"))
    kind = models.CharField(_("nature"), max_length=16, choices=InvoiceKind.choices)
    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="invoices")
    # A bill has both; a fees or works invoice (BILL-7) may have neither.
    contract = models.ForeignKey(
        Contract,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        db_index=False,
    )
    service_point = models.ForeignKey(
        ServicePoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # BILL-7: the accepted quote a works deposit or works invoice bills.
    quote = models.ForeignKey(
        "billing.Quote",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("devis"),
        db_index=False,  # invoice_quote: indexed where set (works invoices only)
    )
    run = models.ForeignKey(
        "core.BatchRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    generation = models.PositiveSmallIntegerField(_("refacturation n°"), default=0)
    issue_date = models.DateField(_("émise le"))
    due_date = models.DateField(_("échéance"))
    volume = models.DecimalField(_("volume (m³)"), max_digits=12, decimal_places=3)
    estimated = models.BooleanField(_("sur estimation"), default=False)
    meter_serial = models.CharField(_("compteur"), max_length=20, blank=True)
    old_index = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    old_read_on = models.DateField(null=True, blank=True)
    new_index = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    new_read_on = models.DateField(null=True, blank=True)
    # The reading billed up to: an estimate billed here is deducted when replaced (METER-3).
    new_reading = models.ForeignKey(
        "metering.Reading",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    total_excl_vat = models.DecimalField(_("total HT"), max_digits=12, decimal_places=2)
    total_vat = models.DecimalField(_("TVA"), max_digits=12, decimal_places=2)
    total_incl_vat = models.DecimalField(_("total TTC"), max_digits=12, decimal_places=2)
    fixed_incl_vat = models.DecimalField(
        _("abonnement TTC"), max_digits=12, decimal_places=2, default=0
    )
    price_per_litre_incl_vat = models.DecimalField(
        _("prix du litre TTC"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    price_per_m3_incl_vat = models.DecimalField(
        _("prix du m³ TTC"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    vat_breakdown = models.JSONField(_("TVA par taux"), default=list)
    tariff_periods = models.JSONField(_("périodes tarifaires"), default=list)
    credited_invoice = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("facture corrigée"),
        db_index=False,  # invoice_credited: indexed where set (credit notes only)
    )
    reason = models.CharField(_("motif"), max_length=255, blank=True)
    abnormal_notice = models.ForeignKey(
        "metering.AbnormalConsumptionNotice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("créée le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("facture")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InvoiceKind.values), name="invoice_kind_valid"
            ),
            # BILL-6: one gapless sequence per series and year.
            models.UniqueConstraint(
                fields=["series", "year", "sequence"], name="invoice_sequence_once"
            ),
            # BILL-4: never two bills of a contract for a period (a rebill is a new generation).
            models.UniqueConstraint(
                fields=["contract", "period_start", "generation"],
                condition=Q(kind__in=BILL_KINDS),
                name="invoice_one_bill_per_contract_period",
            ),
            # A consumption bill has a contract and a service point (BILL-7 kinds may not).
            models.CheckConstraint(
                condition=~Q(kind__in=BILL_KINDS)
                | Q(contract__isnull=False, service_point__isnull=False),
                name="invoice_bill_has_contract_and_point",
            ),
            # BILL-7: one deposit invoice and one works invoice per quote.
            models.UniqueConstraint(
                fields=["quote", "kind"],
                condition=Q(kind__in=(InvoiceKind.WORKS_DEPOSIT, InvoiceKind.WORKS)),
                name="invoice_one_per_quote_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(quote__isnull=True)
                | Q(kind__in=(InvoiceKind.WORKS_DEPOSIT, InvoiceKind.WORKS)),
                name="invoice_quote_only_on_works",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.CREDIT_NOTE, credited_invoice__isnull=False)
                | Q(~Q(kind=InvoiceKind.CREDIT_NOTE), credited_invoice__isnull=True),
                name="invoice_credit_note_references_invoice",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="invoice_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"
            ),
            # Exact on PostgreSQL; SQLite adds decimals as floats, hence the half-cent.
            models.CheckConstraint(
                condition=Q(
                    total_incl_vat__gte=F("total_excl_vat") + F("total_vat") - HALF_CENT,
                    total_incl_vat__lte=F("total_excl_vat") + F("total_vat") + HALF_CENT,
                ),
                name="invoice_totals_add_up",
            ),
            # Amounts are positive: a credit note credits a positive amount.
            models.CheckConstraint(
                condition=Q(total_excl_vat__gte=0, total_vat__gte=0),
                name="invoice_amounts_not_negative",
            ),
            models.UniqueConstraint(fields=["number"], name="invoice_number_once"),
            # Numbers are made upper-case (BILL-6 series): a search matches them exactly.
            models.CheckConstraint(
                condition=Q(number=Upper("number")), name="invoice_number_upper_case"
            ),
        ]
        indexes = [
            models.Index(fields=["contract", "period_start"]),
            # Partial: a bill (most invoices) credits nothing and bills no quote.
            models.Index(
                fields=["credited_invoice"],
                name="invoice_credited",
                condition=Q(credited_invoice__isnull=False),
            ),
            models.Index(fields=["quote"], name="invoice_quote", condition=Q(quote__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


class InvoiceLine(ImmutableModel):
    # Found by invoice_line_position (invoice, position): no index of its own.
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    component_code = models.CharField(_("composante"), max_length=40)
    label = models.CharField(_("libellé"), max_length=160)
    service = models.CharField(_("rubrique"), max_length=16)
    beneficiary = models.CharField(_("bénéficiaire"), max_length=16)
    component_kind = models.CharField(_("type"), max_length=16)
    tariff_code = models.CharField(_("tarif"), max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    quantity = models.DecimalField(_("quantité"), max_digits=16, decimal_places=6)
    unit = models.CharField(_("unité"), max_length=12)
    unit_price = models.DecimalField(_("prix unitaire"), max_digits=16, decimal_places=6)
    amount_excl_vat = models.DecimalField(_("montant HT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2)
    block = models.PositiveSmallIntegerField(_("tranche"), null=True, blank=True)
    # On a credit note: the position of the invoice line this line credits (BILL-6).
    credits_position = models.PositiveSmallIntegerField(_("ligne créditée"), null=True, blank=True)

    class Meta:
        verbose_name = _("ligne de facture")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
        ]


class HeldBill(models.Model):
    """A computed bill held by a pre-billing control (BILL-5), for an officer to decide."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="held_bills")
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    centre = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre")
    )
    run = models.ForeignKey(
        "core.BatchRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    kind = models.CharField(
        _("nature"), max_length=12, choices=[(k.value, k.label) for k in BILL_KINDS]
    )
    status = models.CharField(
        _("état"), max_length=10, choices=HeldBillStatus.choices, default=HeldBillStatus.HELD
    )
    reasons = models.JSONField(_("motifs"), default=list)
    reason_codes = models.CharField(_("codes motifs"), max_length=255, db_index=True)
    volume = models.DecimalField(_("volume (m³)"), max_digits=12, decimal_places=3, null=True)
    total_incl_vat = models.DecimalField(
        _("total TTC"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    simulation = models.JSONField(_("calcul"), null=True, blank=True)
    created_at = models.DateTimeField(_("bloquée le"))
    resolved_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.CharField(_("commentaire"), max_length=255, blank=True)
    invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="held_bill"
    )

    class Meta:
        verbose_name = _("facture bloquée")
        verbose_name_plural = _("factures bloquées")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=HeldBillStatus.values), name="held_bill_status_valid"
            ),
            # A held or cancelled period is not billed again by a run.
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=Q(status__in=[HeldBillStatus.HELD, HeldBillStatus.CANCELLED]),
                name="held_bill_one_per_contract_period",
            ),
            models.CheckConstraint(
                condition=~Q(status=HeldBillStatus.RELEASED) | Q(invoice__isnull=False),
                name="held_bill_released_has_invoice",
            ),
            models.CheckConstraint(
                condition=Q(status=HeldBillStatus.HELD, resolved_at__isnull=True)
                | Q(~Q(status=HeldBillStatus.HELD), resolved_at__isnull=False),
                name="held_bill_resolution_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.period_start}–{self.period_end} ({self.status})"


class BillingThreshold(models.Model):
    """BILL-5 thresholds per customer class (defaults apply without a row)."""

    customer_class = models.CharField(
        _("classe client"), max_length=16, choices=CustomerClass.choices, unique=True
    )
    max_amount_incl_vat = models.DecimalField(
        _("montant TTC maximal"), max_digits=12, decimal_places=2, default=2000
    )
    max_volume_m3 = models.DecimalField(
        _("volume maximal (m³)"), max_digits=12, decimal_places=3, default=1000
    )

    class Meta:
        verbose_name = _("seuil de contrôle de facturation")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount_incl_vat__gt=0, max_volume_m3__gt=0),
                name="billing_threshold_positive",
            ),
        ]


# --- price list, quotes (BILL-7) -------------------------------------------------------------


class PriceListItem(models.Model):
    """A service, fee or works item of the utility's price list (*bordereau de prix*, BILL-7).

    Issued invoices and quotes copy the label, price and VAT rate: changing an
    item changes what is billed from then on, never what was billed.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("libellé"), max_length=160)
    kind = models.CharField(_("nature"), max_length=8, choices=PriceItemKind.choices)
    unit = models.CharField(_("unité"), max_length=12, default="unit")
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=14, decimal_places=4)
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2)
    service = models.CharField(
        _("rubrique"), max_length=16, choices=LineService.choices, default=LineService.OTHER
    )
    beneficiary = models.CharField(
        _("bénéficiaire"),
        max_length=16,
        choices=LineBeneficiary.choices,
        default=LineBeneficiary.OPERATOR,
    )
    # COLL-1: never a recovery fee on an individual; other fees only where the service
    # rules (*règlement de service*) provide for them.
    allowed_for_individuals = models.BooleanField(
        _("facturable aux particuliers"),
        default=False,
        help_text=_(
            "Uniquement si le règlement de service le prévoit ; jamais pour des frais de "
            "recouvrement, de relance ou de rejet (COLL-1)."
        ),
    )
    deposit_percent = models.DecimalField(
        _("acompte (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text=_("Travaux : part du montant facturée en acompte à l'acceptation (0 = aucun)."),
    )
    legal_basis = models.CharField(_("fondement"), max_length=160, blank=True)
    valid_from = models.DateField(_("en vigueur du"))
    valid_until = models.DateField(_("au"), null=True, blank=True)

    class Meta:
        verbose_name = _("article du bordereau de prix")
        verbose_name_plural = _("bordereau de prix")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PriceItemKind.values), name="price_item_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, vat_rate__gte=0, vat_rate__lte=100),
                name="price_item_amounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(deposit_percent__gte=0, deposit_percent__lte=100),
                name="price_item_deposit_percent_valid",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="price_item_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"

    def is_active_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Quote(models.Model):
    """A works quote (*devis de travaux*) for a customer or a third party (BILL-7)."""

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang"))
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("client")
    )
    service_point = models.ForeignKey(
        ServicePoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("point de desserte"),
    )
    subject = models.CharField(_("objet"), max_length=160)
    site_address = models.CharField(_("adresse des travaux"), max_length=255, blank=True)
    status = models.CharField(
        _("état"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    issue_date = models.DateField(_("établi le"))
    valid_until = models.DateField(_("valable jusqu'au"))
    total_excl_vat = models.DecimalField(_("total HT"), max_digits=12, decimal_places=2)
    total_vat = models.DecimalField(_("TVA"), max_digits=12, decimal_places=2)
    total_incl_vat = models.DecimalField(_("total TTC"), max_digits=12, decimal_places=2)
    vat_breakdown = models.JSONField(_("TVA par taux"), default=list)
    deposit_incl_vat = models.DecimalField(
        _("acompte TTC"), max_digits=12, decimal_places=2, default=0
    )
    sent_on = models.DateField(_("envoyé le"), null=True, blank=True)
    decided_on = models.DateField(_("accepté ou refusé le"), null=True, blank=True)
    signed_document = models.FileField(
        _("devis signé"), upload_to="quotes/signed/%Y/", blank=True, max_length=255
    )
    refusal_reason = models.CharField(_("motif du refus"), max_length=255, blank=True)
    works_done_on = models.DateField(_("travaux réalisés le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("devis")
        verbose_name_plural = _("devis")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=QuoteStatus.values), name="quote_status_valid"
            ),
            models.UniqueConstraint(fields=["year", "sequence"], name="quote_sequence_once"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("issue_date")), name="quote_valid_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(total_excl_vat__gte=0, total_vat__gte=0, deposit_incl_vat__gte=0),
                name="quote_amounts_not_negative",
            ),
            # Accepted (and invoiced) quotes carry the customer's signed copy.
            models.CheckConstraint(
                condition=~Q(status__in=(QuoteStatus.ACCEPTED, QuoteStatus.INVOICED))
                | (Q(decided_on__isnull=False) & ~Q(signed_document="")),
                name="quote_accepted_is_signed",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    item = models.ForeignKey(
        PriceListItem, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    code = models.CharField(_("code"), max_length=40)
    label = models.CharField(_("libellé"), max_length=160)
    service = models.CharField(_("rubrique"), max_length=16)
    beneficiary = models.CharField(_("bénéficiaire"), max_length=16)
    quantity = models.DecimalField(_("quantité"), max_digits=16, decimal_places=6)
    unit = models.CharField(_("unité"), max_length=12)
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=14, decimal_places=4)
    amount_excl_vat = models.DecimalField(_("montant HT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2)
    deposit_percent = models.DecimalField(_("acompte (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("ligne de devis")
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_position"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0, amount_excl_vat__gte=0),
                name="quote_line_positive",
            ),
        ]


# --- municipal contributions to projects (BILL-7) --------------------------------------------


class ContributionAgreement(models.Model):
    """An agreement (*convention de participation*) with a municipality for a project.

    The municipality (a ``local_authority`` account) contributes to a water or
    sanitation project; the agreement, approved by its council
    (*délibération*), sets the total and a schedule of instalments, each billed
    in a ``contribution`` invoice when due. Numbered CONV-year-n.
    """

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang"))
    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.PROTECT,
        related_name="contribution_agreements",
        verbose_name=_("commune"),
    )
    project = models.CharField(_("projet"), max_length=160)
    service = models.CharField(_("service"), max_length=12, choices=ContributionService.choices)
    total_excl_vat = models.DecimalField(_("montant HT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(
        _("taux de TVA (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text=_("0 % : participation hors du champ de la TVA."),
    )
    status = models.CharField(
        _("état"), max_length=8, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    deliberation = models.CharField(_("délibération"), max_length=120, blank=True)
    signed_document = models.FileField(
        _("convention signée"), upload_to="agreements/signed/%Y/", blank=True, max_length=255
    )
    closed_on = models.DateField(_("soldée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("convention de participation")
        verbose_name_plural = _("conventions de participation")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AgreementStatus.values), name="agreement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(service__in=ContributionService.values),
                name="agreement_service_valid",
            ),
            models.UniqueConstraint(fields=["year", "sequence"], name="agreement_sequence_once"),
            models.CheckConstraint(
                condition=Q(total_excl_vat__gt=0), name="agreement_total_positive"
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__in=[Decimal(r) for r in CONTRIBUTION_VAT_RATES]),
                name="agreement_vat_rate_valid",
            ),
            # Signed (and closed) agreements carry their date and the council's deliberation.
            models.CheckConstraint(
                condition=Q(status=AgreementStatus.DRAFT)
                | (Q(signed_on__isnull=False) & ~Q(deliberation="")),
                name="agreement_signed_is_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status=AgreementStatus.CLOSED) | Q(closed_on__isnull=False),
                name="agreement_closed_is_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ContributionInstalment(models.Model):
    """One instalment of an agreement's schedule; ``invoice`` once billed.

    The instalments of an agreement add up to its total (checked by the
    service that writes the schedule).
    """

    agreement = models.ForeignKey(
        ContributionAgreement, on_delete=models.PROTECT, related_name="instalments"
    )
    position = models.PositiveSmallIntegerField(_("n°"))
    due_date = models.DateField(_("échéance"))
    amount_excl_vat = models.DecimalField(_("montant HT"), max_digits=12, decimal_places=2)
    invoice = models.OneToOneField(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contribution_instalment",
        verbose_name=_("facture"),
    )

    class Meta:
        verbose_name = _("échéance de participation")
        verbose_name_plural = _("échéancier de participation")
        ordering = ["agreement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "position"], name="instalment_position_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_excl_vat__gt=0), name="instalment_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} #{self.position}"


# --- monthly payment — mensualisation (BILL-10) ------------------------------------------------


class BudgetPlan(models.Model):
    """A contract's monthly payment plan for a year (*mensualisation*, BILL-10).

    The annual estimate (the contract's consumption priced with the tariffs in
    force) is spread over 10 or 12 monthly direct-debit instalments; the yearly
    consumption invoice settles it (balance due or refund) and a new plan
    follows for the next year. One live (active or suspended) plan per contract
    and year.
    """

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.PROTECT,
        related_name="budget_plans",
        verbose_name=_("compte"),
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="budget_plans",
        verbose_name=_("abonnement"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    period_start = models.DateField(_("début de la période estimée"))
    period_end = models.DateField(_("fin de la période estimée"))
    estimate = models.DecimalField(_("estimation annuelle TTC"), max_digits=12, decimal_places=2)
    estimate_volume = models.DecimalField(
        _("volume annuel estimé (m³)"), max_digits=12, decimal_places=3
    )
    estimate_basis = models.CharField(
        _("base de l'estimation"), max_length=8, choices=EstimateBasis.choices
    )
    instalment_count = models.PositiveSmallIntegerField(_("nombre d'échéances"))
    day_of_month = models.PositiveSmallIntegerField(_("jour de prélèvement"))
    status = models.CharField(
        _("état"), max_length=10, choices=BudgetPlanStatus.choices, default=BudgetPlanStatus.ACTIVE
    )
    # The SEPA mandate the instalments are collected under (PAY-3): the account's active
    # mandate at enrolment, kept up to date by the debit runs (the mandate last used).
    mandate = models.ForeignKey(
        "payments.Mandate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="budget_plans",
        verbose_name=_("mandat de prélèvement"),
    )
    previous_plan = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_plan",
        verbose_name=_("plan précédent"),
    )
    suspended_on = models.DateField(_("suspendue le"), null=True, blank=True)
    suspension_reason = models.CharField(_("motif de suspension"), max_length=200, blank=True)
    closed_on = models.DateField(_("soldée ou résiliée le"), null=True, blank=True)
    # Settlement (filled once, when settled): the year's invoices minus the instalments collected.
    settled_invoices = models.JSONField(_("factures de l'année"), default=list, blank=True)
    settled_invoiced = models.DecimalField(
        _("facturé sur l'année TTC"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    settled_collected = models.DecimalField(
        _("échéances prélevées"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    settled_balance = models.DecimalField(
        _("solde (positif : dû ; négatif : à rembourser)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    settlement_outcome = models.CharField(
        _("issue du solde"), max_length=8, choices=SettlementOutcome.choices, blank=True
    )
    created_at = models.DateTimeField(_("créée le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("mensualisation")
        verbose_name_plural = _("mensualisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BudgetPlanStatus.values), name="budget_plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(instalment_count__in=[10, 12]), name="budget_plan_count_10_or_12"
            ),
            models.CheckConstraint(
                condition=Q(day_of_month__gte=1, day_of_month__lte=28),
                name="budget_plan_day_valid",
            ),
            models.CheckConstraint(
                condition=Q(estimate__gt=0), name="budget_plan_estimate_positive"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="budget_plan_period_ordered"
            ),
            # One live plan per contract and year.
            models.UniqueConstraint(
                fields=["contract", "year"],
                condition=Q(status__in=LIVE_BUDGET_STATUSES),
                name="budget_plan_one_live_per_contract_year",
            ),
            models.CheckConstraint(
                condition=~Q(status=BudgetPlanStatus.SETTLED)
                | Q(
                    closed_on__isnull=False,
                    settled_balance__isnull=False,
                    settled_invoiced__isnull=False,
                    settled_collected__isnull=False,
                ),
                name="budget_plan_settled_has_figures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.year}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_BUDGET_STATUSES


class BudgetInstalment(models.Model):
    """One monthly instalment of a plan: its due date (also the direct-debit date) and amount."""

    plan = models.ForeignKey(BudgetPlan, on_delete=models.PROTECT, related_name="instalments")
    position = models.PositiveSmallIntegerField(_("n°"))
    due_date = models.DateField(_("date de prélèvement"))
    amount = models.DecimalField(_("montant TTC"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=InstalmentStatus.choices,
        default=InstalmentStatus.SCHEDULED,
    )
    collected_on = models.DateField(_("prélevée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("échéance de mensualisation")
        verbose_name_plural = _("échéances de mensualisation")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="budget_instalment_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_instalment_positive"),
            models.CheckConstraint(
                condition=Q(status__in=InstalmentStatus.values),
                name="budget_instalment_status_valid",
            ),
            # Collected, or debited then rejected (PAY-4): dated by the collection date.
            models.CheckConstraint(
                condition=Q(
                    status__in=(InstalmentStatus.COLLECTED, InstalmentStatus.REJECTED),
                    collected_on__isnull=False,
                )
                | (
                    ~Q(status__in=(InstalmentStatus.COLLECTED, InstalmentStatus.REJECTED))
                    & Q(collected_on__isnull=True)
                ),
                name="budget_instalment_collected_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.position}"


# --- leak relief (BILL-9, METER-5) ------------------------------------------------------------


class LeakReliefRequest(models.Model):
    """A leak-relief request (*écrêtement, loi Warsmann*) on an invoice (BILL-9).

    Opened from the METER-5 notice or from the invoice; the customer has one
    month from being informed (``deadline``) to send a plumber's certificate
    or to ask for a meter check. When the customer was not informed
    (``notice_missing``), the cap applies anyway and there is no deadline.
    Approval issues the credit note per component (``credit_note``).
    """

    notice = models.ForeignKey(
        "metering.AbnormalConsumptionNotice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leak_relief_requests",
        verbose_name=_("information de consommation anormale"),
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        related_name="leak_relief_requests",
        verbose_name=_("facture concernée"),
    )
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    service_point = models.ForeignKey(
        ServicePoint,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("point de desserte"),
    )
    status = models.CharField(
        _("état"), max_length=16, choices=LeakReliefStatus.choices, default=LeakReliefStatus.OPEN
    )
    kind = models.CharField(
        _("nature"),
        max_length=12,
        choices=LeakReliefKind.choices,
        default=LeakReliefKind.CERTIFICATE,
    )
    opened_on = models.DateField(_("ouverte le"))
    informed_on = models.DateField(_("client informé le"), null=True, blank=True)
    deadline = models.DateField(_("date limite"), null=True, blank=True)
    notice_missing = models.BooleanField(
        _("information non faite"),
        default=False,
        help_text=_(
            "Le client n'a pas été informé (METER-5) : l'écrêtement s'applique quand même."
        ),
    )
    reference_average = models.DecimalField(
        _("consommation moyenne de référence (m³)"), max_digits=12, decimal_places=3
    )
    reference_basis = models.CharField(_("base de la moyenne"), max_length=24, blank=True)
    certificate = models.FileField(
        _("attestation du plombier"), upload_to="leaks/%Y/", blank=True, max_length=255
    )
    received_on = models.DateField(_("reçue le"), null=True, blank=True)
    repair_date = models.DateField(_("date de réparation"), null=True, blank=True)
    leak_location = models.CharField(_("localisation de la fuite"), max_length=255, blank=True)
    leak_after_meter = models.BooleanField(
        _("fuite sur canalisation après compteur"), null=True, blank=True
    )
    appliance_leak = models.BooleanField(
        _("fuite d'un appareil ménager, équipement sanitaire ou chauffe-eau"),
        null=True,
        blank=True,
    )
    check_requested_on = models.DateField(_("vérification demandée le"), null=True, blank=True)
    correction_needed = models.BooleanField(_("facture à corriger"), default=False)
    decision_reason = models.CharField(_("motif de la décision"), max_length=255, blank=True)
    letter = models.TextField(_("courrier de réponse"), blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = author_field()
    water_cap = models.DecimalField(
        _("plafond eau (m³)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    sanitation_cap = models.DecimalField(
        _("plafond assainissement (m³)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    credit_note = models.OneToOneField(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leak_relief",
        verbose_name=_("avoir"),
    )
    # CASE-2/CASE-7: the DEGREVEMENT case the request belongs to (its dunning block, its
    # deadline, its written answer); null only on requests made before cases existed,
    # which get one at their next step.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leak_relief_requests",
        verbose_name=_("dossier"),
    )
    # The meter check suspends the excess (COLL-3 block) and may bill the check fee.
    check_block = models.ForeignKey(
        "collections.CollectionBlock",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("blocage des relances pendant la vérification"),
    )
    check_fee_invoice = models.ForeignKey(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("facture des frais de vérification"),
    )
    created_at = models.DateTimeField(_("créée le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("demande d'écrêtement")
        verbose_name_plural = _("demandes d'écrêtement")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LeakReliefStatus.values), name="leak_relief_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LeakReliefKind.values), name="leak_relief_kind_valid"
            ),
            # One request at a time on an invoice (a refused one lets a new one be opened).
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=LEAK_RELIEF_ACTIVE),
                name="leak_relief_one_active_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(reference_average__gte=0), name="leak_relief_average_not_negative"
            ),
            # Approved ⇔ the credit note is issued.
            models.CheckConstraint(
                condition=Q(status=LeakReliefStatus.APPROVED, credit_note__isnull=False)
                | (~Q(status=LeakReliefStatus.APPROVED) & Q(credit_note__isnull=True)),
                name="leak_relief_approved_has_credit_note",
            ),
            # A missing notice has no deadline; an informed customer has one.
            models.CheckConstraint(
                condition=Q(notice_missing=True, deadline__isnull=True)
                | Q(notice_missing=False, deadline__isnull=False),
                name="leak_relief_deadline_unless_notice_missing",
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=(
                        LeakReliefStatus.APPROVED,
                        LeakReliefStatus.REFUSED,
                        LeakReliefStatus.METER_FAULTY,
                        LeakReliefStatus.METER_OK,
                    )
                )
                | Q(decided_at__isnull=False),
                name="leak_relief_decision_dated",
            ),
            # One request per case (a refused request's case is closed; a new one opens).
            models.UniqueConstraint(fields=["case"], name="leak_relief_one_request_per_case"),
            # The check fee is billed only when the meter was found fine.
            models.CheckConstraint(
                condition=Q(check_fee_invoice__isnull=True) | Q(status=LeakReliefStatus.METER_OK),
                name="leak_relief_check_fee_when_meter_ok",
            ),
            # Only a meter check blocks dunning on its own.
            models.CheckConstraint(
                condition=Q(check_block__isnull=True) | Q(kind=LeakReliefKind.METER_CHECK),
                name="leak_relief_check_block_on_meter_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Écrêtement')} {self.invoice_id} ({self.status})"
