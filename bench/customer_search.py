"""Benchmark: latency of the customer search service (target p99 < 50 ms on 1,000,000 in PostgreSQL).

    uv run python bench/customer_search.py --customers 100000                           # SQLite
    uv run python bench/customer_search.py --customers 1000000 --database-url postgres  # PostgreSQL

Generates the synthetic utility in a throwaway database, then times
``customers.selectors.customer_search`` as a regional manager (scoped to
every centre) on a mix of what officers type: surnames, first name +
surname, customer numbers, phone numbers (with spaces), meter serials,
street + town, SIRET, e-mail.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import percentile, setup_database  # noqa: E402


def sample_queries(rng: random.Random, count: int) -> list[tuple[str, str]]:
    from robinet.customers.models import Contract, CustomerAccount, Meter
    from robinet.customers.rules import format_phone

    top = CustomerAccount.objects.order_by("-id").values_list("id", flat=True).first()
    queries: list[tuple[str, str]] = []
    while len(queries) < count:
        account = (
            CustomerAccount.objects.select_related("party")
            .filter(id__gte=rng.randrange(1, top + 1))
            .order_by("id")
            .first()
        )
        party = account.party
        kind = rng.choice(
            ["surname", "full name", "number", "phone", "serial", "street", "siret", "email"]
        )
        if kind == "surname":
            query = party.name
        elif kind == "full name":
            query = f"{party.first_name} {party.name}"
        elif kind == "number":
            query = account.number
        elif kind == "phone" and (party.mobile or party.landline):
            query = format_phone(party.mobile or party.landline)
        elif kind == "serial":
            contract = (
                Contract.objects.filter(account=account).select_related("service_point").first()
            )
            meter = (
                Meter.objects.filter(service_point_id=contract.service_point_id).first()
                if contract
                else None
            )
            if not meter:
                continue
            query = meter.serial.lower()
        elif kind == "street":
            contract = (
                Contract.objects.filter(account=account).select_related("service_point").first()
            )
            if not contract:
                continue
            sp = contract.service_point
            query = f"{sp.street} {sp.city}"
        elif kind == "siret" and party.siret:
            query = f"{party.siret[:3]} {party.siret[3:6]} {party.siret[6:9]} {party.siret[9:]}"
        elif kind == "email" and party.email:
            query = party.email
        else:
            continue
        queries.append((kind, query))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default="sqlite", help="sqlite, postgres, or a database URL to reuse"
    )
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    url = setup_database(args.database_url, "robinet_bench_search")

    from django.contrib.auth import get_user_model

    from robinet.customers.models import CustomerAccount
    from robinet.customers.selectors import customer_search
    from robinet.demo.generator import generate
    from robinet.organisation.models import Entity, EntityKind
    from robinet.organisation.roles import Role
    from robinet.organisation.services import role_grant

    existing = CustomerAccount.objects.count()
    if existing < args.customers:
        started = time.perf_counter()
        generate(customers=args.customers - existing)
        print(
            f"generated {args.customers - existing} customers in {time.perf_counter() - started:.1f} s"
        )
    manager, _ = get_user_model().objects.get_or_create(username="bench-manager")
    role_grant(
        actor=None,
        user=manager,
        role=Role.MANAGER,
        entity=Entity.objects.get(kind=EntityKind.REGION),
    )

    rng = random.Random(42)
    queries = sample_queries(rng, args.queries)
    for _kind, query in queries[:50]:  # warm the caches
        customer_search(user=manager, query=query)
    timings: dict[str, list[float]] = {}
    found = 0
    for kind, query in queries:
        started = time.perf_counter()
        result = customer_search(user=manager, query=query)
        elapsed = (time.perf_counter() - started) * 1000
        timings.setdefault(kind, []).append(elapsed)
        timings.setdefault("all", []).append(elapsed)
        found += bool(result)
    print(
        f"database: {url.split('@')[-1]}  customers: {CustomerAccount.objects.count()}  queries: {len(queries)}"
    )
    print(f"queries with a result: {found}/{len(queries)}")
    print(f"{'query kind':<12} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in sorted(timings, key=lambda k: (k == "all", k)):
        values = sorted(timings[kind])
        print(
            f"{kind:<12} {len(values):>5} {percentile(values, 50):>8.2f} {percentile(values, 95):>8.2f} "
            f"{percentile(values, 99):>8.2f} {values[-1]:>8.2f}"
        )


if __name__ == "__main__":
    main()
