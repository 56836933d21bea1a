"""Rendering a billing run's documents as PDF files, spread over the run workers (BILL-8, BILL-12).

A bill renders in 15 to 25 ms of CPU: a run of 800,000 bills is hours on one
core. The rendering run is a chunked run of its own (``billing.render``) over
the billing run's documents, so that ``robinet worker`` processes on any
number of machines share it, and a crashed run resumes where it stopped. Each
document is written under the digest of what it says
(:func:`robinet.billing.selectors.invoice_pdf_file`) into the billing run's
folder, which must be shared by the workers and the web servers; the print
export (:mod:`robinet.billing.printing`) then merges the files instead of
rendering them again, and renders any document that changed since.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from robinet.billing.models import Invoice
from robinet.billing.runs import KIND as BILLING_KIND
from robinet.core.exceptions import InvalidTransition
from robinet.core.models import BatchRun
from robinet.core.models.runs import RunState
from robinet.core.runs import (
    ChunkResult,
    process_each,
    register_run_kind,
    run_approve,
    run_create,
    run_propose,
)

KIND = "billing.render"
CHUNK_SIZE = 200


def folder(billing_run: BatchRun | int) -> Path:
    """Where the documents of ``billing_run`` are rendered."""
    pk = billing_run if isinstance(billing_run, int) else billing_run.pk
    return Path(settings.ROBINET_PRIVATE_FILES) / "rendered" / f"run-{pk}"


def _targets(run: BatchRun):
    return (
        Invoice.objects.filter(run_id=run.parameters["billing_run"])
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator()
    )


def _process_chunk(run: BatchRun, ids: list[int]) -> ChunkResult:
    from robinet.billing.selectors import invoice_pdf_file

    target = folder(run.parameters["billing_run"])
    target.mkdir(parents=True, exist_ok=True)
    invoices = {i.pk: i for i in Invoice.objects.filter(pk__in=ids)}

    # A document already there (a resumed run) is not rendered again.
    return process_each(ids, lambda pk: invoice_pdf_file(invoices[pk], target))


def register() -> None:
    register_run_kind(
        KIND, targets=_targets, process_chunk=_process_chunk, label="Édition PDF", replace=True
    )


def render_runs(billing_run: BatchRun):
    return BatchRun.objects.filter(kind=KIND, parameters__billing_run=billing_run.pk).order_by(
        "-created_at", "-pk"
    )


def render_create(*, billing_run: BatchRun, actor=None, chunk_size: int | None = None) -> BatchRun:
    """Plan and approve the rendering of ``billing_run``'s documents (execute it next).

    Refused while the billing run is not done or another rendering of it is under way.
    """
    if billing_run.kind != BILLING_KIND or billing_run.state != RunState.DONE:
        raise InvalidTransition(_("Seule une facturation terminée peut être éditée en PDF."))
    with transaction.atomic():
        # One at a time per billing run: the check holds under the billing run's row lock.
        BatchRun.objects.select_for_update().filter(pk=billing_run.pk).first()
        if render_runs(billing_run).filter(state__in=ACTIVE).exists():
            raise InvalidTransition(_("Une édition PDF de cette facturation est déjà en cours."))
        run = run_create(
            kind=KIND,
            run_date=billing_run.run_date,
            parameters={"billing_run": billing_run.pk},
            chunk_size=chunk_size or CHUNK_SIZE,
            actor=actor,
        )
        run_propose(run=run, actor=actor)
        run_approve(run=run, actor=actor)
    return run


ACTIVE = (RunState.DRAFT, RunState.PROPOSED, RunState.APPROVED, RunState.RUNNING)
