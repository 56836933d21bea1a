"""Batch runs spread over Celery workers (issue 13, ARCHITECTURE principle 4).

With ``ROBINET_BROKER_URL`` set (Redis or RabbitMQ), :class:`CeleryExecutor`
becomes the default executor: executing a run sends one message per pending
chunk to the queue ``ROBINET_RUN_QUEUE``, and the workers started with
``robinet worker`` on any number of machines sharing the PostgreSQL database
call :func:`robinet.core.runs.execute_chunk` for it. Nothing else changes: a
chunk is still one transaction that marks itself done, so

* a message delivered twice finds its chunk done and does nothing;
* a worker that dies in the middle of a chunk leaves it uncommitted; the
  message was not acknowledged (``acks_late``), so the broker hands it to
  another worker (at once if only the pool's child died, after
  ``ROBINET_BROKER_VISIBILITY_TIMEOUT`` seconds on Redis if the machine did);
* a chunk that raises is retried ``ROBINET_RUN_CHUNK_RETRIES`` times with an
  exponential backoff, and stays pending meanwhile so the run waits for it;
* each task ends with :func:`run_finish`, so whichever worker does the last
  chunk closes the run.
"""

from __future__ import annotations

import logging

from celery import Celery
from django.conf import settings

from robinet.core.runs import (
    CHUNK_FAILED,
    CHUNK_STOPPED,
    Run,
    _pending_chunk_indexes,
    _run_model,
    execute_chunk,
    run_finish,
)

logger = logging.getLogger(__name__)

TASK_NAME = "robinet.run_chunk"

_app: Celery | None = None


def celery_app() -> Celery:
    """The Celery application, configured from the Django settings (built once)."""
    global _app
    if _app is None:
        _app = _build_app()
    return _app


def _build_app() -> Celery:
    app = Celery("robinet", set_as_current=False)
    app.conf.update(
        broker_url=settings.ROBINET_BROKER_URL,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.ROBINET_BROKER_VISIBILITY_TIMEOUT,
            # Look for orphaned messages often enough for a short visibility timeout.
            "unacked_restore_interval": max(1, min(10, settings.ROBINET_BROKER_VISIBILITY_TIMEOUT)),
            "unacked_restore_throttle": 1,
        },
        task_default_queue=settings.ROBINET_RUN_QUEUE,
        task_acks_late=True,  # a message is acknowledged once its chunk is committed
        task_reject_on_worker_lost=True,  # the pool's child died: back to the queue at once
        task_ignore_result=True,  # the chunk rows are the result
        worker_prefetch_multiplier=1,  # a worker holds one chunk at a time
        worker_hijack_root_logger=False,
        enable_utc=True,
        timezone=settings.TIME_ZONE,
    )
    app.task(name=TASK_NAME, bind=True, acks_late=True)(_run_chunk)
    return app


def retry_delay(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: exponential, capped at five minutes."""
    return min(300.0, settings.ROBINET_RUN_RETRY_BACKOFF * (2**retries))


def _run_chunk(task, run_model: str, run_id: int, index: int) -> str:
    retries = task.request.retries or 0
    will_retry = retries < settings.ROBINET_RUN_CHUNK_RETRIES
    outcome = execute_chunk(
        run_model, run_id, index, worker=task.request.hostname or "", will_retry=will_retry
    )
    if outcome == CHUNK_FAILED and will_retry:
        raise task.retry(
            countdown=retry_delay(retries), max_retries=settings.ROBINET_RUN_CHUNK_RETRIES
        )
    if outcome != CHUNK_STOPPED:
        run_finish(run=_run_model(run_model).objects.get(pk=run_id))
    return outcome


class CeleryExecutor:
    """Sends each pending chunk of a running run to the workers and returns at once.

    The run's page (or :func:`robinet.core.runs.wait_for_run`) follows it.
    """

    def __init__(self, app: Celery | None = None) -> None:
        self.app = app

    def submit(self, run: Run) -> None:
        app = self.app or celery_app()
        label = run._meta.label_lower
        indexes = list(_pending_chunk_indexes(run))
        if not indexes:
            run_finish(run=run)
            return
        with app.producer_or_acquire() as producer:
            for index in indexes:
                app.send_task(TASK_NAME, args=(label, run.pk, index), producer=producer)
        logger.info("run %s %s: %d chunks sent to the workers", label, run.pk, len(indexes))


def install_if_configured() -> None:
    """Make the Celery executor the default when a broker is configured."""
    from robinet.core.runs import set_default_executor

    if settings.ROBINET_BROKER_URL:
        set_default_executor(CeleryExecutor())


def is_distributed(executor) -> bool:
    return isinstance(executor, CeleryExecutor)
