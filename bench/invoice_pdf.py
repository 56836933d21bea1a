"""Benchmark: invoice documents per second on one core (BILL-8; target ≥ 100 plain PDFs/s).

    uv run python bench/invoice_pdf.py              # 1000 of each
    uv run python bench/invoice_pdf.py -n 200 --validate

No database: the documents are the sample ``InvoiceDocument``s of
``robinet.billing.documents.sample`` (a household half-year bill, the same
with an estimated index and the METER-5 notice, a business on direct debit, a
bill with 12 extra lines), rendered in turn in this one process:

* plain PDF — ``render_pdf`` (Helvetica, what households receive);
* Factur-X — ``render_facturx``: PDF/A base (DejaVu Sans embedded, sRGB
  output intent) + CII XML + the ``factur-x`` library's PDF/A-3 assembly;
* XML alone — ``facturx_xml``;
* with ``--validate``: ``validate_facturx_xml`` (XSD + EN 16931 and French
  CTC schematrons with Saxon-HE), after a first call that compiles them.
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import percentile  # noqa: E402


def measure(name: str, render: Callable[[object], object], docs: list, n: int) -> None:
    for doc in docs:  # warm up: fonts, ICC profile, compiled schematrons
        render(doc)
    timings = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        render(docs[i % len(docs)])
        timings.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - started
    timings.sort()
    print(
        f"{name:<14} {n:>6} {n / elapsed:>9.1f} {sum(timings) / n:>8.2f} "
        f"{percentile(timings, 50):>8.2f} {percentile(timings, 99):>8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=1000, help="documents per kind")
    parser.add_argument(
        "--validate", action="store_true", help="also time XSD + schematron validation"
    )
    args = parser.parse_args()

    from robinet.billing.documents import (
        facturx_xml,
        render_facturx,
        render_pdf,
        validate_facturx_xml,
    )
    from robinet.billing.documents.pdf import fonts_embeddable
    from robinet.billing.documents.sample import sample_invoice

    households = [
        sample_invoice(),
        sample_invoice(estimated=True, abnormal=True),
        sample_invoice(extra_lines=12),
    ]
    professionals = [
        sample_invoice(professional=True),
        sample_invoice(professional=True, direct_debit=True),
        sample_invoice(public_sector=True, extra_lines=12),
    ]
    sizes = [len(render_pdf(d)) for d in households]
    fx_sizes = [len(render_facturx(d)) for d in professionals]
    print(
        f"python {sys.version.split()[0]}, one process; embedded fonts available: "
        f"{fonts_embeddable()}; plain PDF {min(sizes) // 1024}–{max(sizes) // 1024} KiB, "
        f"Factur-X {min(fx_sizes) // 1024}–{max(fx_sizes) // 1024} KiB"
    )
    print(f"{'document':<14} {'n':>6} {'per s':>9} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8}")
    measure("plain PDF", render_pdf, households, args.count)
    measure("Factur-X PDF", render_facturx, professionals, args.count)
    measure("CII XML only", facturx_xml, professionals, args.count)
    if args.validate:
        xmls = [facturx_xml(d) for d in professionals]
        started = time.perf_counter()
        assert validate_facturx_xml(xmls[0]) == []
        print(f"schematron compile + first validation: {time.perf_counter() - started:.2f} s")
        measure("validation", validate_facturx_xml, xmls, max(1, args.count // 10))


if __name__ == "__main__":
    main()
