"""PAY-3: the direct-debit run as a chunked run (``payments.direct_debit``).

Whatever the chunk size, the workers, the failures and the resumptions, a run
books the same payments, the same items, the same instalment and mandate
updates, the same journal and a byte-identical pain.008 as a run in one chunk
(the one-shot run it replaces). The clock is frozen, so even the message id
and the creation timestamp of the file are the same.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.test import override_settings

from robinet.billing.models import BudgetInstalment
from robinet.collections import plans
from robinet.collections.models import Instalment
from robinet.core import clock
from robinet.core.exceptions import ApplicationError, InvalidTransition
from robinet.core.models import BatchRun, ChunkState, RunState
from robinet.core.runs import (
    CHUNK_DONE,
    execute_chunk,
    run_can_be_resumed,
    run_execute,
)
from robinet.ledger.models import Allocation, JournalLine, OpenItem
from robinet.organisation.roles import Role
from robinet.payments import booking, debit_runs, pain008, sepa
from robinet.payments.models import DirectDebitItem, DirectDebitRun, Mandate, Payment
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read
from tests.payments.test_sepa_instalments import _plan

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("ROBINET_TEST_BROKER_URL", "")
COLLECT_ON = dt.date(2026, 2, 17)  # a Tuesday; "today" is Sunday 15 February 2026
IBAN = "FR1420041010050500013M02606"
OTHER_IBAN = "FR7630006000011234567890189"
LABEL = "core.batchrun"


class Idle:
    """An executor that leaves the chunks to the test (a process that died at once)."""

    def submit(self, run) -> None:
        pass


@pytest.fixture
def collector(org, make_user):
    return make_user("prelevements", Role.COLLECTION_OFFICER, org.region)


def _mandate(account, iban=IBAN):
    return sepa.mandate_create(
        actor=None, account=account, signed_on=dt.date(2025, 1, 10), iban=iban,
        check_permission=False,
    )  # fmt: skip


def build_utility(org) -> list:
    """Seven accounts billed twice in 2025. Six have a mandate: bills only (0, 5, 6), with
    a monthly-payment plan (1), with a payment plan paid by direct debit (2), with a mandate
    amended since its last collection (3, RCUR); 4 has none (never a target)."""
    points = [
        occupied_point(org.centres[n % len(org.centres)], start=dt.date(2025, 1, 1), index="100")
        for n in range(7)
    ]
    for n, (_account, sp) in enumerate(points):
        read(sp, dt.date(2025, 6, 20), str(130 + n))
    factories.run(dt.date(2025, 6, 30))
    for n, (_account, sp) in enumerate(points):
        read(sp, dt.date(2025, 12, 20), str(160 + 3 * n))
    factories.run(dt.date(2025, 12, 31))
    accounts = [account for account, _sp in points]
    for n, account in enumerate(accounts):
        if n != 4:
            _mandate(account)
    _plan(accounts[1], period_start=dt.date(2026, 1, 1), first_due=dt.date(2026, 1, 5))
    plans.payment_plan_create(
        account=accounts[2], count=2, first_due=dt.date(2026, 2, 16), direct_debit=True,
        actor=None,
    )  # fmt: skip
    amended = Mandate.objects.get(account=accounts[3])
    Mandate.objects.filter(pk=amended.pk).update(
        sequence="RCUR", last_collected_on=dt.date(2026, 2, 14)
    )
    sepa.mandate_amend(actor=None, mandate=amended, iban=OTHER_IBAN, check_permission=False)
    return accounts


@pytest.fixture
def utility(org, tariff):
    return build_utility(org)


def _rows(queryset, *fields) -> list[str]:
    return sorted(str(row) for row in queryset.values_list(*fields))


def fingerprint(dd_run: DirectDebitRun) -> dict:
    """What a run wrote, independent of row ids and payment numbers."""
    dd_run.refresh_from_db()
    journal = (
        JournalLine.objects.values("ledger_account")
        # the customer lines are one per payment; the others one per entry, and a chunk
        # gathers its payments' entries (decision 0014)
        .annotate(debit=Sum("debit"), credit=Sum("credit"), lines=Count("customer_account"))
        .order_by("ledger_account")
    )
    return {
        "file": bytes(dd_run.file_content),
        "header": (
            dd_run.message_id,
            dd_run.item_count,
            dd_run.total,
            dd_run.file_sha256,
            dd_run.file_name,
            dd_run.version,
            dd_run.settles_on,
        ),  # fmt: skip
        "items": _rows(
            DirectDebitItem.objects.filter(run=dd_run),
            "end_to_end_id",
            "kind",
            "account_id",
            "mandate_id",
            "invoice_id",
            "budget_instalment_id",
            "plan_instalment_id",
            "sequence",
            "amount",
            "amended",
            "mandate_umr",
            "signed_on",
            "debtor_name",
            "debtor_iban",
            "debtor_bic",
            "street",
            "postcode",
            "town",
            "country",
            "remittance",
            "original_umr",
            "original_iban",
            "payment__external_reference",
        ),  # fmt: skip
        "payments": _rows(
            Payment.objects.all(),
            "account_id",
            "centre_id",
            "means",
            "amount",
            "received_on",
            "invoice_id",
            "payer_reference",
            "external_reference",
        ),  # fmt: skip
        "open_items": _rows(
            OpenItem.objects.all(),
            "account_id",
            "kind",
            "invoice_id",
            "payment__external_reference",
            "amount",
            "open_amount",
            "due_date",
            "cleared_on",
        ),  # fmt: skip
        "allocations": _rows(
            Allocation.objects.all(),
            "account_id",
            "debit__invoice_id",
            "credit__payment__external_reference",
            "amount",
            "allocated_on",
        ),  # fmt: skip
        "journal": [str(row) for row in journal],
        "budget": _rows(BudgetInstalment.objects.all(), "id", "status", "collected_on"),
        "plan": _rows(Instalment.objects.all(), "id", "state"),
        "mandates": _rows(Mandate.objects.all(), "id", "sequence", "last_collected_on"),
        "payment_numbers": sorted(Payment.objects.values_list("number", flat=True)),
    }


def one_chunk_fingerprint(collector) -> dict:
    """What the run does in one chunk (as the one-shot run did), then undone."""
    savepoint = transaction.savepoint()
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, chunk_size=1000)
    assert run.batch_run.chunks.count() == 1
    expected = fingerprint(run)
    transaction.savepoint_rollback(savepoint)
    assert not DirectDebitRun.objects.exists()
    return expected


def assert_same_as_one_chunk(run: DirectDebitRun, expected: dict) -> None:
    got = fingerprint(run)
    for part in expected:
        assert got[part] == expected[part], part


# --- the same run, however it is cut ------------------------------------------------------------


@pytest.mark.django_db
def test_pay_3_a_run_in_small_chunks_books_and_writes_exactly_what_one_chunk_does(
    utility, collector
):
    """PAY-3: three chunks of two accounts = one chunk: same items, payments, allocations,
    journal, instalments, mandates and a byte-identical pain.008."""
    expected = one_chunk_fingerprint(collector)
    # 2 bills of accounts 0, 1, 3, 5, 6; 2 monthly instalments (1); 1 plan instalment (2).
    assert len(expected["items"]) == 13
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, chunk_size=2)
    batch = run.batch_run
    assert (batch.kind, batch.state, batch.total, batch.chunks.count()) == (
        debit_runs.KIND, RunState.DONE, 6, 3,
    )  # fmt: skip
    assert batch.parameters["direct_debit_run"] == run.pk
    assert_same_as_one_chunk(run, expected)
    pain008.validate(bytes(run.file_content), run.version)  # the ISO 20022 XSD
    content = bytes(run.file_content).decode()
    assert content.index("<SeqTp>FRST</SeqTp>") < content.index("<SeqTp>RCUR</SeqTp>")
    assert f"<OrgnlDbtrAcct><Id><IBAN>{IBAN}</IBAN>" in content  # the amended mandate


@pytest.mark.django_db
def test_pay_3_each_item_keeps_what_its_file_line_says(utility, collector):
    """PAY-3: a mandate amended or a party renamed after the run does not change its file."""
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, chunk_size=2)
    before = bytes(run.file_content)
    debits = debit_runs.file_debits(run)
    amended = next(d for d in debits if d.original_iban)
    assert (amended.sequence, amended.debtor_iban, amended.original_iban) == (
        "RCUR", OTHER_IBAN, IBAN,
    )  # fmt: skip
    mandate = Mandate.objects.get(umr=amended.mandate_id)
    sepa.mandate_amend(actor=None, mandate=mandate, debtor_name="Autre", check_permission=False)
    assert debit_runs.file_debits(run) == debits
    run.refresh_from_db()
    assert bytes(run.file_content) == before


# --- failures, crashes, resumption --------------------------------------------------------------


@pytest.mark.django_db
def test_pay_3_a_failed_chunk_is_redone_by_resume_without_a_second_payment(
    utility, collector, monkeypatch
):
    """PAY-3: a chunk that raises is rolled back whole; « Reprendre » redoes it, and only it."""
    expected = one_chunk_fingerprint(collector)
    real = booking.stage_payments
    victim = utility[2].pk  # the second chunk: accounts 2 and 3

    def failing(payments, **kwargs):
        if any(p.account_id == victim for p in payments):
            raise RuntimeError("connexion perdue")
        return real(payments, **kwargs)

    monkeypatch.setattr(debit_runs, "stage_payments", failing)
    with pytest.raises(ApplicationError) as error:
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, chunk_size=2)
    assert error.value.code == "debit_run_unfinished"
    run = DirectDebitRun.objects.get()
    batch = run.batch_run
    assert batch.state == RunState.FAILED
    assert list(batch.chunks.order_by("index").values_list("state", flat=True)) == [
        ChunkState.DONE, ChunkState.FAILED, ChunkState.DONE,
    ]  # fmt: skip
    assert not run.is_built
    assert not Payment.objects.filter(account_id__in=[utility[2].pk, utility[3].pk]).exists()
    booked = Payment.objects.count()
    assert booked == DirectDebitItem.objects.count() > 0

    monkeypatch.setattr(debit_runs, "stage_payments", real)
    sepa.debit_run_resume(actor=collector, run=run, wait=True)
    batch.refresh_from_db()
    assert batch.state == RunState.DONE
    assert Payment.objects.values("external_reference").distinct().count() == (
        Payment.objects.count()
    )
    assert_same_as_one_chunk(run, expected)
    with pytest.raises(InvalidTransition):  # a finished run is not resumed
        sepa.debit_run_resume(actor=collector, run=run)


@pytest.mark.django_db
def test_pay_3_a_run_that_crashed_after_some_chunks_resumes_to_the_same_result(utility, collector):
    """PAY-3 crash test: the process died after the first chunk; the run, stalled ten minutes
    later, is resumed: nothing twice, nothing missing, the same file."""
    expected = one_chunk_fingerprint(collector)
    run = sepa.debit_run_plan(actor=collector, collection_date=COLLECT_ON, chunk_size=2)
    batch = run.batch_run
    run_execute(run=batch, actor=collector, executor=Idle())  # started, then the process died
    assert execute_chunk(LABEL, batch.pk, 0) == CHUNK_DONE
    assert execute_chunk(LABEL, batch.pk, 0) != CHUNK_DONE  # a replay does nothing
    batch.refresh_from_db()
    assert batch.state == RunState.RUNNING
    with pytest.raises(InvalidTransition):  # still taken for alive
        sepa.debit_run_resume(actor=collector, run=run)
    with clock.as_of(clock.now() + dt.timedelta(minutes=11)):
        assert run_can_be_resumed(batch)
        sepa.debit_run_resume(actor=collector, run=run, wait=True)
    batch.refresh_from_db()
    assert batch.state == RunState.DONE
    assert_same_as_one_chunk(run, expected)


@pytest.mark.django_db
def test_pay_3_a_run_whose_debts_were_all_settled_meanwhile_sends_no_file(utility, collector):
    """PAY-3: everything planned was settled before its chunk ran (here: direct debit
    stopped on every account): no payment, no remittance, the collection date free again."""
    from robinet.customers.models import CustomerAccount

    run = sepa.debit_run_plan(actor=collector, collection_date=COLLECT_ON, chunk_size=2)
    batch = run.batch_run
    run_execute(run=batch, actor=collector, executor=Idle())  # started, then the process died
    CustomerAccount.objects.update(direct_debit=False)
    later = clock.now() + dt.timedelta(minutes=11)
    with clock.as_of(later), pytest.raises(ApplicationError) as nothing:
        sepa.debit_run_resume(actor=collector, run=run, wait=True)
    assert nothing.value.code == "nothing_to_collect"
    batch.refresh_from_db()
    assert (batch.state, batch.succeeded, batch.skipped) == (RunState.DONE, 0, batch.total)
    assert not DirectDebitRun.objects.exists()
    assert not Payment.objects.filter(means="direct_debit").exists()
    with pytest.raises(ApplicationError) as again:  # not « a remittance exists already »
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    assert again.value.code == "nothing_to_collect"


@pytest.mark.django_db
def test_pay_3_a_file_that_cannot_be_built_leaves_the_run_resumable(
    utility, collector, monkeypatch
):
    """PAY-3: building the file is the end of the run's last transaction; when it fails the run
    stays running with every chunk done, and « Reprendre » builds it (once)."""
    expected = one_chunk_fingerprint(collector)
    real = pain008.build

    def broken(**kwargs):
        raise ApplicationError("Le fichier pain.008.001.08 n'est pas conforme.", code="x")

    monkeypatch.setattr(pain008, "build", broken)
    with pytest.raises(ApplicationError):
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, chunk_size=2)
    run = DirectDebitRun.objects.get()
    batch = run.batch_run
    assert batch.state == RunState.RUNNING
    assert set(batch.chunks.values_list("state", flat=True)) == {ChunkState.DONE}
    assert "conforme" in batch.last_error
    assert run_can_be_resumed(batch)
    assert not run.is_built
    assert (run.item_count, run.file_sha256, bytes(run.file_content)) == (0, "", b"")
    assert not sepa.debit_runs_settle(actor=collector)  # nothing to settle before its file

    calls = []

    def counted(**kwargs):
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(pain008, "build", counted)
    sepa.debit_run_resume(actor=collector, run=run, wait=True)
    batch.refresh_from_db()
    assert (batch.state, batch.last_error, len(calls)) == (RunState.DONE, "", 1)
    assert_same_as_one_chunk(run, expected)


# --- screens and command ------------------------------------------------------------------------


@pytest.mark.django_db
def test_pay_3_the_run_page_shows_progress_and_offers_resume(web, utility, collector):
    """PAY-3: while its chunks run the page shows the progress (and polls); a failed run
    offers « Reprendre », which finishes it."""
    run = sepa.debit_run_plan(actor=collector, collection_date=COLLECT_ON, chunk_size=2)
    batch = run.batch_run
    run_execute(run=batch, actor=collector, executor=Idle())
    execute_chunk(LABEL, batch.pk, 0)
    BatchRun.objects.filter(pk=batch.pk).update(state=RunState.FAILED)
    web.login(collector)
    page = web.get("payments:sepa-run", run.pk).content.decode()
    assert 'id="sepa-run-progress"' in page
    assert 'id="run-workers"' in page
    assert 'id="sepa-run-resume"' in page
    assert 'id="sepa-run-download"' not in page
    assert web.get("payments:sepa-run-file", run.pk).status_code == 404
    partial = web.get("payments:sepa-run", run.pk, htmx=True)
    assert 'id="sepa-run-progress"' in partial.content.decode()
    resumed = web.post("payments:sepa-run-resume", run.pk)
    assert resumed.status_code == 302
    run.refresh_from_db()
    assert run.is_built
    page = web.get("payments:sepa-run", run.pk).content.decode()
    assert 'id="sepa-run-download"' in page
    assert 'id="sepa-run-resume"' not in page


@pytest.mark.django_db
def test_pay_3_command_takes_a_chunk_size(utility, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    target = tmp_path / "dd.xml"
    call_command(
        "sepa", "debit", "--collection-date", COLLECT_ON.isoformat(), "--out", str(target),
        "--chunk-size", "2", stdout=out,
    )  # fmt: skip
    run = DirectDebitRun.objects.get()
    assert run.batch_run.chunks.count() == 3
    assert target.read_bytes() == bytes(run.file_content)
    assert "13 prélèvement(s)" in out.getvalue()


# --- on Celery workers (PostgreSQL + Redis) -----------------------------------------------------


def _start_worker(n: int, database: str, queue: str) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ROBINET_"))},
        "DJANGO_SETTINGS_MODULE": "robinet.settings",
        "ROBINET_DEBUG": "1",
        "ROBINET_DATABASE_URL": database,
        "ROBINET_BROKER_URL": BROKER,
        "ROBINET_RUN_QUEUE": queue,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "robinet", "worker", "--name", f"pay3-{n}", "--loglevel",
         "WARNING"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_pay_3_two_workers_make_the_run_the_in_process_run_makes(org, tariff, collector):
    """PAY-3 on ``robinet worker`` processes: chunks sent as messages to two workers, the
    last one builds the file; the same payments, items and file as one chunk in-process."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")
    if not BROKER:
        pytest.skip("needs a broker: set ROBINET_TEST_BROKER_URL (e.g. redis://127.0.0.1:6379/5)")
    import signal

    from robinet.core import distributed

    build_utility(org)
    # The in-process run in one chunk, in a transaction that is then rolled back.
    connection.set_autocommit(False)
    try:
        run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, chunk_size=1000)
        expected = fingerprint(run)
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    assert not DirectDebitRun.objects.exists()

    s = connection.settings_dict
    database = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    queue = f"robinet-runs-pay3-{os.getpid()}"
    workers = [_start_worker(n, database, queue) for n in range(2)]
    try:
        with override_settings(ROBINET_BROKER_URL=BROKER, ROBINET_RUN_QUEUE=queue):
            app = distributed._build_app()
            run = sepa.debit_run_plan(actor=collector, collection_date=COLLECT_ON, chunk_size=3)
            batch = run.batch_run
            assert batch.chunks.count() == 2  # two chunk messages
            run_execute(run=batch, actor=collector, executor=distributed.CeleryExecutor(app))
            from robinet.core.runs import wait_for_run

            wait_for_run(batch, timeout=180)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        connections.close_all()
    batch.refresh_from_db()
    assert batch.state == RunState.DONE, batch.last_error
    local = f":{os.getpid()}"
    assert all(c.worker and not c.worker.endswith(local) for c in batch.chunks.all())
    assert_same_as_one_chunk(run, expected)


@pytest.mark.django_db
def test_pay_3_a_chunk_is_a_fixed_number_of_queries(utility, collector):
    """PAY-3 query budget: a chunk loads, books and writes its accounts in bulk (no query
    per debit: the open items settled are one statement); pinned for the six accounts
    (bills, monthly payments, a payment plan, an amended mandate) in one chunk."""
    from django.test.utils import CaptureQueriesContext

    run = sepa.debit_run_plan(actor=collector, collection_date=COLLECT_ON, chunk_size=1000)
    batch = run.batch_run
    run_execute(run=batch, actor=collector, executor=Idle())
    with CaptureQueriesContext(connection) as queries:
        assert execute_chunk(LABEL, batch.pk, 0) == CHUNK_DONE
    assert DirectDebitItem.objects.count() == 13
    # The items are written by COPY (PostgreSQL) / executemany (SQLite): not counted here.
    assert len(queries) == {"sqlite": 51, "postgresql": 38}[connection.vendor]
    if connection.vendor == "postgresql":
        # What is collected is locked, and only that: the open items, the instalments,
        # the mandates with their accounts (never the invoices or parties read with them).
        locks = [q["sql"].split(" FOR UPDATE")[1] for q in queries if " FOR UPDATE" in q["sql"]]
        assert ' OF "ledger_openitem"' in locks
        assert ' OF "billing_budgetinstalment"' in locks
        assert ' OF "payments_mandate", "customers_customeraccount"' in locks
