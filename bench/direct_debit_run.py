"""Benchmark of the direct-debit run (PAY-3) end to end, on PostgreSQL.

    uv run python bench/direct_debit_run.py                        # 100,000 customers
    uv run python bench/direct_debit_run.py --customers 300000 --processes 2
    uv run python bench/direct_debit_run.py --customers 50000 --profile
    uv run python bench/direct_debit_run.py --customers 1000000 --chunk-size 2000 --keep

Builds a throwaway PostgreSQL database (``bench/_setup.py``), generates the
demo utility (customers, contracts; no readings), issues one open invoice per
active contract (``bench/allocation.py``) and an active mandate for every
account on direct debit with an IBAN (as ``bench/full_cycle.py`` does; all
untimed). Then times :func:`robinet.payments.sepa.debit_run_create` end to
end, as ``robinet sepa debit`` runs it, and prints its phases: the proposal
(planning the run: its target accounts), the chunks (collect, lock, book
the pending payments, store the items) and the pain.008 built from the items
and validated against the XSD. The database is dropped at the end unless
``--keep``. Not a test: figures depend on the machine.
"""

import argparse
import cProfile
import datetime as dt
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import ForkedExecutor, generated_utility, setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 22)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=None, help="accounts per chunk")
    parser.add_argument("--profile", action="store_true", help="cProfile the run (slower)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--processes", type=int, default=1, help="chunks in N processes")
    args = parser.parse_args()

    url = setup_database("postgres", "robinet_bench_direct_debit", keep=args.keep)
    import allocation
    from django.db import connection
    from full_cycle import bulk_mandates

    from robinet.core import clock
    from robinet.core.runs import run_execute
    from robinet.payments import debit_runs, sepa, target2
    from robinet.payments.models import DirectDebitItem

    generated_utility(args.customers, TODAY, url)
    mark = time.perf_counter()
    invoices = allocation.issue_invoices()
    mandates = bulk_mandates()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"issued {invoices:,} open invoices, {mandates:,} active mandates "
        f"in {time.perf_counter() - mark:.1f} s"
    )
    collection = target2.next_business_day(
        clock.today() + dt.timedelta(days=sepa.prenotice_days() + 2)
    )

    # The phases are timed by wrapping the run kind's own functions (same calls, same order).
    phases = {"targets": 0.0, "chunks": 0.0, "file": 0.0}
    chunks = [0]

    def timed(name, function):
        def wrapper(*a, **k):
            mark = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                phases[name] += time.perf_counter() - mark
                if name == "chunks":
                    chunks[0] += 1

        return wrapper

    debit_runs._targets = timed("targets", debit_runs._targets)
    debit_runs._process_chunk = timed("chunks", debit_runs._process_chunk)
    debit_runs.build_file = timed("file", debit_runs.build_file)
    debit_runs.register()

    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    plan_mark = time.perf_counter()
    run = sepa.debit_run_plan(
        actor=None, collection_date=collection, check_permission=False, chunk_size=args.chunk_size
    )
    planned = time.perf_counter() - plan_mark
    executor = ForkedExecutor(args.processes) if args.processes > 1 else None
    run_execute(run=run.batch_run, actor=None, executor=executor, wait=True)
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()

    run.refresh_from_db()
    batch = run.batch_run
    batch.refresh_from_db()
    debits = run.item_count
    assert debits == DirectDebitItem.objects.filter(run=run).count()
    print()
    print(
        f"proposal: {batch.total:,} target accounts (targets {phases['targets']:.1f} s), "
        f"run planned in {planned:.1f} s"
    )
    if args.processes > 1:  # the chunks ran in the children: what is left of the time
        phases["chunks"] = elapsed - planned - phases["file"]
        chunks[0] = batch.chunks.count()
    print(
        f"chunks: {chunks[0]} of {batch.chunk_size:,} accounts, {debits:,} debits, "
        f"{batch.skipped:,} accounts skipped, {batch.failed} failed — {phases['chunks']:.1f} s"
    )
    print(
        f"file: pain.008.{run.version}, {len(run.file_content) / 1e6:.1f} MB, "
        f"total {run.total:,} € — built and validated in {phases['file']:.1f} s"
    )
    print(
        f"direct-debit run end to end: {elapsed:.1f} s for {args.customers:,} customers, "
        f"{debits:,} debits: {debits / elapsed:,.0f} debits/s "
        f"({args.processes} process(es), {batch.state})"
    )
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
