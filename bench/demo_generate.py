"""Benchmark of the demo generator: N customers into a fresh database, timed.

    uv run python bench/demo_generate.py --customers 100000              # SQLite (temporary file)
    uv run python bench/demo_generate.py --customers 100000 --readings   # with meter readings
    uv run python bench/demo_generate.py --customers 1000000 --postgres  # PostgreSQL
    uv run python bench/demo_generate.py --database-url postgres://…/db  # an existing empty database

``--postgres`` creates a throwaway database ``robinet_bench`` on the server
(default ``postgres://postgres@127.0.0.1:5432``) and drops it afterwards
(``--keep`` keeps it). Prints the rows written per table, the time of each
step and the throughput. Not a test: figures depend on the machine.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "robinet_bench"


def _server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _recreate(server: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(_server_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')


def _server_cpu_probe(connection):
    """A function returning the CPU seconds used since now by the PostgreSQL backend
    serving ``connection`` (only when the server runs on this machine), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    start = used()
    return lambda: used() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument(
        "--readings",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="two years of meter readings too (as `robinet demo`; default: customers only)",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--postgres",
        nargs="?",
        const="postgres://postgres@127.0.0.1:5432",
        metavar="SERVER_URL",
        help=f"throwaway database {BENCH_DATABASE!r} on this server",
    )
    target.add_argument("--database-url", help="an existing, empty database (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    tmp = None
    if args.postgres:
        _recreate(args.postgres)
        url = _server_url(args.postgres, BENCH_DATABASE)
    elif args.database_url:
        url = args.database_url
    else:
        tmp = tempfile.TemporaryDirectory(prefix="robinet-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    os.environ["ROBINET_DATABASE_URL"] = url
    os.environ.setdefault("ROBINET_DEBUG", "1")  # no production checks for a benchmark
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
    sys.path.insert(0, str(ROOT / "src"))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from robinet.demo.generator import DEFAULT_CHUNK_SIZE, DEFAULT_SEED, generate

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        server_cpu = _server_cpu_probe(connection)
        own_cpu = time.process_time()
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        print(f"migrate: {time.perf_counter() - started:.1f} s")
        summary = generate(
            customers=args.customers,
            seed=args.seed if args.seed is not None else DEFAULT_SEED,
            chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE,
            log=print,
            readings=args.readings,
        )
        print()
        print(f"{'table':<32}{'rows':>12}")
        for label, count in summary.counts.items():
            print(f"{label:<32}{count:>12,}")
        print(f"{'total':<32}{summary.rows:>12,}")
        print()
        for step, seconds in summary.timings.items():
            print(f"{step:<32}{seconds:>10.2f} s")
        print()
        print(f"{'cpu: this process':<32}{time.process_time() - own_cpu:>10.2f} s")
        if server_cpu is not None:
            print(f"{'cpu: database server process':<32}{server_cpu():>10.2f} s")
        print()
        print(
            f"{args.customers:,} customers, {summary.rows:,} rows in {summary.seconds:.1f} s: "
            f"{args.customers / summary.seconds:,.0f} customers/s, "
            f"{summary.rows / summary.seconds:,.0f} rows/s ({connection.vendor})"
        )
    finally:
        connection.close()
        if args.postgres and not args.keep:
            _recreate(args.postgres, drop_only=True)
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
