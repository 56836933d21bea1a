"""The customer sub-ledger and the general ledger (PAY-1, PAY-1a, PAY-7).

*Open items* (*postes ouverts*, in the FI-CA sense): every financial document
posts one item on its customer account — debits positive (invoices, payment
reversals, refunds paid out), credits negative (credit notes, payments);
legacy opening balances either. ``open_amount`` is what remains to clear;
only it and ``cleared_on`` move, by allocations.

*Allocations* (*lettrage*) link a debit and a credit item with the amount one
clears of the other. They are append-only: an un-allocation is a new row of
the opposite amount pointing at the one it cancels. Each allocation is spread
over the lines of the invoice it clears (*shares*, PAY-1a), so that what was
collected for each beneficiary is known to the cent.

*Journal entries* are the general ledger: one balanced entry per financial
event, numbered without gaps per journal and year (FEC), append-only.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.append_only import AppendOnlyModel
from robinet.core.models.fields import author_field
from robinet.core.models.indexes import BlockRangeIndex
from robinet.customers.models import Contract, CustomerAccount
from robinet.organisation.models import Entity


class OpenItemKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit_note", _("Avoir")
    PAYMENT = "payment", _("Règlement")
    REVERSAL = "reversal", _("Rejet / annulation de règlement")
    REFUND = "refund", _("Remboursement")
    OPENING = "opening", _("Solde repris")
    WRITE_OFF = "write_off", _("Admission en non-valeur")


DEBIT_KINDS = (OpenItemKind.INVOICE, OpenItemKind.REVERSAL, OpenItemKind.REFUND)
CREDIT_KINDS = (OpenItemKind.CREDIT_NOTE, OpenItemKind.PAYMENT, OpenItemKind.WRITE_OFF)


class OpenItem(models.Model):
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="open_items"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("nature"), max_length=12, choices=OpenItemKind.choices)
    invoice = models.OneToOneField(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="open_item",
    )
    payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="open_items",
        db_index=False,  # open_item_once_per_payment_and_kind: indexed where set
    )
    document_number = models.CharField(_("pièce"), max_length=20)
    label = models.CharField(_("libellé"), max_length=120, blank=True, default="", db_default="")
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
            # Debits are positive, credits negative; an opening balance either.
            models.CheckConstraint(
                condition=Q(kind__in=DEBIT_KINDS, amount__gt=0)
                | Q(kind__in=CREDIT_KINDS, amount__lt=0)
                | Q(kind=OpenItemKind.OPENING, amount__gt=0)
                | Q(kind=OpenItemKind.OPENING, amount__lt=0)
                # A zero-total bill (fully relieved) is still a document.
                | Q(kind__in=(OpenItemKind.INVOICE, OpenItemKind.CREDIT_NOTE), amount=0),
                name="open_item_sign_follows_kind",
            ),
            # What is open has the item's sign and never exceeds it.
            models.CheckConstraint(
                condition=Q(amount__gte=0, open_amount__gte=0, open_amount__lte=F("amount"))
                | Q(amount__lte=0, open_amount__lte=0, open_amount__gte=F("amount")),
                name="open_item_open_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(open_amount=0) | Q(cleared_on__isnull=True),
                name="open_item_cleared_when_nothing_open",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=(OpenItemKind.INVOICE, OpenItemKind.CREDIT_NOTE))
                | Q(invoice__isnull=False),
                name="open_item_invoice_has_document",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=(OpenItemKind.PAYMENT, OpenItemKind.REVERSAL))
                | Q(payment__isnull=False),
                name="open_item_payment_has_document",
            ),
            # A write-off (COLL-11) names the request it books.
            models.CheckConstraint(
                condition=~Q(kind=OpenItemKind.WRITE_OFF) | Q(document_number__gt=""),
                name="open_item_write_off_has_document",
            ),
            # A payment posts once, and is reversed at most once.
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=Q(payment__isnull=False),
                name="open_item_once_per_payment_and_kind",
            ),
        ]
        indexes = [
            # Balances and the collection worklists read the open part only.
            models.Index(
                fields=["account", "due_date"],
                condition=Q(cleared_on__isnull=True),
                name="open_item_open_by_account",
            ),
            # The few items that are neither invoices nor payments (credit notes,
            # write-offs, openings, reversals, refunds): the recovery report (REP-2) tells
            # a payment from the other credits by these, without joining every
            # allocation to its credit item.
            models.Index(
                fields=["id"],
                condition=~Q(kind__in=(OpenItemKind.INVOICE, OpenItemKind.PAYMENT)),
                name="open_item_other_kinds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_number} {self.open_amount}"

    @property
    def is_debit(self) -> bool:
        return self.amount > 0


class Allocation(AppendOnlyModel):
    """A debit item cleared by a credit item, for ``amount`` (PAY-1 *lettrage*)."""

    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    debit = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="debit_allocations")
    credit = models.ForeignKey(
        OpenItem, on_delete=models.PROTECT, related_name="credit_allocations"
    )
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    allocated_on = models.DateField(_("lettré le"))
    # Unique when set (allocation_reversed_once): most allocations reverse nothing, and
    # a partial index does not grow with them.
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("annule"),
        db_index=False,
    )
    manual = models.BooleanField(_("manuel"), default=False)
    reason = models.CharField(_("motif"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("créé le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("lettrage")
        verbose_name_plural = _("lettrages")
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount__gt=0)
                | Q(reverses__isnull=False, amount__lt=0),
                name="allocation_sign_follows_reversal",
            ),
            models.CheckConstraint(
                condition=~Q(debit=F("credit")), name="allocation_two_distinct_items"
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="allocation_reversed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "allocated_on"]),
            # The aged balance at a past date (REP-1) undoes the allocations made since:
            # a range on the date, read from the index alone on PostgreSQL.
            models.Index(
                fields=["allocated_on"],
                include=["debit", "credit", "amount"],
                name="allocation_by_date",
            ),
        ]


class ShareBeneficiary(models.TextChoices):
    """Who the collected money belongs to (PAY-1a); VAT is the State's."""

    OPERATOR = "operator", _("Exploitant")
    AUTHORITY = "authority", _("Collectivité")
    WATER_AGENCY = "water_agency", _("Agence de l'eau")
    OTHER = "other", _("Autre")
    VAT = "vat", _("TVA (État)")


class ShareSource(models.TextChoices):
    """What cleared the invoice: money, a credit note, a write-off, a legacy balance."""

    PAYMENT = "payment", _("Encaissé")
    CREDIT_NOTE = "credit_note", _("Avoir")
    WRITE_OFF = "write_off", _("Admis en non-valeur")
    OTHER = "other", _("Autre")


class AllocationShare(AppendOnlyModel):
    """The part of an allocation that belongs to one beneficiary (PAY-1a)."""

    # Not indexed: an allocation's shares are read through its invoice's (un-allocation).
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="shares", db_index=False
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    source = models.CharField(_("origine"), max_length=12, choices=ShareSource.choices)
    beneficiary = models.CharField(
        _("bénéficiaire"), max_length=16, choices=ShareBeneficiary.choices
    )
    service = models.CharField(_("rubrique"), max_length=16)
    on = models.DateField(_("date"))
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("part de lettrage")
        constraints = [
            models.CheckConstraint(
                condition=Q(beneficiary__in=ShareBeneficiary.values),
                name="allocation_share_beneficiary_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=ShareSource.values), name="allocation_share_source_valid"
            ),
        ]
        # Five or so shares per payment: each index costs the bookings; the beneficiary
        # report reads a range of dates, which the block-range index finds.
        indexes = [
            models.Index(fields=["invoice"]),
            BlockRangeIndex(fields=["on"], name="allocation_share_by_date"),
        ]


class Journal(models.TextChoices):
    SALES = "VE", _("Ventes")
    BANK = "BQ", _("Banque")
    CASH = "CA", _("Caisse")
    MISC = "OD", _("Opérations diverses")
    OPENING = "AN", _("À-nouveaux")


class LedgerAccount(models.Model):
    """An account of the chart (PCG); ``role`` is the posting key that selects it."""

    code = models.CharField(_("compte"), max_length=20, unique=True)
    label = models.CharField(_("libellé"), max_length=120)
    role = models.CharField(_("rôle"), max_length=60, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("compte général")
        verbose_name_plural = _("plan comptable")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class JournalEntry(AppendOnlyModel):
    """One balanced accounting entry (*écriture*) for one financial event (PAY-7)."""

    journal = models.CharField(_("journal"), max_length=2, choices=Journal.choices)
    year = models.PositiveSmallIntegerField(_("exercice"))
    number = models.PositiveIntegerField(_("numéro"))
    entry_date = models.DateField(_("date"))
    piece_ref = models.CharField(_("pièce"), max_length=40)
    piece_date = models.DateField(_("date de pièce"))
    label = models.CharField(_("libellé"), max_length=120)
    centre = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entité")
    )
    event = models.CharField(_("événement"), max_length=20)
    created_at = models.DateTimeField(_("créée le"))

    class Meta:
        verbose_name = _("écriture")
        constraints = [
            models.UniqueConstraint(
                fields=["journal", "year", "number"], name="journal_entry_number_once"
            ),
            models.CheckConstraint(
                condition=Q(journal__in=Journal.values), name="journal_entry_journal_valid"
            ),
        ]
        indexes = [models.Index(fields=["entry_date"])]

    def __str__(self) -> str:
        return f"{self.journal}{self.year}-{self.number}"


class JournalLine(AppendOnlyModel):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    ledger_account = models.CharField(_("compte"), max_length=20)
    # The customer sub-account (*compte auxiliaire*) on customers' account lines.
    customer_account = models.ForeignKey(
        CustomerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    debit = models.DecimalField(_("débit"), max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(_("crédit"), max_digits=14, decimal_places=2, default=0)
    # A line's own piece (FEC ``PieceRef``) when its entry gathers several documents: the
    # customer lines of a billing run or a payment batch carry the invoice's or payment's
    # number (decision 0014). Empty: the entry's piece.
    piece_ref = models.CharField(_("pièce"), max_length=40, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("ligne d'écriture")
        constraints = [
            models.CheckConstraint(
                condition=Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0),
                name="journal_line_one_side",
            ),
        ]
        indexes = [
            # The journal's search by account is a prefix ("654", "4111"): under any
            # collation but "C" only the pattern operators let it use an index.
            models.Index(
                fields=["ledger_account", "entry"],
                name="journal_line_account_prefix",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            )
        ]
