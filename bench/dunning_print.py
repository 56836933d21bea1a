"""Benchmark: dunning letters per second on one core (COLL-2).

    uv run python bench/dunning_print.py              # 2,000 letters
    uv run python bench/dunning_print.py --count 500

No database: synthetic ``NoticeDocument``s (``sample_document``) in the mix
a dunning run produces — first reminders of households (1 to 3 invoices),
formal notices, professionals with their €40 indemnity and interest lines,
agency letters with the CPCE R124-4 mentions, and one in twenty with 40
invoices (two pages) — rendered in this one process:

* ``letter``: ``render_notice_pdf`` for each document (one PDF per letter,
  as attached to an e-mail);
* ``batch``: ``render_notices_pdf`` for all of them (one PDF for the print
  shop, one letter per account).

Each letter's wording and its drawn text pass ``check_wording`` inside the
timings: the guardrails are part of the cost.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import percentile  # noqa: E402


def documents(count: int) -> list:
    from robinet.collections.notices.document import sample_document

    kinds = [
        {"items": 1},
        {"items": 2},
        {"items": 3, "fsl": True},
        {"items": 2, "formal_notice": True},
        {
            "items": 2,
            "main_residence": False,
            "professional": True,
            "fees": True,
            "formal_notice": True,
            "restriction": True,
        },  # fmt: skip
        {"items": 1, "agency": True},
        {"items": 2, "main_residence": False, "professional": True, "fees": True, "agency": True},
    ]
    docs = []
    for i in range(count):
        kind = {"items": 40} if i % 20 == 19 else kinds[i % len(kinds)]
        docs.append(sample_document(number=f"REL-2026-{i + 1:06d}", **kind))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=2000, help="letters")
    args = parser.parse_args()
    os.environ.setdefault("ROBINET_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
    import django

    django.setup()
    from robinet.collections.notices.pdf import (
        pdf_page_count,
        render_notice_pdf,
        render_notices_batch,
    )

    started = time.perf_counter()
    docs = documents(args.count)
    built = time.perf_counter() - started
    for doc in docs[:20]:  # warm up
        render_notice_pdf(doc)

    timings, size = [], 0
    started = time.perf_counter()
    for doc in docs:
        t = time.perf_counter()
        data = render_notice_pdf(doc)
        timings.append((time.perf_counter() - t) * 1000)
        size += len(data)
    elapsed = time.perf_counter() - started
    timings.sort()

    started = time.perf_counter()
    batch = render_notices_batch(docs)
    batch_elapsed = time.perf_counter() - started
    pages = batch.pages  # the same letters, the same pages
    assert pdf_page_count(batch.pdf) == batch.pages

    print(
        f"python {sys.version.split()[0]}, one process; {args.count} documents built in "
        f"{built:.2f} s; one-letter PDFs average {size / len(docs) / 1024:.1f} KiB"
    )
    print(f"{'render':<8} {'letters':>8} {'pages':>7} {'s':>7} {'letters/s':>10} "
          f"{'pages/s':>8} {'ms/letter':>9} {'p50 ms':>7} {'p99 ms':>7}")  # fmt: skip
    print(
        f"{'letter':<8} {len(docs):>8} {pages:>7.0f} {elapsed:>7.2f} {len(docs) / elapsed:>10.1f} "
        f"{pages / elapsed:>8.1f} {elapsed * 1000 / len(docs):>9.2f} "
        f"{percentile(timings, 50):>7.2f} {percentile(timings, 99):>7.2f}"
    )
    print(
        f"{'batch':<8} {batch.letters:>8} {batch.pages:>7} {batch_elapsed:>7.2f} "
        f"{batch.letters / batch_elapsed:>10.1f} {batch.pages / batch_elapsed:>8.1f} "
        f"{batch_elapsed * 1000 / batch.letters:>9.2f} {'':>7} {'':>7}"
    )
    print(f"batch PDF: {len(batch.pdf) / 1024 / 1024:.1f} MiB, {batch.pages} pages")


if __name__ == "__main__":
    main()
