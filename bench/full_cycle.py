"""A utility's whole cycle at full size, stage by stage (issue 13).

    uv run python bench/full_cycle.py --customers 1000000
    uv run python bench/full_cycle.py --customers 1000000 --workers 2   # runs on Celery workers
    uv run python bench/full_cycle.py --customers 20000 --keep

Generates the demo utility on a throwaway PostgreSQL database (customers,
contracts, meters, two years of readings, tariffs, social tariffs, the takeover
of the earlier billing: untimed), then times each stage as the utility lives it:

1. readings import: one new field reading per meter, one CSV through the
   importer (METER-1, METER-2 validation included);
2. billing run of the half-year (BILL-4), in-process or, with ``--workers N``,
   on N ``robinet worker`` processes through the broker;
3. PDF batch: ``--pdf-sample`` bills rendered (BILL-8; plain or Factur-X);
4. direct-debit file: mandates for the accounts on direct debit (untimed, bulk),
   then the direct-debit run (PAY-3: chunks of ``--chunk-size`` accounts,
   in-process or on the workers) and its pain.008, validated against the XSD;
5. statement matching: a camt.053 paying ``--credits`` open items, imported and
   matched, then booked by its booking run (PAY-5: in-process or on the workers);
6. dunning run: proposal and issue of the overdue accounts (COLL-2), in-process
   or on the workers;
7. aged balance of the whole tree at the run date (REP-1), live; then the
   reporting snapshot (``robinet report-snapshot``) and the same report from it.

Prints one table (stage, volume, seconds, rate) and runs ``robinet check`` on
the result. Not a test: figures depend on the machine.
"""

import argparse
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import LOCAL_POSTGRES, billing_utility, setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 22)  # the generator's reference date
PERIOD_END = dt.date(2025, 6, 30)
NAME = "robinet_bench_cycle"


class Stages:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float]] = []

    def timed(self, name: str, work):
        print(f"-- {name}", flush=True)
        started = time.perf_counter()
        volume = work()
        seconds = time.perf_counter() - started
        self.rows.append((name, volume, seconds))
        print(f"   {volume} in {seconds:.1f} s", flush=True)

    def print(self, title: str) -> None:
        print()
        print(title)
        print()
        print("| stage | volume | seconds |")
        print("|---|---|---:|")
        for name, volume, seconds in self.rows:
            print(f"| {name} | {volume} | {seconds:.1f} |")


def readings_csv() -> tuple[bytes, int]:
    """One field reading per meter, dated today, on the meter's own trend: its daily average
    over its history × the days since its last reading, ± 10 % (what a round brings back;
    random jumps would make every reading an abnormal-consumption notice)."""
    from django.db.models import Max, Min

    from robinet.core import clock
    from robinet.metering.models import Reading

    on = clock.today()
    history = (
        Reading.objects.values("meter__serial")
        .annotate(first=Min("read_on"), last=Max("read_on"), low=Min("index"), high=Max("index"))
        .values_list("meter__serial", "first", "last", "low", "high")
    )
    rng = random.Random(5)
    lines = ["meter_serial;date;index;source"]
    for serial, first, last, low, high in history.iterator(chunk_size=20_000):
        if last >= on:
            continue
        daily = (high - low) / max(1, (last - first).days)
        index = int(high + daily * (on - last).days * rng.randint(90, 110) / 100)
        lines.append(f"{serial};{on.isoformat()};{index};field")
    return ("\n".join(lines) + "\n").encode(), len(lines) - 1


def bulk_mandates() -> int:
    """An active mandate for every account on direct debit with an IBAN (setup, untimed)."""
    from django.conf import settings

    from robinet.core import clock
    from robinet.customers.models import CustomerAccount
    from robinet.payments.models import Mandate

    now = clock.now()
    rows = [
        Mandate(
            umr=f"RUM-{number}-01",
            account_id=pk,
            debtor_name=f"{first_name} {name}".strip()[:70],
            iban=iban,
            bic=bic,
            signed_on=dt.date(2024, 1, 15),
            creditor_id=settings.ROBINET_UTILITY["sepa_creditor_id"],
            created_at=now,
        )
        for pk, number, iban, bic, name, first_name in CustomerAccount.objects.filter(
            direct_debit=True
        )
        .exclude(iban="")
        .values_list("pk", "number", "iban", "bic", "party__name", "party__first_name")
        .iterator(chunk_size=10_000)
    ]
    Mandate.objects.bulk_create(rows, batch_size=5_000)
    return len(rows)


def start_workers(count: int, url: str) -> list[subprocess.Popen]:
    env = {**os.environ, "ROBINET_DATABASE_URL": url}
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "robinet",
                "worker",
                "--name",
                f"cycle-{n}",
                "--loglevel",
                "WARNING",
            ],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for n in range(count)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=0, help="Celery workers (0: in-process)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--pdf-sample", type=int, default=1000)
    parser.add_argument("--credits", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    if args.workers:
        os.environ.update(
            ROBINET_BROKER_URL=args.broker, ROBINET_RUN_QUEUE=f"robinet-cycle-{os.getpid()}"
        )
    url = setup_database("postgres", NAME, keep=args.keep, server=LOCAL_POSTGRES)
    from django.core.management import call_command
    from django.db import connection
    from statement_matching import statement

    from robinet.billing.fees import seed_price_list
    from robinet.billing.models import Invoice
    from robinet.billing.selectors import invoice_pdf
    from robinet.billing.services import billing_run_create, billing_run_execute
    from robinet.collections.models import DunningNotice
    from robinet.collections.services import dunning_issue, dunning_propose, procedures_seed
    from robinet.core import clock
    from robinet.metering.imports import import_readings
    from robinet.payments import bank_statements, sepa, target2
    from robinet.reporting.management.commands.report import operator
    from robinet.reporting.params import parse
    from robinet.reporting.registry import report_run
    from robinet.reporting.reports import aged_balance  # noqa: F401  (registers the report)

    started = time.perf_counter()
    billing_utility(args.customers, TODAY)
    procedures_seed()
    seed_price_list(valid_from=dt.date(2020, 1, 1))
    print(f"setup: {time.perf_counter() - started:.0f} s", flush=True)

    workers = start_workers(args.workers, url) if args.workers else []
    stages = Stages()
    try:
        data, rows = readings_csv()

        def readings():
            result = import_readings(data, filename="releve.csv", actor=None)
            return f"{result.rows:,} readings ({result.held:,} held)"

        stages.timed("readings import", readings)

        def billing():
            run = billing_run_create(
                actor=None,
                period_end=PERIOD_END,
                issue_date=PERIOD_END + dt.timedelta(days=5),
                chunk_size=args.chunk_size,
            )
            run = billing_run_execute(actor=None, run=run, wait=True)
            return f"{Invoice.objects.filter(run=run).count():,} bills ({run.state})"

        stages.timed("billing run", billing)

        def pdfs():
            sample = Invoice.objects.order_by("?")[: args.pdf_sample]
            pages = sum(len(invoice_pdf(invoice)[0]) > 0 for invoice in sample)
            return f"{pages:,} bill PDFs"

        stages.timed("PDF batch (sample)", pdfs)

        mandates = bulk_mandates()
        print(f"   (setup: {mandates:,} mandates)")
        collection = target2.next_business_day(
            clock.today() + dt.timedelta(days=sepa.prenotice_days() + 2)
        )

        def direct_debit():
            run = sepa.debit_run_create(
                actor=None,
                collection_date=collection,
                check_permission=False,
                chunk_size=args.chunk_size,
            )
            return f"{run.item_count:,} debits in a pain.008"

        stages.timed("direct-debit file", direct_debit)

        camt, kinds = statement(args.credits, random.Random(11))

        def statements():
            outcome = bank_statements.statement_import(
                actor=None,
                source=camt,
                filename="releve.xml",
                check_permission=False,
                chunk_size=args.chunk_size,
            )
            return f"{sum(kinds.values()):,} credits, {outcome.booked:,} booked"

        stages.timed("statement matching", statements)

        def dunning():
            proposal = dunning_propose(actor=None, on=clock.today(), chunk_size=args.chunk_size)
            dunning_issue(actor=None, proposal_run=proposal, chunk_size=args.chunk_size, send=False)
            return f"{proposal.total:,} accounts, {DunningNotice.objects.count():,} notices"

        stages.timed("dunning run", dunning)

        def aged_balance(source: str):
            report_run(
                user=operator(),
                name="aged-balance",
                params=parse(
                    {"date": clock.today().isoformat(), "source": source},
                    extra_keys=("source",),
                ),
            )
            return f"whole tree, {source}"

        def reporting_snapshot():
            from django.conf import settings

            from robinet.reporting import snapshot

            settings.ROBINET_REPORTING_SNAPSHOT_DIR = Path(tempfile.mkdtemp(prefix="robinet-"))
            taken, _seconds = snapshot.take()
            return f"{sum(taken.rows.values()):,} rows"

        stages.timed("aged balance", lambda: aged_balance("live"))
        stages.timed("reporting snapshot", reporting_snapshot)
        stages.timed("aged balance", lambda: aged_balance("snapshot"))
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)

    executor = f"{args.workers} Celery workers" if args.workers else "in-process"
    stages.print(
        f"{args.customers:,} customers, {connection.vendor}, runs {executor}, "
        f"{os.cpu_count()} cores"
    )
    print()
    call_command("check", "--data-only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
