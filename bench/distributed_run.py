"""A billing run on Celery workers gives exactly the in-process run's bills (issue 13).

    uv run python bench/distributed_run.py --customers 100000
    uv run python bench/distributed_run.py --customers 100000 --kill-one
    uv run python bench/distributed_run.py --customers 2000 --workers 3 --broker redis://127.0.0.1:6379/14
    uv run python bench/distributed_run.py --prepared DATABASE --chunk-size 20 --kill-one
    uv run python bench/distributed_run.py --customers 20000 --crash-in-process

Builds the demo utility once on PostgreSQL (database A), copies it as database
B (``CREATE DATABASE … TEMPLATE``), bills the same period on A in-process and
on B with ``--workers`` ``robinet worker`` processes fed through the broker
(Redis by default). With ``--kill-one`` the first worker is killed with
SIGKILL once a third of the chunks are done (mid-chunk, most likely): its
chunk must be handed to another worker and the run must still complete. With
``--crash-in-process`` B is billed instead by ``robinet billing run`` in its own
process, SIGKILLed a third of the way, then finished by ``robinet billing
resume``: the crash test of an in-process run.

Then compares, contract by contract, what both runs wrote — invoices (kind,
period, dates, totals, volume), their lines, open items, held bills, journal
totals per ledger account — and checks that B's invoice numbers are gapless
and unique. Prints the timings and exits 1 on any difference. Both databases
are dropped at the end (``--keep`` keeps them). ``--prepared NAME`` copies an
existing database ready to bill instead of generating one (the test suite
does that with its own).
"""

import argparse
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import LOCAL_POSTGRES, billing_utility, setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 22)
PERIOD_END = dt.date(2025, 6, 30)


def fingerprint(run) -> dict:
    """What a billing run wrote, keyed by contract (independent of ids and numbers)."""
    from django.db.models import Sum

    from robinet.billing.models import HeldBill, Invoice, InvoiceLine
    from robinet.ledger.models import JournalLine, OpenItem

    invoices = {}
    fields = (
        "id", "contract_id", "kind", "period_start", "period_end", "issue_date", "due_date",
        "total_excl_vat", "total_vat", "total_incl_vat", "volume",
    )  # fmt: skip
    by_id = {}
    for row in Invoice.objects.filter(run=run).values(*fields):
        invoice_id = row.pop("id")
        key = (row["contract_id"], row["period_start"], row["kind"])
        if key in invoices:
            raise AssertionError(f"two invoices for {key}")
        invoices[key] = {"invoice": row, "lines": [], "open": None}
        by_id[invoice_id] = key
    line_fields = (
        "invoice_id", "position", "component_code", "quantity", "unit_price",
        "amount_excl_vat", "vat_rate", "period_start", "period_end",
    )  # fmt: skip
    lines = InvoiceLine.objects.filter(invoice__run=run).order_by("invoice_id", "position")
    for row in lines.values_list(*line_fields):
        invoices[by_id[row[0]]]["lines"].append(row[1:])
    for invoice_id, amount, due in OpenItem.objects.filter(invoice__run=run).values_list(
        "invoice_id", "amount", "due_date"
    ):
        invoices[by_id[invoice_id]]["open"] = (amount, due)
    held = sorted(
        HeldBill.objects.filter(run=run).values_list("contract_id", "period_start", "kind")
    )
    journal = {
        account: (debit, credit)
        for account, debit, credit in JournalLine.objects.values_list("ledger_account")
        .annotate(Sum("debit"), Sum("credit"))
        .order_by("ledger_account")
    }
    return {"invoices": invoices, "held": held, "journal": journal}


def gapless_numbers(run) -> str:
    """'' when the run's numbers continue the series without a hole or a repeat."""
    from robinet.billing.models import Invoice

    problems = []
    per_series: dict[tuple, list[int]] = {}
    for series, year, sequence in Invoice.objects.values_list("series", "year", "sequence"):
        per_series.setdefault((series, year), []).append(sequence)
    for key, sequences in per_series.items():
        repeated = [s for s, n in Counter(sequences).items() if n > 1]
        if repeated:
            problems.append(f"{key}: repeated {repeated[:5]}")
        if sorted(sequences) != list(range(1, len(sequences) + 1)):
            problems.append(f"{key}: holes in 1..{max(sequences)}")
    return "; ".join(problems)


def differences(a: dict, b: dict) -> list[str]:
    found = []
    if a["held"] != b["held"]:
        found.append(f"held bills differ: {len(a['held'])} vs {len(b['held'])}")
    if a["journal"] != b["journal"]:
        found.append("journal totals per ledger account differ")
    missing = a["invoices"].keys() - b["invoices"].keys()
    extra = b["invoices"].keys() - a["invoices"].keys()
    if missing or extra:
        found.append(f"{len(missing)} invoices missing, {len(extra)} extra in the distributed run")
    for key in sorted(a["invoices"].keys() & b["invoices"].keys()):
        if a["invoices"][key] != b["invoices"][key]:
            found.append(f"invoice of contract {key[0]} for {key[1]} differs")
            if len(found) > 10:
                break
    return found


def start_worker(n: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "robinet",
            "worker",
            "--name",
            f"bench-{n}",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        start_new_session=True,  # its own process group: SIGKILL takes the pool with it
        stdout=subprocess.DEVNULL,
    )


def killer(chunks: int, kill, what: str):
    """A progress callback that calls ``kill()`` once a third of the chunks are done."""
    state = {"killed": False}

    def watch(run) -> None:
        if state["killed"]:
            return
        done = run.chunks.filter(state="done").count()
        if done >= max(1, chunks // 3):
            kill()
            state["killed"] = True
            print(f"killed {what} after {done}/{chunks} chunks")

    return watch, state


def on_workers(env: dict, args, bill) -> tuple:
    """Bill B through ``args.workers`` workers; with ``--kill-one``, SIGKILL the first."""
    from robinet.core.runs import wait_for_run

    workers = [start_worker(n, env) for n in range(args.workers)]
    try:
        run = bill()
        watch, state = killer(
            run.chunks.count(), lambda: os.killpg(workers[0].pid, signal.SIGKILL), "worker bench-0"
        )
        run = wait_for_run(
            run,
            on_progress=watch if args.kill_one else None,
            poll_seconds=0.2,
            timeout=args.timeout,
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    return run, state["killed"]


def crashed_then_resumed(env: dict, params: dict, timeout: float) -> tuple:
    """``robinet billing run`` on B, SIGKILLed a third of the way, then ``billing resume``."""
    from robinet.core.models import BatchRun

    env = {**env, "ROBINET_BROKER_URL": ""}  # the run in the command's own process
    command = [
        sys.executable, "-m", "robinet", "billing", "run",
        "--period-end", PERIOD_END.isoformat(),
        "--issue-date", (PERIOD_END + dt.timedelta(days=5)).isoformat(),
    ]  # fmt: skip
    if params.get("chunk_size"):
        command += ["--chunk-size", str(params["chunk_size"])]
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    run = None
    while run is None and process.poll() is None and time.monotonic() < deadline:
        run = BatchRun.objects.filter(kind="billing", state="running").first()
        time.sleep(0.05)
    if run is None:
        raise RuntimeError("the billing command ended before its run was seen running")
    watch, state = killer(
        run.chunks.count(), lambda: os.killpg(process.pid, signal.SIGKILL), "the billing command"
    )
    while process.poll() is None and not state["killed"] and time.monotonic() < deadline:
        run.refresh_from_db()
        watch(run)
        time.sleep(0.02)
    process.wait(timeout=60)
    subprocess.run(
        [sys.executable, "-m", "robinet", "billing", "resume", str(run.pk)],
        env=env, check=True, stdout=subprocess.DEVNULL, timeout=timeout,
    )  # fmt: skip
    run.refresh_from_db()
    return run, state["killed"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL a worker mid-run")
    parser.add_argument(
        "--crash-in-process",
        action="store_true",
        help="instead of workers: SIGKILL an in-process run mid-run, then resume it",
    )
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--server", default=LOCAL_POSTGRES, help="PostgreSQL server URL")
    parser.add_argument("--name", default="robinet_bench_dist", help="database name prefix")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument(
        "--prepared", help="copy this database (a utility ready to bill) instead of generating"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    queue = f"robinet-bench-{os.getpid()}"  # a queue of our own on a shared broker
    visibility = "5"
    os.environ.update(
        ROBINET_BROKER_URL=args.broker,
        ROBINET_RUN_QUEUE=queue,
        ROBINET_BROKER_VISIBILITY_TIMEOUT=visibility,
    )
    name_a, name_b = f"{args.name}_a", f"{args.name}_b"
    host = ["-h", "127.0.0.1", "-U", "postgres"]
    if args.prepared:
        for name in (name_a, name_b):
            subprocess.run(["dropdb", *host, "--if-exists", name], check=True)
            subprocess.run(["createdb", *host, "-T", args.prepared, name], check=True)
        os.environ["ROBINET_DATABASE_URL"] = f"{args.server}/{name_a}"
        os.environ.setdefault("ROBINET_DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
        import django

        django.setup()
    else:
        setup_database("postgres", name_a, keep=args.keep, server=args.server)
    from django.core.management import CommandError, call_command
    from django.db import connection, connections

    from robinet.billing.services import billing_run_create, billing_run_execute
    from robinet.core.distributed import CeleryExecutor
    from robinet.core.runs import InProcessExecutor, run_worker_progress

    if not args.prepared:
        billing_utility(args.customers, TODAY)
        connections.close_all()
        subprocess.run(["dropdb", *host, "--if-exists", name_b], check=True)
        subprocess.run(["createdb", *host, "-T", name_a, name_b], check=True)
    params = {"chunk_size": args.chunk_size} if args.chunk_size else {}

    def bill(executor):
        run = billing_run_create(
            actor=None,
            period_end=PERIOD_END,
            issue_date=PERIOD_END + dt.timedelta(days=5),
            **params,
        )
        return billing_run_execute(actor=None, run=run, executor=executor)

    started = time.perf_counter()
    run_a = bill(InProcessExecutor())
    in_process = time.perf_counter() - started
    print(f"in-process run on A: {run_a.state}, {run_a.total:,} contracts in {in_process:.1f} s")
    print_a = fingerprint(run_a)

    connections.close_all()
    connection.settings_dict["NAME"] = name_b
    env = {**os.environ, "ROBINET_DATABASE_URL": f"{args.server}/{name_b}"}
    started = time.perf_counter()
    if args.crash_in_process:
        run_b, killed = crashed_then_resumed(env, params, args.timeout)
        label_b = "in-process, SIGKILLed then resumed"
    else:
        run_b, killed = on_workers(env, args, lambda: bill(CeleryExecutor()))
        label_b = f"{args.workers} Celery workers" + (" (one killed)" if killed else "")
    seconds_b = time.perf_counter() - started
    print(f"{label_b} on B: {run_b.state}, {run_b.total:,} contracts in {seconds_b:.1f} s")
    for progress in run_worker_progress(run_b):
        print(f"  {progress.worker:<40} {progress.chunks:>5} chunks {progress.items:>8,} contracts")
    print_b = fingerprint(run_b)
    problems = differences(print_a, print_b)
    gaps = gapless_numbers(run_b)
    if gaps:
        problems.append(f"invoice numbers: {gaps}")
    try:  # every invariant of the data still holds on B (robinet check)
        call_command("check", "--data-only", stdout=io.StringIO())
    except CommandError as exc:
        problems.append(f"robinet check: {exc}")
    if run_b.state != "done" or run_a.state != "done":
        problems.append(f"run states: in-process {run_a.state}, distributed {run_b.state}")
    if (args.kill_one or args.crash_in_process) and not killed:
        problems.append("the run ended before it could be killed")

    def total(fp):
        return sum((i["invoice"]["total_incl_vat"] for i in fp["invoices"].values()), Decimal(0))

    print()
    print("| run | contracts | invoices | total incl. VAT (EUR) | seconds |")
    print("|---|---:|---:|---:|---:|")
    for label, run, fp, seconds in (
        ("in-process", run_a, print_a, in_process),
        (label_b, run_b, print_b, seconds_b),
    ):
        print(
            f"| {label} | {run.total:,} | {len(fp['invoices']):,} | {total(fp)} | {seconds:.1f} |"
        )
    print()
    connections.close_all()
    if not args.keep:
        subprocess.run(["dropdb", *host, "--if-exists", name_b], check=False)
        if args.prepared:  # setup_database drops A itself at exit otherwise
            subprocess.run(["dropdb", *host, "--if-exists", name_a], check=False)
        connection.settings_dict["NAME"] = name_a
    if problems:
        print("DIFFERENCES:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("identical: same invoices, lines, open items, held bills and journal; numbers gapless")
    return 0


if __name__ == "__main__":
    sys.exit(main())
