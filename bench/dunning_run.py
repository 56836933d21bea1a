"""Benchmark of a dunning run (COLL-2): proposal then activity over a whole utility.

    uv run python bench/dunning_run.py --customers 100000                          # SQLite
    uv run python bench/dunning_run.py --customers 1000000 --database postgres
    uv run python bench/dunning_run.py --customers 1000000 --database postgres --processes 2

Builds a throwaway database (``bench/_setup.py``), generates the demo utility
(customers, contracts; no readings), seeds the default procedures, issues
one open invoice per active contract (``bench/allocation.py``), then clears
all but ``--overdue`` percent of them (untimed: an UPDATE, not payments — the
run only reads open items). Timed, end to end as the daily job does it: the
proposal run (targets, facts per chunk, the pure policy, proposals and their
items written) and the activity run (notices numbered, notice items, item
levels, the timeline, debt cases, professionals' fee invoices with their
entries). PDFs are rendered by a separate batch (``bench/dunning_print.py``).
Not a test: figures depend on the machine.
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


def keep_overdue(percent: int) -> int:
    """Clear every invoice but ``percent`` % of them (by id), as if they had been paid."""
    from django.db import connection

    from robinet.ledger.models import OpenItem

    table = OpenItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET open_amount = 0, cleared_on = %s "
            f"WHERE kind = 'invoice' AND id %% 100 >= %s",
            [TODAY, percent],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return OpenItem.objects.filter(kind="invoice", cleared_on__isnull=True).count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--overdue", type=int, default=10, help="percent of invoices left open")
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--profile", action="store_true", help="cProfile the run (slower)")
    parser.add_argument("--processes", type=int, default=1, help="chunks in N processes")
    args = parser.parse_args()

    url = setup_database(args.database, "robinet_bench_dunning", keep=args.keep)
    import allocation
    from django.db import connection

    from robinet.billing.fees import seed_price_list
    from robinet.collections.models import (
        DunningCharge,
        DunningNotice,
        DunningProposal,
        NoticeItem,
    )
    from robinet.collections.services import dunning_issue, dunning_propose, procedures_seed

    generated_utility(args.customers, TODAY, url)
    mark = time.perf_counter()
    invoices = allocation.issue_invoices()
    print(f"issued {invoices:,} open invoices with entries in {time.perf_counter() - mark:.1f} s")
    overdue = keep_overdue(args.overdue)
    procedures_seed()
    seed_price_list(valid_from=dt.date(2020, 1, 1))
    print(f"{overdue:,} overdue invoices left open ({args.overdue} %)")

    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    executor = ForkedExecutor(args.processes) if args.processes > 1 else None
    proposal = dunning_propose(actor=None, on=TODAY, chunk_size=args.chunk_size, executor=executor)
    proposed = time.perf_counter() - started
    mark = time.perf_counter()
    activity = dunning_issue(
        actor=None,
        proposal_run=proposal,
        chunk_size=args.chunk_size,
        send=False,
        executor=executor,
    )
    issued = time.perf_counter() - mark
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()

    proposal.refresh_from_db()
    activity.refresh_from_db()
    notices = DunningNotice.objects.count()
    print()
    print(
        f"proposal: {proposal.total:,} accounts examined, "
        f"{DunningProposal.objects.filter(status='issued').count():,} proposals issued, "
        f"{proposal.skipped:,} held or waiting, {proposal.failed} failed — {proposed:.1f} s"
    )
    print(
        f"activity: {notices:,} notices, {NoticeItem.objects.count():,} items cited, "
        f"{DunningCharge.objects.count():,} charges on "
        f"{DunningNotice.objects.filter(fee_invoice__isnull=False).count():,} fee invoices, "
        f"{activity.failed} failed — {issued:.1f} s"
    )
    print(
        f"dunning run end to end: {elapsed:.1f} s for {args.customers:,} customers, "
        f"{overdue:,} overdue items: {overdue / elapsed:,.0f} overdue items/s "
        f"({connection.vendor}, {args.processes} process(es))"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
