"""Benchmark of payment booking (PAY-1, PAY-1a, PAY-7): N payments allocated and posted.

    uv run python bench/allocation.py --customers 100000                          # SQLite
    uv run python bench/allocation.py --customers 1000000 --database postgres
    uv run python bench/allocation.py --customers 100000 --database postgres --processes 2
    uv run python bench/allocation.py --customers 100000 --database postgres --profile

Builds a throwaway database (``bench/_setup.py``), generates the demo utility
(customers, contracts; no readings), then issues one open invoice per active
contract directly (four lines — water, sanitation for the local authority,
the water agency's levy, a fee —, VAT at 5.5 % and 10 %, its open item and
its journal entry through the posting module), untimed. Then times the
booking of one payment per account through
:func:`robinet.payments.booking.book_payments` in batches of ``--batch``
(each batch one transaction, as a bank-statement import commits): lock and
read the open debits, allocate by the PAY-1 rule, spread over the lines by
PAY-1a, write payments, credit items, allocations, shares and journal
entries, update the cleared debits. A third of the payments are partial,
a tenth overpay. Finally checks the PAY-7 reconciliation: Σ open amounts =
the customers' account in the ledger. Not a test: figures depend on the machine.
"""

import argparse
import contextlib
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

from _setup import setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 22)
ISSUE = dt.date(2026, 7, 5)
LINES = (  # component, label, service, beneficiary, kind, amount excl. VAT, VAT rate
    ("ABO-EAU", "Abonnement eau potable", "water", "operator", "fixed", "18.25", "5.50"),
    ("CONSO-EAU", "Consommation eau potable", "water", "operator", "volume", "66.00", "5.50"),
    ("RED-CONSO", "Redevance consommation", "public_bodies", "water_agency", "volume", "23.40",
     "5.50"),
    ("ASST", "Assainissement collectif", "sanitation", "authority", "volume", "123.00", "10.00"),
)  # fmt: skip


def issue_invoices() -> int:
    from django.db import connection, transaction

    from robinet.billing.models import Invoice, InvoiceLine
    from robinet.billing.writer import (
        INVOICE_COLUMNS,
        LINE_COLUMNS,
        OPEN_ITEM_COLUMNS,
        json_value,
    )
    from robinet.core import clock
    from robinet.core.bulk import allocate_ids, insert_rows
    from robinet.core.numbering import format_number, next_numbers
    from robinet.customers.models import Contract
    from robinet.ledger import posting
    from robinet.ledger.models import OpenItem

    contracts = list(
        Contract.objects.filter(end_date__isnull=True)
        .order_by("pk")
        .values_list("pk", "account_id", "service_point_id", "account__centre_id")
    )
    lines = [
        (code, label, service, beneficiary, kind, Decimal(amount), Decimal(rate))
        for code, label, service, beneficiary, kind, amount, rate in LINES
    ]
    excl = sum(line[5] for line in lines)
    vat = {}
    for line in lines:
        vat[line[6]] = vat.get(line[6], Decimal(0)) + line[5] * line[6] / 100
    vat = {rate: amount.quantize(Decimal("0.01")) for rate, amount in vat.items()}
    total_vat = sum(vat.values())
    incl = excl + total_vat
    vat_json = json_value([{"rate": str(r), "base": "0", "amount": str(a)} for r, a in vat.items()])
    chart = posting.chart()
    now = clock.now()
    due = ISSUE + dt.timedelta(days=15)
    for start in range(0, len(contracts), 50_000):
        block = contracts[start : start + 50_000]
        with transaction.atomic():
            numbers = next_numbers("FAC", len(block), ISSUE.year)
            ids = allocate_ids(Invoice, len(block))
            invoices, invoice_lines, items, entries = [], [], [], []
            for (contract_id, account_id, sp_id, centre_id), number, invoice_id in zip(
                block, numbers, ids, strict=True
            ):
                text = format_number("FAC", ISSUE.year, number, width=7)
                invoices.append(
                    (
                        invoice_id, text, "FAC", ISSUE.year, number, "periodic", account_id,
                        contract_id, sp_id, None, dt.date(2026, 1, 1), dt.date(2026, 6, 30), 0,
                        ISSUE, due, Decimal("60.000"), False, "", None, None, None, None, None,
                        excl, total_vat, incl, Decimal("19.25"), None, None, vat_json,
                        json_value([]), None, "", None, now, None,
                    )
                )  # fmt: skip
                for position, (code, label, service, beneficiary, kind, amount, rate) in enumerate(
                    lines, start=1
                ):
                    invoice_lines.append(
                        (
                            invoice_id, position, code, label, service, beneficiary, kind,
                            "BENCH-2026", dt.date(2026, 1, 1), dt.date(2026, 6, 30),
                            Decimal(1), "unit", amount, amount, rate, None,
                        )
                    )  # fmt: skip
                items.append(
                    (account_id, contract_id, "invoice", invoice_id, text, ISSUE, due, incl, incl,
                     None)
                )  # fmt: skip
                entries.append(
                    posting.invoice_entry(
                        number=text, issue_date=ISSUE, account_id=account_id,
                        centre_id=centre_id, credit_note=False,
                        lines=[(line[2], line[3], line[5]) for line in lines],
                        vat=list(vat.items()),
                    )
                )  # fmt: skip
            insert_rows(Invoice, INVOICE_COLUMNS, invoices)
            insert_rows(InvoiceLine, LINE_COLUMNS, invoice_lines)
            insert_rows(OpenItem, OPEN_ITEM_COLUMNS, items)
            posting.post(entries, accounts=chart)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return len(contracts)


def payments_to_book(rng: random.Random):
    from robinet.ledger.models import OpenItem
    from robinet.payments.booking import IncomingPayment

    rows = (
        OpenItem.objects.filter(kind="invoice", cleared_on__isnull=True)
        .order_by("account_id")
        .values_list("account_id", "account__centre_id", "invoice_id", "open_amount")
    )
    payments = []
    for account_id, centre_id, invoice_id, open_amount in rows.iterator(chunk_size=20_000):
        draw = rng.random()
        if draw < 0.33:
            amount = (open_amount * Decimal(rng.randint(10, 90)) / 100).quantize(Decimal("0.01"))
        elif draw < 0.43:
            amount = open_amount + Decimal(rng.randint(1, 5000)) / 100
        else:
            amount = open_amount
        payments.append(
            IncomingPayment(
                account_id=account_id,
                centre_id=centre_id,
                account_centre_id=centre_id,
                means=rng.choice(("transfer", "direct_debit", "cheque", "card")),
                amount=amount,
                received_on=dt.date(2026, 7, 10) + dt.timedelta(days=rng.randint(0, 30)),
                invoice_id=invoice_id if rng.random() < 0.5 else None,
                cheque_number="0000001",
            )
        )
    return payments


def _book_batches(payments, starts, batch: int) -> None:
    from django.db import connections, transaction

    from robinet.payments.booking import book_payments

    for start in starts:
        with transaction.atomic():
            book_payments(payments[start : start + batch])
    connections.close_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--batch", type=int, default=10_000, help="payments per transaction")
    parser.add_argument("--profile", action="store_true", help="cProfile the booking (slower)")
    parser.add_argument("--queries", action="store_true", help="time the SQL statements")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument(
        "--processes", type=int, default=1, help="batches booked by N forked processes"
    )
    args = parser.parse_args()

    url = setup_database(args.database, "robinet_bench_allocation", keep=args.keep)
    from django.db import connection
    from django.db.models import Sum

    from robinet.demo.generator import generate
    from robinet.ledger.models import Allocation, AllocationShare, JournalLine, OpenItem

    print(f"database: {connection.vendor} ({url})")
    started = time.perf_counter()
    generate(customers=args.customers, today=TODAY, readings=False)
    print(f"generated {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
    mark = time.perf_counter()
    invoices = issue_invoices()
    print(f"issued {invoices:,} open invoices with entries in {time.perf_counter() - mark:.1f} s")
    payments = payments_to_book(random.Random(7))
    print(f"prepared {len(payments):,} payments")

    profiler = cProfile.Profile() if args.profile else None
    statements: dict[str, list] = {}

    def timed(execute, sql, params, many, context):
        mark = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements.setdefault(" ".join(sql.split())[:120], [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - mark

    wrapper = connection.execute_wrapper(timed) if args.queries else contextlib.nullcontext()
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    starts = range(0, len(payments), args.batch)
    if args.processes > 1:
        # As N workers would: batches are independent (one payment per account), each
        # process on its own connection; they take turns on the gapless numbers only.
        import multiprocessing

        from django.db import connections

        connections.close_all()
        context = multiprocessing.get_context("fork")
        workers = [
            context.Process(target=_book_batches, args=(payments, starts[n :: args.processes],
                                                        args.batch))
            for n in range(args.processes)
        ]  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    else:
        with wrapper:
            _book_batches(payments, starts, args.batch)
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()

    allocations = Allocation.objects.count()
    shares = AllocationShare.objects.count()
    print()
    print(f"{len(payments):,} payments, {allocations:,} allocations, {shares:,} shares")
    print(
        f"{len(payments):,} payments allocated and posted in {elapsed:.1f} s: "
        f"{len(payments) / elapsed:,.0f} payments/s ({connection.vendor}, batch {args.batch:,}, "
        f"{args.processes} process(es))"
    )
    cent = Decimal("0.01")  # SQLite sums decimals as REAL
    balance = Decimal(str(OpenItem.objects.aggregate(t=Sum("open_amount"))["t"])).quantize(cent)
    ledger = JournalLine.objects.filter(ledger_account="411000").aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    customers = Decimal(str(ledger["d"] - ledger["c"])).quantize(cent)
    verdict = "balanced" if balance == customers else "DIFFERENCE"
    print(
        f"reconciliation (PAY-7): Σ open amounts {balance} — customers' account {customers} "
        f"— {verdict}"
    )
    for sql, (count, seconds) in sorted(statements.items(), key=lambda i: -i[1][1])[:12]:
        print(f"  {count:>6} {seconds:>7.2f} s  {sql}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
