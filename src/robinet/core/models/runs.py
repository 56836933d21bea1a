"""Batch runs as database rows (ARCHITECTURE principle 4, STYLE "Batch runs").

A run is planned into chunks of target ids when it is *proposed*; executing it
processes each chunk in its own transaction and marks the chunk done in that
same transaction, so a resume after a crash skips exactly the work that was
committed. Per-item failures are ``RunItem`` rows, not aborts.

Three abstract models (``Run``, ``RunChunk``, ``RunItem``) for apps that want
their own tables (``BillingRun``…), and one concrete generic trio
(``BatchRun``, ``BatchRunChunk``, ``BatchRunItem``) that any app can use with
its own ``kind``. A concrete chunk model must declare
``run = ForeignKey(<RunModel>, related_name="chunks")`` and a concrete item
model ``run = ForeignKey(<RunModel>, related_name="items")``; the executor in
:mod:`robinet.core.runs` only relies on those names. A subclass that declares
its own ``Meta`` inherits from the parent's (``class Meta(Run.Meta):``) to keep
the check and unique constraints.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from robinet.core import clock


class RunState(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    PROPOSED = "proposed", _("proposé")
    APPROVED = "approved", _("approuvé")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("en échec")
    CANCELLED = "cancelled", _("annulé")


# Allowed (from, to) pairs; the services in core.runs refuse anything else.
RUN_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (RunState.DRAFT, RunState.PROPOSED),  # targets planned into chunks
        (RunState.DRAFT, RunState.CANCELLED),
        (RunState.PROPOSED, RunState.DRAFT),  # back to draft: plan dropped
        (RunState.PROPOSED, RunState.APPROVED),
        (RunState.PROPOSED, RunState.CANCELLED),
        (RunState.APPROVED, RunState.RUNNING),
        (RunState.APPROVED, RunState.CANCELLED),
        (RunState.RUNNING, RunState.DONE),
        (RunState.RUNNING, RunState.FAILED),
        (RunState.RUNNING, RunState.CANCELLED),  # stop: chunks already done stay done
        (RunState.FAILED, RunState.RUNNING),  # resume
        (RunState.FAILED, RunState.CANCELLED),
    }
)
FINAL_RUN_STATES = frozenset({RunState.DONE, RunState.CANCELLED})


class ChunkState(models.TextChoices):
    PENDING = "pending", _("à traiter")
    DONE = "done", _("traité")
    FAILED = "failed", _("en échec")


class ItemStatus(models.TextChoices):
    OK = "ok", _("traité")
    FAILED = "failed", _("en échec")
    SKIPPED = "skipped", _("ignoré")


def default_chunk_size() -> int:
    return settings.ROBINET_RUN_CHUNK_SIZE


class Run(models.Model):
    """Abstract batch run: parameters, state, progress counters, who and when."""

    TRANSITIONS = RUN_TRANSITIONS

    kind = models.CharField(_("type"), max_length=64, db_index=True)
    state = models.CharField(
        _("état"), max_length=16, choices=RunState.choices, default=RunState.DRAFT
    )
    parameters = models.JSONField(
        _("paramètres"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    run_date = models.DateField(_("date de traitement"))
    chunk_size = models.PositiveIntegerField(_("taille des lots"), default=default_chunk_size)
    total = models.PositiveIntegerField(_("éléments"), default=0)
    succeeded = models.PositiveIntegerField(_("réussis"), default=0)
    failed = models.PositiveIntegerField(_("en échec"), default=0)
    skipped = models.PositiveIntegerField(_("ignorés"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("créé par"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approuvé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    approved_at = models.DateTimeField(_("approuvé le"), null=True, blank=True)
    started_at = models.DateTimeField(_("démarré le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=RunState.values),
                name="%(app_label)s_%(class)s_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(chunk_size__gte=1),
                name="%(app_label)s_%(class)s_chunk_size_gte_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    def can_transition(self, to: str) -> bool:
        return (self.state, to) in self.TRANSITIONS

    def can_propose(self) -> bool:
        return self.can_transition(RunState.PROPOSED)

    def can_approve(self) -> bool:
        return self.can_transition(RunState.APPROVED)

    def can_execute(self) -> bool:
        return self.state == RunState.APPROVED

    def can_resume(self) -> bool:
        return self.state in {RunState.RUNNING, RunState.FAILED}

    def can_cancel(self) -> bool:
        return self.can_transition(RunState.CANCELLED)

    @property
    def processed(self) -> int:
        return self.succeeded + self.failed + self.skipped

    @property
    def progress_percent(self) -> int:
        """Whole percent of targets processed (integer arithmetic, for progress bars)."""
        return 100 if not self.total else self.processed * 100 // self.total


class RunChunk(models.Model):
    """Abstract chunk: the frozen target ids of one unit of work and its outcome."""

    index = models.PositiveIntegerField(_("numéro de lot"))
    first_target_id = models.BigIntegerField(_("premier identifiant"))
    last_target_id = models.BigIntegerField(_("dernier identifiant"))
    target_ids = models.JSONField(_("identifiants"), default=list)
    size = models.PositiveIntegerField(_("éléments"))
    state = models.CharField(
        _("état"), max_length=16, choices=ChunkState.choices, default=ChunkState.PENDING
    )
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    succeeded = models.PositiveIntegerField(_("réussis"), default=0)
    failed = models.PositiveIntegerField(_("en échec"), default=0)
    skipped = models.PositiveIntegerField(_("ignorés"), default=0)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    # Who processed it: the Celery worker's name, or the host and process in-process.
    worker = models.CharField(_("processus"), max_length=200, blank=True)

    class Meta:
        abstract = True
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "index"], name="%(app_label)s_%(class)s_run_index"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ChunkState.values),
                name="%(app_label)s_%(class)s_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.index} ({self.state})"


class RunItem(models.Model):
    """Abstract per-target outcome: always for failures and skips, for successes if asked."""

    target_id = models.BigIntegerField(_("identifiant"))
    chunk_index = models.PositiveIntegerField(_("numéro de lot"))
    status = models.CharField(_("statut"), max_length=16, choices=ItemStatus.choices)
    error_code = models.CharField(_("code d'erreur"), max_length=64, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("date"), default=clock.now)

    class Meta:
        abstract = True
        constraints = [
            # One outcome per target and run: a replayed chunk cannot record twice.
            models.UniqueConstraint(
                fields=["run", "target_id"], name="%(app_label)s_%(class)s_run_target"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ItemStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.status}"


class BatchRun(Run):
    """Generic concrete run, for any app whose run needs no columns of its own."""

    class Meta(Run.Meta):
        verbose_name = _("traitement de masse")
        verbose_name_plural = _("traitements de masse")
        indexes = [models.Index(fields=["kind", "-created_at"], name="core_batchrun_kind_created")]


class BatchRunChunk(RunChunk):
    run = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="chunks")

    class Meta(RunChunk.Meta):
        verbose_name = _("lot de traitement")
        verbose_name_plural = _("lots de traitement")


class BatchRunItem(RunItem):
    run = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="items")

    class Meta(RunItem.Meta):
        verbose_name = _("élément de traitement")
        verbose_name_plural = _("éléments de traitement")
