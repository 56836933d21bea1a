"""Batch runs on Celery workers (issue 13, ARCHITECTURE principle 4).

The task a worker runs for a chunk, its retries with backoff, the executor
that sends the chunks, per-worker progress, and — with PostgreSQL and a
broker (``ROBINET_TEST_BROKER_URL``, e.g. ``redis://127.0.0.1:6379/15``) — two
real ``robinet worker`` processes billing a utility exactly as the in-process
run does, even when one of them is killed with SIGKILL in the middle.
"""

import contextlib
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import override_settings

from robinet.core import distributed
from robinet.core.models import BatchRun, ChunkState, RunState
from robinet.core.runs import (
    CHUNK_DONE,
    CHUNK_FAILED,
    InProcessExecutor,
    get_default_executor,
    run_execute,
    run_resume,
    run_worker_progress,
    set_default_executor,
)
from tests.core.test_runs import assert_complete, behaviour, make_run  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("ROBINET_TEST_BROKER_URL", "")
LABEL = "core.batchrun"


class Retried(Exception):  # noqa: N818 - stands for celery.exceptions.Retry
    pass


class FakeTask:
    """What ``_run_chunk`` uses of a bound Celery task."""

    def __init__(self, retries: int = 0, hostname: str = "celery@worker-a") -> None:
        self.request = SimpleNamespace(retries=retries, hostname=hostname)
        self.countdowns: list[float] = []

    def retry(self, *, countdown, max_retries):
        self.countdowns.append(countdown)
        return Retried(countdown)


class Idle:
    """An executor that leaves the chunks to the test."""

    def submit(self, run) -> None:
        pass


def running(n: int = 30, chunk_size: int = 10) -> BatchRun:
    run = make_run(n=n, chunk_size=chunk_size)
    return run_execute(run=run, executor=Idle())


@pytest.mark.django_db
def test_a_failing_chunk_is_retried_and_the_run_waits_for_it(behaviour):  # noqa: F811
    run = running()
    behaviour.crash_on = 15
    assert distributed._run_chunk(FakeTask(), LABEL, run.pk, 0) == CHUNK_DONE
    task = FakeTask()
    with pytest.raises(Retried):
        distributed._run_chunk(task, LABEL, run.pk, 1)
    assert task.countdowns == [2.0]
    chunk = run.chunks.get(index=1)
    assert (chunk.state, chunk.attempts) == (ChunkState.PENDING, 1)
    assert "disk full" in chunk.last_error
    # The last other chunk does not close the run: the retried one is still pending.
    assert distributed._run_chunk(FakeTask(), LABEL, run.pk, 2) == CHUNK_DONE
    run.refresh_from_db()
    assert run.state == RunState.RUNNING

    behaviour.crash_on = None
    assert distributed._run_chunk(FakeTask(retries=1), LABEL, run.pk, 1) == CHUNK_DONE
    assert_complete(run, 30)


@pytest.mark.django_db
@override_settings(ROBINET_RUN_CHUNK_RETRIES=2)
def test_a_chunk_failing_every_retry_fails_the_run_which_resumes(behaviour):  # noqa: F811
    run = running(n=20)
    behaviour.crash_on = 5
    assert distributed._run_chunk(FakeTask(), LABEL, run.pk, 1) == CHUNK_DONE
    assert distributed._run_chunk(FakeTask(retries=2), LABEL, run.pk, 0) == CHUNK_FAILED
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert run.chunks.get(index=0).state == ChunkState.FAILED

    behaviour.crash_on = None
    run_resume(run=run, executor=InProcessExecutor())
    assert_complete(run, 20)


@override_settings(ROBINET_RUN_RETRY_BACKOFF=2)
def test_retries_back_off_exponentially_up_to_five_minutes():
    assert [distributed.retry_delay(n) for n in range(4)] == [2, 4, 8, 16]
    assert distributed.retry_delay(20) == 300


class FakeApp:
    def __init__(self) -> None:
        self.sent: list[tuple] = []

    @contextlib.contextmanager
    def producer_or_acquire(self):
        yield "producer"

    def send_task(self, name, *, args, producer):
        self.sent.append((name, args, producer))


@pytest.mark.django_db
def test_the_executor_sends_one_message_per_pending_chunk(behaviour):  # noqa: F811
    run = running(n=40)
    distributed._run_chunk(FakeTask(), LABEL, run.pk, 1)  # done before: not sent again
    app = FakeApp()
    distributed.CeleryExecutor(app).submit(run)
    assert app.sent == [
        (distributed.TASK_NAME, (LABEL, run.pk, index), "producer") for index in (0, 2, 3)
    ]
    run.refresh_from_db()
    assert run.state == RunState.RUNNING  # the workers will finish it


@pytest.mark.django_db
def test_an_empty_run_is_finished_without_sending_anything(behaviour):  # noqa: F811
    run = running(n=0)
    app = FakeApp()
    distributed.CeleryExecutor(app).submit(run)
    assert app.sent == []
    run.refresh_from_db()
    assert run.state == RunState.DONE


@pytest.mark.django_db
def test_each_chunk_is_signed_by_its_worker_for_the_progress_page(behaviour):  # noqa: F811
    run = running(n=30)
    distributed._run_chunk(FakeTask(hostname="celery@a"), LABEL, run.pk, 0)
    distributed._run_chunk(FakeTask(hostname="celery@b"), LABEL, run.pk, 1)
    distributed._run_chunk(FakeTask(hostname="celery@a"), LABEL, run.pk, 2)
    progress = {p.worker: (p.chunks, p.items) for p in run_worker_progress(run)}
    assert progress == {"celery@a": (2, 20), "celery@b": (1, 10)}
    in_process = make_run(n=5)
    run_execute(run=in_process, executor=InProcessExecutor())
    (local,) = run_worker_progress(in_process)
    assert local.worker.endswith(f":{os.getpid()}")
    assert local.items == 5


@override_settings(
    ROBINET_BROKER_URL="redis://127.0.0.1:6379/15",
    ROBINET_BROKER_VISIBILITY_TIMEOUT=30,
    ROBINET_RUN_QUEUE="robinet-test",
)
def test_the_celery_app_acknowledges_a_chunk_only_once_it_is_committed(monkeypatch):
    monkeypatch.setattr(distributed, "_app", None)
    conf = distributed.celery_app().conf
    assert conf.task_acks_late
    assert conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 30
    assert conf.task_default_queue == "robinet-test"
    assert distributed.TASK_NAME in distributed.celery_app().tasks
    monkeypatch.setattr(distributed, "_app", None)


def test_a_configured_broker_makes_celery_the_default_executor():
    previous = get_default_executor()
    try:
        with override_settings(ROBINET_BROKER_URL=""):
            distributed.install_if_configured()
            assert get_default_executor() is previous
        with override_settings(ROBINET_BROKER_URL="redis://127.0.0.1:6379/15"):
            distributed.install_if_configured()
            assert distributed.is_distributed(get_default_executor())
    finally:
        set_default_executor(previous)


@override_settings(ROBINET_BROKER_URL="")
def test_the_worker_command_says_what_is_missing():
    with pytest.raises(CommandError, match="ROBINET_BROKER_URL"):
        call_command("worker")


# --- two real workers (PostgreSQL + Redis) ------------------------------------------


def _ready_to_bill_on_postgresql(needs_broker: bool) -> tuple[str, str]:
    """A small utility ready to bill, committed in the test database: (server, name)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")
    if needs_broker and not BROKER:
        pytest.skip("needs a broker: set ROBINET_TEST_BROKER_URL (e.g. redis://127.0.0.1:6379/15)")
    from robinet.demo import billing as demo_billing
    from robinet.demo.generator import generate

    today = dt.date(2026, 11, 22)
    generate(customers=150, today=today, readings=True)
    demo_billing.ready_to_bill(today)
    settings = connection.settings_dict
    server = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    connections.close_all()  # the copies need the database to themselves
    return server, settings["NAME"]


def _compare(server: str, name: str, *options: str) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ROBINET_"))},
        "DJANGO_SETTINGS_MODULE": "robinet.settings",
        "ROBINET_DEBUG": "1",
    }
    done = subprocess.run(
        [sys.executable, "bench/distributed_run.py", "--prepared", name, "--server", server,
         "--name", f"{name}_dist", "--broker", BROKER or "memory://", "--chunk-size", "10",
         "--timeout", "240", *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "identical" in done.stdout
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_two_workers_bill_like_the_in_process_run_even_when_one_is_killed():
    """Issue 13: the same invoices, lines, open items, held bills and journal as the
    in-process run, gapless numbers, although one worker is SIGKILLed mid-run."""
    server, name = _ready_to_bill_on_postgresql(needs_broker=True)
    assert "killed worker" in _compare(server, name, "--kill-one")


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_mid_way_then_resumed_bills_like_an_uninterrupted_one():
    """Issue 13 crash test: ``robinet billing run`` SIGKILLed a third of the way (between
    or inside a chunk), then ``robinet billing resume``: nothing twice, nothing missing."""
    server, name = _ready_to_bill_on_postgresql(needs_broker=False)
    assert "killed the billing command" in _compare(server, name, "--crash-in-process")


@pytest.mark.django_db
def test_a_running_run_with_nothing_committed_for_ten_minutes_is_stalled(behaviour):  # noqa: F811
    """Issue 13: the run page offers « Reprendre » for a run whose process died."""
    import datetime as dt

    from django.utils import timezone

    from robinet.core.runs import STALLED_AFTER, run_can_be_resumed, run_is_stalled

    run = running(n=20)
    started = run.started_at
    assert not run_is_stalled(run, now=started + dt.timedelta(minutes=1))
    assert run_is_stalled(run, now=started + STALLED_AFTER + dt.timedelta(seconds=1))
    distributed._run_chunk(FakeTask(), LABEL, run.pk, 0)
    last = run.chunks.get(index=0).finished_at
    assert not run_can_be_resumed(run, now=last + dt.timedelta(minutes=9))
    assert run_can_be_resumed(run, now=last + dt.timedelta(minutes=11))
    assert timezone.is_aware(last)
