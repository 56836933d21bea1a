"""Benchmark of a bank statement import (PAY-5): parse + match + booking.

    uv run python bench/statement_matching.py --customers 1000000 --credits 100000 --database postgres
    uv run python bench/statement_matching.py --customers 1000000 --credits 100000 --processes 2
    uv run python bench/statement_matching.py --customers 100000 --credits 20000 --database postgres

Builds a throwaway database (``bench/_setup.py``), generates the demo utility
and one open invoice per active contract (``bench/allocation.py``'s
``issue_invoices``, untimed), then spreads the open amounts (a bank pays
what is left of a bill, not a constant: without it every open item would
owe the same and the name + amount rule would compare every namesake).
Then writes a camt.053 of ``--credits`` transfers drawn from the open items:
70 % name their invoice number, 10 % the customer number, 10 % give only
the holder's name and the exact amount, 10 % match nothing. Timed: reading
the file; matching alone (the reads of the matching context, set-based:
invoice and customer numbers as one array parameter each, the name
candidates as one join of the credits' (amount, word) pairs with the open
items and their accounts' search text, then the pure rule in Python); and the whole import (read, check, match, store the statement and
its entries in one transaction, then the booking run that books the matched
credits through ``book_payments`` in chunks — timed separately; on the
``robinet worker`` processes when ``ROBINET_BROKER_URL`` is set). Not a test:
figures depend on the machine.
"""

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import ForkedExecutor, setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 22)


def spread_open_amounts() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_openitem SET open_amount = amount - ((id * 7919) % 20000) / 100.0 "
            "WHERE kind = 'invoice' AND cleared_on IS NULL"
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE ledger_openitem")


def statement(credits: int, rng: random.Random) -> tuple[bytes, dict]:
    from django.conf import settings

    from robinet.ledger.models import OpenItem
    from robinet.payments.statement_samples import SampleCredit, camt053

    rows = list(
        OpenItem.objects.filter(kind="invoice", cleared_on__isnull=True, open_amount__gt=0)
        .order_by("?" if credits < 50_000 else "pk")
        .values_list(
            "open_amount", "document_number", "account__number", "account__party__name",
            "account__party__first_name",
        )[: credits]
    )  # fmt: skip
    rng.shuffle(rows)
    kinds = {"invoice": 0, "customer": 0, "name": 0, "nothing": 0}
    sample = []
    for n, (amount, number, account, name, first_name) in enumerate(rows):
        draw = n % 10
        payer = f"{first_name} {name}".upper()
        if draw < 7:
            kinds["invoice"] += 1
            sample.append(SampleCredit(amount, payer, remittance=f"FACTURE {number}"))
        elif draw == 7:
            kinds["customer"] += 1
            sample.append(SampleCredit(amount, payer, remittance=f"CLIENT {account}"))
        elif draw == 8:
            kinds["name"] += 1
            sample.append(SampleCredit(amount, f"M OU MME {payer}"))
        else:
            kinds["nothing"] += 1
            sample.append(
                SampleCredit(
                    Decimal(rng.randint(100, 99999)) / 100, "ZZ INCONNU", remittance="VIREMENT"
                )
            )
    data = camt053(
        statement_id=f"BENCH-{TODAY:%Y%m%d}",
        iban=settings.ROBINET_UTILITY["iban"],
        day=TODAY,
        credits=sample,
    )
    return data, kinds


class TimedExecutor:
    """The default executor (in-process, or Celery with ROBINET_BROKER_URL) or N forked
    processes (``--processes``), noting when the booking run is handed to it: the import's
    transaction is committed by then."""

    started: float | None = None

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes

    def submit(self, run) -> None:
        from robinet.core.runs import get_default_executor

        self.started = time.perf_counter()
        if self.processes > 1:
            ForkedExecutor(self.processes).submit(run)
        else:
            get_default_executor().submit(run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--credits", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile reading and matching, then the import"
    )
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="credits per booking chunk (2500)"
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="the booking run's chunks in N processes"
    )
    args = parser.parse_args()

    url = setup_database(args.database, "robinet_bench_statements", keep=args.keep)
    from allocation import issue_invoices
    from django.db import connection

    from robinet.core import clock
    from robinet.demo.generator import generate
    from robinet.payments import bank_statements
    from robinet.payments import matching as rule
    from robinet.payments.models import EntryStatus, StatementEntry

    print(f"database: {connection.vendor} ({url})")
    mark = time.perf_counter()
    generate(customers=args.customers, today=TODAY, readings=False)
    invoices = issue_invoices()
    spread_open_amounts()
    print(
        f"{args.customers:,} customers, {invoices:,} open items in {time.perf_counter() - mark:.0f} s"
    )
    data, kinds = statement(args.credits, random.Random(11))
    print(f"camt.053 of {sum(kinds.values()):,} credits ({len(data) / 1e6:.1f} MB): {kinds}")

    with clock.as_of(clock.now().replace(year=TODAY.year, month=TODAY.month, day=TODAY.day)):
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        mark = time.perf_counter()
        parsed = bank_statements.parse_statement_file(data)
        parse = time.perf_counter() - mark
        credits = [
            rule.Credit(c.reference, c.amount, c.remittance, c.end_to_end_id, c.debtor_iban,
                        c.debtor_name)
            for s in parsed for c in s.credits
        ]  # fmt: skip
        mark = time.perf_counter()
        decisions = bank_statements.match_credits(credits)
        match = time.perf_counter() - mark
        if profiler:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            print(out.getvalue())
        booked = sum(1 for d in decisions if d.booked)
        timed = TimedExecutor(args.processes)
        if profiler:
            profiler = cProfile.Profile()
            profiler.enable()
        mark = time.perf_counter()
        outcome = bank_statements.statement_import(
            actor=None,
            source=data,
            filename="bench.xml",
            check_permission=False,
            executor=timed,
            chunk_size=args.chunk_size,
        )
        end = time.perf_counter()
        if profiler:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
            print("statement_import (store and booking run):")
            print(out.getvalue())
        whole = end - mark
        booking = end - timed.started if timed.started else 0.0
    print()
    print(f"read and check the file: {parse:.2f} s")
    print(f"match {len(credits):,} credits: {match:.2f} s ({booked:,} would be booked)")
    print(
        f"whole import (read + match + store + booking run): {whole:.2f} s — "
        f"{outcome.booked:,} booked, {outcome.unallocated:,} to the worklist"
    )
    print(f"  of which storing (one transaction) ≈ {whole - parse - match - booking:.2f} s")
    if outcome.run_id:
        from robinet.core.models import BatchRun
        from robinet.core.runs import run_worker_progress

        run = BatchRun.objects.get(pk=outcome.run_id)
        print(
            f"  of which the booking run n° {run.pk} ({run.get_state_display()}, "
            f"{run.chunks.count():,} chunks of {run.chunk_size:,}): {booking:.2f} s"
        )
        for progress in run_worker_progress(run):
            print(f"    {progress.worker}: {progress.chunks} chunks, {progress.items:,} credits")
    rules = {}
    for entry in StatementEntry.objects.filter(status=EntryStatus.BOOKED).values_list(
        "signals", flat=True
    ):
        rules[entry.get("rule")] = rules.get(entry.get("rule"), 0) + 1
    print(f"booked by rule: {rules}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
