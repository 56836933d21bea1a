"""Chunked batch runs (ARCHITECTURE principle 4; STYLE "Batch runs").

Chunks commit independently, per-item failures are recorded instead of
aborting, and a resume after a crash never processes an item twice.
"""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from robinet.core.exceptions import ApplicationError, InvalidTransition
from robinet.core.models import (
    AuditEvent,
    BatchRun,
    BatchRunChunk,
    BatchRunItem,
    ChunkState,
    ItemStatus,
    RunState,
)
from robinet.core.runs import (
    CHUNK_ALREADY_DONE,
    CHUNK_DONE,
    BackgroundExecutor,
    ChunkResult,
    InProcessExecutor,
    SkipItem,
    execute_chunk,
    get_run_kind,
    page_executor,
    process_each,
    register_run_kind,
    registered_run_kinds,
    run_approve,
    run_cancel,
    run_create,
    run_execute,
    run_propose,
    run_resume,
    run_unpropose,
    set_default_executor,
    unregister_run_kind,
)

RUN_DATE = dt.date(2026, 3, 31)
KIND = "test.touch"
PROCESSED = "test.processed"  # audit verb written once per successfully processed target


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


class Behaviour:
    """What the test kind does; tests change it between executions."""

    def __init__(self) -> None:
        self.crash_on: int | None = None  # target id whose chunk raises an Exception
        self.kill_on: int | None = None  # target id whose chunk "kills the process"
        self.calls: list[list[int]] = []


@pytest.fixture
def behaviour():
    """Registers the ``test.touch`` kind: targets 1..n; every 7th fails, every 11th is skipped."""
    state = Behaviour()

    def targets(run):
        return range(1, run.parameters["n"] + 1)

    def handle(target_id: int) -> None:
        if target_id % 11 == 0:
            raise SkipItem("rien à faire", code="nothing_to_do")
        # Written before the failure check: the savepoint must roll it back.
        AuditEvent.objects.create(
            occurred_at=dt.datetime(2026, 3, 31, tzinfo=dt.UTC),
            verb=PROCESSED,
            target_type="test",
            target_id=str(target_id),
        )
        if target_id % 7 == 0:
            raise ApplicationError("Compteur introuvable", code="meter_missing")

    def process_chunk(run, ids):
        state.calls.append(list(ids))
        result = process_each(ids, handle)
        if state.kill_on in ids:
            raise SimulatedCrash
        if state.crash_on in ids:
            raise RuntimeError("disk full")
        return result

    register_run_kind(KIND, targets=targets, process_chunk=process_chunk, label="Test")
    yield state
    unregister_run_kind(KIND)


def make_run(n: int = 50, chunk_size: int = 10, **kwargs) -> BatchRun:
    run = run_create(
        kind=KIND, run_date=RUN_DATE, parameters={"n": n}, chunk_size=chunk_size, **kwargs
    )
    run_propose(run=run)
    run_approve(run=run)
    return run


def processed_counts() -> Counter:
    return Counter(
        int(t)
        for t in AuditEvent.objects.filter(verb=PROCESSED).values_list("target_id", flat=True)
    )


def expected_statuses(n: int) -> dict[str, set[int]]:
    ids = range(1, n + 1)
    skipped = {i for i in ids if i % 11 == 0}
    failed = {i for i in ids if i % 7 == 0} - skipped
    return {"skipped": skipped, "failed": failed, "ok": set(ids) - skipped - failed}


def assert_complete(run: BatchRun, n: int) -> None:
    """Every target processed exactly once, counters and items consistent."""
    expected = expected_statuses(n)
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert run.total == n
    assert run.succeeded == len(expected["ok"])
    assert run.failed == len(expected["failed"])
    assert run.skipped == len(expected["skipped"])
    assert run.processed == n
    assert run.progress_percent == 100
    assert processed_counts() == Counter(expected["ok"])  # once each, failures rolled back
    items = dict(BatchRunItem.objects.filter(run=run).values_list("target_id", "status"))
    assert {t for t, s in items.items() if s == ItemStatus.FAILED} == expected["failed"]
    assert {t for t, s in items.items() if s == ItemStatus.SKIPPED} == expected["skipped"]
    assert not any(s == ItemStatus.OK for s in items.values())
    assert set(run.chunks.values_list("state", flat=True)) == {ChunkState.DONE}


# --- planning and the lifecycle ----------------------------------------------------


@pytest.mark.django_db
def test_propose_freezes_targets_into_chunks(behaviour):
    run = run_create(kind=KIND, run_date=RUN_DATE, parameters={"n": 25}, chunk_size=10)
    assert run.state == RunState.DRAFT
    run_propose(run=run)
    assert run.state == RunState.PROPOSED
    assert run.total == 25
    chunks = list(run.chunks.order_by("index"))
    assert [(c.index, c.first_target_id, c.last_target_id, c.size) for c in chunks] == [
        (0, 1, 10, 10),
        (1, 11, 20, 10),
        (2, 21, 25, 5),
    ]
    assert chunks[2].target_ids == [21, 22, 23, 24, 25]
    assert all(c.state == ChunkState.PENDING for c in chunks)
    assert list(
        AuditEvent.objects.filter(target_type="core.batchrun").values_list("verb", flat=True)
    ) == ["run.created", "run.proposed"]


@pytest.mark.django_db
def test_run_over_n_items_with_failures(behaviour, make_user):
    clerk = make_user("clerk")
    run = run_create(kind=KIND, run_date=RUN_DATE, parameters={"n": 50}, chunk_size=10, actor=clerk)
    run_propose(run=run, actor=clerk)
    run_approve(run=run, actor=clerk)
    assert run.approved_by == clerk
    assert run.approved_at is not None
    run_execute(run=run, actor=clerk)
    assert_complete(run, 50)
    assert run.created_by == clerk
    assert run.started_at <= run.finished_at
    assert len(behaviour.calls) == 5
    failed = BatchRunItem.objects.get(run=run, target_id=7)
    assert (failed.error_code, failed.message, failed.chunk_index) == (
        "meter_missing",
        "Compteur introuvable",
        0,
    )
    skipped = BatchRunItem.objects.get(run=run, target_id=11)
    assert (skipped.status, skipped.error_code, skipped.message) == (
        ItemStatus.SKIPPED,
        "nothing_to_do",
        "rien à faire",
    )
    chunk = run.chunks.get(index=0)
    assert (chunk.succeeded, chunk.failed, chunk.skipped, chunk.attempts) == (9, 1, 0, 1)


@pytest.mark.django_db
def test_empty_run_is_done_at_once(behaviour):
    run = make_run(n=0)
    assert run.total == 0
    run_execute(run=run)
    assert run.state == RunState.DONE
    assert run.progress_percent == 100


@pytest.mark.django_db
def test_successes_are_recorded_when_the_kind_asks(behaviour):
    kind = get_run_kind(KIND)
    register_run_kind(
        KIND,
        targets=kind.targets,
        process_chunk=kind.process_chunk,
        record_succeeded_items=True,
        replace=True,
    )
    run = make_run(n=12)
    run_execute(run=run)
    statuses = Counter(BatchRunItem.objects.filter(run=run).values_list("status", flat=True))
    assert statuses == {ItemStatus.OK: 10, ItemStatus.FAILED: 1, ItemStatus.SKIPPED: 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("steps", "action"),
    [
        ([], "approve"),  # a draft cannot be approved: propose first
        ([], "execute"),
        (["propose"], "execute"),  # a proposal must be approved before it runs
        (["propose", "approve"], "propose"),
        (["propose", "approve", "execute"], "execute"),  # double submit
        (["propose", "approve", "execute"], "cancel"),  # done is final
        (["propose", "approve", "execute"], "resume"),
        (["cancel"], "propose"),
        (["propose"], "resume"),
    ],
)
def test_invalid_transitions_are_refused_case(behaviour, steps, action):
    run = run_create(kind=KIND, run_date=RUN_DATE, parameters={"n": 3})
    services = {
        "propose": run_propose,
        "approve": run_approve,
        "execute": run_execute,
        "cancel": run_cancel,
        "resume": run_resume,
    }
    for step in steps:
        services[step](run=run)
    state_before = run.state
    with pytest.raises(InvalidTransition) as refused:
        services[action](run=run)
    assert refused.value.code == "invalid_transition"
    assert refused.value.http_status == 409
    run.refresh_from_db()
    assert run.state == state_before


@pytest.mark.django_db
def test_can_predicates_follow_the_transitions(behaviour):
    run = run_create(kind=KIND, run_date=RUN_DATE, parameters={"n": 3})
    assert (run.can_propose(), run.can_approve(), run.can_execute(), run.can_cancel()) == (
        True,
        False,
        False,
        True,
    )
    run_propose(run=run)
    assert (run.can_propose(), run.can_approve(), run.can_execute()) == (False, True, False)
    run_approve(run=run)
    assert run.can_execute()
    assert not run.can_resume()


@pytest.mark.django_db
def test_back_to_draft_drops_the_plan(behaviour):
    run = run_create(kind=KIND, run_date=RUN_DATE, parameters={"n": 30}, chunk_size=10)
    run_propose(run=run)
    run.parameters = {"n": 5}
    run.save(update_fields=["parameters"])
    run_unpropose(run=run)
    assert run.state == RunState.DRAFT
    assert (run.total, run.chunks.count()) == (0, 0)
    run_propose(run=run)
    assert (run.total, run.chunks.count()) == (5, 1)


@pytest.mark.django_db
def test_targets_must_be_strictly_increasing_and_planning_is_atomic(behaviour):
    register_run_kind(
        "test.unsorted", targets=lambda run: [1, 3, 2], process_chunk=lambda run, ids: None
    )
    try:
        run = run_create(kind="test.unsorted", run_date=RUN_DATE, chunk_size=1)
        with pytest.raises(ValueError, match="strictly increasing"):
            run_propose(run=run)
        run.refresh_from_db()
        assert run.state == RunState.DRAFT
        assert not BatchRunChunk.objects.filter(run=run).exists()
    finally:
        unregister_run_kind("test.unsorted")


@pytest.mark.django_db
def test_unknown_kind_and_duplicate_registration(behaviour):
    with pytest.raises(ApplicationError) as unknown:
        run_create(kind="nope", run_date=RUN_DATE)
    assert unknown.value.code == "unknown_run_kind"
    with pytest.raises(ValueError):
        register_run_kind(KIND, targets=list, process_chunk=lambda run, ids: None)
    assert KIND in registered_run_kinds()


@pytest.mark.django_db
def test_chunk_reporting_a_foreign_target_fails(behaviour):
    register_run_kind(
        "test.liar",
        targets=lambda run: [1, 2],
        process_chunk=lambda run, ids: _lie(),
    )
    try:
        run = run_create(kind="test.liar", run_date=RUN_DATE)
        run_propose(run=run)
        run_approve(run=run)
        run_execute(run=run)
        assert run.state == RunState.FAILED
        assert "not in the chunk" in run.last_error
    finally:
        unregister_run_kind("test.liar")


def _lie() -> ChunkResult:
    result = ChunkResult()
    result.fail(99, "x")
    return result


@pytest.mark.django_db
def test_process_each_outcomes():
    def handle(target_id):
        if target_id == 2:
            raise SkipItem("déjà fait")
        if target_id == 3:
            raise KeyError("boom")

    with transaction.atomic():
        result = process_each([1, 2, 3], handle)
    assert [(i.target_id, i.status, i.error_code) for i in result.items] == [
        (1, ItemStatus.OK, ""),
        (2, ItemStatus.SKIPPED, ""),
        (3, ItemStatus.FAILED, "unexpected_error"),
    ]
    assert result.items[2].message == "KeyError: 'boom'"


# --- crashes and resume (real transactions) ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_failed_chunk_is_rolled_back_and_resume_redoes_only_it(behaviour):
    run = make_run(n=50, chunk_size=10)
    behaviour.crash_on = 25  # chunk 2 raises after processing its items

    run_execute(run=run)

    assert run.state == RunState.FAILED
    assert "disk full" in run.last_error
    states = dict(run.chunks.values_list("index", "state"))
    assert states == {0: "done", 1: "done", 2: "failed", 3: "done", 4: "done"}
    assert run.chunks.get(index=2).attempts == 1
    assert not any(21 <= t <= 30 for t in processed_counts())  # chunk 2 rolled back whole
    assert run.processed == 40

    behaviour.crash_on = None
    behaviour.calls.clear()
    run_resume(run=run)

    assert behaviour.calls == [list(range(21, 31))]  # only the failed chunk
    assert_complete(run, 50)
    assert run.last_error == ""
    assert run.chunks.get(index=2).attempts == 2


@pytest.mark.django_db(transaction=True)
def test_crash_mid_run_then_resume_processes_each_item_exactly_once(behaviour):
    run = make_run(n=50, chunk_size=10)
    behaviour.kill_on = 33  # the process "dies" inside chunk 3

    with pytest.raises(SimulatedCrash):
        run_execute(run=run)

    run.refresh_from_db()
    assert run.state == RunState.RUNNING  # nobody could mark it failed
    states = dict(run.chunks.values_list("index", "state"))
    assert states == {0: "done", 1: "done", 2: "done", 3: "pending", 4: "pending"}
    assert max(processed_counts()) == 30

    behaviour.kill_on = None
    behaviour.calls.clear()
    run_resume(run=run)

    assert behaviour.calls == [list(range(31, 41)), list(range(41, 51))]
    assert_complete(run, 50)
    resumed = AuditEvent.objects.filter(target_type="core.batchrun", verb="run.resumed")
    assert resumed.count() == 1


@pytest.mark.django_db(transaction=True)
def test_replaying_a_done_chunk_does_nothing(behaviour):
    run = make_run(n=20, chunk_size=10)
    run_execute(run=run)
    behaviour.calls.clear()
    counters = (run.succeeded, run.failed, run.skipped)

    # e.g. a Celery task delivered twice
    run.state = RunState.RUNNING
    run.save(update_fields=["state"])
    assert execute_chunk("core.batchrun", run.pk, 1) == CHUNK_ALREADY_DONE

    run.refresh_from_db()
    assert behaviour.calls == []
    assert (run.succeeded, run.failed, run.skipped) == counters


@pytest.mark.django_db
def test_on_done_runs_once_inside_the_transaction_that_ends_the_run(behaviour):
    """A kind's ``on_done`` (e.g. PAY-3's file) runs once, when the run becomes done: if it
    raises, nothing of the transition is kept, the run stays running with every chunk done
    and its error, and ``run_resume`` finishes it."""
    from robinet.core.runs import run_can_be_resumed, run_finish

    calls = []
    fail = [True]

    def on_done(run):
        calls.append(run.state)
        AuditEvent.objects.create(
            occurred_at=dt.datetime(2026, 3, 31, tzinfo=dt.UTC), verb="test.finished",
            target_type="test", target_id=str(run.pk),
        )  # fmt: skip
        if fail[0]:
            raise RuntimeError("fichier refusé")

    kind = get_run_kind(KIND)
    register_run_kind(
        KIND, targets=kind.targets, process_chunk=kind.process_chunk, on_done=on_done,
        replace=True,
    )  # fmt: skip
    run = make_run(n=20, chunk_size=10)
    with pytest.raises(RuntimeError):
        run_execute(run=run)
    run.refresh_from_db()
    assert run.state == RunState.RUNNING
    assert set(run.chunks.values_list("state", flat=True)) == {ChunkState.DONE}
    assert "fichier refusé" in run.last_error
    assert run.finished_at is None
    assert not AuditEvent.objects.filter(verb="test.finished").exists()  # rolled back
    assert run_can_be_resumed(run)

    fail[0] = False
    behaviour.calls.clear()
    run_resume(run=run)
    run.refresh_from_db()
    assert (run.state, run.last_error) == (RunState.DONE, "")
    assert behaviour.calls == []  # no chunk done twice
    assert calls == [RunState.DONE, RunState.DONE]
    assert AuditEvent.objects.filter(verb="test.finished").count() == 1
    run_finish(run=run)  # finishing again does nothing
    assert len(calls) == 2
    assert_complete(run, 20)


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_a_running_run_between_chunks(behaviour):
    run = make_run(n=30, chunk_size=10)

    class CancelAfterFirstChunk(InProcessExecutor):
        def submit(self, run):
            label = run._meta.label_lower
            assert execute_chunk(label, run.pk, 0) == CHUNK_DONE
            run_cancel(run=run, reason="erreur de paramètre")
            super().submit(run)

    run_execute(run=run, executor=CancelAfterFirstChunk())

    assert run.state == RunState.CANCELLED
    assert len(behaviour.calls) == 1
    assert list(run.chunks.values_list("state", flat=True)) == ["done", "pending", "pending"]
    with pytest.raises(InvalidTransition):
        run_resume(run=run)


@pytest.mark.django_db(transaction=True)
def test_executing_inside_a_transaction_is_refused(behaviour):
    """Chunks must commit on their own: run_execute is an entry point (durable)."""
    run = make_run(n=5)
    with pytest.raises(RuntimeError), transaction.atomic():
        run_execute(run=run)


# --- concurrency (PostgreSQL) ---------------------------------------------------------


def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")


@pytest.mark.django_db(transaction=True)
def test_double_submit_of_execute_runs_once(behaviour, start_worker):
    _needs_postgresql()
    run = make_run(n=30, chunk_size=10)
    barrier = threading.Barrier(2)

    def execute():
        barrier.wait(10)
        try:
            run_execute(run=BatchRun.objects.get(pk=run.pk))
        except InvalidTransition:
            return "refused"
        return "executed"

    workers = [start_worker(execute) for _ in range(2)]
    assert sorted(w.outcome() for w in workers) == ["executed", "refused"]
    assert_complete(run, 30)


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_chunk_process_it_once(behaviour, start_worker):
    _needs_postgresql()
    run = make_run(n=10, chunk_size=10)
    run.state = RunState.RUNNING
    run.save(update_fields=["state"])
    entered, release = threading.Event(), threading.Event()
    kind = get_run_kind(KIND)

    def slow_chunk(run, ids):
        entered.set()
        release.wait(10)
        return kind.process_chunk(run, ids)

    register_run_kind(KIND, targets=kind.targets, process_chunk=slow_chunk, replace=True)
    first = start_worker(lambda: execute_chunk("core.batchrun", run.pk, 0))
    assert entered.wait(10)
    second = start_worker(lambda: execute_chunk("core.batchrun", run.pk, 0))
    release.set()
    assert sorted([first.outcome(), second.outcome()]) == [CHUNK_ALREADY_DONE, CHUNK_DONE]
    assert processed_counts() == Counter(expected_statuses(10)["ok"])
    run.refresh_from_db()
    assert run.processed == 10


# --- query budget ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_chunk_overhead_is_a_fixed_number_of_queries_case(size, django_assert_num_queries):
    """STYLE "Tests": every run chunk has a pinned query count, whatever its size.

    savepoint, run, chunk (FOR UPDATE), on PostgreSQL no parallel plans (SET LOCAL),
    item rows (one bulk insert), chunk update, run counters (F()), release.
    """

    def half_fail(run, ids):
        result = ChunkResult()
        for target_id in ids[::2]:
            result.fail(target_id, "x")
        return result

    register_run_kind(
        "test.budget", targets=lambda run: range(1, size + 1), process_chunk=half_fail
    )
    try:
        run = run_create(kind="test.budget", run_date=RUN_DATE, chunk_size=size)
        run_propose(run=run)
        run_approve(run=run)
        BatchRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING)
        with django_assert_num_queries(8 if connection.vendor == "postgresql" else 7):
            assert execute_chunk("core.batchrun", run.pk, 0) == CHUNK_DONE
        run.refresh_from_db()
        assert (run.succeeded, run.failed) == (size // 2, size // 2)
    finally:
        unregister_run_kind("test.budget")


@pytest.mark.django_db
def test_waiting_for_a_run_whose_finishing_failed_returns(behaviour):
    """No worker will finish a run whose ``on_done`` failed: waiting for it does not hang."""
    from robinet.core.runs import wait_for_run

    run = make_run(n=20, chunk_size=10)
    run_execute(run=run)
    BatchRun.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, last_error="Fin du traitement : fichier refusé"
    )
    waited = wait_for_run(run, poll_seconds=0.01, timeout=5)
    assert waited.state == RunState.RUNNING


# --- runs started from a page ------------------------------------------------------


def test_page_executor_is_a_thread_without_a_broker_workers_with_one(settings):
    """ARCHITECTURE principle 4: a page never holds a whole run in its request when it
    can help it — a thread of the web process without a broker, the workers with one."""
    settings.ROBINET_RUNS_IN_BACKGROUND = True
    assert isinstance(page_executor(), BackgroundExecutor)
    settings.ROBINET_RUNS_IN_BACKGROUND = False
    assert isinstance(page_executor(), InProcessExecutor)

    class Workers:
        def submit(self, run):  # pragma: no cover - never called
            raise AssertionError

    workers = Workers()
    previous = set_default_executor(workers)
    try:
        settings.ROBINET_RUNS_IN_BACKGROUND = True
        assert page_executor() is workers
    finally:
        set_default_executor(previous)


@pytest.mark.django_db(transaction=True)
def test_background_executor_returns_at_once_and_completes_the_run(behaviour):
    """The caller gets the run back still running; the thread processes every chunk once
    and finishes the run."""
    release = threading.Event()
    started = []

    kind = get_run_kind(KIND)

    def gated(run, ids):
        started.append(threading.current_thread().name)
        release.wait(10)
        return kind.process_chunk(run, ids)

    unregister_run_kind(KIND)
    register_run_kind(KIND, targets=kind.targets, process_chunk=gated, label="Test")
    run = make_run(n=30, chunk_size=10)
    run_execute(run=run, executor=BackgroundExecutor())
    run.refresh_from_db()
    assert run.state == RunState.RUNNING  # the request is answered while the run goes on
    release.set()
    for _ in range(200):
        run.refresh_from_db()
        if run.state != RunState.RUNNING:
            break
        threading.Event().wait(0.05)
    assert_complete(run, 30)
    assert set(started) == {f"run-core.batchrun-{run.pk}"}


@pytest.mark.django_db(transaction=True)
def test_a_chunk_runs_without_parallel_plans_and_the_session_keeps_its_setting():
    """Issue 13 (officers' pages during a run): a chunk's transaction gets no parallel
    plan — its extra PostgreSQL processes would take the cores the pages need — and the
    setting ends with the chunk."""
    _needs_postgresql()
    seen = []

    def process_chunk(run, ids):
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            seen.append(cursor.fetchone()[0])

    register_run_kind("test.parallel", targets=lambda run: [1, 2, 3], process_chunk=process_chunk)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            before = cursor.fetchone()[0]
        run = run_create(kind="test.parallel", run_date=RUN_DATE, chunk_size=2)
        run_propose(run=run)
        run_approve(run=run)
        run_execute(run=run)
        assert run.state == RunState.DONE
        assert seen == ["0", "0"]
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            assert cursor.fetchone()[0] == before
    finally:
        unregister_run_kind("test.parallel")
