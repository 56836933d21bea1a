"""Benchmark of customer requests (CASE-1, CASE-3): creating a case, and the overdue list.

    uv run python bench/cases.py --database postgres                  # 1,000,000 cases
    uv run python bench/cases.py --cases 100000                       # SQLite, smaller

Builds a throwaway database (``bench/_setup.py``), generates the demo utility
(customers and contracts, no readings), creates the routing teams, then writes
``--cases`` historical cases (one inbound contact each; 8 % still open, their
deadlines spread over the past and the next weeks) with the bulk writer
(untimed). Timed:

* creation: ``--samples`` requests recorded through the service the
  contact-centre screen calls (``request_record``: contact, number, deadline
  in working days, routing, sensitive-letter check, dunning block for the
  types that hold dunning), one transaction each, p50 / p95 / max;
* the overdue list: the « Retards de réponse » screen (scoped selectors for
  the overdue and due-soon cases, render) for a contact-centre officer of the
  largest centre and for a manager of the region, p50 / p95 over
  ``--samples`` requests; and the selector alone.

Not a test: figures depend on the machine. Targets (issue): create p95 < 50 ms,
overdue list p95 < 100 ms with 1,000,000 cases in PostgreSQL.
"""

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import percentile, setup_database  # noqa: E402

TODAY = dt.date(2026, 11, 18)  # a Wednesday
CHUNK = 50_000
TEXTS = (
    "Bonjour, je conteste le montant de ma dernière facture qui me paraît trop élevé.",
    "Madame, Monsieur, je souhaite un échéancier pour régler ma facture. Cordialement.",
    "Je vous informe de mon départ du logement au 30 du mois, merci de relever le compteur.",
    "Sans réponse de votre part, je saisirai l'association UFC-Que Choisir et mon avocat.",
)


def figures(label: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    return (
        f"{label}: p50 {percentile(ordered, 50) * 1000:.1f} ms, "
        f"p95 {percentile(ordered, 95) * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms "
        f"({len(ordered)} samples)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    url = setup_database(args.database, "robinet_bench_cases", keep=args.keep)
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from robinet.cases import selectors, services
    from robinet.cases.choices import Channel, TeamKind
    from robinet.cases.models import CaseType, Team
    from robinet.core import clock
    from robinet.customers.models import CustomerAccount
    from robinet.demo.generator import generate
    from robinet.organisation.models import Entity, EntityKind
    from robinet.organisation.roles import Role
    from robinet.organisation.services import role_grant

    print(f"database: {connection.vendor} ({url})")
    started = time.perf_counter()
    generate(customers=args.customers, today=TODAY, readings=False)
    print(f"generated {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
    region = Entity.objects.filter(kind=EntityKind.REGION).first()
    for kind in TeamKind:
        Team.objects.get_or_create(
            code=f"B-{kind.value[:20]}",
            defaults={"name": kind.label, "kind": kind, "entity": region},
        )
    mark = time.perf_counter()
    written = write_history(args.cases)
    print(f"wrote {written:,} cases and contacts in {time.perf_counter() - mark:.1f} s")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")

    centre_id = (
        CustomerAccount.objects.values("centre_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("centre_id", flat=True)
        .first()
    )
    centre = Entity.objects.get(pk=centre_id)
    users = get_user_model().objects
    officer, _ = users.get_or_create(username="bench-counsellor")
    role_grant(actor=None, user=officer, role=Role.CONTACT_CENTRE_OFFICER, entity=centre)
    manager, _ = users.get_or_create(username="bench-manager")
    role_grant(actor=None, user=manager, role=Role.MANAGER, entity=region)
    accounts = list(
        CustomerAccount.objects.filter(centre=centre).select_related("party", "centre")[:5000]
    )
    types = list(CaseType.objects.exclude(default_nature="internal"))
    rng = random.Random(7)
    now = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(10)))

    with clock.as_of(now):
        timings = []
        for i in range(args.samples):
            account = rng.choice(accounts)
            channel = rng.choice([Channel.PHONE, Channel.LETTER, Channel.EMAIL])
            mark = time.perf_counter()
            with transaction.atomic():
                services.request_record(
                    actor=officer,
                    account=account,
                    channel=channel,
                    case_type=types[i % len(types)],
                    subject=f"Demande {i}",
                    body=rng.choice(TEXTS),
                )
            timings.append(time.perf_counter() - mark)
        print()
        print(figures("create a case (contact + case + deadline + routing)", timings))

        for label, user in (
            (f"contact-centre officer of {centre.name}", officer),
            ("manager of the region", manager),
        ):
            in_scope = selectors.overdue_cases(user=user, now=now).count()
            client = Client()
            client.force_login(user)
            client.get("/cases/overdue/")  # warm the connection and the templates
            pages, lists = [], []
            for _ in range(args.samples // 2):
                mark = time.perf_counter()
                response = client.get("/cases/overdue/")
                pages.append(time.perf_counter() - mark)
                assert response.status_code == 200, response.status_code
                mark = time.perf_counter()
                list(selectors.overdue_cases(user=user, now=now)[:50])
                lists.append(time.perf_counter() - mark)
            print(f"\noverdue list for the {label} ({in_scope:,} overdue cases in scope)")
            print(figures("  screen (overdue + due soon, first 50 of each)", pages))
            print(figures("  selector alone (first 50)", lists))
    return 0


def write_history(count: int) -> int:
    """``count`` cases with one inbound contact each, over the past two years (untimed)."""
    from django.db import transaction

    from robinet.cases.choices import CaseStatus, Channel, DeadlineRule, Direction
    from robinet.cases.models import Case, CaseType, Contact, Team
    from robinet.core.bulk import allocate_ids, insert_rows
    from robinet.customers.models import CustomerAccount

    rng = random.Random(42)
    accounts = list(CustomerAccount.objects.values_list("pk", "centre_id"))
    types = list(CaseType.objects.exclude(default_nature="internal").values_list("pk", "routing"))
    team_of = dict(Team.objects.values_list("kind", "pk"))
    channels = [Channel.PHONE, Channel.LETTER, Channel.EMAIL, Channel.VISIT, Channel.WEB_FORM]
    base = dt.datetime.combine(TODAY, dt.time(10), tzinfo=dt.UTC)
    case_columns = [
        "id",
        "number",
        "account_id",
        "centre_id",
        "case_type_id",
        "nature",
        "status",
        "channel",
        "subject",
        "description",
        "opened_at",
        "deadline_rule",
        "response_due",
        "team_id",
        "contact_count",
        "multi_contact",
        "priority",
        "sensitive",
        "sensitive_reasons",
        "anomaly",
        "blocks_dunning",
        "debit_action",
        "closed_at",
        "resolution",
    ]
    contact_columns = [
        "case_id",
        "account_id",
        "centre_id",
        "direction",
        "channel",
        "occurred_at",
        "recorded_at",
        "interlocutor",
        "subject",
        "body",
        "sensitive",
        "sensitive_reasons",
        "template_code",
        "is_answer",
        "is_holding_reply",
    ]
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        with transaction.atomic():
            ids = allocate_ids(Case, size)
            cases, contacts = [], []
            for offset, case_id in enumerate(ids):
                account, centre = rng.choice(accounts)
                type_id, routing = rng.choice(types)
                channel = rng.choice(channels)
                opened = base - dt.timedelta(minutes=rng.randint(0, 730 * 24 * 60))
                still_open = rng.random() < 0.08
                # Open cases are the recent ones: due dates from last month to three weeks ahead.
                if still_open:
                    opened = base - dt.timedelta(minutes=rng.randint(0, 40 * 24 * 60))
                due = opened + dt.timedelta(days=rng.choice((2, 7, 21)))
                cases.append(
                    (
                        case_id, f"H{done + offset:09d}", account, centre, type_id, "request",
                        CaseStatus.OPEN if still_open else CaseStatus.CLOSED, channel,
                        "Demande", "", opened, DeadlineRule.CHANNEL, due, team_of[routing], 1,
                        False, False, False, "", "", False, "none",
                        None if still_open else opened + dt.timedelta(days=1), "",
                    )
                )  # fmt: skip
                contacts.append(
                    (
                        case_id, account, centre, Direction.INBOUND, channel, opened, opened,
                        "", "Demande", "", False, "", "", False, False,
                    )
                )  # fmt: skip
            insert_rows(Case, case_columns, cases)
            insert_rows(Contact, contact_columns, contacts)
        done += size
    return done


if __name__ == "__main__":
    sys.exit(main())
