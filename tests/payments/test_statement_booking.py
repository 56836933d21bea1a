"""PAY-5: a bank statement's matched credits are booked by a chunked run
(``payments.statement_booking``), with the same payments, allocations and journal
whatever the chunks, after a failed chunk and after a crash, and on Celery workers.

Each comparison imports two statements of the same shape paying two identical sets of
accounts: set A booked in one chunk (the one-shot import's result), set B in small chunks,
failing or interrupted; what each set's accounts end up with must be identical.
"""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError, OperationalError, connection
from django.test import override_settings

from robinet.core import invariants
from robinet.core.models import BatchRun, ChunkState, RunState
from robinet.core.runs import execute_chunk, run_resume
from robinet.ledger import posting
from robinet.ledger.models import Allocation, JournalEntry, JournalLine, OpenItem
from robinet.payments import bank_statements as service
from robinet.payments import statement_booking
from robinet.payments import statement_selectors as selectors
from robinet.payments.models import EntryPayment, EntryStatus, Payment, StatementEntry
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read
from tests.payments.statement_setup import camt, credit, invoices
from tests.payments.test_statements_suspense import SUSPENSE, balance, waiting_total

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("ROBINET_TEST_BROKER_URL", "")
ACCOUNTS = 4


@pytest.fixture
def two_sets(org, tariff):
    """Two sets of ``ACCOUNTS`` accounts billed alike (two open invoices each), account
    on the cashier's centre."""
    sets = ([], [])
    for _i in range(ACCOUNTS):
        for accounts in sets:
            account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
            accounts.append((account, sp))
    for accounts in sets:
        for n, (_account, sp) in enumerate(accounts):
            read(sp, dt.date(2025, 6, 20), str(130 + n))
    factories.run(dt.date(2025, 6, 30))
    for accounts in sets:
        for n, (_account, sp) in enumerate(accounts):
            read(sp, dt.date(2025, 12, 20), str(160 + 2 * n))
    factories.run(dt.date(2025, 12, 31))
    return [[account for account, _sp in accounts] for accounts in sets]


def statement_for(accounts, statement_id: str) -> bytes:
    """Credits of an account interleaved with others' in the file (the run books them by
    account: chunks of 1 and 3 still split an account's credits): invoice references,
    customer numbers (a part payment, an overpayment), one unmatched."""
    a0, a1, a2, a3 = accounts
    (a0_1, a0_2), (a2_1, _a2_2) = invoices(a0), invoices(a2)
    return camt(
        credit(a0_1.total_incl_vat, remittance=f"FACTURE {a0_1.number}", debtor_name="P ZERO"),
        credit("10.00", remittance=f"CLIENT {a1.number}", debtor_name="P UN"),
        credit(a2_1.total_incl_vat + 50, remittance=f"FACTURE {a2_1.number}", debtor_name="P DEUX"),
        credit("3.33", debtor_name="ZZ INCONNU", remittance="VIREMENT"),
        credit(a0_2.total_incl_vat, remittance=f"FACTURE {a0_2.number}", debtor_name="P ZERO"),
        credit("15.00", remittance=f"CLIENT {a1.number}", debtor_name="P UN"),
        credit("7.00", remittance=f"CLIENT {a3.number}", debtor_name="P TROIS"),
        statement_id=statement_id,
    )


def fingerprint(accounts) -> dict:
    """What the accounts' books say, with the set's own ids replaced by stable keys (an
    account by its position, an invoice item by its position on the account, a payment and
    its items by the statement line it was booked from), in no particular order: a chunk
    booked later (resumed, or on another worker) gives its payments later numbers."""
    index = {a.pk: i for i, a in enumerate(accounts)}
    lines = dict(
        EntryPayment.objects.filter(payment__account__in=index).values_list(
            "payment_id", "entry__line"
        )
    )
    items = {}
    for account in accounts:
        debits = OpenItem.objects.filter(account=account, payment__isnull=True).order_by("pk")
        for n, item in enumerate(debits):
            items[item.pk] = (index[account.pk], "debit", n)
    for item in OpenItem.objects.filter(account__in=index, payment__isnull=False):
        items[item.pk] = (index[item.account_id], "payment", lines[item.payment_id])
    invoice_items = dict(
        OpenItem.objects.filter(account__in=index, invoice__isnull=False).values_list(
            "invoice_id", "pk"
        )
    )
    payments = sorted(
        (lines[p.pk], index[p.account_id], p.means, p.amount, p.received_on,
         items[invoice_items[p.invoice_id]] if p.invoice_id else None, p.payer_reference,
         p.centre_id)
        for p in Payment.objects.filter(account__in=index)
    )  # fmt: skip
    # The journal per customer line (one per payment) and per account summed: a chunk
    # gathers its payments into one entry per day, centre and means (decision 0014), so
    # the entries themselves depend on the chunk size.
    customer_lines, summed = [], defaultdict(Decimal)
    for line in (
        JournalLine.objects.filter(entry__lines__customer_account__in=index)
        # the billing run's entries gather both sets' invoices
        .exclude(entry__event=posting.RUN_EVENT)
        .select_related("entry")
        .order_by("pk")
        .distinct()
    ):
        entry = line.entry
        key = (entry.journal, entry.entry_date, entry.event, entry.centre_id, line.ledger_account)
        if line.customer_account_id is None:
            summed[key] += line.debit - line.credit
        else:
            customer_lines.append(
                (*key, index.get(line.customer_account_id), line.debit, line.credit)
            )
    return {
        "payments": payments,
        "open_items": sorted(
            (items[o.pk], o.kind, o.amount, o.open_amount, o.cleared_on, o.due_date)
            for o in OpenItem.objects.filter(account__in=index)
        ),
        "allocations": sorted(
            (
                index[a.account_id],
                items[a.debit_id],
                items[a.credit_id],
                a.amount,
                a.allocated_on,
                a.manual,
            )
            for a in Allocation.objects.filter(account__in=index)
        ),  # fmt: skip
        "journal": (sorted(customer_lines), sorted(summed.items())),
        "entries": sorted(
            StatementEntry.objects.filter(
                statement__statement_id=STATEMENTS[id(accounts)]
            ).values_list("line", "status", "amount", "confidence", "bookings__amount")
        ),
    }


STATEMENTS: dict[int, str] = {}


def import_set(accounts, name: str, cashier, **options):
    STATEMENTS[id(accounts)] = name
    return service.statement_import(
        actor=cashier, source=statement_for(accounts, name), filename=f"{name}.xml", **options
    )


def assert_booked_once(outcome) -> None:
    entries = StatementEntry.objects.filter(statement__in=outcome.statements)
    assert not entries.filter(status=EntryStatus.MATCHED).exists()
    for entry in entries.filter(status=EntryStatus.BOOKED):
        assert entry.bookings.count() == 1
        assert Payment.objects.filter(external_reference=entry.reference).count() == 1


@pytest.mark.django_db
def test_pay5_the_run_books_an_accounts_credits_together(two_sets, cashier):
    """PAY-5: the import numbers the matched entries by account (the run takes them in id
    order: an account's credits in one chunk, concurrent chunks on disjoint accounts), the
    unmatched ones after them; the statement still lists its lines in the file's order."""
    _one, chunked = two_sets
    outcome = import_set(chunked, "REL-B", cashier, wait=False, executor=Partial(0))
    entries = list(StatementEntry.objects.filter(statement__in=outcome.statements).order_by("pk"))
    matched = [e for e in entries if e.status == EntryStatus.MATCHED]
    assert len({e.account_id for e in matched}) < len(matched)  # an account pays twice
    assert [(e.account_id, e.line) for e in matched] == sorted(
        (e.account_id, e.line) for e in matched
    )
    assert entries[len(matched) :] == [e for e in entries if e.status != EntryStatus.MATCHED]
    lines = [e.line for e in selectors.statement_entries(statement=outcome.statements[0])]
    assert lines == sorted(lines)
    assert len(lines) == 7


class Partial:
    """An executor that processes the first ``chunks`` chunks and then dies (no finish)."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks

    def submit(self, run) -> None:
        for index in range(self.chunks):
            execute_chunk(run._meta.label_lower, run.pk, index)


@pytest.mark.django_db
@pytest.mark.parametrize("chunk_size", [1, 2, 3])
def test_pay5_chunked_booking_books_like_one_chunk(two_sets, cashier, chunk_size):
    """PAY-5: the same payments, allocations and journal with small chunks as in one."""
    one, chunked = two_sets
    a = import_set(one, "REL-A", cashier)
    b = import_set(chunked, "REL-B", cashier, chunk_size=chunk_size)
    assert a.run_id
    assert b.run_id
    runs = {r.pk: r for r in BatchRun.objects.filter(pk__in=[a.run_id, b.run_id])}
    assert runs[a.run_id].chunks.count() == 1
    assert runs[b.run_id].chunks.count() == -(-6 // chunk_size)
    assert runs[b.run_id].state == RunState.DONE
    assert (a.booked, a.unallocated, a.to_book) == (b.booked, b.unallocated, b.to_book) == (6, 1, 0)
    assert a.booked_total == b.booked_total
    assert fingerprint(one) == fingerprint(chunked)
    assert_booked_once(b)


@pytest.mark.django_db
def test_pay5_a_failing_chunk_then_resume_books_each_credit_once(two_sets, cashier, monkeypatch):
    """PAY-5: a chunk that fails on the database itself (disk full: an ``OperationalError``,
    not one credit's data) is rolled back whole; the import still stands (the file is
    stored, the run failed, what is left is « à comptabiliser »); ``run_resume`` books the
    rest, each credit exactly once, as an uninterrupted run would."""
    one, chunked = two_sets
    import_set(one, "REL-A", cashier)
    real = statement_booking.stage_payments
    calls = {"n": 0}

    def flaky(payments, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            real(payments, **kwargs).write()  # written, then rolled back with the chunk
            raise OperationalError("disque plein")
        return real(payments, **kwargs)

    monkeypatch.setattr(statement_booking, "stage_payments", flaky)
    outcome = import_set(chunked, "REL-B", cashier, chunk_size=2)
    run = BatchRun.objects.get(pk=outcome.run_id)
    assert run.state == RunState.FAILED
    assert "disque plein" in run.last_error
    assert (outcome.booked, outcome.to_book, outcome.unallocated) == (4, 2, 1)
    assert outcome.run_state == RunState.FAILED
    assert StatementEntry.objects.filter(status=EntryStatus.MATCHED).count() == 2

    run = statement_booking.booking_resume(actor=cashier, run=run)
    assert run.state == RunState.DONE
    assert run.chunks.filter(state=ChunkState.DONE).count() == 3
    assert_booked_once(outcome)
    assert fingerprint(one) == fingerprint(chunked)
    final = service.import_outcome(outcome.statements, run)
    assert (final.booked, final.to_book, final.unallocated) == (6, 0, 1)


@pytest.mark.django_db
def test_pay5_a_crash_after_some_chunks_then_resume_completes_identically(two_sets, cashier):
    """PAY-5: the process dies after two chunks of four (the run stays running: stalled);
    ``run_resume`` does the two others only; a replayed chunk books nothing again."""
    one, chunked = two_sets
    import_set(one, "REL-A", cashier)
    outcome = import_set(chunked, "REL-B", cashier, chunk_size=2, executor=Partial(2), wait=False)
    run = BatchRun.objects.get(pk=outcome.run_id)
    assert run.state == RunState.RUNNING
    assert (outcome.booked, outcome.to_book) == (4, 2)
    run_resume(run=run)
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert fingerprint(one) == fingerprint(chunked)
    # A chunk message delivered again finds its chunk done; its entries were booked.
    assert execute_chunk("core.batchrun", run.pk, 0) == "stopped"
    replay = statement_booking._process_chunk(run, list(run.chunks.get(index=0).target_ids))
    assert [i.status for i in replay.items] == ["skipped", "skipped"]
    assert fingerprint(one) == fingerprint(chunked)
    assert_booked_once(outcome)


class Refusing:
    """``stage_payments`` that refuses any batch paying ``account``, after writing it (as a
    database constraint would, mid-way): what it wrote must be rolled back. Records the
    size of each batch it was given."""

    def __init__(self, account) -> None:
        self.account_id = account.pk
        self.calls: list[int] = []
        self.real = statement_booking.stage_payments

    def __call__(self, payments, **kwargs):
        self.calls.append(len(payments))
        staged = self.real(payments, **kwargs)
        if any(p.account_id == self.account_id for p in payments):
            raise IntegrityError("contrainte « payment_amount_positive » violée")
        return staged


def assert_ledger_holds() -> None:
    """``robinet check``'s ledger invariants hold, and suspense (471) is the worklist."""
    assert [(o.invariant.name, o.violations) for o in invariants.run(["ledger."]) if not o.ok] == []
    assert -balance(SUSPENSE) == waiting_total()


@pytest.mark.django_db
def test_pay5_a_credit_that_cannot_be_booked_goes_to_the_worklist_on_suspense(
    two_sets, cashier, monkeypatch
):
    """PAY-5 / PAY-7: one credit whose booking fails does not fail its chunk: the chunk is
    booked again entry by entry, the others are booked, and that one lands in the
    unallocated worklist, posted bank / suspense, with « Comptabilisation impossible : … »
    as its reason; the ledger balances and a replayed chunk books nothing twice."""
    _one, chunked = two_sets
    refused = chunked[3]  # one credit of 7,00 €, the last one
    refusing = Refusing(refused)
    monkeypatch.setattr(statement_booking, "stage_payments", refusing)

    outcome = import_set(chunked, "REL-B", cashier)

    run = BatchRun.objects.get(pk=outcome.run_id)
    assert run.state == RunState.DONE
    assert refusing.calls == [6, 1, 1, 1, 1, 1, 1]  # the chunk, then each of its credits
    assert (outcome.booked, outcome.to_book, outcome.unallocated) == (5, 0, 2)
    entry = StatementEntry.objects.get(statement__statement_id="REL-B", account=refused)
    assert entry.status == EntryStatus.UNALLOCATED
    assert entry.get_status_display() == "En instance d'affectation"
    assert entry.in_suspense
    assert entry.note.startswith("Comptabilisation impossible : IntegrityError: contrainte")
    assert entry.account_id == refused.pk  # the rule's choice, a hint for the officer
    assert entry.invoice_id is None
    assert not entry.bookings.exists()
    assert not Payment.objects.filter(account=refused).exists()
    assert not OpenItem.objects.filter(account=refused, payment__isnull=False).exists()
    assert entry in list(selectors.worklist(user=cashier))
    posted = JournalEntry.objects.get(event="unallocated_credit", piece_ref=entry.reference[-40:])
    assert posted.lines.get(ledger_account=SUSPENSE).credit == Decimal("7.00")
    item = run.items.get(target_id=entry.pk)
    assert (item.status, item.error_code, item.message) == ("skipped", "booking_failed", entry.note)
    assert (run.succeeded, run.skipped, run.failed) == (5, 1, 0)
    assert_booked_once(outcome)
    assert_ledger_holds()

    # A chunk message delivered again: every entry is done, nothing is booked or posted twice.
    journal = JournalEntry.objects.count()
    replay = statement_booking._process_chunk(run, list(run.chunks.get(index=0).target_ids))
    assert {(i.status, i.error_code) for i in replay.items} == {("skipped", "entry_not_to_book")}
    assert JournalEntry.objects.count() == journal
    assert Payment.objects.filter(account__in=[a.pk for a in chunked]).count() == 5
    assert_ledger_holds()


@pytest.mark.django_db
def test_pay5_resume_after_a_failed_chunk_keeps_the_credit_not_booked_in_the_worklist(
    two_sets, cashier, monkeypatch
):
    """PAY-5: a run with a credit sent to the worklist in one chunk and another chunk
    failed on the database is resumed: the failed chunk is booked, the credit stays in the
    worklist, posted to suspense once, and nothing is booked twice."""
    _one, chunked = two_sets
    refused = chunked[3]  # one credit of 7,00 €, the last one: in the third chunk of two
    refusing = Refusing(refused)
    failed_once = []

    def flaky(payments, **kwargs):
        if not failed_once:
            failed_once.append(True)
            raise OperationalError("disque plein")  # the first chunk fails whole
        return refusing(payments, **kwargs)

    monkeypatch.setattr(statement_booking, "stage_payments", flaky)
    outcome = import_set(chunked, "REL-B", cashier, chunk_size=2)
    run = BatchRun.objects.get(pk=outcome.run_id)
    assert run.state == RunState.FAILED
    assert (outcome.booked, outcome.to_book, outcome.unallocated) == (3, 2, 2)
    assert_ledger_holds()

    run = statement_booking.booking_resume(actor=cashier, run=run)

    assert run.state == RunState.DONE
    final = service.import_outcome(outcome.statements, run)
    assert (final.booked, final.to_book, final.unallocated) == (5, 0, 2)
    entry = StatementEntry.objects.get(statement__statement_id="REL-B", account=refused)
    assert entry.status == EntryStatus.UNALLOCATED
    assert (
        JournalEntry.objects.filter(
            event="unallocated_credit", piece_ref=entry.reference[-40:]
        ).count()
        == 1
    )
    assert_booked_once(outcome)
    assert_ledger_holds()


@pytest.mark.django_db
@pytest.mark.parametrize(("chunk_size", "calls"), [(100, [6]), (2, [2, 2, 2])])
def test_pay5_a_chunk_without_failure_is_booked_in_one_call(
    two_sets, cashier, monkeypatch, chunk_size, calls
):
    """PAY-5: when nothing fails, each chunk books all its credits in one batch (the entry
    by entry path is only the fallback), and nothing goes to the worklist."""
    _one, chunked = two_sets
    real = statement_booking.stage_payments
    sizes: list[int] = []

    def counting(payments, **kwargs):
        sizes.append(len(payments))
        return real(payments, **kwargs)

    monkeypatch.setattr(statement_booking, "stage_payments", counting)
    outcome = import_set(chunked, "REL-B", cashier, chunk_size=chunk_size)
    assert sizes == calls
    assert (outcome.booked, outcome.to_book, outcome.unallocated) == (6, 0, 1)
    assert not StatementEntry.objects.filter(note__startswith="Comptabilisation").exists()
    assert_ledger_holds()


class Idle:
    def submit(self, run) -> None:
        pass


@pytest.mark.django_db
def test_pay5_entries_to_book_are_not_in_the_unallocated_worklist(billed, cashier, client):
    """PAY-5: while the run has not booked them, matched credits are « À comptabiliser »,
    neither unallocated (worklist, ageing) nor booked; the statement page shows the run,
    and offers « Reprendre » once it failed."""
    first, _second = invoices(billed)
    outcome = service.statement_import(
        actor=cashier,
        source=camt(
            credit(first.total_incl_vat, remittance=f"FACTURE {first.number}"),
            credit("4.00", debtor_name="ZZ INCONNU"),
        ),
        filename="releve.xml",
        executor=Idle(),
        wait=False,
    )
    assert (outcome.booked, outcome.to_book, outcome.unallocated) == (0, 1, 1)
    assert outcome.to_book_total == first.total_incl_vat
    matched = StatementEntry.objects.get(status=EntryStatus.MATCHED)
    assert matched.get_status_display() == "À comptabiliser"
    assert matched.account_id == billed.pk
    assert matched.invoice_id == first.pk
    assert list(selectors.worklist(user=cashier)) == [
        StatementEntry.objects.get(status=EntryStatus.UNALLOCATED)
    ]
    assert (
        sum(
            row.count for row in selectors.worklist_ageing(user=cashier, today=dt.date(2026, 2, 15))
        )
        == 1
    )
    assert not Payment.objects.exists()

    statement = outcome.statements[0]
    client.force_login(cashier)
    page = client.get(f"/payments/bank-statements/{statement.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="statement-booking"' in html
    assert "hx-trigger" in html
    assert 'data-run-state="running"' in html
    assert "À comptabiliser" in html
    worklist = client.get("/payments/unallocated/").content.decode()
    assert "ZZ INCONNU" in worklist
    assert first.number not in worklist

    run = BatchRun.objects.get(pk=outcome.run_id)
    BatchRun.objects.filter(pk=run.pk).update(state=RunState.FAILED)
    html = client.get(f"/payments/bank-statements/{statement.pk}/").content.decode()
    assert 'id="statement-booking-resume"' in html
    response = client.post(f"/payments/bank-statements/{statement.pk}/booking/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == RunState.DONE
    assert StatementEntry.objects.filter(status=EntryStatus.BOOKED).count() == 1
    assert Payment.objects.get().invoice_id == first.pk


# --- on Celery workers (PostgreSQL + Redis) -----------------------------------------------


def _worker(env: dict, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "robinet", "worker", "--name", name, "--loglevel", "WARNING"],
        env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_pay5_booking_on_two_workers_books_like_in_process(two_sets, cashier, monkeypatch):
    """PAY-5 on Celery: two ``robinet worker`` processes share the booking chunks and the
    books are those of the in-process booking."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")
    if not BROKER:
        pytest.skip("needs a broker: set ROBINET_TEST_BROKER_URL (e.g. redis://127.0.0.1:6379/6)")
    import signal

    from robinet.core import distributed

    one, chunked = two_sets
    import_set(one, "REL-A", cashier)
    queue = f"robinet-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ROBINET_"))},
        "DJANGO_SETTINGS_MODULE": "robinet.settings",
        "ROBINET_DEBUG": "1",
        "ROBINET_DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "ROBINET_BROKER_URL": BROKER,
        "ROBINET_RUN_QUEUE": queue,
    }
    workers = [_worker(env, f"stmt-{n}") for n in range(2)]
    try:
        with override_settings(ROBINET_BROKER_URL=BROKER, ROBINET_RUN_QUEUE=queue):
            monkeypatch.setattr(distributed, "_app", None)
            started = time.monotonic()
            outcome = import_set(
                chunked, "REL-B", cashier, chunk_size=1, executor=distributed.CeleryExecutor()
            )
            monkeypatch.setattr(distributed, "_app", None)
        assert time.monotonic() - started < 240
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    run = BatchRun.objects.get(pk=outcome.run_id)
    assert run.state == RunState.DONE
    assert (outcome.booked, outcome.to_book, outcome.unallocated) == (6, 0, 1)
    assert outcome.booked_total == sum(
        StatementEntry.objects.filter(
            statement__statement_id="REL-A", status=EntryStatus.BOOKED
        ).values_list("amount", flat=True),
        Decimal("0.00"),
    )
    signed = set(run.chunks.values_list("worker", flat=True))
    assert signed
    assert all(w.startswith("celery@stmt-") or "stmt-" in w for w in signed)
    assert fingerprint(one) == fingerprint(chunked)


@pytest.mark.django_db
def test_pay5_api_import_says_what_its_booking_run_did(billed, cashier):
    """PAY-5: the API's outcome names the booking run, its state and what is left to book."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from robinet.organisation.services import api_token_create
    from tests.customers.api.test_api import ApiClient

    api = ApiClient(api_token_create(user=cashier))
    first, _second = invoices(billed)
    response = Client().post(
        "/api/v1/payments/bank-statements",
        {"file": SimpleUploadedFile("r.xml", camt(credit(first.total_incl_vat,
                                                         remittance=first.number)))},
        headers=api.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    run = BatchRun.objects.get(kind=statement_booking.KIND)
    assert (body["booked"], body["to_book"], body["run"], body["run_state"]) == (
        1, 0, run.pk, "done",
    )  # fmt: skip
    assert Decimal(body["to_book_total"]) == 0


@pytest.mark.django_db
def test_pay5_command_prints_the_run_and_resume_finishes_it(billed, tmp_path, capsys, monkeypatch):
    """PAY-5: ``robinet bank import`` prints the booking run; when it failed the command
    exits 3 naming ``robinet bank resume RUN``, which books what is left."""
    from django.core.management import CommandError, call_command

    first, second = invoices(billed)
    path = tmp_path / "releve.xml"
    path.write_bytes(
        camt(
            credit(first.total_incl_vat, remittance=first.number),
            credit(second.total_incl_vat, remittance=second.number),
        )
    )
    real = statement_booking.stage_payments
    calls = {"n": 0}

    def flaky(payments, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("disque plein")
        return real(payments, **kwargs)

    monkeypatch.setattr(statement_booking, "stage_payments", flaky)
    with pytest.raises(CommandError, match="robinet bank resume") as failed:
        call_command("bank", "import", str(path), "--chunk-size", "1")
    assert failed.value.returncode == 3
    captured = capsys.readouterr()
    run = BatchRun.objects.get(kind=statement_booking.KIND)
    assert f"Comptabilisation n° {run.pk} : en échec, 1/2 virements" in captured.err
    assert "1 virement(s) reconnu(s) encore à comptabiliser" in captured.out

    call_command("bank", "resume", str(run.pk))
    out = capsys.readouterr().out
    assert "2 virement(s) affecté(s)" in out
    assert f"Comptabilisation n° {run.pk} : terminé, 2/2 virements comptabilisés." in out
    assert Payment.objects.count() == 2
    assert not StatementEntry.objects.filter(status=EntryStatus.MATCHED).exists()
