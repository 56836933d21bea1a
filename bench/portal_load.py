"""Load test of the customer portal (PORTAL-1): concurrent customers browsing home, bills, a PDF.

    uv run --with gunicorn python bench/portal_load.py --database postgres
    uv run python bench/portal_load.py --server runserver          # without gunicorn

Builds a throwaway database (``bench/_setup.py``), generates ``--customers``
customers (100,000 by default) with one issued invoice per active contract
(``bench/allocation.py``), gives ``--users`` of them a portal login linked to
their account (sessions written directly: the sign-in form and its rate
limiting are not what is measured), starts the application under gunicorn
(``--workers`` processes, the documented production server) on 127.0.0.1, then
runs ``--clients`` concurrent simulated customers for ``--seconds``: each one
loops over home → bills → the PDF of its last bill, reading each page for
``--think`` seconds on average (``--think 0``: back to back, which measures
the server's saturation throughput rather than what customers see).
Prints, per kind of request, the count, p50, p95 and max, and the errors.
Not a test: figures depend on the machine. Targets (issue): p95 < 150 ms for
pages and < 300 ms for a PDF, 0 errors, 50 concurrent customers.
"""

import argparse
import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import percentile, run_threads_for, setup_database  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_users(count: int) -> list[tuple[str, str, str]]:
    """``count`` portal users, each with a bill of its own: (session key, account, invoice).

    The bulk-issued invoices of ``allocation`` have no lines (they only feed the
    ledger), so each portal customer gets a real one-line bill from the billing
    writer, whose PDF is what the load test downloads.
    """
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.utils import timezone

    from robinet.billing.choices import InvoiceKind
    from robinet.billing.fees import Line, invoice_issue_lines
    from robinet.customers.models import CustomerAccount
    from robinet.portal.access import SESSION_HASH_KEY, SESSION_KEY, _session_hash
    from robinet.portal.models import AccountLink, PortalUser

    now = timezone.now()
    password = make_password("bench-portal-2026")
    line = Line(
        code="BENCH",
        label="Consommation d'eau",
        service="water",
        beneficiary="operator",
        quantity=Decimal(1),
        unit="unit",
        unit_price=Decimal("84.30"),
        amount_excl_vat=Decimal("84.30"),
        vat_rate=Decimal("5.5"),
    )
    result = []
    accounts = CustomerAccount.objects.filter(status="active").order_by("pk")[:count]
    for n, account in enumerate(accounts):
        with transaction.atomic():
            invoice = invoice_issue_lines(
                actor=None,
                kind=InvoiceKind.FEES,
                account=account,
                lines=[line],
                issue_date=now.date(),
            )
            user = PortalUser.objects.create(
                email=f"client{n}@bench.example",
                password=password,
                email_verified_at=now,
                created_at=now,
            )
            AccountLink.objects.create(user=user, account=account, linked_at=now, method="invoice")
        session = SessionStore()
        session[SESSION_KEY] = user.pk
        session[SESSION_HASH_KEY] = _session_hash(user)
        session.set_expiry(3600)
        session.create()
        result.append((session.session_key, account.number, invoice.number))
    return result


def start_server(kind: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    if kind == "gunicorn":
        if shutil.which("gunicorn") is None:
            sys.exit(
                "gunicorn is not installed: run with `uv run --with gunicorn …` or --server runserver"
            )
        command = [
            "gunicorn", "robinet.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
            "--log-level", "warning",
        ]  # fmt: skip
    else:
        command = [sys.executable, "-m", "robinet", "runserver", "--noreload", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("the server did not start")


def client_loop(base, session_key, invoice, stop, timings, errors, lock, think=0.0) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Cookie", f"sessionid={session_key}"), ("Accept-Language", "fr")]
    pages = (("home", "/espace-client/"), ("bills", "/espace-client/factures/"))
    pdf = ("pdf", f"/espace-client/factures/{invoice}.pdf")
    if think:
        # Customers arrive at random moments of a round, not all in the same millisecond:
        # a synchronised start would queue 50 home pages at once and measure only that burst.
        stop.wait(think * 3 * random.random())
    while not stop.is_set():
        for kind, path in (*pages, pdf):
            mark = time.perf_counter()
            try:
                with opener.open(base + path, timeout=30) as response:
                    body = response.read()
                    ok = response.status == 200 and (kind != "pdf" or body.startswith(b"%PDF"))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                ok, body = False, str(exc).encode()
            elapsed = time.perf_counter() - mark
            with lock:
                timings.setdefault(kind, []).append(elapsed)
                if not ok:
                    errors.append((kind, path, body[:120]))
            if think:
                # A person reads the page before the next click (0.5 to 1.5 × the mean).
                stop.wait(think * (0.5 + random.random()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean seconds a customer reads a page (0: none)"
    )
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default="gunicorn")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    # Sessions are signed: the server and this process must share the key.
    os.environ["ROBINET_SECRET_KEY"] = "bench-portal-" + "k" * 50
    url = setup_database(args.database, "robinet_bench_portal", keep=args.keep)
    import allocation
    from django.db import connection

    from robinet.demo.generator import generate

    print(f"database: {connection.vendor} ({url})")
    started = time.perf_counter()
    generate(customers=args.customers, today=allocation.TODAY, readings=False)
    invoices = allocation.issue_invoices()
    print(
        f"generated {args.customers:,} customers and {invoices:,} invoices "
        f"in {time.perf_counter() - started:.1f} s"
    )
    users = make_users(args.users)
    connection.close()
    port = free_port()
    env = {**os.environ, "ROBINET_DATABASE_URL": url, "ROBINET_DEBUG": "0",
           "ROBINET_ALLOWED_HOSTS": "127.0.0.1", "ROBINET_SECURE_COOKIES": "0"}  # fmt: skip
    server = start_server(args.server, port, args.workers, env)
    base = f"http://127.0.0.1:{port}"
    try:
        # Warm every worker (code, templates, fonts) before measuring.
        warm_timings, warm_errors = {}, []
        warm_stop = threading.Event()
        warmers = [
            threading.Thread(
                target=client_loop,
                args=(base, key, invoice, warm_stop, warm_timings, warm_errors, threading.Lock()),
            )
            for key, _account, invoice in users[: args.workers * 2]
        ]
        for t in warmers:
            t.start()
        time.sleep(5)
        warm_stop.set()
        for t in warmers:
            t.join()
        if warm_errors:
            print("errors while warming up:", warm_errors[:3])
        timings, errors, lock, stop = {}, [], threading.Lock(), threading.Event()
        rng = random.Random(5)
        chosen = rng.sample(users, min(args.clients, len(users)))
        threads = [
            threading.Thread(
                target=client_loop,
                args=(base, key, invoice, stop, timings, errors, lock, args.think),
            )
            for key, _account, invoice in chosen
        ]
        elapsed = run_threads_for(threads, stop, args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    total = sum(len(v) for v in timings.values())
    print(
        f"\n{len(chosen)} concurrent customers (think time {args.think:g} s) for {elapsed:.0f} s "
        f"against {args.server} "
        f"({args.workers} workers): {total:,} requests ({total / elapsed:.0f}/s), "
        f"{len(errors)} errors"
    )
    for kind in ("home", "bills", "pdf"):
        values = sorted(timings.get(kind, []))
        if values:
            print(
                f"  {kind:5}: {len(values):,} requests, p50 {percentile(values, 50) * 1000:.0f} ms, "
                f"p95 {percentile(values, 95) * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"
            )
    for kind, path, body in errors[:5]:
        text = re.sub(rb"\s+", b" ", body)[:100]
        print(f"  error {kind} {path}: {text!r}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
