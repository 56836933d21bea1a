"""Chunked batch runs: registry, lifecycle services and executors.

ARCHITECTURE principle 4 and STYLE "Batch runs". How a run goes:

1. ``run_create(kind=..., run_date=..., parameters=...)`` — a draft row.
2. ``run_propose(run=...)`` — asks the kind's ``targets(run)`` for the target
   ids and freezes them into chunks of ``run.chunk_size`` (the plan reviewers
   approve is the plan that is executed).
3. ``run_approve(run=..., actor=...)``.
4. ``run_execute(run=...)`` — approved → running, then the executor calls
   :func:`execute_chunk` for every pending chunk and :func:`run_finish`.
5. After a crash or a failed chunk, ``run_resume(run=...)`` processes the
   chunks that are not done, and only those.
6. When every chunk is done, :func:`run_finish` (called by whichever process
   did the last chunk) moves the run to done and, in the same transaction,
   calls the kind's optional ``on_done(run)`` (e.g. build the one file of the
   run from what the chunks stored). If ``on_done`` raises, nothing of the
   transition is committed: the run stays running with every chunk done, the
   error is kept in ``last_error``, and ``run_resume`` finishes it (it has no
   chunk left to do, so it only calls :func:`run_finish` again).

Each chunk is one transaction: the kind's ``process_chunk(run, ids)`` writes
its documents, the item outcomes are inserted, the run counters are bumped
with ``F()``, and the chunk is marked done — all committed together or not at
all. A chunk that raises is rolled back whole and marked failed (in a second
transaction); its work is redone by ``run_resume``. That is why a resume
never duplicates work. Process functions should still rely on uniqueness
facts (invoice per contract and period) so that a replay is harmless anyway.

The unit of work is serialisable: :func:`execute_chunk` takes the run model
label, the run id and the chunk index, so a Celery task can call it as is.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.apps import apps
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
    models,
    transaction,
)
from django.db.models import F
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.bulk import collector_paused
from robinet.core.exceptions import ApplicationError, InvalidTransition
from robinet.core.models.runs import (
    BatchRun,
    ChunkState,
    ItemStatus,
    Run,
    RunState,
)

logger = logging.getLogger(__name__)

PLAN_BATCH_SIZE = 1000  # chunk rows inserted per bulk_create while planning


# --- results ---------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    target_id: int
    status: str
    error_code: str = ""
    message: str = ""


@dataclass
class ChunkResult:
    """What a chunk function reports: one outcome per target it handled.

    Targets of the chunk that are not mentioned count as succeeded (most chunk
    functions only report problems).
    """

    items: list[ItemResult] = field(default_factory=list)

    def ok(self, target_id: int, message: str = "") -> None:
        self.items.append(ItemResult(target_id, ItemStatus.OK, "", message))

    def fail(self, target_id: int, error_code: str, message: str = "") -> None:
        self.items.append(ItemResult(target_id, ItemStatus.FAILED, error_code, message))

    def skip(self, target_id: int, message: str = "", error_code: str = "") -> None:
        self.items.append(ItemResult(target_id, ItemStatus.SKIPPED, error_code, message))


class SkipItem(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a per-item function to mark the target skipped (nothing to do)."""

    def __init__(self, message: str = "", code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# Errors that mean the connection is unusable (or the transaction must be retried, as
# after a deadlock): the whole chunk fails and is resumed, never recorded item by item.
CHUNK_FATAL = (OperationalError, InterfaceError)


def process_each(
    ids: Iterable[int], handle: Callable[[int], Any], *, result: ChunkResult | None = None
) -> ChunkResult:
    """Call ``handle(target_id)`` for each id, each in its own savepoint.

    An exception rolls back that item only and is recorded as a failed item:
    ``ApplicationError`` with its code and message, anything else as
    ``unexpected_error`` (and logged with its traceback). ``SkipItem`` marks the
    item skipped. Connection-level database errors abort the chunk. For chunk
    functions that load in bulk and write per item; purely bulk chunk functions
    build their own :class:`ChunkResult`.
    """
    result = result if result is not None else ChunkResult()
    for target_id in ids:
        try:
            with transaction.atomic():
                handle(target_id)
        except SkipItem as exc:
            result.skip(target_id, exc.message, exc.code)
        except CHUNK_FATAL:
            raise
        except ApplicationError as exc:
            result.fail(target_id, exc.code, str(exc.message))
        except Exception as exc:
            logger.exception("run item %s failed", target_id)
            result.fail(target_id, "unexpected_error", f"{type(exc).__name__}: {exc}")
        else:
            result.ok(target_id)
    return result


# --- registry --------------------------------------------------------------


TargetsFunction = Callable[[Run], Iterable[int]]
ChunkFunction = Callable[[Run, list[int]], ChunkResult | None]
DoneFunction = Callable[[Run], None]


@dataclass(frozen=True)
class RunKind:
    name: str
    targets: TargetsFunction
    process_chunk: ChunkFunction
    label: str = ""
    record_succeeded_items: bool = False
    on_done: DoneFunction | None = None


_registry: dict[str, RunKind] = {}


def register_run_kind(
    name: str,
    *,
    targets: TargetsFunction,
    process_chunk: ChunkFunction,
    label: str = "",
    record_succeeded_items: bool = False,
    on_done: DoneFunction | None = None,
    replace: bool = False,
) -> RunKind:
    """Declare a kind of run (STYLE principle 6: explicit registries, no signals).

    ``targets(run)`` yields the target ids in strictly increasing order (e.g.
    ``qs.order_by("pk").values_list("pk", flat=True).iterator()``); it is
    called once, at proposal. ``process_chunk(run, ids)`` does the work for
    a list of ids inside the chunk's transaction and returns a
    :class:`ChunkResult` (or ``None``: all succeeded). Successful items get a
    ``RunItem`` row only with ``record_succeeded_items`` (failures and skips
    always do). ``on_done(run)``, if given, is called once, inside the
    transaction that moves the run to done (see :func:`run_finish`). Apps
    register their kinds from ``AppConfig.ready()``.
    """
    if name in _registry and not replace:
        raise ValueError(f"run kind {name!r} is already registered")
    kind = RunKind(name, targets, process_chunk, label or name, record_succeeded_items, on_done)
    _registry[name] = kind
    return kind


def unregister_run_kind(name: str) -> None:
    _registry.pop(name, None)


def get_run_kind(name: str) -> RunKind:
    try:
        return _registry[name]
    except KeyError:
        raise ApplicationError(
            _("Type de traitement inconnu : %(kind)s.") % {"kind": name}, code="unknown_run_kind"
        ) from None


def registered_run_kinds() -> dict[str, RunKind]:
    return dict(_registry)


# --- executors -------------------------------------------------------------


class Executor(Protocol):
    """Runs the pending chunks of a running run, then finishes it."""

    def submit(self, run: Run) -> None: ...


def local_worker_name() -> str:
    """How a chunk processed in this process is signed: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class InProcessExecutor:
    """Processes the chunks one after the other in the calling process.

    A failed chunk does not stop the others (they are independent, as they
    would be on Celery workers); the run ends ``failed`` and can be resumed.
    """

    def submit(self, run: Run) -> None:
        label = run._meta.label_lower
        worker = local_worker_name()
        for index in _pending_chunk_indexes(run):
            outcome = execute_chunk(label, run.pk, index, worker=worker)
            if outcome == CHUNK_STOPPED:
                break
        run_finish(run=run)


class BackgroundExecutor:
    """Processes the chunks in-process, in a daemon thread started once the caller's
    transaction has committed: a back-office page answers at once and follows the run's
    progress, instead of holding the request (and its web worker's timeout) for the whole
    run. Used by pages when no broker is configured (:func:`page_executor`). Should the web
    process stop, the run stalls and « Reprendre » processes only what is left."""

    def submit(self, run: Run) -> None:
        model, pk = type(run), run.pk
        name = f"run-{run._meta.label_lower}-{pk}"

        def work() -> None:
            close_old_connections()
            try:
                InProcessExecutor().submit(model.objects.get(pk=pk))
            except Exception:
                logger.exception("run %s: background execution failed", name)
            finally:
                connections.close_all()

        transaction.on_commit(lambda: threading.Thread(target=work, name=name, daemon=True).start())


_default_executor: Executor = InProcessExecutor()


def get_default_executor() -> Executor:
    return _default_executor


def page_executor() -> Executor:
    """The executor for a run started from a page: the default one (the Celery workers when
    a broker is configured), else a background thread of the web process unless
    ``ROBINET_RUNS_IN_BACKGROUND`` is off (then in the request, as a command does)."""
    from django.conf import settings

    executor = get_default_executor()
    if isinstance(executor, InProcessExecutor) and settings.ROBINET_RUNS_IN_BACKGROUND:
        return BackgroundExecutor()
    return executor


def set_default_executor(executor: Executor) -> Executor:
    """Install another executor (Celery) and return the previous one."""
    global _default_executor
    previous, _default_executor = _default_executor, executor
    return previous


# --- lifecycle services ----------------------------------------------------


def _transition(run: Run, to: str) -> None:
    if not run.can_transition(to):
        raise InvalidTransition(
            _("Le traitement %(run)s ne peut pas passer de « %(from)s » à « %(to)s ».")
            % {
                "run": run.pk,
                "from": RunState(run.state).label,
                "to": RunState(to).label,
            }
        )
    run.state = to


def _locked(run: Run) -> Run:
    """Reload ``run`` with a row lock (double clicks on "Execute" serialise here)."""
    return type(run).objects.select_for_update().get(pk=run.pk)


def _refresh(run: Run, fresh: Run) -> None:
    for f in run._meta.concrete_fields:
        setattr(run, f.attname, getattr(fresh, f.attname))


@transaction.atomic
def run_create(
    *,
    kind: str,
    run_date,
    parameters: dict[str, Any] | None = None,
    chunk_size: int | None = None,
    actor=None,
    model: type[Run] = BatchRun,
    **fields: Any,
) -> Run:
    """A draft run of a registered ``kind`` (``model``: the app's concrete run model)."""
    get_run_kind(kind)
    values: dict[str, Any] = {
        "kind": kind,
        "run_date": run_date,
        "parameters": parameters or {},
        "created_by": actor if getattr(actor, "pk", None) else None,
        **fields,
    }
    if chunk_size is not None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        values["chunk_size"] = chunk_size
    run = model.objects.create(**values)
    audit.record(actor=actor, verb="run.created", target=run, data={"kind": kind})
    return run


def _plan(run: Run, ids: Iterable[int]) -> int:
    chunk_model = run.chunks.model
    size = run.chunk_size
    total, index, previous = 0, 0, None
    batch: list[models.Model] = []
    current: list[int] = []

    def close_chunk() -> None:
        nonlocal index
        batch.append(
            chunk_model(
                run=run,
                index=index,
                first_target_id=current[0],
                last_target_id=current[-1],
                target_ids=list(current),
                size=len(current),
            )
        )
        index += 1
        current.clear()
        if len(batch) >= PLAN_BATCH_SIZE:
            chunk_model.objects.bulk_create(batch)
            batch.clear()

    for raw in ids:
        target_id = int(raw)
        if previous is not None and target_id <= previous:
            raise ValueError(
                f"run kind {run.kind!r}: targets must be strictly increasing "
                f"({target_id} after {previous})"
            )
        previous = target_id
        current.append(target_id)
        total += 1
        if len(current) >= size:
            close_chunk()
    if current:
        close_chunk()
    if batch:
        chunk_model.objects.bulk_create(batch)
    return total


@collector_paused()
@transaction.atomic
def run_propose(*, run: Run, actor=None) -> Run:
    """draft → proposed: freeze the kind's targets into chunks (all or nothing)."""
    locked = _locked(run)
    _transition(locked, RunState.PROPOSED)
    kind = get_run_kind(locked.kind)
    _without_parallel_plans()  # the targets may take long too (a billing run's estimates)
    locked.total = _plan(locked, kind.targets(locked))
    locked.save(update_fields=["state", "total"])
    audit.record(actor=actor, verb="run.proposed", target=locked, data={"total": locked.total})
    _refresh(run, locked)
    return run


@transaction.atomic
def run_unpropose(*, run: Run, actor=None) -> Run:
    """proposed → draft: drop the plan (e.g. to re-propose after fixing data)."""
    locked = _locked(run)
    _transition(locked, RunState.DRAFT)
    locked.chunks.all().delete()
    locked.total = 0
    locked.save(update_fields=["state", "total"])
    audit.record(actor=actor, verb="run.unproposed", target=locked)
    _refresh(run, locked)
    return run


@transaction.atomic
def run_approve(*, run: Run, actor=None) -> Run:
    """proposed → approved, recording who approved the plan and when."""
    locked = _locked(run)
    _transition(locked, RunState.APPROVED)
    locked.approved_by = actor if getattr(actor, "pk", None) else None
    locked.approved_at = clock.now()
    locked.save(update_fields=["state", "approved_by", "approved_at"])
    audit.record(actor=actor, verb="run.approved", target=locked)
    _refresh(run, locked)
    return run


@transaction.atomic
def run_cancel(*, run: Run, actor=None, reason: str = "") -> Run:
    """Cancel a run that is not finished. A running run stops after its current chunk."""
    locked = _locked(run)
    _transition(locked, RunState.CANCELLED)
    locked.finished_at = clock.now()
    locked.save(update_fields=["state", "finished_at"])
    audit.record(actor=actor, verb="run.cancelled", target=locked, data={"reason": reason})
    _refresh(run, locked)
    return run


@transaction.atomic(durable=True)
def _start(run: Run, actor, *, resume: bool) -> None:
    locked = _locked(run)
    if resume and locked.state == RunState.RUNNING:
        pass  # the process died mid-run: take over where the chunks say
    elif resume and locked.state != RunState.FAILED:
        raise InvalidTransition(
            _("Seul un traitement en cours ou en échec peut être repris (état : %(state)s).")
            % {"state": RunState(locked.state).label}
        )
    else:
        _transition(locked, RunState.RUNNING)
    locked.state = RunState.RUNNING
    locked.started_at = locked.started_at or clock.now()
    locked.finished_at = None
    locked.save(update_fields=["state", "started_at", "finished_at"])
    audit.record(actor=actor, verb="run.resumed" if resume else "run.started", target=locked)
    _refresh(run, locked)


def run_execute(
    *, run: Run, actor=None, executor: Executor | None = None, wait: bool = False
) -> Run:
    """approved → running, then hand the chunks to the executor (in-process by default).

    Must not be called inside a transaction: every chunk commits on its own.
    An asynchronous executor (Celery) returns while the run is still running;
    with ``wait`` the call returns once the workers have finished it.
    """
    _start(run, actor, resume=False)
    return _submit(run, executor, wait)


def run_resume(
    *, run: Run, actor=None, executor: Executor | None = None, wait: bool = False
) -> Run:
    """Process the chunks not yet done of a failed (or crashed, still running) run.

    Chunks committed as done are skipped, so no work is done twice.
    """
    _start(run, actor, resume=True)
    return _submit(run, executor, wait)


def _submit(run: Run, executor: Executor | None, wait: bool) -> Run:
    (executor or get_default_executor()).submit(run)
    if wait:
        return wait_for_run(run)
    run.refresh_from_db()
    return run


def run_finish(*, run: Run) -> Run:
    """running → done when every chunk is done, → failed when one failed.

    Leaves the run running if chunks are still pending (another worker's).
    On the way to done, the kind's ``on_done(run)`` is called inside the same
    transaction: the run is done exactly when its finishing work is committed.
    If ``on_done`` raises, the run stays running (every chunk done), the error
    is recorded in ``last_error`` and raised again; ``run_resume`` finishes it.
    """
    try:
        return _finish(run)
    except Exception as exc:
        logger.exception("run %s %s: finishing failed", run._meta.label_lower, run.pk)
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            with transaction.atomic(durable=True):
                type(run).objects.filter(pk=run.pk, state=RunState.RUNNING).update(
                    last_error=_("Fin du traitement : %(error)s") % {"error": message}
                )
        except DatabaseError:
            logger.exception("could not record the finishing failure of run %s", run.pk)
        raise


@transaction.atomic(durable=True)
def _finish(run: Run) -> Run:
    locked = _locked(run)
    if locked.state != RunState.RUNNING:
        _refresh(run, locked)
        return run
    states = set(locked.chunks.values_list("state", flat=True).distinct())
    if ChunkState.PENDING in states:
        _refresh(run, locked)
        return run
    if ChunkState.FAILED in states:
        _transition(locked, RunState.FAILED)
    else:
        _transition(locked, RunState.DONE)
        locked.last_error = ""
        on_done = get_run_kind(locked.kind).on_done
        if on_done is not None:
            on_done(locked)
    locked.finished_at = clock.now()
    locked.save(update_fields=["state", "finished_at", "last_error"])
    audit.record(
        actor=None,
        verb="run.finished",
        target=locked,
        data={
            "state": locked.state,
            "succeeded": locked.succeeded,
            "failed": locked.failed,
            "skipped": locked.skipped,
        },
    )
    _refresh(run, locked)
    return run


# --- the unit of work ------------------------------------------------------

CHUNK_DONE = "done"
CHUNK_ALREADY_DONE = "already_done"
CHUNK_FAILED = "failed"
CHUNK_STOPPED = "stopped"  # the run is no longer running (cancelled)


def _pending_chunk_indexes(run: Run) -> Iterator[int]:
    return iter(
        list(
            run.chunks.exclude(state=ChunkState.DONE)
            .order_by("index")
            .values_list("index", flat=True)
        )
    )


def _run_model(label: str) -> type[Run]:
    model = apps.get_model(label)
    if not issubclass(model, Run):
        raise TypeError(f"{label} is not a run model")
    return model


@collector_paused()
def execute_chunk(
    run_model: str, run_id: int, index: int, *, worker: str = "", will_retry: bool = False
) -> str:
    """Process chunk ``index`` of a run in one transaction; serialisable arguments.

    Returns ``"done"``, ``"already_done"`` (nothing to do: a replay),
    ``"failed"`` (rolled back, recorded) or ``"stopped"`` (run not running).
    ``worker`` signs the chunk (per-worker progress). With ``will_retry`` a
    failure is recorded but the chunk stays pending, so that the run waits for
    the retry instead of ending failed in between.
    """
    model = _run_model(run_model)
    try:
        return _execute_chunk(model, run_id, index, worker or local_worker_name())
    except Exception as exc:
        logger.exception("run %s %s chunk %s failed", run_model, run_id, index)
        _record_chunk_failure(model, run_id, index, exc, keep_pending=will_retry)
        return CHUNK_FAILED


def _without_parallel_plans() -> None:
    """A run is already spread over its chunks and workers: a parallel plan in one chunk
    (PostgreSQL's extra processes) would take the cores the officers' pages need while a
    run works. For the current transaction only (a chunk's, the planning's)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")


@transaction.atomic(durable=True)
def _execute_chunk(model: type[Run], run_id: int, index: int, worker: str) -> str:
    run = model.objects.get(pk=run_id)
    if run.state != RunState.RUNNING:
        return CHUNK_STOPPED
    # The chunk lock makes two workers on the same chunk take turns; the
    # second one then sees it done.
    chunk = run.chunks.select_for_update().get(index=index)
    if chunk.state == ChunkState.DONE:
        return CHUNK_ALREADY_DONE
    _without_parallel_plans()
    kind = get_run_kind(run.kind)
    ids = [int(i) for i in chunk.target_ids]
    result = kind.process_chunk(run, ids) or ChunkResult()

    known = set(ids)
    outcome: dict[int, ItemResult] = {}
    for item in result.items:
        if item.target_id not in known:
            raise ValueError(f"chunk {index} reported target {item.target_id} not in the chunk")
        outcome[item.target_id] = item  # the last word about a target wins
    counts = {ItemStatus.OK: 0, ItemStatus.FAILED: 0, ItemStatus.SKIPPED: 0}
    rows = []
    item_model = run.items.model
    now = clock.now()
    for target_id in ids:
        item = outcome.get(target_id) or ItemResult(target_id, ItemStatus.OK)
        counts[ItemStatus(item.status)] += 1
        if item.status != ItemStatus.OK or kind.record_succeeded_items:
            rows.append(
                item_model(
                    run=run,
                    target_id=target_id,
                    chunk_index=index,
                    status=item.status,
                    error_code=item.error_code[:64],
                    message=item.message,
                    created_at=now,
                )
            )
    item_model.objects.bulk_create(rows)

    chunk.state = ChunkState.DONE
    chunk.attempts += 1
    chunk.succeeded = counts[ItemStatus.OK]
    chunk.failed = counts[ItemStatus.FAILED]
    chunk.skipped = counts[ItemStatus.SKIPPED]
    chunk.finished_at = now
    chunk.last_error = ""
    chunk.worker = worker[:200]
    chunk.save(
        update_fields=[
            "state",
            "attempts",
            "succeeded",
            "failed",
            "skipped",
            "finished_at",
            "last_error",
            "worker",
        ]
    )
    # Last statement of the transaction: the run row lock is held only until commit.
    model.objects.filter(pk=run_id).update(
        succeeded=F("succeeded") + counts[ItemStatus.OK],
        failed=F("failed") + counts[ItemStatus.FAILED],
        skipped=F("skipped") + counts[ItemStatus.SKIPPED],
    )
    return CHUNK_DONE


def _record_chunk_failure(
    model: type[Run], run_id: int, index: int, exc: Exception, *, keep_pending: bool = False
) -> None:
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    state = ChunkState.PENDING if keep_pending else ChunkState.FAILED
    try:
        with transaction.atomic(durable=True):
            run = model.objects.get(pk=run_id)
            run.chunks.filter(index=index).exclude(state=ChunkState.DONE).update(
                state=state, attempts=F("attempts") + 1, last_error=message
            )
            model.objects.filter(pk=run_id).update(
                last_error=_("Lot %(index)s : %(error)s") % {"index": index, "error": message}
            )
    except DatabaseError:  # the database itself is gone: the chunk stays pending
        logger.exception("could not record the failure of chunk %s of run %s", index, run_id)


# --- reading progress ------------------------------------------------------


@dataclass(frozen=True)
class WorkerProgress:
    worker: str
    chunks: int
    items: int
    failed: int
    last_finished_at: Any


def run_worker_progress(run: Run) -> list[WorkerProgress]:
    """Chunks and items done per worker (the run's page shows who did what)."""
    rows = (
        run.chunks.filter(state=ChunkState.DONE)
        .values("worker")
        .annotate(
            chunks=models.Count("id"),
            items=models.Sum(F("succeeded") + F("failed") + F("skipped")),
            failed_items=models.Sum("failed"),
            last=models.Max("finished_at"),
        )
        .order_by("worker")
    )
    return [
        WorkerProgress(
            r["worker"] or "?", r["chunks"], r["items"] or 0, r["failed_items"] or 0, r["last"]
        )
        for r in rows
    ]


#: a running run with no chunk finished for this long is taken for dead (its process crashed)
STALLED_AFTER = dt.timedelta(minutes=10)


def run_is_stalled(run: Run, *, now=None) -> bool:
    """Running, but nothing committed for :data:`STALLED_AFTER`: the process died."""
    if run.state != RunState.RUNNING:
        return False
    last = run.chunks.aggregate(last=models.Max("finished_at"))["last"] or run.started_at
    return last is None or last < (now or clock.now()) - STALLED_AFTER


def run_is_unfinished(run: Run) -> bool:
    """Running with every chunk done: its finishing (``on_done``) failed or has not run yet."""
    return (
        run.state == RunState.RUNNING
        and bool(run.last_error)
        and not run.chunks.exclude(state=ChunkState.DONE).exists()
    )


def run_can_be_resumed(run: Run, *, now=None) -> bool:
    """What the run page offers « Reprendre » for: a failed run, a stalled one, or one
    whose finishing failed (every chunk done, the error in ``last_error``)."""
    return run.state == RunState.FAILED or run_is_stalled(run, now=now) or run_is_unfinished(run)


def wait_for_run(
    run: Run,
    *,
    on_progress: Callable[[Run], None] | None = None,
    poll_seconds: float = 0.5,
    timeout: float | None = None,
) -> Run:
    """Poll a run handed to remote workers until it is no longer running.

    Also returns a run left running whose finishing failed (every chunk done,
    ``on_done`` raised: :func:`run_is_unfinished`) once seen so on two polls in
    a row — no worker will finish it, ``run_resume`` must. Raises
    ``TimeoutError`` after ``timeout`` seconds (the run goes on).
    """
    started = time.monotonic()
    unfinished_error = None
    while True:
        run.refresh_from_db()
        if on_progress:
            on_progress(run)
        if run.state not in (RunState.RUNNING, RunState.APPROVED):
            return run
        if run_is_unfinished(run):
            # Seen twice: not the instant between a retried chunk's commit and its run_finish.
            if unfinished_error == run.last_error:
                return run
            unfinished_error = run.last_error
        else:
            unfinished_error = None
        if timeout is not None and time.monotonic() - started > timeout:
            raise TimeoutError(f"run {run.pk} still {run.state} after {timeout:.0f} s")
        time.sleep(poll_seconds)
