"""Benchmark of the billing run (BILL-4): N customers billed end to end for one half-year.

    uv run python bench/billing_run.py --customers 100000                       # SQLite
    uv run python bench/billing_run.py --customers 100000 --database postgres   # PostgreSQL
    uv run python bench/billing_run.py --customers 1000000 --database postgres
    uv run python bench/billing_run.py --customers 20000 --profile              # cProfile top 30
    uv run python bench/billing_run.py --customers 100000 --year-end            # then December

Builds a throwaway database (``bench/_setup.py``), generates the demo utility
with two years of readings (``robinet.demo.generator``, reference date fixed),
loads the demo tariffs, thresholds, social tariffs and the takeover of the
earlier billing (``robinet.demo.billing``), then times one billing run for the
period ending ``--period-end`` (default 2025-06-30): proposal (selection of the
contracts due, chunk plan) and execution (load, estimates, pricing and controls,
issue of invoices, lines and open items). Prints bills per second, the counts
and the time of each phase. ``--year-end`` then times the run to 31 December,
whose bills close the year and re-rate it (BILL-1c). Not a test: figures depend on the machine.
"""

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import os
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import ForkedExecutor, billing_utility, setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 22)  # the generator's reference date: readings from 2024-11-22


def _phases_cleared() -> None:
    """In a forked worker, before its first chunk: none of the parent's phase times."""
    from robinet.billing import runs

    runs.phase_seconds.clear()


def _phases() -> dict[str, float]:
    """In a forked worker, after its last chunk: the phase times of its chunks."""
    from robinet.billing import runs

    return dict(runs.phase_seconds)


NUMBERS = "(of write: numbering, waits)"


def _time_number_waits(runs) -> None:
    """The time spent taking the invoice numbers: mostly waiting for another process's chunk
    to commit (the counter is held from numbering to the commit), a part of "write"."""
    from robinet.billing import writer

    take = writer.next_numbers

    def timed(*args, **kwargs):
        mark = time.perf_counter()
        try:
            return take(*args, **kwargs)
        finally:
            runs.phase_seconds[NUMBERS] += time.perf_counter() - mark

    writer.next_numbers = timed


def _cpu_seconds() -> tuple[float, float | None]:
    """(CPU of this process and its finished children, CPU the whole machine spent) so far.

    The run's elapsed time moves by 10 % between identical runs on a shared machine;
    the CPU it takes moves less, and splits between Python and the database (which
    runs on the same machine here). The machine's figure needs Linux's /proc/stat.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    python = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]
    except OSError:
        return python, None
    idle = ticks[3] + ticks[4]  # idle, waiting for I/O
    return python, (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def _run_and_report(args, period_end: dt.date) -> None:
    """Time one billing run for ``period_end`` and print its figures."""
    from django.db import connection

    from robinet.billing import runs
    from robinet.billing.choices import HeldBillStatus
    from robinet.billing.models import HeldBill, Invoice, InvoiceLine
    from robinet.billing.services import billing_run_create, billing_run_execute
    from robinet.core.runs import InProcessExecutor
    from robinet.ledger.models import OpenItem

    params = {"chunk_size": args.chunk_size} if args.chunk_size else {}
    profiler = cProfile.Profile() if args.profile else None
    runs.phase_seconds.clear()
    statements: dict[str, list] = {}

    def timed(execute, sql, params, many, context):
        mark = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements.setdefault(" ".join(sql.split())[:150], [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - mark

    wrapper = connection.execute_wrapper(timed) if args.queries else contextlib.nullcontext()
    wrapper.__enter__()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = billing_run_create(
        actor=None,
        period_end=period_end,
        issue_date=period_end + dt.timedelta(days=5),
        **params,
    )
    proposed = time.perf_counter()
    cpu_before = _cpu_seconds()
    executor = (
        ForkedExecutor(args.processes, prepare=_phases_cleared, collect=_phases)
        if args.processes > 1
        else InProcessExecutor()
    )
    run = billing_run_execute(actor=None, run=run, executor=executor)
    for phases in getattr(executor, "collected", ()):
        for phase, seconds in phases.items():  # summed over the workers
            runs.phase_seconds[phase] += seconds
    cpu_after = _cpu_seconds()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    wrapper.__exit__(None, None, None)

    bills = Invoice.objects.filter(run_id=run.pk).count()
    lines = InvoiceLine.objects.filter(invoice__run_id=run.pk).count()
    items = OpenItem.objects.filter(invoice__run_id=run.pk).count()
    held = HeldBill.objects.filter(run_id=run.pk, status=HeldBillStatus.HELD).count()
    print()
    print(
        f"run {run.pk}: state {run.state}, chunk size {run.chunk_size}, {run.total:,} contracts, "
        f"{args.processes} process(es)"
    )
    print(
        f"contracts: {run.succeeded:,} billed, {run.skipped:,} skipped or held, "
        f"{run.failed:,} failed"
    )
    print(f"documents: {bills:,} invoices, {lines:,} lines, {items:,} open items, {held:,} held")
    print()
    phases = dict(runs.phase_seconds)
    in_chunks = sum(v for k, v in phases.items() if k not in ("select", NUMBERS))
    framework = max(0.0, (elapsed - (proposed - started)) * args.processes - in_chunks)
    rows = [("proposal: plan, commit", proposed - started - phases.get("select", 0))]
    rows += [(name, seconds) for name, seconds in phases.items()]
    rows.append(("run framework (items, commits)", framework))
    for name, seconds in rows:
        print(f"  {name:<32}{seconds:>8.2f} s")
    if args.processes > 1:
        print(f"  (phases summed over {args.processes} processes)")
    print(f"  {'elapsed':<32}{elapsed:>8.2f} s")
    python_cpu = cpu_after[0] - cpu_before[0]
    if cpu_before[1] is not None:
        busy = cpu_after[1] - cpu_before[1]
        print(
            f"  execution's CPU: {busy:.1f} cpu-s on the machine in {elapsed - (proposed - started):.1f} s, "
            f"of which Python {python_cpu:.1f}, the rest mostly the database"
        )
    else:
        print(f"  execution's CPU: Python {python_cpu:.1f} cpu-s")
    print()
    print(
        f"{bills:,} bills in {elapsed:.1f} s: {bills / elapsed:,.0f} bills/s end to end "
        f"({connection.vendor}, {args.customers:,} customers)"
    )
    if statements:
        print("slowest statements (count, seconds):")
        for sql, (count, seconds) in sorted(statements.items(), key=lambda i: -i[1][1])[:15]:
            print(f"  {count:>6} {seconds:>7.2f} s  {sql}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        out.write("\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--period-end", type=dt.date.fromisoformat, default=dt.date(2025, 6, 30))
    parser.add_argument("--chunk-size", type=int, default=None, help="default: the run's")
    parser.add_argument("--profile", action="store_true", help="cProfile the run (slower)")
    parser.add_argument("--processes", type=int, default=1, help="chunks in N processes")
    parser.add_argument("--queries", action="store_true", help="time the SQL statements")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument(
        "--year-end", action="store_true", help="then time the run closing the year (BILL-1c)"
    )
    args = parser.parse_args()

    url = setup_database(args.database, "robinet_bench_billing", keep=args.keep)
    from django.db import connection

    from robinet.billing import runs

    print(f"database: {connection.vendor} ({url})")
    billing_utility(args.customers, TODAY)

    _time_number_waits(runs)
    _run_and_report(args, args.period_end)
    if args.year_end:
        # BILL-1c: the bill closing the year re-rates it (the year priced again, the
        # interim lines deducted): the run a utility waits for at year end.
        print()
        print(f"year-closing run (BILL-1c) to {dt.date(args.period_end.year, 12, 31)}:")
        _run_and_report(args, dt.date(args.period_end.year, 12, 31))
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
