"""Benchmark of the FEC export (PAY-7): a year of journal entries for N customers.

    uv run python bench/fec.py --customers 100000
    uv run python bench/fec.py --customers 1000000
    uv run python bench/fec.py --customers 1000000 --database-url postgres://postgres@127.0.0.1:5432/robinet_bench_fec
    uv run python bench/fec.py --customers 1000000 --keep    # then, as often as wanted:
    uv run python bench/fec.py --reuse                       # the export alone, same database

Makes the dedicated PostgreSQL database given by ``--database-url`` afresh
(dropped and created, then migrated; dropped at the end unless ``--keep``),
inserts N parties and customer accounts on 4 centres, then about 4 entries per
customer for the year (two invoices in the sales journal, two payments in the
bank journal, 3 lines each, numbered per journal) with ``robinet.core.bulk.
insert_rows`` (COPY), and times the FEC export to a file: the balance check of
every entry, then the streamed ``COPY (SELECT …) TO STDOUT``. Prints the
figures. Not a test: figures depend on the machine.
"""

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/robinet_bench_fec"
YEAR = 2025
CHUNK = 50_000  # customers per COPY (the balance trigger checks each statement's entries)


def _recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"')


def _setup(url: str, *, reuse: bool = False) -> None:
    if not reuse:
        _recreate(url)
    os.environ["ROBINET_DATABASE_URL"] = url
    os.environ.setdefault("ROBINET_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _row(model, overrides: dict) -> tuple[list[str], tuple]:
    """All concrete columns of ``model`` (but the id): overrides, else defaults, else a choice."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        name = field.attname
        if name in overrides:
            value = overrides[name]
        else:
            value = field.get_default()
            if field.has_db_default():  # a plain value, or a Value() expression
                value = getattr(field.db_default, "value", field.db_default)
            if value in (None, "") and field.choices and not field.blank:
                value = field.choices[0][0]
        columns.append(field.column)
        values.append(value)
    return columns, tuple(values)


def _customers(count: int, centre_ids: list[int]) -> list[tuple[int, int]]:
    """``count`` parties and accounts; returns (account id, centre id)."""
    from django.db import transaction
    from django.utils import timezone

    from robinet.core.bulk import allocate_ids, insert_rows
    from robinet.customers.models import CustomerAccount, Party

    now = timezone.now()
    out = []
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        with transaction.atomic():
            party_ids = list(allocate_ids(Party, size))
            account_ids = list(allocate_ids(CustomerAccount, size))
            party_rows, account_rows = [], []
            party_columns = account_columns = None
            for n, (party_id, account_id) in enumerate(zip(party_ids, account_ids, strict=True)):
                i = start + n
                party_columns, row = _row(
                    Party,
                    {
                        "kind": "person",
                        "civility": "M.",
                        "name": f"Client{i}",
                        "first_name": "Jean",
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                party_rows.append((party_id, *row))
                centre_id = centre_ids[i % len(centre_ids)]
                account_columns, row = _row(
                    CustomerAccount,
                    {
                        "number": f"{i + 1:09d}",
                        "party_id": party_id,
                        "centre_id": centre_id,
                        "opened_on": dt.date(2020, 1, 1),
                        "search_text": "",
                    },
                )
                account_rows.append((account_id, *row))
                out.append((account_id, centre_id))
            insert_rows(Party, ["id", *party_columns], party_rows)
            insert_rows(CustomerAccount, ["id", *account_columns], account_rows)
    return out


def _entries(customers: list[tuple[int, int]]) -> int:
    """4 entries of 3 lines per customer over the year; returns the number of lines."""
    from django.db import transaction
    from django.utils import timezone

    from robinet.core.bulk import allocate_ids, insert_rows
    from robinet.ledger.models import JournalEntry, JournalLine
    from robinet.ledger.posting import ENTRY_COLUMNS, LINE_COLUMNS

    now = timezone.now()
    numbers = {"VE": 0, "BQ": 0}
    lines_written = 0
    for start in range(0, len(customers), CHUNK):
        chunk = customers[start : start + CHUNK]
        with transaction.atomic():
            ids = iter(allocate_ids(JournalEntry, 4 * len(chunk)))
            entry_rows, line_rows = [], []
            for n, (account_id, centre_id) in enumerate(chunk):
                i = start + n
                excl = Decimal(40 + i % 160) + Decimal(i % 100) / 100
                vat = (excl * Decimal("0.055")).quantize(Decimal("0.01"))
                total = excl + vat
                half = (total / 2).quantize(Decimal("0.01"))
                for month, journal in ((3, "VE"), (4, "BQ"), (9, "VE"), (10, "BQ")):
                    entry_id = next(ids)
                    numbers[journal] += 1
                    on = dt.date(YEAR, month, 1 + i % 28)
                    piece = f"{'FAC' if journal == 'VE' else 'ENC'}-{YEAR}-{numbers[journal]:08d}"
                    label = ("Facture " if journal == "VE" else "Règlement ") + piece
                    entry_rows.append(
                        (entry_id, journal, YEAR, numbers[journal], on, piece, on, label,
                         centre_id, "invoice" if journal == "VE" else "payment", now)
                    )  # fmt: skip
                    zero = Decimal("0.00")
                    if journal == "VE":
                        line_rows += [
                            (entry_id, "411000", account_id, total, zero),
                            (entry_id, "706110", None, zero, excl),
                            (entry_id, "445711", None, zero, vat),
                        ]
                    else:  # one payment clearing the two halves of the bill
                        line_rows += [
                            (entry_id, "512000", None, total, zero),
                            (entry_id, "411000", account_id, zero, half),
                            (entry_id, "411000", account_id, zero, total - half),
                        ]
            insert_rows(JournalEntry, ENTRY_COLUMNS, entry_rows)
            insert_rows(JournalLine, LINE_COLUMNS, line_rows)
            lines_written += len(line_rows)
        print(f"  … {start + len(chunk):,} clients", flush=True)
    return lines_written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--separator", choices=["tab", "pipe"], default="tab")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the export again on the database an earlier --keep run left (implies --keep)",
    )
    args = parser.parse_args()
    args.keep = args.keep or args.reuse
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url: a PostgreSQL database (the FEC streams with COPY)")

    started = time.monotonic()
    _setup(args.database_url, reuse=args.reuse)
    try:
        from robinet.ledger import fec

        if not args.reuse:
            _generate(args.customers, started)
        _time_export(fec, args.separator)
    finally:
        if not args.keep:
            _drop(args.database_url)


def _generate(count: int, started: float) -> None:
    from django.db import connection

    from robinet.organisation.models import EntityKind
    from robinet.organisation.services import entity_create

    region = entity_create(kind=EntityKind.REGION, code="DR", name="Direction régionale")
    centre_ids = []
    for a in (1, 2):
        agency = entity_create(
            kind=EntityKind.AGENCY, code=f"AG{a}", name=f"Agence {a}", parent=region
        )
        for c in (1, 2):
            centre = entity_create(
                kind=EntityKind.CENTRE, code=f"C{a}{c}", name=f"Centre {a}.{c}", parent=agency
            )
            centre_ids.append(centre.pk)
    print(f"Set-up (database, migrations): {time.monotonic() - started:.1f} s")
    t0 = time.monotonic()
    customers = _customers(count, centre_ids)
    t1 = time.monotonic()
    print(f"{len(customers):,} customer accounts: {t1 - t0:.1f} s")
    lines = _entries(customers)
    t2 = time.monotonic()
    print(f"{4 * len(customers):,} entries, {lines:,} lines: {t2 - t1:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _time_export(fec, separator: str) -> None:
    with tempfile.TemporaryDirectory(prefix="robinet-fec-") as folder:
        t3 = time.monotonic()
        fec.check_year(YEAR)
        t4 = time.monotonic()
        path, count = fec.export(
            actor=None, year=YEAR, out=Path(folder), siren="123456789",
            separator=separator, check_permission=False,
        )  # fmt: skip
        t5 = time.monotonic()
        size = path.stat().st_size
    print(f"FEC {YEAR}: {count:,} lines, {size / 1e6:,.0f} MB, file {path.name}")
    print(f"  balance check of every entry: {t4 - t3:.1f} s")
    print(f"  export (check + COPY to file): {t5 - t4:.1f} s ({count / (t5 - t4):,.0f} lines/s)")


if __name__ == "__main__":
    main()
