"""Power cut during an import (issue 13, principle 5): an import command killed with SIGKILL
while it is writing leaves nothing behind — no row in any table, no record of the file — and
the same file then imports whole, as if nothing had happened.

The imports a utility runs in bulk: meter readings (METER-1), the legacy customer file
(CUST-1…6), the opening balances (PAY-1) and the bank statement (PAY-5: camt.053, CFONB 120,
MT940); the legacy service points and contracts are in ``test_power_cut_legacy``."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from robinet.core import clock
from robinet.customers.models import CustomerAccount, Meter
from robinet.demo.generator import generate
from robinet.ledger.imports import import_open_items
from robinet.organisation.models import Entity, EntityKind
from robinet.payments.statement_booking import CHUNK_SIZE as BOOKING_CHUNK
from robinet.payments.statement_samples import SampleCredit, camt053, cfonb120, mt940

pytestmark = pytest.mark.django_db(transaction=True)

MONTHS = 10
CUSTOMERS = 2000
WRITING = """
    SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE c.relname = ANY(%s) AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()
"""
# Written by every import before its rows: the file's record, its audit event, numbering.
BOOKKEEPING = {"core_importfile", "core_auditevent", "core_sequence"}
TABLES = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname
"""


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")


def _url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _counts(cursor) -> dict[str, int]:
    """The number of rows of every table of the database."""
    tables = [name for (name,) in cursor.execute(TABLES).fetchall()]
    query = " UNION ALL ".join(f'SELECT {n}, count(*) FROM "{t}"' for n, t in enumerate(tables))
    counted = dict(cursor.execute(query).fetchall())
    return {table: counted[n] for n, table in enumerate(tables)}


def _env(url: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ROBINET_"))},
        "DJANGO_SETTINGS_MODULE": "robinet.settings",
        "ROBINET_DEBUG": "1",
        "ROBINET_DATABASE_URL": url,
    }


def _cut_then_import_whole(
    command: list[str],
    writes: dict[str, int],
    *,
    state: str = "",
    timeout: float = 300,
    watch: list[str] | None = None,
) -> tuple:
    """Issue 13, principle 5: run ``robinet *command*`` and SIGKILL it (its whole process
    group: the power cut) once it holds a row-exclusive lock on one of the tables it writes
    in bulk (more than one row in ``writes``, not ``BOOKKEEPING``: those are written first
    and say the import has begun, not that it is writing its rows); then every table of
    the database has the rows it had before, and the same command, run again, exits 0
    having added exactly ``writes[table]`` rows to each of ``writes`` (and changed the row
    count of no other table).

    ``state``, a query, checks what counts cannot see (rows the import updates): its
    result after the kill is the one before. ``watch``: the tables whose lock means the
    import is writing, when not all of ``writes`` (an import whose committed work goes on
    in a run). Returns its results before and after the re-run."""
    url = _url()
    env = _env(url)
    argv = [sys.executable, "-m", "robinet", *command]
    with psycopg.connect(url, autocommit=True) as watcher:
        before = _counts(watcher)
        state_before = watcher.execute(state).fetchall() if state else None
        assert set(writes) <= set(before), "unknown tables"
        bulk = watch or [t for t, rows in writes.items() if rows > 1 and t not in BOOKKEEPING]
        process = subprocess.Popen(
            argv, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        writing = False
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            if watcher.execute(WRITING, (bulk,)).fetchone()[0]:
                writing = True
                break
            time.sleep(0.01)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the power cut
        process.wait(timeout=60)
        assert writing, (
            f"the import ended before it was seen writing: {process.returncode} "
            f"{process.stderr.read().decode()[-2000:]}"
        )

        left = {t: (before[t], n) for t, n in _counts(watcher).items() if n != before.get(t)}
        assert not left, f"rows left behind by the killed import (before, after): {left}"
        if state:
            assert watcher.execute(state).fetchall() == state_before

        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stderr[-2000:]
        after = _counts(watcher)
        state_after = watcher.execute(state).fetchall() if state else None
    added = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    assert added == writes, f"rows added by the import: {added}"
    return state_before, state_after


def _history(months: int) -> dt.date:
    """The demo utility of ``CUSTOMERS`` accounts, generated ``months`` months ago."""
    today = clock.today()
    generate(customers=CUSTOMERS, today=today - dt.timedelta(days=30 * months + 30))
    return today


# --- readings (METER-1) ----------------------------------------------------------------------


def _readings_file(path, today: dt.date) -> int:
    lines = ["meter_serial;date;index;source"]
    first = today - dt.timedelta(days=30 * MONTHS)
    for n, serial in enumerate(Meter.objects.order_by("pk").values_list("serial", flat=True)):
        index = 1000 + n % 97
        for month in range(MONTHS):
            index += 3 + (n + month) % 11
            on = first + dt.timedelta(days=30 * month)
            lines.append(f"{serial};{on.isoformat()};{index};field")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def test_a_readings_import_killed_while_writing_leaves_nothing_and_then_imports_whole(
    postgres, tmp_path
):
    """Issue 13, METER-1: ``robinet readings import`` — the readings and the file's record."""
    today = _history(MONTHS)
    csv = tmp_path / "releves.csv"
    rows = _readings_file(csv, today)
    _cut_then_import_whole(
        ["readings", "import", str(csv)],
        {"metering_reading": rows, "core_importfile": 1, "core_auditevent": 1},
    )


# --- legacy customers (CUST-1…6) -------------------------------------------------------------


def _customers_file(path, lines: int) -> None:
    centres = list(Entity.objects.filter(kind=EntityKind.CENTRE).values_list("code", flat=True))
    out = ["centre;kind;civility;name;first_name;customer_class;email"]
    for n in range(lines):
        out.append(
            f"{centres[n % len(centres)]};person;{'M.' if n % 2 else 'Mme'};Reprise{n};"
            f"Prénom{n % 500};individual;reprise{n}@example.fr"
        )
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_a_legacy_customer_import_killed_while_writing_leaves_nothing_and_then_imports_whole(
    postgres, tmp_path
):
    """Issue 13, CUST-1…6: ``robinet import customers`` — parties, accounts, the file's record
    and its audit event."""
    _history(1)
    csv = tmp_path / "clients.csv"
    lines = 20_000
    _customers_file(csv, lines)
    _cut_then_import_whole(
        ["import", "customers", str(csv)],
        {
            "customers_party": lines,
            "customers_customeraccount": lines,
            "core_importfile": 1,
            "core_auditevent": 1,
        },
    )


# --- opening balances (PAY-1) ----------------------------------------------------------------


def _opening_balances(today: dt.date, per_account: int) -> list[tuple[str, str, Decimal]]:
    numbers = CustomerAccount.objects.order_by("pk").values_list("number", flat=True)
    return [
        (number, f"ANC-{n:06d}-{k}", Decimal(1000 + (n * 37 + k * 11) % 20000) / 100)
        for n, number in enumerate(numbers)
        for k in range(per_account)
    ]


def _open_items_file(path, items, today: dt.date) -> None:
    on = (today - dt.timedelta(days=60)).isoformat()
    out = ["account;document;date;amount;label"]
    out += [f"{a};{d};{on};{amount};Facture ancien système" for a, d, amount in items]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_an_opening_balances_import_killed_while_writing_leaves_nothing_and_then_imports_whole(
    postgres, tmp_path
):
    """Issue 13, PAY-1: ``robinet import open-items`` — the open items, their à-nouveaux
    journal entries (two lines each, numbered in a new series of the journal), the file's
    record and its audit event."""
    today = _history(1)
    items = _opening_balances(today, per_account=3)
    csv = tmp_path / "soldes.csv"
    _open_items_file(csv, items, today)
    _cut_then_import_whole(
        ["import", "open-items", str(csv)],
        {
            "ledger_openitem": len(items),
            "ledger_journalentry": len(items),
            "ledger_journalline": 2 * len(items),
            "core_sequence": 1,
            "core_importfile": 1,
            "core_auditevent": 1,
        },
    )


# --- bank statement (PAY-5) ------------------------------------------------------------------

# What the booking updates: the opening balances still open, and their open amount.
OPENING_BALANCES = """
    SELECT count(*) FILTER (WHERE cleared_on IS NULL), sum(open_amount)
    FROM ledger_openitem WHERE kind = 'opening'
"""


def _bank_statement(tmp_path, form: str = "camt053") -> tuple:
    """Opening balances taken over, and a statement (camt.053, CFONB 120 or MT940) paying
    nine in ten of them (the tenth credit matches nothing): (file, items, amounts paid,
    unmatched count)."""
    today = _history(1)
    items = _opening_balances(today, per_account=1)
    soldes = tmp_path / "soldes.csv"
    _open_items_file(soldes, items, today)
    import_open_items(soldes, filename=soldes.name)
    credits = [
        SampleCredit(amount, f"PAYEUR {n}", remittance=f"CLIENT {number}")
        if n % 10
        else SampleCredit(Decimal(100 + n) / 100, "ZZ INCONNU", remittance="VIREMENT")
        for n, (number, _document, amount) in enumerate(items)
    ]
    iban, day = settings.ROBINET_UTILITY["iban"], today - dt.timedelta(days=1)
    xml = tmp_path / f"releve.{form}"
    if form == "cfonb":
        xml.write_bytes(cfonb120(iban=iban, start=day, end=day, credits=credits))
    elif form == "mt940":
        xml.write_bytes(mt940(iban=iban, day=day, credits=credits))
    else:
        xml.write_bytes(
            camt053(statement_id=f"COUPURE-{today:%Y%m%d}", iban=iban, day=day, credits=credits)
        )
    paid = [amount for n, (_number, _document, amount) in enumerate(items) if n % 10]
    return xml, items, paid, len(credits) - len(paid)


def _payment_entries(items, chunk_size: int) -> int:
    """Decision 0014: a booking chunk posts its payments in one entry per centre (one day,
    one means); the chunks take the matched credits by account (one per paid account)."""
    numbers = [number for n, (number, _document, _amount) in enumerate(items) if n % 10]
    centres = [
        centre
        for _pk, centre in sorted(
            CustomerAccount.objects.filter(number__in=numbers).values_list("pk", "centre_id")
        )
    ]
    return sum(
        len(set(centres[start : start + chunk_size]))
        for start in range(0, len(centres), chunk_size)
    )


def _statement_writes(
    booked: int, unmatched: int, chunks: int, audit: int, payment_entries: int
) -> dict[str, int]:
    return {
        "payments_bankstatement": 1,
        "payments_statemententry": booked + unmatched,
        "payments_payment": booked,
        "payments_entrypayment": booked,
        "ledger_openitem": booked,  # the payments' credit items
        "ledger_allocation": booked,
        "ledger_journalentry": payment_entries + unmatched,  # the unmatched in suspense
        # a line per payment and one per entry of payments; two per credit in suspense
        "ledger_journalline": booked + payment_entries + 2 * unmatched,
        "core_sequence": 2,  # payment numbers, bank journal
        "core_importfile": 1,
        # the booking run (PAY-5): one run, its chunks; the events: the file recorded and
        # imported, the run created, proposed, approved, started (and resumed), finished
        "core_batchrun": 1,
        "core_batchrunchunk": chunks,
        "core_auditevent": audit,
    }


@pytest.mark.parametrize("form", ["camt053", "cfonb", "mt940"])
def test_a_bank_statement_import_killed_while_writing_leaves_nothing_and_then_imports_whole(
    postgres, tmp_path, form
):
    """Issue 13, PAY-5, PAY-1: ``robinet bank import`` of a statement — camt.053, CFONB 120
    or MT940 — paying the opening balances taken over, killed while its one transaction
    writes — the statement, its entries, the unmatched credits in suspense, the booking
    run's plan, the file's record: nothing left. Run again, it imports whole and its
    booking run books every match."""
    xml, items, paid, unmatched = _bank_statement(tmp_path, form)
    booked = len(paid)
    before, after = _cut_then_import_whole(
        ["bank", "import", str(xml)],
        _statement_writes(
            booked,
            unmatched,
            -(-booked // BOOKING_CHUNK),
            audit=7,
            payment_entries=_payment_entries(items, BOOKING_CHUNK),
        ),  # fmt: skip
        state=OPENING_BALANCES,
        watch=["payments_bankstatement"],  # written only by the import's transaction
    )
    total = sum(amount for _number, _document, amount in items)
    assert before == [(len(items), total)]
    assert after == [(unmatched, total - sum(paid))]


def test_a_bank_statement_booking_run_killed_mid_way_then_resumed_books_each_credit_once(
    postgres, tmp_path
):
    """PAY-5: ``robinet bank import --chunk-size 100`` SIGKILLed once a third of its
    booking run's chunks are committed: the statement stays imported, the rest « à
    comptabiliser »; ``robinet bank resume RUN`` books exactly the rest — the rows and
    balances of an uninterrupted import, every credit booked once."""
    xml, items, paid, unmatched = _bank_statement(tmp_path)
    booked, chunks = len(paid), -(-len(paid) // 100)
    url = _url()
    env = _env(url)
    argv = [sys.executable, "-m", "robinet", "bank"]
    with psycopg.connect(url, autocommit=True) as watcher:
        before = _counts(watcher)
        process = subprocess.Popen(
            [*argv, "import", str(xml), "--chunk-size", "100"],
            env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        done, deadline = 0, time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            done = watcher.execute(
                "SELECT count(*) FROM core_batchrunchunk WHERE state = 'done'"
            ).fetchone()[0]
            if done >= chunks // 3:
                break
            time.sleep(0.01)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the power cut, mid-run
        process.wait(timeout=60)
        assert 0 < done < chunks, f"the run was not cut mid-way: {done}/{chunks} chunks"
        ((run_id, state),) = watcher.execute("SELECT id, state FROM core_batchrun").fetchall()
        assert state == "running"
        to_book = watcher.execute(
            "SELECT count(*) FROM payments_statemententry WHERE status = 'matched'"
        ).fetchone()[0]
        paid_so_far = watcher.execute("SELECT count(*) FROM payments_payment").fetchone()[0]
        assert to_book + paid_so_far - before["payments_payment"] == booked
        assert to_book > 0

        resumed = subprocess.run(
            [*argv, "resume", str(run_id)], env=env, capture_output=True, text=True, timeout=300
        )
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        after = _counts(watcher)
        balances = watcher.execute(OPENING_BALANCES).fetchall()
        twice = watcher.execute(
            "SELECT count(*) FROM (SELECT external_reference FROM payments_payment "
            "GROUP BY external_reference HAVING count(*) > 1) t"
        ).fetchone()[0]
    added = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    assert added == _statement_writes(
        booked, unmatched, chunks, audit=8, payment_entries=_payment_entries(items, 100)
    )  # + run.resumed
    total = sum(amount for _number, _document, amount in items)
    assert balances == [(unmatched, total - sum(paid))]
    assert twice == 0
