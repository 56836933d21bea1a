"""Runs under stress on PostgreSQL: concurrent runs, a killed process (BILL-4, BILL-6).

SQLite runs one writer at a time and the tests' SQLite database lives in
memory, which another process cannot open: these tests need PostgreSQL
(``ROBINET_TEST_DATABASE_URL``) and say so when skipped.
"""

import datetime as dt
import multiprocessing
import os
import signal
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from robinet.billing import services
from robinet.billing.models import Invoice
from robinet.core.models import BatchRun
from robinet.core.models.runs import ChunkState
from robinet.core.runs import InProcessExecutor, execute_chunk, run_resume
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")


def _customers(centre, count: int) -> None:
    for n in range(count):
        _account, sp = occupied_point(centre, start=dt.date(2025, 1, 1), index="100")
        read(sp, dt.date(2025, 6, 10), str(130 + n))


def test_bill_6_numbers_stay_gapless_under_two_concurrent_runs(org):
    factories.tariff()
    _customers(org.centres[0], 12)
    _customers(org.centres[1], 12)
    runs = [
        services.billing_run_create(
            actor=None,
            period_end=dt.date(2025, 6, 30),
            issue_date=dt.date(2025, 7, 3),
            entity_code=centre.code,
            chunk_size=2,
        )
        for centre in org.centres[:2]
    ]
    barrier, errors = threading.Barrier(2), []

    def work(run):
        try:
            barrier.wait(10)
            services.billing_run_execute(actor=None, run=run, executor=InProcessExecutor())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(run,)) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    sequences = sorted(
        Invoice.objects.filter(series="FAC", year=2025).values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, 25))
    # Both runs interleaved: each run's own numbers are not one block.
    by_run = {
        run.pk: sorted(Invoice.objects.filter(run=run).values_list("sequence", flat=True))
        for run in runs
    }
    assert all(len(seq) == 12 for seq in by_run.values())


def _crashing_child(run_id: int) -> None:
    """Process the first chunk, then hang as a process that will be killed."""
    connections.close_all()
    run = BatchRun.objects.get(pk=run_id)
    index = run.chunks.order_by("index").values_list("index", flat=True).first()
    execute_chunk(run._meta.label_lower, run.pk, index)
    time.sleep(60)


def test_bill_4_killed_run_resumes_to_the_same_totals_as_an_uninterrupted_one(org):
    factories.tariff()
    _customers(org.centres[0], 8)  # billed without interruption
    _customers(org.centres[1], 8)  # same data, killed then resumed
    whole = factories.run(
        dt.date(2025, 6, 30), issue_date=dt.date(2025, 7, 3), entity_code=org.centres[0].code
    )
    run = services.billing_run_create(
        actor=None,
        period_end=dt.date(2025, 6, 30),
        issue_date=dt.date(2025, 7, 3),
        entity_code=org.centres[1].code,
        chunk_size=2,
    )
    from robinet.core.runs import _start

    _start(run, None, resume=False)  # running, as the killed process left it
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(target=_crashing_child, args=(run.pk,))
    child.start()
    deadline = time.monotonic() + 30
    while run.chunks.filter(state=ChunkState.DONE).count() < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    run.refresh_from_db()
    assert run.state == "running"
    assert 0 < Invoice.objects.filter(run=run).count() < 8
    resumed = run_resume(run=run, executor=InProcessExecutor())
    assert resumed.state == "done"

    def figures(r):
        invoices = Invoice.objects.filter(run=r)
        totals = invoices.aggregate(incl=Sum("total_incl_vat"), volume=Sum("volume"))
        return invoices.count(), totals["incl"], totals["volume"]

    assert figures(resumed) == figures(whole)
    assert figures(whole)[1] > Decimal(0)
