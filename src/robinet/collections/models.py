"""Dunning, payment plans, promises, debtor diagnosis and the collection timeline.

Procedures and levels are data (Tryton ``account_dunning``): an account gets
the procedure of its customer class, or the default one. ``Dunning`` holds,
per overdue open item, the level it has reached; a notice is grouped per
account. Runs go in two steps (SAP FI-CA): a *proposal* run writes
``DunningProposal`` rows that an officer reviews (excluding items with a
reason), then an *activity* run issues a ``DunningNotice`` per proposal —
unique per proposal, so that a replay never sends twice.
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.collections.choices import (
    Action,
    BlockReason,
    ChargeKind,
    DebtStage,
    EventKind,
    InstalmentState,
    Orientation,
    PlanState,
    PromiseState,
    ProposalStatus,
)
from robinet.core.models import BatchRun
from robinet.core.models.fields import author_field
from robinet.customers.choices import CustomerClass
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem

ZERO = Decimal("0")


def _money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


# --- procedures (COLL-1) -----------------------------------------------------------------------


class DunningProcedure(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("libellé"), max_length=120)
    jurisdiction = models.CharField(
        _("droit applicable"), max_length=8, default="FR", help_text=_("Jeu de règles légales.")
    )
    is_default = models.BooleanField(_("procédure par défaut"), default=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("procédure de relance")
        verbose_name_plural = _("procédures de relance")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="procedure_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.label


class ProcedureClass(models.Model):
    """The procedure of a customer class (one class, one procedure)."""

    procedure = models.ForeignKey(
        DunningProcedure, on_delete=models.CASCADE, related_name="classes"
    )
    customer_class = models.CharField(
        _("classe client"), max_length=16, choices=CustomerClass.choices, unique=True
    )

    class Meta:
        verbose_name = _("classe de la procédure")
        verbose_name_plural = _("classes des procédures")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_class__in=CustomerClass.values),
                name="procedure_class_valid",
            )
        ]


class DunningLevel(models.Model):
    procedure = models.ForeignKey(DunningProcedure, on_delete=models.CASCADE, related_name="levels")
    sequence = models.PositiveSmallIntegerField(_("rang"))
    label = models.CharField(_("libellé"), max_length=80)
    days_after_due = models.SmallIntegerField(
        _("jours après l'échéance"),
        help_text=_("Négatif pour un rappel préventif avant l'échéance."),
    )
    min_amount = _money(_("montant minimum"), default=ZERO)
    actions = models.JSONField(_("actions"), default=list)
    delay_days = models.PositiveSmallIntegerField(
        _("délai accordé (jours)"),
        default=15,
        help_text=_("Délai laissé au client pour payer, indiqué dans la lettre."),
    )
    charges_indemnity = models.BooleanField(
        _("indemnité forfaitaire de 40 €"), default=False, help_text=_("Professionnels seulement.")
    )
    charges_interest = models.BooleanField(_("intérêts de retard"), default=False)

    class Meta:
        verbose_name = _("niveau de relance")
        verbose_name_plural = _("niveaux de relance")
        ordering = ["procedure", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "sequence"], name="level_unique_rank"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="level_rank_from_one"),
            models.CheckConstraint(condition=Q(min_amount__gte=0), name="level_min_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.label}"

    @property
    def action_labels(self) -> list[str]:
        return [str(Action(a).label) for a in self.actions if a in Action.values]


# --- the state of each overdue item and of each debtor -----------------------------------------


class Dunning(models.Model):
    """The level an open item has reached (one row per dunned item; levels only go up)."""

    open_item = models.OneToOneField(OpenItem, on_delete=models.PROTECT, related_name="dunning")
    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("niveau atteint"))
    reached_on = models.DateField(_("atteint le"))
    notice = models.ForeignKey(
        "DunningNotice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("relance d'un poste")
        verbose_name_plural = _("relances des postes")
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1), name="dunning_level_gte_1")
        ]


class DebtCase(models.Model):
    """A debtor's one debt case: all its contracts, one timeline (COLL-13)."""

    account = models.OneToOneField(
        CustomerAccount, on_delete=models.PROTECT, related_name="debt_case"
    )
    stage = models.CharField(_("étape"), max_length=20, choices=DebtStage.choices)
    opened_on = models.DateField(_("ouvert le"))
    updated_on = models.DateField(_("mis à jour le"))
    next_step = models.CharField(_("prochaine étape"), max_length=160, blank=True)
    next_step_on = models.DateField(_("prochaine étape le"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier de recouvrement")
        verbose_name_plural = _("dossiers de recouvrement")
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=DebtStage.values), name="debt_stage_valid")
        ]


class CollectionBlock(models.Model):
    """A hold on dunning for an account (COLL-3), recorded by an officer or another service."""

    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="collection_blocks"
    )
    reason = models.CharField(_("motif"), max_length=24, choices=BlockReason.choices)
    reference = models.CharField(_("référence"), max_length=40, blank=True)
    starts_on = models.DateField(_("à partir du"))
    ends_on = models.DateField(_("jusqu'au"), null=True, blank=True)
    comment = models.CharField(_("commentaire"), max_length=255, blank=True)
    created_by = author_field(_("créé par"))
    created_at = models.DateTimeField(_("créé le"))
    lifted_on = models.DateField(_("levé le"), null=True, blank=True)
    lifted_by = author_field(_("levé par"))

    class Meta:
        verbose_name = _("blocage des relances")
        verbose_name_plural = _("blocages des relances")
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=BlockReason.values), name="block_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="block_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["account"], condition=Q(lifted_on__isnull=True), name="block_live")
        ]


# --- proposal and activity (COLL-2) ------------------------------------------------------------


class DunningProposal(models.Model):
    """What a proposal run would send to one account, for review."""

    run = models.ForeignKey(BatchRun, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey(DunningProcedure, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(
        DunningLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("statut"), max_length=10, choices=ProposalStatus.choices)
    total = _money(_("montant relancé"), default=ZERO)
    fee_total = _money(_("frais"), default=ZERO)
    actions = models.JSONField(_("actions"), default=list)
    rules = models.JSONField(_("règles appliquées"), default=list)
    fees = models.JSONField(_("frais proposés"), default=list)
    blocks = models.JSONField(_("blocages"), default=list)
    pay_by = models.DateField(_("à régler avant le"), null=True, blank=True)
    exclusion_reason = models.CharField(_("motif d'exclusion"), max_length=255, blank=True)
    excluded_by = author_field(_("exclu par"))

    class Meta:
        verbose_name = _("proposition de relance")
        verbose_name_plural = _("propositions de relance")
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="proposal_once_per_run"),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ProposalStatus.EXCLUDED) | ~Q(exclusion_reason=""),
                name="proposal_exclusion_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=ProposalStatus.BLOCKED) | Q(level__isnull=False),
                name="proposal_has_level_unless_blocked",
            ),
        ]


class ProposalItem(models.Model):
    proposal = models.ForeignKey(DunningProposal, on_delete=models.CASCADE, related_name="items")
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    from_level = models.PositiveSmallIntegerField(_("niveau actuel"))
    to_level = models.PositiveSmallIntegerField(_("niveau proposé"))
    open_amount = _money(_("reste dû"))
    due_date = models.DateField(_("échéance"))
    excluded = models.BooleanField(_("exclu"), default=False)
    exclusion_reason = models.CharField(_("motif d'exclusion"), max_length=255, blank=True)
    excluded_by = author_field(_("exclu par"))

    class Meta:
        verbose_name = _("poste proposé")
        verbose_name_plural = _("postes proposés")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "open_item"], name="proposal_item_once"),
            # Levels never go down (an item already dunned is cited again at its level).
            models.CheckConstraint(
                condition=Q(to_level__gte=F("from_level")) & Q(to_level__gte=1),
                name="proposal_item_level_never_down",
            ),
            models.CheckConstraint(
                condition=Q(excluded=False) | ~Q(exclusion_reason=""),
                name="proposal_item_exclusion_has_reason",
            ),
        ]


class DunningNotice(models.Model):
    """One notice to one account (letter, e-mail, SMS), issued by an activity run."""

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    proposal = models.OneToOneField(
        DunningProposal, on_delete=models.PROTECT, related_name="notice"
    )
    run = models.ForeignKey(BatchRun, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="dunning_notices"
    )
    procedure = models.ForeignKey(DunningProcedure, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(DunningLevel, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("émise le"))
    pay_by = models.DateField(_("à régler avant le"))
    actions = models.JSONField(_("actions"), default=list)
    rules = models.JSONField(_("règles qui l'autorisent"), default=list)
    total_due = _money(_("montant dû"))
    fee_total = _money(_("frais"), default=ZERO)
    fee_invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    main_residence = models.BooleanField(_("résidence principale"), default=False)
    email_to = models.CharField(_("e-mail à"), max_length=254, blank=True)
    sms_to = models.CharField(_("SMS au"), max_length=20, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail envoyé le"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("SMS envoyé le"), null=True, blank=True)
    printed_at = models.DateTimeField(_("imprimée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("avis de relance")
        verbose_name_plural = _("avis de relance")
        constraints = [
            models.CheckConstraint(condition=Q(total_due__gt=0), name="notice_total_positive"),
            models.CheckConstraint(condition=Q(fee_total__gte=0), name="notice_fee_gte_0"),
            # COLL-1 / CPCE L111-8: no fee for a main residence (a consumer).
            models.CheckConstraint(
                condition=Q(main_residence=False) | Q(fee_total=0),
                name="notice_no_fee_for_main_residence",
            ),
            models.CheckConstraint(
                condition=Q(pay_by__gte=F("issued_on")), name="notice_pay_by_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class NoticeItem(models.Model):
    notice = models.ForeignKey(DunningNotice, on_delete=models.CASCADE, related_name="items")
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    document_number = models.CharField(_("pièce"), max_length=20)
    due_date = models.DateField(_("échéance"))
    open_amount = _money(_("reste dû"))
    level = models.PositiveSmallIntegerField(_("niveau"))

    class Meta:
        verbose_name = _("poste relancé")
        verbose_name_plural = _("postes relancés")
        constraints = [
            models.UniqueConstraint(fields=["notice", "open_item"], name="notice_item_once"),
            models.CheckConstraint(condition=Q(open_amount__gt=0), name="notice_item_open"),
        ]


class DunningCharge(models.Model):
    """A fee a notice charged for one late invoice (professionals only, COLL-1)."""

    notice = models.ForeignKey(DunningNotice, on_delete=models.PROTECT, related_name="charges")
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("nature"), max_length=10, choices=ChargeKind.choices)
    amount = _money(_("montant"))

    class Meta:
        verbose_name = _("frais de relance")
        verbose_name_plural = _("frais de relance")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ChargeKind.values), name="charge_kind"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive"),
            # The €40 indemnity is due once per late invoice (C. com. L441-10).
            models.UniqueConstraint(
                fields=["open_item"],
                condition=Q(kind=ChargeKind.INDEMNITY),
                name="charge_one_indemnity_per_invoice",
            ),
            models.UniqueConstraint(
                fields=["notice", "open_item", "kind"], name="charge_once_per_notice"
            ),
        ]


# --- payment plans and promises (COLL-5), diagnosis (COLL-6) -----------------------------------


class PaymentPlan(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="payment_plans"
    )
    state = models.CharField(_("état"), max_length=10, choices=PlanState.choices)
    agreed_on = models.DateField(_("accordé le"))
    total = _money(_("montant couvert"))
    down_payment = _money(_("acompte"), default=ZERO)
    grace_days = models.PositiveSmallIntegerField(_("délai de grâce (jours)"), default=10)
    direct_debit = models.BooleanField(_("par prélèvement"), default=False)
    signed_on = models.DateField(_("signé le"), null=True, blank=True)
    closed_on = models.DateField(_("clos le"), null=True, blank=True)
    note = models.CharField(_("commentaire"), max_length=255, blank=True)
    created_by = author_field(_("créé par"))
    created_at = models.DateTimeField(_("créé le"))

    class Meta:
        verbose_name = _("échéancier")
        verbose_name_plural = _("échéanciers")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=PlanState.values), name="plan_state"),
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive"),
            models.CheckConstraint(
                condition=Q(down_payment__gte=0, down_payment__lt=F("total")),
                name="plan_down_payment_within_total",
            ),
            models.UniqueConstraint(
                fields=["account"], condition=Q(state="active"), name="plan_one_active_per_account"
            ),
            models.CheckConstraint(
                condition=Q(state="active", closed_on__isnull=True)
                | (~Q(state="active") & Q(closed_on__isnull=False)),
                name="plan_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PlanItem(models.Model):
    """An open item a plan covers, with what was open when the plan was agreed."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.PROTECT, related_name="items")
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="+")
    amount_at_start = _money(_("reste dû à l'accord"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "open_item"], name="plan_item_once"),
            models.CheckConstraint(condition=Q(amount_at_start__gt=0), name="plan_item_open"),
        ]


class Instalment(models.Model):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField(_("rang"))
    due_on = models.DateField(_("échéance"))
    amount = _money(_("montant"))
    state = models.CharField(
        _("état"), max_length=8, choices=InstalmentState.choices, default=InstalmentState.PENDING
    )

    class Meta:
        verbose_name = _("échéance")
        verbose_name_plural = _("échéances")
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "sequence"], name="plan_instalment_unique_rank"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="plan_instalment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(state__in=InstalmentState.values), name="plan_instalment_state"
            ),
        ]


class PaymentPromise(models.Model):
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="payment_promises"
    )
    made_on = models.DateField(_("faite le"))
    due_on = models.DateField(_("date promise"))
    amount = _money(_("montant promis"))
    grace_days = models.PositiveSmallIntegerField(_("délai de grâce (jours)"), default=3)
    state = models.CharField(_("état"), max_length=10, choices=PromiseState.choices)
    closed_on = models.DateField(_("close le"), null=True, blank=True)
    note = models.CharField(_("commentaire"), max_length=255, blank=True)
    created_by = author_field(_("saisie par"))
    created_at = models.DateTimeField(_("saisie le"))

    class Meta:
        verbose_name = _("promesse de paiement")
        verbose_name_plural = _("promesses de paiement")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PromiseState.values), name="promise_state"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("made_on")), name="promise_due_after_made"
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(state="pending"),
                name="promise_one_pending_per_account",
            ),
        ]


class DebtorDiagnosis(models.Model):
    """The debtor's situation and repayment capacity (COLL-6). Facts only, no judgement."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="+")
    made_on = models.DateField(_("établi le"))
    household_size = models.PositiveSmallIntegerField(_("personnes au foyer"), default=1)
    monthly_income = _money(_("ressources mensuelles"))
    monthly_charges = _money(_("charges mensuelles"))
    assets = _money(_("épargne disponible"), default=ZERO)
    liabilities = _money(_("autres dettes"), default=ZERO)
    debt = _money(_("dette envers le service"))
    monthly_capacity = _money(_("capacité de remboursement mensuelle"))
    suggested_instalments = models.PositiveSmallIntegerField(_("nombre d'échéances suggéré"))
    orientation = models.CharField(_("orientation"), max_length=20, choices=Orientation.choices)
    fsl_requested = models.BooleanField(_("demande FSL déposée"), default=False)
    created_by = author_field(_("établi par"))
    created_at = models.DateTimeField(_("établi le"))

    class Meta:
        verbose_name = _("diagnostic de la situation du débiteur")
        verbose_name_plural = _("diagnostics de situation")
        constraints = [
            models.CheckConstraint(
                condition=Q(orientation__in=Orientation.values), name="diagnosis_orientation"
            ),
            models.CheckConstraint(
                condition=Q(monthly_income__gte=0, monthly_charges__gte=0, assets__gte=0)
                & Q(liabilities__gte=0, monthly_capacity__gte=0, household_size__gte=1),
                name="diagnosis_amounts_gte_0",
            ),
        ]


# --- the timeline (COLL-13) --------------------------------------------------------------------


class CollectionEvent(models.Model):
    """Who did what on an account's collection, when, and what comes next."""

    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="collection_events"
    )
    kind = models.CharField(_("nature"), max_length=24, choices=EventKind.choices)
    occurred_on = models.DateField(_("date"))
    at = models.DateTimeField(_("enregistré le"))
    actor = author_field(_("par"))
    summary = models.CharField(_("résumé"), max_length=255)
    next_step = models.CharField(_("prochaine étape"), max_length=160, blank=True)
    next_step_on = models.DateField(_("prochaine étape le"), null=True, blank=True)
    notice = models.ForeignKey(
        DunningNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(
        PaymentPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    promise = models.ForeignKey(
        PaymentPromise, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("événement de recouvrement")
        verbose_name_plural = _("historique du recouvrement")
        ordering = ["-occurred_on", "-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid")
        ]
        indexes = [models.Index(fields=["account", "occurred_on"], name="event_by_account")]


# Models of the collection officer's desk, one module per capability.
from robinet.collections.models_agencies import *  # noqa: E402, F403
from robinet.collections.models_litigation import *  # noqa: E402, F403
from robinet.collections.models_worklist import *  # noqa: E402, F403
from robinet.collections.models_writeoffs import *  # noqa: E402, F403
