"""Litigation (COLL-9) and insolvency files (COLL-12).

A :class:`LitigationFile` follows one order-for-payment procedure
(*injonction de payer*) for an account: the items it covers (with the amount
claimed for each), its stage with the date of every stage reached, the legal
costs paid, and the outcome. An :class:`InsolvencyFile` records an
over-indebtedness file (*surendettement*, Banque de France) or a collective
procedure (*sauvegarde, redressement, liquidation judiciaire*), with the prior
debt it freezes and the claim declaration deadline.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import JournalEntry, OpenItem

__all__ = [
    "CostKind",
    "InsolvencyFile",
    "InsolvencyItem",
    "InsolvencyKind",
    "InsolvencyState",
    "LitigationCost",
    "LitigationFile",
    "LitigationItem",
    "LitigationRecovery",
    "LitigationStage",
]


def _money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class LitigationStage(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    FILED = "filed", _("Requête déposée")
    ORDER_ISSUED = "order_issued", _("Ordonnance rendue")
    SERVED = "served", _("Ordonnance signifiée")
    ENFORCEABLE = "enforceable", _("Exécutoire")
    ENFORCEMENT = "enforcement", _("Exécution forcée")
    PAID = "paid", _("Payé")
    ABANDONED = "abandoned", _("Abandonné")


#: stages that end a file
CLOSED_STAGES = (LitigationStage.PAID, LitigationStage.ABANDONED)


class CostKind(models.TextChoices):
    COURT_FEE = "court_fee", _("Frais de greffe")
    BAILIFF = "bailiff", _("Commissaire de justice (huissier)")
    LAWYER = "lawyer", _("Avocat")


class LitigationFile(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="litigation_files"
    )
    stage = models.CharField(
        _("étape"), max_length=16, choices=LitigationStage.choices, default=LitigationStage.DRAFT
    )
    opened_on = models.DateField(_("ouvert le"))
    filed_on = models.DateField(_("requête déposée le"), null=True, blank=True)
    order_issued_on = models.DateField(_("ordonnance rendue le"), null=True, blank=True)
    served_on = models.DateField(_("signifiée le"), null=True, blank=True)
    enforceable_on = models.DateField(_("exécutoire le"), null=True, blank=True)
    enforcement_on = models.DateField(_("exécution forcée le"), null=True, blank=True)
    closed_on = models.DateField(_("clos le"), null=True, blank=True)
    court = models.CharField(_("juridiction"), max_length=120, blank=True)
    court_reference = models.CharField(_("référence au greffe"), max_length=40, blank=True)
    principal = _money(_("principal réclamé"))
    outcome = models.CharField(_("issue"), max_length=255, blank=True)
    # Judgment unenforceable (debtor insolvent, unknown…): the write-off it proposed (COLL-11).
    write_off_request = models.ForeignKey(
        "collections.WriteOffRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("admission en non-valeur proposée"),
    )
    created_by = author_field(_("ouvert par"))
    created_at = models.DateTimeField(_("créé le"))

    class Meta:
        verbose_name = _("dossier contentieux")
        verbose_name_plural = _("dossiers contentieux")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=LitigationStage.values), name="litigation_stage_valid"
            ),
            models.CheckConstraint(condition=Q(principal__gt=0), name="litigation_principal_gt_0"),
            models.CheckConstraint(
                condition=~Q(stage__in=CLOSED_STAGES) | Q(closed_on__isnull=False),
                name="litigation_closed_has_date",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=~Q(stage__in=CLOSED_STAGES),
                name="litigation_one_live_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES


class LitigationItem(models.Model):
    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="items")
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    amount = _money(_("montant réclamé"))

    class Meta:
        verbose_name = _("poste au contentieux")
        verbose_name_plural = _("postes au contentieux")
        constraints = [
            models.UniqueConstraint(fields=["file", "open_item"], name="litigation_item_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="litigation_item_gt_0"),
        ]


class LitigationCost(models.Model):
    """A legal cost paid on a file: posted as an expense; re-invoiced where the law allows it."""

    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(_("nature"), max_length=10, choices=CostKind.choices)
    amount = _money(_("montant"))
    incurred_on = models.DateField(_("date"))
    label = models.CharField(_("libellé"), max_length=120, blank=True)
    created_by = author_field(_("saisi par"))
    # The expense entry (legal costs 6227 / suppliers 401); empty for costs recorded before
    # costs were posted.
    entry = models.ForeignKey(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("écriture"),
    )
    # The fees invoice that re-invoiced it to the debtor (COLL-1: professionals, court order).
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("refacturé par"),
    )

    class Meta:
        verbose_name = _("frais de procédure")
        verbose_name_plural = _("frais de procédure")
        ordering = ["incurred_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CostKind.values), name="litigation_cost_kind"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="litigation_cost_gt_0"),
        ]


class LitigationRecovery(models.Model):
    """An amount recovered on a file (the bailiff's or the debtor's transfer), booked as a payment."""

    file = models.ForeignKey(LitigationFile, on_delete=models.PROTECT, related_name="recoveries")
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="+", verbose_name=_("règlement")
    )
    amount = _money(_("montant recouvré"))
    received_on = models.DateField(_("reçu le"))
    created_by = author_field(_("saisi par"))

    class Meta:
        verbose_name = _("recouvrement sur contentieux")
        verbose_name_plural = _("recouvrements sur contentieux")
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="litigation_recovery_gt_0"),
        ]


# --- over-indebtedness and collective procedures (COLL-12) -------------------------------------


class InsolvencyKind(models.TextChoices):
    OVER_INDEBTEDNESS = "over_indebtedness", _("Surendettement (Banque de France)")
    SAFEGUARD = "safeguard", _("Sauvegarde")
    RECEIVERSHIP = "receivership", _("Redressement judiciaire")
    LIQUIDATION = "liquidation", _("Liquidation judiciaire")


#: the kinds that are collective procedures (claims declared to the *mandataire*)
COLLECTIVE_KINDS = (
    InsolvencyKind.SAFEGUARD,
    InsolvencyKind.RECEIVERSHIP,
    InsolvencyKind.LIQUIDATION,
)


class InsolvencyState(models.TextChoices):
    OPEN = "open", _("Ouvert")
    PLAN = "plan", _("Plan adopté")
    ERASED = "erased", _("Effacement / clôture pour insuffisance d'actif")
    CLOSED = "closed", _("Clos")


class InsolvencyFile(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="insolvency_files"
    )
    kind = models.CharField(_("nature"), max_length=20, choices=InsolvencyKind.choices)
    state = models.CharField(
        _("état"), max_length=8, choices=InsolvencyState.choices, default=InsolvencyState.OPEN
    )
    opened_on = models.DateField(
        _("date de recevabilité / du jugement d'ouverture"),
    )
    reference = models.CharField(_("référence (dossier BdF, greffe)"), max_length=60, blank=True)
    bodacc_on = models.DateField(_("publication au BODACC"), null=True, blank=True)
    claim_deadline = models.DateField(_("date limite de déclaration"), null=True, blank=True)
    declared_on = models.DateField(_("créance déclarée le"), null=True, blank=True)
    declared_amount = _money(_("montant déclaré"), null=True, blank=True)
    administrator = models.CharField(
        _("mandataire judiciaire / commission"), max_length=160, blank=True
    )
    prior_debt = _money(_("dette antérieure gelée"))
    plan_terms = models.TextField(_("termes du plan"), blank=True)
    plan_on = models.DateField(_("plan adopté le"), null=True, blank=True)
    erased_on = models.DateField(_("effacement le"), null=True, blank=True)
    write_off_reference = models.CharField(
        _("référence de l'admission en non-valeur"), max_length=40, blank=True
    )
    closed_on = models.DateField(_("clos le"), null=True, blank=True)
    created_by = author_field(_("saisi par"))
    created_at = models.DateTimeField(_("saisi le"))

    class Meta:
        verbose_name = _("dossier de surendettement ou de procédure collective")
        verbose_name_plural = _("dossiers de surendettement et procédures collectives")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InsolvencyKind.values), name="insolvency_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=InsolvencyState.values), name="insolvency_state_valid"
            ),
            models.CheckConstraint(condition=Q(prior_debt__gte=0), name="insolvency_prior_gte_0"),
            models.CheckConstraint(
                condition=Q(bodacc_on__isnull=True) | Q(bodacc_on__gte=F("opened_on")),
                name="insolvency_bodacc_after_opening",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=~Q(state="closed"),
                name="insolvency_one_live_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_collective(self) -> bool:
        return self.kind in COLLECTIVE_KINDS


class InsolvencyItem(models.Model):
    """A prior open item frozen by the file, with what was open at the opening date."""

    file = models.ForeignKey(InsolvencyFile, on_delete=models.CASCADE, related_name="items")
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    amount = _money(_("reste dû à l'ouverture"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "open_item"], name="insolvency_item_once"),
        ]
