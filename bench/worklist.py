"""Benchmark of the collection worklist (COLL-7): the nightly scoring run and the first page.

    uv run python bench/worklist.py --customers 100000                          # SQLite
    uv run python bench/worklist.py --customers 100000 --database postgres

Builds a throwaway database (``bench/_setup.py``), generates the demo utility
(customers, contracts; no readings), seeds the default procedures, issues one
open invoice per active contract (``bench/allocation.py``), leaves
``--overdue`` percent of them open (100 by default: every account overdue),
then gives one in twenty accounts a direct-debit reject (so that reasons
differ). Timed: the scoring run over every overdue account (features loaded
per chunk, the pure scorer, rows replaced), then the first page of the
worklist for a collection officer of the largest centre and for a manager of
the region (the view: scoped selector, paginator count, template render),
cold then the median of five. Not a test: figures depend on the machine.
"""

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import generated_utility, setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 22)


def page_timings(client, url: str) -> tuple[float, float]:
    timings = []
    for _ in range(6):
        mark = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - mark)
        assert response.status_code == 200, response.status_code
    return timings[0], statistics.median(timings[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--overdue", type=int, default=100, help="percent of invoices left open")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    url = setup_database(args.database, "robinet_bench_worklist", keep=args.keep)
    import allocation
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone
    from dunning_run import keep_overdue

    from robinet.collections.models import AccountScore
    from robinet.collections.services import procedures_seed
    from robinet.collections.worklist import score_run
    from robinet.core import clock
    from robinet.customers.models import CustomerAccount
    from robinet.organisation.models import Entity, EntityKind
    from robinet.organisation.roles import Role
    from robinet.organisation.services import role_grant

    generated_utility(args.customers, TODAY, url)
    mark = time.perf_counter()
    invoices = allocation.issue_invoices()
    print(f"issued {invoices:,} open invoices with entries in {time.perf_counter() - mark:.1f} s")
    overdue = keep_overdue(args.overdue)
    procedures_seed()
    rejects = add_rejects()
    print(f"{overdue:,} overdue invoices left open ({args.overdue} %), {rejects:,} rejects")

    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(22)))):
        started = time.perf_counter()
        result = score_run(on=TODAY)
        scoring = time.perf_counter() - started
        print(
            f"\nscoring run: {result.scored:,} overdue accounts scored in {scoring:.1f} s "
            f"({result.scored / scoring:,.0f} accounts/s, "
            f"{'fallback rule' if result.fallback else 'trained model'})"
        )
        centre_id = (
            CustomerAccount.objects.values("centre_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("centre_id", flat=True)
            .first()
        )
        centre = Entity.objects.get(pk=centre_id)
        region = Entity.objects.filter(kind=EntityKind.REGION).first()
        users = get_user_model().objects
        officer, _ = users.get_or_create(username="bench-officer")
        role_grant(actor=None, user=officer, role=Role.COLLECTION_OFFICER, entity=centre)
        manager, _ = users.get_or_create(username="bench-manager")
        role_grant(actor=None, user=manager, role=Role.MANAGER, entity=region)
        mine = AccountScore.objects.filter(account__centre=centre).count()
        for label, user, rows in (
            (f"officer of {centre.name}", officer, mine),
            ("manager of the region", manager, AccountScore.objects.count()),
        ):
            client = Client()
            client.force_login(user)
            cold, warm = page_timings(client, "/collections/worklist/")
            print(
                f"first page for the {label} ({rows:,} accounts in scope): "
                f"{cold * 1000:.0f} ms cold, {warm * 1000:.0f} ms median of 5"
            )
            cold, warm = page_timings(client, "/collections/worklist/?min_amount=100&level=0")
            print(f"  filtered (min 100 €): {cold * 1000:.0f} ms cold, {warm * 1000:.0f} ms")
    return 0


def add_rejects() -> int:
    """A direct-debit payment and its reject on one account in twenty (untimed)."""
    from robinet.customers.models import CustomerAccount
    from robinet.payments.models import Payment, PaymentReversal

    centre_of = dict(CustomerAccount.objects.values_list("pk", "centre_id"))
    now = timezone_now()
    payments = [
        Payment(
            number=f"BW{pk:09d}",
            account_id=pk,
            centre_id=centre,
            means="direct_debit",
            amount="10.00",
            received_on=TODAY - dt.timedelta(days=40),
            created_at=now,
        )  # fmt: skip
        for pk, centre in centre_of.items()
        if pk % 20 == 0
    ]
    Payment.objects.bulk_create(payments, batch_size=2000)
    created = Payment.objects.filter(number__startswith="BW")
    PaymentReversal.objects.bulk_create(
        [
            PaymentReversal(
                payment=p,
                reversed_on=TODAY - dt.timedelta(days=30),
                reason_code="AM04",
                reason="Provision insuffisante",
                created_at=now,
            )  # fmt: skip
            for p in created
        ],
        batch_size=2000,
    )
    return len(payments)


def timezone_now():
    from django.utils import timezone

    return timezone.now()


if __name__ == "__main__":
    sys.exit(main())
