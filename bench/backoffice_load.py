"""Load test of the back office (issue 13): concurrent officers on their everyday screens while
a billing run writes.

    uv run --with gunicorn python bench/backoffice_load.py --customers 1000000
    uv run --with gunicorn python bench/backoffice_load.py --customers 20000 --officers 30 --seconds 30

Builds a throwaway PostgreSQL database (``bench/_setup.py``) with the demo
utility (customers, two years of readings, tariffs: untimed) and one billed
half-year (a first billing run, untimed), gives ``--officers`` staff members a
role on a centre (customer, billing and collection officers; a few regional
managers) and a session, starts the application under gunicorn
(``--workers`` processes) and, once warm, starts the next half-year's billing
run in its own process — at a lower CPU priority (``--billing-nice``), as
``operations.md`` advises for run workers sharing a machine with the web tier —
and ``--officers`` simulated officers at the same time.
Each officer loops over home → customer search → the customer page → the
account's invoices → an invoice → the worklist or the case list (2 s reading
time on average). Meanwhile, every 50 ms, the longest wait on a lock in the
database is sampled.

Prints, per screen, the count, p50, p95 and max; the errors; how far the
billing run got; and the longest lock wait. Targets (issue): p95 < 200 ms,
0 errors, no lock wait over 1 s. Not a test: figures depend on the machine.
"""

import argparse
import contextlib
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import billing_utility, percentile, run_threads_for, setup_database  # noqa: E402
from portal_load import free_port, start_server  # noqa: E402

TODAY = dt.date(2026, 11, 22)
FIRST_PERIOD_END = dt.date(2025, 6, 30)
SECOND_PERIOD_END = dt.date(2025, 12, 31)
LOCK_WAIT = """
    SELECT coalesce(max(extract(epoch FROM now() - query_start)), 0) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND datname = current_database()
"""


def make_officers(count: int) -> list[dict]:
    """``count`` staff members on centres (and a few regional managers), with a session and
    the accounts of their scope to open."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from robinet.billing.models import Invoice
    from robinet.organisation.models import Entity, EntityKind, RoleAssignment
    from robinet.organisation.roles import Role

    User = get_user_model()
    centres = list(Entity.objects.filter(kind=EntityKind.CENTRE).order_by("pk"))
    region = Entity.objects.filter(parent__isnull=True).order_by("pk").first()
    roles = (Role.CUSTOMER_OFFICER, Role.BILLING_OFFICER, Role.COLLECTION_OFFICER)
    password = make_password("bench-officer")
    officers = []
    for n in range(count):
        manager = n % 10 == 9
        entity = region if manager else centres[n % len(centres)]
        role = Role.MANAGER if manager else roles[n % len(roles)]
        user = User.objects.create(username=f"officer{n}", password=password, is_staff=True)
        RoleAssignment.objects.create(user=user, role=role, entity=entity)
        invoices = list(
            Invoice.objects.filter(account__centre__path__startswith=entity.path)
            .order_by("?")
            .values_list("number", "account__number", "account__party__name")[:20]
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.set_expiry(3600)
        session.create()
        officers.append({"session": session.session_key, "role": role, "invoices": invoices})
    return officers


def officer_loop(base, officer, stop, timings, errors, lock, think) -> None:
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    opener.addheaders = [("Cookie", f"sessionid={officer['session']}"), ("Accept-Language", "fr")]
    rng = random.Random(officer["session"])
    stop.wait(think * 3 * rng.random())  # officers arrive at random moments
    last = "/collections/worklist/" if officer["role"] == "collection_officer" else "/cases/"
    while not stop.is_set() and officer["invoices"]:
        invoice, account, name = rng.choice(officer["invoices"])
        screens = (
            ("home", "/"),
            ("search", "/customers/?" + urllib.parse.urlencode({"q": name})),
            ("customer", f"/customers/{account}/"),
            ("account invoices", f"/customers/{account}/invoices/"),
            ("invoice", f"/billing/invoices/{invoice}/"),
            (last.strip("/").split("/")[-1], last),
        )
        for kind, path in screens:
            if stop.is_set():
                return
            mark = time.perf_counter()
            try:
                with opener.open(base + path, timeout=30) as response:
                    response.read()
                    ok = response.status == 200 and "/login/" not in response.url
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                ok = False
                path = f"{path} ({exc})"
            elapsed = time.perf_counter() - mark
            with lock:
                timings.setdefault(kind, []).append(elapsed)
                if not ok:
                    errors.append((kind, path))
            stop.wait(think * (0.5 + rng.random()))


def lower_priority(nice: int) -> None:
    """In the billing run's process (a session of its own): ``nice`` for its CPU share. Linux
    groups the CPU by session (autogroup), where ``nice`` alone only ranks a session's own
    processes, so the session's group gets the same priority — as ``CPUWeight=`` does for a
    systemd unit (operations.md)."""
    os.nice(nice)
    # without autogroup (disabled, or not Linux): the process's own priority only
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(nice))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--officers", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn processes")
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--no-billing", action="store_true", help="no concurrent billing run")
    parser.add_argument(
        "--billing-nice",
        type=int,
        default=10,
        help="nice of the billing run's process and session (operations.md: run workers "
        "sharing a machine with the web tier get a lower priority); 0 for none",
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    os.environ["ROBINET_SECRET_KEY"] = "bench-backoffice-" + "k" * 50  # shared with the server
    url = setup_database("postgres", "robinet_bench_backoffice", keep=args.keep)
    import psycopg
    from django.db import connection

    from robinet.billing.services import billing_run_create, billing_run_execute
    from robinet.core.runs import InProcessExecutor

    started = time.perf_counter()
    billing_utility(args.customers, TODAY)
    run = billing_run_create(
        actor=None, period_end=FIRST_PERIOD_END, issue_date=FIRST_PERIOD_END + dt.timedelta(days=5)
    )
    billing_run_execute(actor=None, run=run, executor=InProcessExecutor())
    officers = make_officers(args.officers)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"setup (utility, first half-year billed, officers): {time.perf_counter() - started:.0f} s"
    )
    connection.close()

    port = free_port()
    env = {**os.environ, "ROBINET_DATABASE_URL": url, "ROBINET_DEBUG": "0",
           "ROBINET_ALLOWED_HOSTS": "127.0.0.1", "ROBINET_SECURE_COOKIES": "0",
           "ROBINET_BROKER_URL": ""}  # fmt: skip
    server = start_server("gunicorn", port, args.workers, env)
    base = f"http://127.0.0.1:{port}"
    billing = None
    lock_wait = [0.0]
    try:
        warm_stop = threading.Event()
        warmers = [
            threading.Thread(
                target=officer_loop,
                args=(base, officer, warm_stop, {}, [], threading.Lock(), 0.0),
            )
            for officer in officers[: args.workers * 2]
        ]
        for t in warmers:
            t.start()
        time.sleep(5)
        warm_stop.set()
        for t in warmers:
            t.join()

        if not args.no_billing:
            billing = subprocess.Popen(
                [sys.executable, "-m", "robinet", "billing", "run",
                 "--period-end", SECOND_PERIOD_END.isoformat(),
                 "--issue-date", (SECOND_PERIOD_END + dt.timedelta(days=5)).isoformat()],
                env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                preexec_fn=lambda: lower_priority(args.billing_nice),
            )  # fmt: skip
        timings, errors, lock, stop = {}, [], threading.Lock(), threading.Event()

        def watch_locks() -> None:
            with psycopg.connect(url, autocommit=True) as watcher:
                while not stop.is_set():
                    waited = float(watcher.execute(LOCK_WAIT).fetchone()[0])
                    lock_wait[0] = max(lock_wait[0], waited)
                    stop.wait(0.05)

        threads = [threading.Thread(target=watch_locks)] + [
            threading.Thread(
                target=officer_loop, args=(base, officer, stop, timings, errors, lock, args.think)
            )
            for officer in officers
        ]
        elapsed = run_threads_for(threads, stop, args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if billing is not None and billing.poll() is None:
            os.killpg(billing.pid, signal.SIGTERM)
            billing.wait(timeout=60)

    with psycopg.connect(url, autocommit=True) as db:
        # The concurrent run's plan is committed with its estimates: until then, no row.
        progress = db.execute(
            "SELECT succeeded + failed + skipped, total FROM core_batchrun "
            "WHERE kind = 'billing' AND id > %s ORDER BY id DESC LIMIT 1",
            [run.pk],
        ).fetchone()
    total = sum(len(v) for v in timings.values())
    every = sorted(t for v in timings.values() for t in v)
    print(
        f"\n{len(officers)} officers (think time {args.think:g} s) for {elapsed:.0f} s, "
        f"{args.customers:,} customers, gunicorn {args.workers} workers: {total:,} requests "
        f"({total / elapsed:.0f}/s), {len(errors)} errors"
    )
    if every:
        print(f"  all screens: p50 {percentile(every, 50) * 1000:.0f} ms, "
              f"p95 {percentile(every, 95) * 1000:.0f} ms")  # fmt: skip
    for kind, values in sorted(timings.items()):
        values = sorted(values)
        print(
            f"  {kind:17}: {len(values):,} requests, p50 {percentile(values, 50) * 1000:.0f} ms, "
            f"p95 {percentile(values, 95) * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"
        )
    if billing is not None:
        done = (
            f"{progress[0]:,} of {progress[1]:,} contracts processed"
            if progress
            else "still planning (selection and estimates)"
        )
        print(f"  concurrent billing run (nice {args.billing_nice}): {done}")
    print(f"  longest lock wait seen: {lock_wait[0] * 1000:.0f} ms")
    for kind, path in errors[:5]:
        print(f"  error {kind} {path}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
