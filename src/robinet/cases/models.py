"""Customer requests: contacts, cases, tasks, service offers (CASE-1…7, CASE-9).

A :class:`Case` (*dossier*) is opened for every customer request from the
national dictionary of :class:`CaseType`; every :class:`Contact`, inbound or
outbound, is attached to one (CASE-1). A deferred case is routed to a
:class:`Team`, which gets a :class:`Task` (CASE-6). Field interventions and
appointments (CASE-8) live in ``models_field``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.cases.choices import (
    OPEN_STATUSES,
    CaseStatus,
    Channel,
    DeadlineRule,
    DebitAction,
    Direction,
    Nature,
    OfferOutcome,
    Service,
    TaskStatus,
    TeamKind,
)
from robinet.cases.models_field import Appointment, FieldTeam, Intervention  # CASE-8
from robinet.core.models.fields import author_field
from robinet.customers.models import CustomerAccount
from robinet.organisation.models import Entity

__all__ = [
    "Case",
    "CaseType",
    "Contact",
    "ServiceOffer",
    "Task",
    "Team",
    "Appointment",
    "FieldTeam",
    "Intervention",
]


class Team(models.Model):
    """A team that cases and tasks are routed to, in an entity of the organisation (CASE-6)."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("métier"), max_length=16, choices=TeamKind.choices)
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="case_teams", verbose_name=_("membres")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("équipe")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TeamKind.values), name="team_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class CaseType(models.Model):
    """An entry of the national dictionary of requests (CASE-2), shipped as data."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    label = models.CharField(_("libellé"), max_length=120)
    default_nature = models.CharField(_("nature par défaut"), max_length=8, choices=Nature.choices)
    routing = models.CharField(
        _("équipe responsable par défaut"), max_length=16, choices=TeamKind.choices
    )
    deadline_rule = models.CharField(
        _("délai de réponse"), max_length=16, choices=DeadlineRule.choices
    )
    blocks_dunning = models.BooleanField(_("bloque les relances"), default=False)
    intervention = models.BooleanField(_("intervention terrain"), default=False)
    description = models.CharField(_("description"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("type de dossier")
        verbose_name_plural = _("dictionnaire des demandes")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_nature__in=Nature.values), name="case_type_nature_valid"
            ),
            models.CheckConstraint(
                condition=Q(routing__in=TeamKind.values), name="case_type_routing_valid"
            ),
            models.CheckConstraint(
                condition=Q(deadline_rule__in=DeadlineRule.values),
                name="case_type_deadline_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Case(models.Model):
    """A customer request, claim or internal request (*dossier*, CASE-1…7)."""

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    account = models.ForeignKey(
        CustomerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("client"),
    )
    centre = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre")
    )
    case_type = models.ForeignKey(
        CaseType, on_delete=models.PROTECT, related_name="cases", verbose_name=_("type")
    )
    nature = models.CharField(_("nature"), max_length=8, choices=Nature.choices)
    status = models.CharField(
        _("état"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    channel = models.CharField(_("canal"), max_length=12, choices=Channel.choices)
    subject = models.CharField(_("objet"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opened_at = models.DateTimeField(_("ouvert le"))
    opened_by = author_field(_("ouvert par"))
    deadline_rule = models.CharField(
        _("délai de réponse"), max_length=16, choices=DeadlineRule.choices
    )
    response_due = models.DateTimeField(_("réponse due le"), null=True, blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("équipe"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("attribué à"),
    )
    previous_case = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("dossier précédent"),
    )
    contact_count = models.PositiveIntegerField(_("contacts entrants"), default=0)
    multi_contact = models.BooleanField(_("multi-contacts"), default=False)
    priority = models.BooleanField(_("prioritaire"), default=False)
    sensitive = models.BooleanField(_("courrier sensible"), default=False)
    sensitive_reasons = models.CharField(_("motifs de sensibilité"), max_length=255, blank=True)
    anomaly = models.CharField(_("anomalie"), max_length=255, blank=True)
    blocks_dunning = models.BooleanField(_("bloque les relances"), default=False)
    dunning_block = models.ForeignKey(
        "collections.CollectionBlock",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("blocage des relances"),
    )
    debit_action = models.CharField(
        _("effet sur les prélèvements"),
        max_length=20,
        choices=DebitAction.choices,
        default=DebitAction.NONE,
    )
    debit_action_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(_("réponse écrite le"), null=True, blank=True)
    holding_reply_at = models.DateTimeField(_("réponse d'attente le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clôturé le"), null=True, blank=True)
    closed_by = author_field(_("clôturé par"))
    resolution = models.TextField(_("traitement"), blank=True)

    class Meta:
        verbose_name = _("dossier")
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The overdue and due-soon lists: open cases by deadline, per team or not.
            models.Index(
                fields=["response_due"],
                name="case_open_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["team", "response_due"],
                name="case_open_team_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["account", "status"], name="case_account_status_idx"),
            models.Index(fields=["centre", "opened_at"], name="case_centre_opened_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nature__in=Nature.values), name="case_nature_valid"),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="case_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(debit_action__in=DebitAction.values), name="case_debit_action_valid"
            ),
            # Closed and cancelled cases, and only they, have a closing time.
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, closed_at__isnull=True)
                | Q(~Q(status__in=OPEN_STATUSES), closed_at__isnull=False),
                name="case_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="case_closed_after_opened",
            ),
            # CASE-1: several inbound contacts on one request make it multi-contact.
            models.CheckConstraint(
                condition=Q(multi_contact=False) | Q(contact_count__gte=2),
                name="case_multi_contact_counted",
            ),
            models.CheckConstraint(
                condition=~Q(previous_case=F("id")), name="case_previous_not_self"
            ),
            # An internal request is never a customer's (seed 003 §4.2) — and a claim is.
            models.CheckConstraint(
                condition=~Q(nature=Nature.CLAIM) | Q(account__isnull=False),
                name="case_claim_has_account",
            ),
            models.CheckConstraint(
                condition=~Q(deadline_rule__in=[DeadlineRule.THIRD_PARTY, DeadlineRule.NONE])
                | Q(response_due__isnull=True),
                name="case_no_deadline_rule_no_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Contact(models.Model):
    """One exchange with a customer, inbound or outbound (CASE-1)."""

    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("dossier"),
    )
    account = models.ForeignKey(
        CustomerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("client"),
    )
    centre = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(_("sens"), max_length=8, choices=Direction.choices)
    channel = models.CharField(_("canal"), max_length=12, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("date du contact"))
    recorded_at = models.DateTimeField(_("enregistré le"))
    recorded_by = author_field(_("enregistré par"))
    interlocutor = models.CharField(
        _("interlocuteur (si ce n'est pas le titulaire)"), max_length=120, blank=True
    )
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"), blank=True)
    sensitive = models.BooleanField(_("sensible"), default=False)
    sensitive_reasons = models.CharField(_("motifs de sensibilité"), max_length=255, blank=True)
    template_code = models.CharField(_("modèle de réponse"), max_length=40, blank=True)
    is_answer = models.BooleanField(_("réponse écrite"), default=False)
    is_holding_reply = models.BooleanField(_("réponse d'attente"), default=False)

    class Meta:
        verbose_name = _("contact")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["case", "occurred_at"], name="contact_case_idx"),
            models.Index(fields=["account", "occurred_at"], name="contact_account_idx"),
            models.Index(
                fields=["centre", "occurred_at"],
                name="contact_unattached_idx",
                condition=Q(case__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="contact_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="contact_channel_valid"
            ),
            # Answers and holding replies are ours, and always on a case.
            models.CheckConstraint(
                condition=Q(is_answer=False, is_holding_reply=False)
                | Q(direction=Direction.OUTBOUND, case__isnull=False),
                name="contact_answer_outbound_on_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_channel_display()} {self.occurred_at:%d/%m/%Y}"


class Task(models.Model):
    """Work a team must do on a deferred case (CASE-6)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tasks")
    action = models.CharField(_("action"), max_length=200)
    status = models.CharField(
        _("état"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_at = models.DateTimeField(_("à faire pour le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"))
    created_by = author_field(_("créée par"))
    done_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    done_by = author_field(_("terminée par"))
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        verbose_name = _("tâche")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["team", "due_at"],
                name="task_open_team_idx",
                condition=Q(status=TaskStatus.OPEN),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="task_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.OPEN, done_at__isnull=True)
                | Q(~Q(status=TaskStatus.OPEN), done_at__isnull=False),
                name="task_done_at_iff_finished",
            ),
        ]

    def __str__(self) -> str:
        return self.action


class ServiceOffer(models.Model):
    """A service offered after handling a request, and the customer's answer (CASE-9)."""

    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="service_offers"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="offers"
    )
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    outcome = models.CharField(_("réponse"), max_length=10, choices=OfferOutcome.choices)
    recorded_at = models.DateTimeField(_("proposé le"))
    recorded_by = author_field(_("proposé par"))

    class Meta:
        verbose_name = _("proposition de service")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__in=Service.values), name="offer_service_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=OfferOutcome.values), name="offer_outcome_valid"
            ),
            models.UniqueConstraint(fields=["case", "service"], name="offer_once_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} : {self.get_outcome_display()}"
