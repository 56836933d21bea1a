"""SEPA direct-debit mandates and collection runs (PAY-3).

A :class:`Mandate` is the debtor's authorisation (UMR, signature date,
creditor identifier, IBAN/BIC as signed). Its sequence state moves from
``FRST`` to ``RCUR`` after its first collection. Changes of IBAN, BIC, UMR
or debtor name are kept as append-only :class:`MandateAmendment` rows and
reported in the next collection (``AmdmntInd``).

A :class:`DirectDebitRun` is one pain.008 file for one collection date; each
:class:`DirectDebitItem` is one debit in it and points at the payment booked
for it (``means="direct_debit"``, ``external_reference`` = end-to-end id) and
at what it collects: an invoice, a monthly-payment instalment (BILL-10) or a
payment-plan instalment (COLL-5) — its ``kind``.

The payments of a run are *pending* until the run is settled (PAY-3): the run
carries its settlement date (``settles_on``: the collection date plus
``ROBINET_SEPA_RETURN_DAYS`` TARGET2 business days) and, once the bank has
credited it, ``settled_on``. Items are append-only, so the state lives on the
run: an item is *rejected* when its payment is reversed, else *settled* when
its run is, else *pending*.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.append_only import AppendOnlyModel
from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount

from .core import Payment


class MandateStatus(models.TextChoices):
    ACTIVE = "active", _("Actif")
    REVOKED = "revoked", _("Révoqué")
    EXPIRED = "expired", _("Expiré")


class SequenceType(models.TextChoices):
    FIRST = "FRST", _("Premier prélèvement")
    RECURRING = "RCUR", _("Prélèvement récurrent")


class Mandate(models.Model):
    umr = models.CharField(_("référence unique de mandat (RUM)"), max_length=35, unique=True)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("compte")
    )
    debtor_name = models.CharField(_("titulaire du compte"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True, default="")
    signed_on = models.DateField(_("signé le"))
    creditor_id = models.CharField(_("identifiant créancier SEPA (ICS)"), max_length=35)
    status = models.CharField(
        _("état"), max_length=8, choices=MandateStatus.choices, default=MandateStatus.ACTIVE
    )
    ended_on = models.DateField(_("fin le"), null=True, blank=True)
    end_reason = models.CharField(_("motif de fin"), max_length=255, blank=True, default="")
    sequence = models.CharField(
        _("séquence"), max_length=4, choices=SequenceType.choices, default=SequenceType.FIRST
    )
    last_collected_on = models.DateField(_("dernier prélèvement le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("mandat de prélèvement SEPA")
        verbose_name_plural = _("mandats de prélèvement SEPA")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MandateStatus.values), name="mandate_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(sequence__in=SequenceType.values), name="mandate_sequence_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=MandateStatus.ACTIVE, ended_on__isnull=True)
                | (~Q(status=MandateStatus.ACTIVE) & Q(ended_on__isnull=False)),
                name="mandate_ended_iff_not_active",
            ),
            # FRST until the first collection, RCUR after it (PAY-3).
            models.CheckConstraint(
                condition=Q(sequence=SequenceType.FIRST, last_collected_on__isnull=True)
                | Q(sequence=SequenceType.RECURRING, last_collected_on__isnull=False),
                name="mandate_sequence_follows_collection",
            ),
            models.CheckConstraint(condition=~Q(iban=""), name="mandate_has_iban"),
            # One active mandate per account: the run knows which one to use.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=MandateStatus.ACTIVE),
                name="mandate_one_active_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.umr


class AmendedField(models.TextChoices):
    UMR = "umr", _("RUM")
    IBAN = "iban", _("IBAN")
    BIC = "bic", _("BIC")
    DEBTOR_NAME = "debtor_name", _("titulaire")


class MandateAmendment(AppendOnlyModel):
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="amendments")
    field = models.CharField(_("donnée modifiée"), max_length=12, choices=AmendedField.choices)
    old_value = models.CharField(_("ancienne valeur"), max_length=70)
    new_value = models.CharField(_("nouvelle valeur"), max_length=70)
    changed_on = models.DateField(_("modifié le"))
    created_at = models.DateTimeField(_("saisi le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("modification de mandat")
        constraints = [
            models.CheckConstraint(
                condition=Q(field__in=AmendedField.values), name="mandate_amendment_field_valid"
            ),
            models.CheckConstraint(
                condition=~Q(old_value=models.F("new_value")), name="mandate_amendment_changes"
            ),
        ]


class PainVersion(models.TextChoices):
    V08 = "001.08", "pain.008.001.08"
    V02 = "001.02", "pain.008.001.02"


class DebitKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    BUDGET = "budget", _("Mensualité")
    PLAN = "plan", _("Échéance d'échéancier")


class DebitStatus(models.TextChoices):
    """A debit's state, derived (never stored): see :attr:`DirectDebitItem.status`."""

    PENDING = "pending", _("En attente")
    SETTLED = "settled", _("Réglé")
    REJECTED = "rejected", _("Rejeté")


class DirectDebitRun(models.Model):
    """One pain.008 file for one collection date (PAY-3), pending until it is settled.

    Made by a chunked run (``batch_run``, kind ``payments.direct_debit``): the
    chunks book the debits, the file fields (count, total, name, content,
    digest) are filled once, when the last chunk is done. Rows made before the
    chunked runs have no ``batch_run``.
    """

    collection_date = models.DateField(_("date de prélèvement"), unique=True)
    version = models.CharField(
        _("version"), max_length=6, choices=PainVersion.choices, default=PainVersion.V08
    )
    message_id = models.CharField(_("identifiant du message"), max_length=35, unique=True)
    item_count = models.PositiveIntegerField(_("nombre de prélèvements"), default=0)
    total = models.DecimalField(
        _("montant total"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    file_name = models.CharField(_("fichier"), max_length=80, blank=True, default="")
    file_content = models.BinaryField(_("contenu du fichier"), default=b"")
    file_sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True, default="")
    batch_run = models.OneToOneField(
        "core.BatchRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_debit_run",
        verbose_name=_("traitement"),
    )
    # PAY-3: the payments stay pending until the settlement date, then the run is settled.
    settles_on = models.DateField(_("date de règlement prévue"))
    settled_on = models.DateField(_("réglée le"), null=True, blank=True)
    settled_by = author_field(_("réglée par"))
    created_at = models.DateTimeField(_("créé le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("remise de prélèvements")
        verbose_name_plural = _("remises de prélèvements")
        ordering = ["-collection_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(version__in=PainVersion.values), name="dd_run_version_valid"
            ),
            # Once its file is built (not while its chunks run), a run is not empty.
            models.CheckConstraint(
                condition=Q(item_count__gt=0) | Q(file_sha256=""), name="dd_run_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(total__gt=0) | Q(file_sha256=""), name="dd_run_total_positive"
            ),
            models.CheckConstraint(
                condition=Q(settles_on__gte=models.F("collection_date")),
                name="dd_run_settles_after_collection",
            ),
            models.CheckConstraint(
                condition=Q(settled_on__isnull=True) | Q(settled_on__gte=models.F("settles_on")),
                name="dd_run_settled_on_or_after_settlement_date",
            ),
            # Settled only once its file is built.
            models.CheckConstraint(
                condition=Q(settled_on__isnull=True) | ~Q(file_sha256=""),
                name="dd_run_settled_once_built",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id

    @property
    def is_settled(self) -> bool:
        return self.settled_on is not None

    @property
    def is_built(self) -> bool:
        """Its file is built: every chunk of its run is done (PAY-3)."""
        return bool(self.file_sha256)


class DirectDebitItem(AppendOnlyModel):
    """One debit of a run; its payment is found back by its end-to-end id (PAY-4).

    It collects exactly one thing, named by ``kind``: an invoice, a monthly-payment
    instalment (BILL-10) or a payment-plan instalment (COLL-5). Each is debited once:
    after a reject, dunning (invoices), the yearly settlement (monthly payment) or the
    plan monitor (payment plans) takes over.
    """

    run = models.ForeignKey(DirectDebitRun, on_delete=models.PROTECT, related_name="items")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="items")
    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        _("objet"), max_length=8, choices=DebitKind.choices, default=DebitKind.INVOICE
    )
    # One automatic direct debit per invoice: after a reject, dunning takes over (PAY-4).
    invoice = models.OneToOneField(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_debit",
    )
    budget_instalment = models.OneToOneField(
        "billing.BudgetInstalment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_debit",
        verbose_name=_("mensualité"),
    )
    plan_instalment = models.OneToOneField(
        "collections.Instalment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_debit",
        verbose_name=_("échéance d'échéancier"),
    )
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="direct_debit")
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35, unique=True)
    sequence = models.CharField(_("séquence"), max_length=4, choices=SequenceType.choices)
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    amended = models.BooleanField(_("mandat modifié signalé"), default=False)
    # What the pain.008 says of the debit, as it was when the debit was booked (the
    # file is built from these once every chunk of the run is done; the mandate and
    # the party may change meanwhile). Empty on debits made before the chunked runs.
    position = models.PositiveIntegerField(_("rang dans le lot"), default=0)
    mandate_umr = models.CharField(_("RUM"), max_length=35, blank=True, default="")
    signed_on = models.DateField(_("mandat signé le"), null=True, blank=True)
    debtor_name = models.CharField(_("titulaire"), max_length=70, blank=True, default="")
    debtor_iban = models.CharField(_("IBAN"), max_length=34, blank=True, default="")
    debtor_bic = models.CharField(_("BIC"), max_length=11, blank=True, default="")
    street = models.CharField(_("adresse"), max_length=160, blank=True, default="")
    postcode = models.CharField(_("code postal"), max_length=10, blank=True, default="")
    town = models.CharField(_("commune"), max_length=80, blank=True, default="")
    country = models.CharField(_("pays"), max_length=2, blank=True, default="")
    remittance = models.CharField(_("libellé"), max_length=140, blank=True, default="")
    original_umr = models.CharField(_("RUM d'origine"), max_length=35, blank=True, default="")
    original_iban = models.CharField(_("IBAN d'origine"), max_length=34, blank=True, default="")

    class Meta:
        verbose_name = _("prélèvement")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dd_item_amount_positive"),
            models.CheckConstraint(
                condition=Q(sequence__in=SequenceType.values), name="dd_item_sequence_valid"
            ),
            # Exactly the target its kind names.
            models.CheckConstraint(
                condition=Q(
                    kind=DebitKind.INVOICE,
                    invoice__isnull=False,
                    budget_instalment__isnull=True,
                    plan_instalment__isnull=True,
                )
                | Q(
                    kind=DebitKind.BUDGET,
                    invoice__isnull=True,
                    budget_instalment__isnull=False,
                    plan_instalment__isnull=True,
                )
                | Q(
                    kind=DebitKind.PLAN,
                    invoice__isnull=True,
                    budget_instalment__isnull=True,
                    plan_instalment__isnull=False,
                ),
                name="dd_item_one_target_of_its_kind",
            ),
        ]
        indexes = [models.Index(fields=["run", "sequence"])]

    @property
    def status(self) -> str:
        """rejected (its payment reversed), settled (its run settled) or pending (PAY-3)."""
        if hasattr(self.payment, "reversal"):
            return DebitStatus.REJECTED
        return DebitStatus.SETTLED if self.run.settled_on else DebitStatus.PENDING

    def get_status_display(self) -> str:
        return str(DebitStatus(self.status).label)

    @property
    def target_number(self) -> str:
        """The invoice number, ``plan #n`` of a monthly-payment or payment-plan instalment."""
        if self.kind == DebitKind.INVOICE:
            return self.invoice.number
        if self.kind == DebitKind.BUDGET:
            i = self.budget_instalment
            return f"{i.plan.contract.number} {i.plan.year} n° {i.position}"
        i = self.plan_instalment
        return f"{i.plan.number} n° {i.sequence}"
