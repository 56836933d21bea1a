"""Benchmark of the management reports (REP-1, REP-2) over a synthetic customer sub-ledger.

    uv run python bench/reports.py --items 200000
    uv run python bench/reports.py            # 10,000,000 open items
    uv run python bench/reports.py --report aged-balance --runs 5 --keep

Makes the dedicated PostgreSQL database given by ``--database-url`` afresh
(dropped, created, migrated; dropped at the end unless ``--keep``; ``--reuse``
times an existing kept database without rebuilding it), then writes with
set-based ``INSERT … SELECT generate_series`` a ledger of this shape:

- 1 region, 4 agencies, 16 centres; one account per 10 items (1,000,000 for
  10M items), spread over the centres; classes: 2 % State administrations,
  2 % local authorities, 10 % professionals, the rest individuals;
- per account 5 bills and 5 payments over the last 3 years (a bill every
  219 days, shifted by up to 150 days per account, due 15 days later; its
  payment 20–59 days after it), posted as invoice and payment items. The
  reports read the items and allocations, never the invoice and payment
  documents, so the bench database (thrown away) drops the two checks that
  tie an invoice or payment item to its document instead of writing
  10 million documents for nothing;
- each payment allocated to its bill on the payment date (5 allocations per
  account); the last payment pays half for 20 % of the accounts (the bill stays
  open) and 30 € too much for 10 % (an unallocated credit); 1 % of the accounts
  had their fourth allocation cancelled 30 days later and made again 60 days
  later (a reversal row and a new allocation);

then ``VACUUM ANALYZE``, and times each report of ``--report`` (default the aged
balance and the recovery report when registered) for the whole tree at today's
date, at the last month end and at a date one year back: ``--runs`` runs
each, min / median / max, computed live from the database and from the
reporting snapshot (``--source``; the snapshot is taken first, into a
throwaway folder, and timed), checking that both give the same figures.
Not a test: figures depend on the machine.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/robinet_bench_reports"
ITEMS_PER_ACCOUNT = 10


def _admin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path.lstrip("/"), urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))


def _recreate(url: str) -> None:
    import psycopg

    name, admin = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    name, admin = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _setup(url: str, *, reuse: bool) -> None:
    if not reuse:
        _recreate(url)
    os.environ["ROBINET_DATABASE_URL"] = url
    os.environ.setdefault("ROBINET_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _q(name: str) -> str:
    from django.db import connection

    return connection.ops.quote_name(name)


def _build(items: int, today: dt.date) -> int:
    """The synthetic ledger (see the module's docstring); returns the number of open items."""
    from django.db import connection, transaction

    from robinet.customers.models import CustomerAccount, Party
    from robinet.ledger.models import Allocation, OpenItem
    from robinet.organisation.models import EntityKind
    from robinet.organisation.services import entity_create

    n = max(1, items // ITEMS_PER_ACCOUNT)
    region = entity_create(kind=EntityKind.REGION, code="DR-BENCH", name="Direction Bench")
    centres = []
    for a in range(1, 5):
        agency = entity_create(
            kind=EntityKind.AGENCY, code=f"AGB{a}", name=f"Agence {a}", parent=region
        )
        for c in range(1, 5):
            centres.append(
                entity_create(
                    kind=EntityKind.CENTRE, code=f"CTB{a}{c}", name=f"Centre {a}.{c}", parent=agency
                ).pk
            )
    party, account = _q(Party._meta.db_table), _q(CustomerAccount._meta.db_table)
    item, allocation = _q(OpenItem._meta.db_table), _q(Allocation._meta.db_table)
    t = f"DATE '{today.isoformat()}'"
    centre_array = "ARRAY[" + ",".join(map(str, centres)) + "]"
    # One row per (account a, pair k): the bill, what its payment paid, the dates.
    pairs = f"""
        WITH p AS (
            SELECT a, k, {t} - 1095 + k * 219 + (a % 150) AS dpost,
                   (50 + ((a * 7 + k * 13) % 200))::numeric + 0.45 AS amt
            FROM generate_series(1, {n}) a, generate_series(0, 4) k
        ), q AS (
            SELECT p.*, dpost + 20 + (a % 40) AS cpost,
                   CASE WHEN k = 4 AND a % 10 < 2 THEN round(amt / 2, 2)
                        WHEN k = 4 AND a % 10 = 2 THEN amt + 30 ELSE amt END AS paid,
                   (k = 3 AND a % 100 = 5) AS redone
            FROM p
        ), r AS (
            SELECT q.*, least(amt, paid) AS alloc,
                   CASE WHEN redone THEN cpost + 60 ELSE cpost END AS cleared
            FROM q
        )"""
    steps = [
        (
            "parties",
            f"""INSERT INTO {party} (id, kind, civility, name, first_name, name_complement,
                birth_place, siret, email, mobile, landline, preferred_contact_method,
                address_line, address_complement, postcode, city, commune_insee, country,
                created_at, updated_at)
            SELECT g, 'person', 'M.', 'Client' || g, 'Jean', '', '', '', '', '', '', 'letter',
                   g || ' rue de l''Eau', '', '75001', 'Paris', '75101', 'FR', now(), now()
            FROM generate_series(1, {n}) g""",
        ),
        (
            "accounts",
            f"""INSERT INTO {account} (id, number, party_id, customer_class, centre_id,
                site_type, naf_code, iban, bic, direct_debit, monthly_payment, e_invoice,
                payment_terms_days, chorus_service_code, chorus_commitment_number, status,
                opened_on, search_text)
            SELECT g, lpad(g::text, 9, '0'), g,
                   CASE WHEN g % 100 < 2 THEN 'administration'
                        WHEN g % 100 < 4 THEN 'local_authority'
                        WHEN g % 100 < 14 THEN 'professional' ELSE 'individual' END,
                   ({centre_array})[1 + g % {len(centres)}],
                   'other', CASE WHEN g % 100 < 14 THEN '84.11Z' ELSE '' END, '', '',
                   false, false, false, 15, '', '', 'active',
                   DATE '2020-01-01', ''
            FROM generate_series(1, {n}) g""",
        ),
        (
            "item checks relaxed (bench database only)",
            f"""ALTER TABLE {item} DROP CONSTRAINT open_item_invoice_has_document,
                DROP CONSTRAINT open_item_payment_has_document""",
        ),
        (
            "open items",
            f"""{pairs}
            INSERT INTO {item} (id, account_id, kind, document_number, label, posted_on,
                due_date, amount, open_amount, cleared_on)
            SELECT (a - 1) * 10 + 2 * k + 1, a, 'invoice', 'F' || a || '-' || k, '', dpost,
                   dpost + 15, amt, amt - alloc, CASE WHEN amt = alloc THEN cleared END
            FROM r
            UNION ALL
            SELECT (a - 1) * 10 + 2 * k + 2, a, 'payment', 'R' || a || '-' || k, '', cpost,
                   cpost, -paid, alloc - paid, CASE WHEN paid = alloc THEN cleared END
            FROM r""",
        ),
        (
            "allocations",
            f"""{pairs}
            INSERT INTO {allocation} (id, account_id, debit_id, credit_id, amount,
                allocated_on, reverses_id, manual, reason, created_at)
            SELECT (a - 1) * 5 + k + 1, a, (a - 1) * 10 + 2 * k + 1, (a - 1) * 10 + 2 * k + 2,
                   alloc, cpost, NULL::bigint, false, '', now()
            FROM r
            UNION ALL
            SELECT {n} * 5 + (a - 1) * 2 + 1, a, (a - 1) * 10 + 2 * k + 1,
                   (a - 1) * 10 + 2 * k + 2, -alloc, cpost + 30, (a - 1) * 5 + k + 1, true,
                   'bench', now()
            FROM r WHERE redone
            UNION ALL
            SELECT {n} * 5 + (a - 1) * 2 + 2, a, (a - 1) * 10 + 2 * k + 1,
                   (a - 1) * 10 + 2 * k + 2, alloc, cpost + 60, NULL, true, 'bench', now()
            FROM r WHERE redone""",
        ),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for label, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql)
            print(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s",
                  flush=True)  # fmt: skip
        for model in (Party, CustomerAccount, OpenItem, Allocation):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {_q(table)}))",
                [table],
            )
    with connection.cursor() as cursor:
        started = time.perf_counter()
        # VACUUM too: index-only scans need the visibility map (autovacuum's job in production).
        cursor.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
        cursor.execute(f"SELECT count(*) FROM {item}")
        return cursor.fetchone()[0]


def _time(name: str, on: dt.date, runs: int, source: str) -> tuple[list[float], list]:
    from robinet.reporting.management.commands.report import operator
    from robinet.reporting.params import parse
    from robinet.reporting.registry import report_run

    # the defaults a user gets: 12 months to the date
    chosen = parse({"date": on.isoformat(), "source": source}, extra_keys=("source",))

    started = time.perf_counter()
    _definition, tables = report_run(user=operator(), name=name, params=chosen)
    print(f"  {name} at {on} ({source}): first (cold) run {time.perf_counter() - started:.2f} s",
          flush=True)  # fmt: skip
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        report_run(user=operator(), name=name, params=chosen)
        timings.append(time.perf_counter() - started)
    return timings, [[r.cells for r in (*t.rows, *t.footer)] for t in tables]


def _snapshot() -> None:
    from django.conf import settings

    from robinet.reporting import snapshot

    settings.ROBINET_REPORTING_SNAPSHOT_DIR = Path(tempfile.mkdtemp(prefix="robinet-bench-"))
    taken, seconds = snapshot.take()
    size = sum(f.stat().st_size for f in taken.path.iterdir())
    rows = ", ".join(f"{n} {c:,}" for n, c in taken.rows.items())
    print(f"reporting snapshot ({rows}; {size / 1e6:.0f} MB) in {seconds:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000_000, help="open items to write")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--report", action="append", default=[], help="report name (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="time a kept database as it is")
    parser.add_argument(
        "--source",
        choices=("live", "snapshot", "both"),
        default="both",
        help="the database, the reporting snapshot (taken first, timed), or both (compared)",
    )
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url: a PostgreSQL database")
    _setup(args.database_url, reuse=args.reuse)
    from robinet.core import clock
    from robinet.reporting import registry
    from robinet.reporting.reports import aged_balance  # noqa: F401  (registers the reports)

    today = clock.today()
    try:
        if not args.reuse:
            print(f"Writing about {args.items:,} open items…", flush=True)
            started = time.perf_counter()
            count = _build(args.items, today)
            print(f"{count:,} open items in {time.perf_counter() - started:.0f} s", flush=True)
        names = args.report or [
            n for n in ("aged-balance", "recovery") if n in registry.all_names()
        ]
        month_end = today.replace(day=1) - dt.timedelta(days=1)
        dates = (
            ("today", today),
            ("last month end", month_end),
            ("one year back", today - dt.timedelta(days=365)),
        )
        sources = ("live", "snapshot") if args.source == "both" else (args.source,)
        if "snapshot" in sources:
            _snapshot()
        for name in names:
            for label, on in dates:
                results = {}
                for source in sources:
                    try:
                        timings, results[source] = _time(name, on, args.runs, source)
                    except Exception as error:  # a report not built yet, for instance
                        print(f"{name} at {on} ({label}, {source}): failed: {error!r}")
                        continue
                    print(
                        f"{name} at {on} ({label}, {source}): min {min(timings):.2f} s, "
                        f"median {statistics.median(timings):.2f} s, "
                        f"max {max(timings):.2f} s ({args.runs} runs)",
                        flush=True,
                    )
                if len(results) == 2:
                    same = results["live"] == results["snapshot"]
                    print(f"  live and snapshot figures {'identical' if same else 'DIFFER'}")
    finally:
        if not args.keep and not args.reuse:
            _drop(args.database_url)


if __name__ == "__main__":
    main()
