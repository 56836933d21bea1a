"""Benchmark: bulk import of N meter readings from CSV (METER-1, principle 5).

Targets: 1,000,000 readings on PostgreSQL < 15 s; 100,000 on SQLite < 5 s.

    uv run python bench/readings_import.py --rows 100000                           # SQLite
    uv run python bench/readings_import.py --rows 1000000 --database-url postgres  # PostgreSQL

Creates a synthetic utility with the demo generator (one customer per
``--per-meter`` readings), writes a CSV of monthly readings for its meters
(about 1 in 1,000 with a lower index, so the anomaly path is exercised),
settles the database (``VACUUM ANALYZE`` and a checkpoint on PostgreSQL),
then times the import alone: parse, whole-file checks, context loading,
in-memory METER-2 validation and bulk write, with the time per phase.
"""

import argparse
import datetime as dt
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import setup_database  # noqa: E402


def make_csv(meters: list[tuple], rows: int, per_meter: int, today) -> bytes:
    """Monthly readings for ``meters`` ``(serial, installed, last index, m³ per day)``.

    Each meter goes on at the rate of its stored history (the seasons of the
    demo generator, ±15 % noise), so the METER-2 and METER-5 checks see what
    a real round brings: about 1 reading in 1,000 with a lower index (held),
    and a leak (five times the usual month) on 1 meter in 200 (notices).
    """
    from robinet.demo.readings import SEASONAL_AMPLITUDE, SEASONAL_PEAK_DAY

    rng = random.Random(11)
    lines = ["meter_serial;date;index;source"]
    written = 0
    for serial, installed, last_index, rate in meters:
        index = int(last_index) + 1 if last_index is not None else rng.randrange(0, 500)
        leak_month = rng.randrange(per_meter) if rng.random() < 0.005 else None
        for k in range(per_meter):
            on = today - dt.timedelta(days=30 * (per_meter - k))
            if installed and on < installed:
                continue
            season = 1 + SEASONAL_AMPLITUDE * math.cos(
                2 * math.pi * (on.timetuple().tm_yday - 15 - SEASONAL_PEAK_DAY) / 365.25
            )
            month = rate * 30 * season * rng.uniform(0.85, 1.15)
            if k == leak_month:
                month *= 5
            index += max(1, round(month))
            value = index - 50 if rng.random() < 0.001 else index
            lines.append(f"{serial};{on.isoformat()};{max(value, 0)};field")
            written += 1
            if written >= rows:
                return ("\n".join(lines) + "\n").encode()
    return ("\n".join(lines) + "\n").encode()


def meter_rates(default: float = 0.3) -> dict[int, float]:
    """m³ per day of each meter over its stored valid readings (``default`` without two)."""
    from django.db.models import Max, Min

    from robinet.metering.choices import ReadingStatus
    from robinet.metering.models import Reading

    rates: dict[int, float] = {}
    for row in (
        Reading.objects.filter(status=ReadingStatus.VALID)
        .values("meter_id")
        .annotate(
            first_on=Min("read_on"),
            last_on=Max("read_on"),
            low=Min("index"),
            high=Max("index"),
        )
    ):
        days = (row["last_on"] - row["first_on"]).days
        if days >= 60 and row["high"] > row["low"]:
            rates[row["meter_id"]] = min(float(row["high"] - row["low"]) / days, 5.0)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--per-meter", type=int, default=10)
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="no stored readings before the file (the generator's two years are the default)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (to inspect it)")
    args = parser.parse_args()
    url = setup_database(args.database_url, "robinet_bench_readings", keep=args.keep)

    from robinet.core import clock
    from robinet.customers.models import Meter
    from robinet.demo.generator import generate
    from robinet.metering.choices import ReadingStatus
    from robinet.metering.imports import import_readings
    from robinet.metering.models import Reading

    customers = args.rows // args.per_meter + args.rows // (args.per_meter * 5) + 10
    started = time.perf_counter()
    # The generator's own history (if it writes readings) ends before the file's first date.
    generate(
        customers=customers,
        today=clock.today() - dt.timedelta(days=30 * args.per_meter + 30),
        readings=not args.no_history,
    )
    stored = Reading.objects.count()
    print(
        f"setup: {customers:,} customers and {stored:,} stored readings generated"
        f" in {time.perf_counter() - started:.1f} s"
    )
    last_index = dict(
        Reading.objects.filter(status=ReadingStatus.VALID)
        .order_by("meter_id", "read_on", "id")
        .values_list("meter_id", "index")
    )
    rates = meter_rates()
    meters = [
        (serial, installed, last_index.get(pk), rates.get(pk, 0.3))
        for pk, serial, installed in Meter.objects.filter(
            service_point__isnull=False, removed_on__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "serial", "installed_on")
    ]
    data = make_csv(meters, args.rows, args.per_meter, clock.today())
    rows = data.count(b"\n") - 1
    # A live database is not fresh from a bulk load: settle it (statistics, visibility map,
    # a checkpoint) so the import is not timed against the generator's aftermath.
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
    started = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    result = import_readings(data, filename="bench-readings.csv")
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    elapsed = time.perf_counter() - started
    print(f"database: {args.database_url}")
    print(f"meters: {len(meters):,}; readings in file: {rows:,}")
    print(f"valid: {result.valid:,}; held: {result.held:,}; notices: {result.notices:,}")
    print("phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    print(f"import: {elapsed:.2f} s ({result.rows / elapsed:,.0f} rows/s)")
    if args.keep:
        print(f"database kept: {url}")


if __name__ == "__main__":
    main()
