"""Benchmark of the pure file handling of PAY-4 / PAY-6: reading returns, building refunds.

    uv run python bench/returns_files.py --items 20000 --refunds 10000

Times (1) reading a pain.002 and a camt.054 of ``--items`` operations (a
third rejected) with the namespace-agnostic readers, (2) building and
validating against the ISO 20022 XSD a pain.001.001.09 of ``--refunds``
transfers. No database: the import itself then costs one reversal per
rejected operation (see docs/domain/returns-and-refunds.md). Not a test:
figures depend on the machine.
"""

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROBINET_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--refunds", type=int, default=10_000)
    args = parser.parse_args()
    import django

    django.setup()
    from robinet.demo.returns import camt054_document, pain002_document
    from robinet.payments import camt054, pain001, pain002

    on = dt.date(2026, 11, 20)
    rows = [
        (f"E2E-{n:08d}", "RJCT" if n % 3 == 0 else "ACSC", "AM04" if n % 3 == 0 else "",
         Decimal("42.17"))
        for n in range(args.items)
    ]  # fmt: skip
    report = pain002_document(rows, "BENCH-RPT", on)
    notice = camt054_document(
        [(e2e, reason, amount) for e2e, _s, reason, amount in rows], "BENCH-NTF", on, "FR76X"
    )
    for name, reader, data in (("pain.002", pain002, report), ("camt.054", camt054, notice)):
        start = time.perf_counter()
        message = reader.parse(data)
        elapsed = time.perf_counter() - start
        rejected = sum(not e.accepted for e in message.entries)
        print(
            f"{name}: {len(message.entries)} operations ({rejected} rejected), "
            f"{len(data) / 1e6:.1f} MB read in {elapsed:.2f} s"
        )
    transfers = [
        pain001.Transfer(
            f"RMB-2026-{n:06d}", Decimal("18.40"), "Hélène Lefèvre",
            "FR7630006000011234567890189", "AGRIFRPPXXX", f"Remboursement {n}",
        )
        for n in range(args.refunds)
    ]  # fmt: skip
    pain001.schema()  # loading the XSD once is not per file
    start = time.perf_counter()
    data = pain001.build(
        message_id="BENCH-VIR",
        created_at=dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC),
        execution_date=on,
        debtor=pain001.Debtor("Régie", "FR7630001007941234567890185", "BDFEFRPP"),
        transfers=transfers,
    )
    elapsed = time.perf_counter() - start
    print(f"pain.001: {len(transfers)} transfers built and XSD-validated in {elapsed:.2f} s "
          f"({len(data) / 1e6:.1f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
