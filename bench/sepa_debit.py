"""Benchmark: a pain.008 of 200,000 direct debits built and validated against the XSD (PAY-3).

    uv run python bench/sepa_debit.py [--debits 200000] [--version 001.08] [--out FILE]

Measures :func:`robinet.payments.pain008.build` — the XML tree with lxml,
serialisation, then validation against the ISO 20022 schema — on debits
with accented names, structured addresses, FRST and RCUR and a few
amendments. Target: under 20 s for 200,000 debits. No database: selecting
the invoices and booking the payments is the payment-booking path measured
by ``bench/allocation.py``.
"""

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
os.environ.setdefault("ROBINET_DEBUG", "1")

import django  # noqa: E402

django.setup()

from robinet.payments import pain008  # noqa: E402

IBANS = [
    "FR1420041010050500013M02606",
    "FR7630006000011234567890189",
    "FR7630001007941234567890185",
    "DE89370400440532013000",
]
NAMES = ["Hélène Lefèvre", "SCI Les Châtaigniers", "Jean-François Œuvray", "Zoë d'Arcy"]
STREETS = ["12 rue de la Source", "3 bis allée des Tilleuls", "Lieu-dit Les Prés"]


def debits(count: int) -> list[pain008.Debit]:
    out = []
    for n in range(count):
        out.append(
            pain008.Debit(
                end_to_end_id=f"F2026-{n:08d}-260217",
                amount=Decimal(1000 + (n * 7919) % 90000) / 100,
                sequence="FRST" if n % 10 == 0 else "RCUR",
                mandate_id=f"RUM-{n:09d}-01",
                signed_on=dt.date(2024, 1, 1) + dt.timedelta(days=n % 700),
                debtor_name=NAMES[n % len(NAMES)],
                debtor_iban=IBANS[n % len(IBANS)],
                debtor_bic="BDFEFRPPCCT" if n % 3 else "",
                address=pain008.Address(STREETS[n % 3], f"{67000 + n % 900:05d}", "Strasbourg"),
                remittance=f"Facture F2026-{n:08d} client {n:09d}",
                original_iban=IBANS[(n + 1) % len(IBANS)] if n % 97 == 0 else "",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debits", type=int, default=200_000)
    parser.add_argument("--version", choices=pain008.VERSIONS, default="001.08")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    creditor = pain008.Creditor(
        "Régie des Eaux Robinet", "FR7630001007941234567890185", "BDFEFRPPCCT", "FR72ZZZ123456"
    )
    items = debits(args.debits)
    pain008.schema(args.version)  # the schema is compiled once per process
    started = time.perf_counter()
    content = pain008.build(
        message_id="BENCH-DD-20260217",
        created_at=dt.datetime(2026, 2, 15, 12, tzinfo=dt.UTC),
        collection_date=dt.date(2026, 2, 17),
        creditor=creditor,
        debits=items,
        version=args.version,
    )
    built = time.perf_counter() - started
    started = time.perf_counter()
    pain008.validate(content, args.version)
    validated = time.perf_counter() - started
    if args.out:
        args.out.write_bytes(content)
    print(
        f"pain.008.{args.version}: {args.debits:,} debits, {len(content) / 1e6:.1f} MB; "
        f"built + validated in {built:.2f} s (target < 20 s); "
        f"a second validation alone {validated:.2f} s"
    )


if __name__ == "__main__":
    main()
