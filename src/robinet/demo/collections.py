"""Collections for the demo utility (COLL-1…6, COLL-13).

After two years of bills and payments, the late payers are chased the way a
utility would have done it: dunning runs on past days (proposal, then the
notices issued), so that accounts show a history of reminders, formal
notices and, for professionals, the €40 indemnity; a few accounts are held
(a dispute, returned mail, a pending FSL application); some debtors agreed a
payment plan (kept, running, broken) or promised to pay. Today's proposal is
left for an officer to review and issue.

Not every debtor needs chasing to the end: one in four accounts reminded for
the first time settles in full ten days after the notice, another one in four
after the second reminder (COLL-7: the history then holds both outcomes after a
reminder, so the risk model learns from the demo and is evaluated on a month
where both happen).
"""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from robinet.collections import plans, services
from robinet.collections.choices import BlockReason
from robinet.collections.models import DunningNotice, DunningProposal
from robinet.core import clock
from robinet.core.models import BatchRun
from robinet.customers.choices import CustomerClass, PremisesUse
from robinet.ledger.models import OpenItem
from robinet.payments.services import payment_record

# Past run days, in days before today: each proposal is issued as it was reviewed.
PAST_RUNS = (80, 60, 40, 20)
# Settling debtors pay in full this many days after their notice (see ``_settlers``).
SETTLE_AFTER = 10


def _at(day: dt.date):
    return clock.as_of(timezone.make_aware(dt.datetime.combine(day, dt.time(9))))


def _debtors(today: dt.date):
    """Accounts with an overdue open item, oldest first."""
    return (
        OpenItem.objects.filter(cleared_on__isnull=True, open_amount__gt=0, due_date__lt=today)
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()
    )


def _candidates(today: dt.date, count: int) -> list:
    """Individual debtors in a main residence, not held, not under a plan (oldest first)."""
    from robinet.collections.models import CollectionBlock, PaymentPlan, PaymentPromise
    from robinet.customers.models import CustomerAccount

    busy = (
        set(CollectionBlock.objects.values_list("account_id", flat=True))
        | set(PaymentPlan.objects.values_list("account_id", flat=True))
        | set(PaymentPromise.objects.values_list("account_id", flat=True))
    )
    debtors = [pk for pk in _debtors(today)[:600] if pk not in busy]
    return list(
        CustomerAccount.objects.filter(
            pk__in=debtors,
            customer_class=CustomerClass.INDIVIDUAL,
            mail_returned_on__isnull=True,
            contracts__service_point__premises_use=PremisesUse.MAIN_RESIDENCE,
        )
        .select_related("centre")
        .distinct()
        .order_by("pk")[:count]
    )


def _owed(account) -> Decimal:
    return OpenItem.objects.filter(account=account, open_amount__gt=0).aggregate(
        t=Sum("open_amount")
    )["t"] or Decimal(0)


def _dispute(today: dt.date, counts: dict) -> None:
    """A dispute holds dunning (COLL-3)."""
    for account in _candidates(today, 8)[-1:]:
        services.block_create(
            actor=None,
            account=account,
            reason=BlockReason.DISPUTE,
            starts_on=today,
            reference="CONT-1",
            comment="Conteste le relevé de mars",
        )
        counts["blocks"] += 1


def _fsl(today: dt.date, counts: dict) -> None:
    """A debtor whose situation calls for the FSL: the application pauses collection (COLL-4)."""
    for account in _candidates(today, 8)[-1:]:
        plans.diagnosis_record(
            account=account,
            household_size=3,
            monthly_income=Decimal("1150.00"),
            monthly_charges=Decimal("820.00"),
            liabilities=Decimal("2300.00"),
            fsl_requested=True,
            made_on=today,
            actor=None,
        )
        counts["blocks"] += 1


def _plan(today: dt.date, counts: dict, *, first_in: int, count: int, pay: bool) -> None:
    """A plan agreed ``today``; paid in full at the first instalment when ``pay`` (COLL-5)."""
    for account in _candidates(today, 1):
        plan = plans.payment_plan_create(
            account=account,
            count=count,
            first_due=today + dt.timedelta(days=first_in),
            grace_days=10,
            agreed_on=today,
            actor=None,
        )
        plans.payment_plan_sign(plan=plan, signed_on=today, actor=None)
        counts["plans"] += 1
        if pay:
            with _at(today + dt.timedelta(days=first_in)):
                payment_record(
                    actor=None,
                    account=account,
                    means="transfer",
                    amount=_owed(account),
                    received_on=today + dt.timedelta(days=first_in),
                    check_permission=False,
                )


def _promise(today: dt.date, counts: dict, *, due_in: int) -> None:
    for account in _candidates(today, 1):
        plans.promise_create(
            account=account,
            due_on=today + dt.timedelta(days=due_in),
            amount=min(_owed(account), Decimal("150.00")),
            made_on=today,
            actor=None,
        )
        counts["promises"] += 1


def _settlers(run) -> list[int]:
    """Accounts of ``run``'s notices that will settle (COLL-7): one in four of those
    reminded for the first time, another one in four of those reminded for the second."""
    numbers = dict(
        DunningNotice.objects.filter(proposal__run=run).values_list("account_id", "account__number")
    )
    earlier = dict(
        DunningNotice.objects.filter(account_id__in=list(numbers), issued_on__lt=run.run_date)
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    # Drawn from the account number, not the id: the same accounts settle whatever ids the
    # database hands out (a PostgreSQL sequence keeps counting across test databases).
    return sorted(
        pk
        for pk, number in numbers.items()
        if earlier.get(pk, 0) < 2 and zlib.crc32(number.encode()) % 4 == earlier.get(pk, 0)
    )


def _settle(day: dt.date, account_ids: list[int], counts: dict) -> None:
    """The debtors pay all they owe by transfer on ``day``, as the notice asked (those who
    agreed a plan, promised or are held in the meantime keep to that story)."""
    from robinet.collections.models import CollectionBlock, PaymentPlan, PaymentPromise
    from robinet.customers.models import CustomerAccount

    busy = (
        set(
            CollectionBlock.objects.filter(account_id__in=account_ids).values_list(
                "account_id", flat=True
            )
        )
        | set(
            PaymentPlan.objects.filter(account_id__in=account_ids).values_list(
                "account_id", flat=True
            )
        )
        | set(
            PaymentPromise.objects.filter(account_id__in=account_ids).values_list(
                "account_id", flat=True
            )
        )
    )
    payers = [pk for pk in account_ids if pk not in busy]
    for account in CustomerAccount.objects.filter(pk__in=payers).order_by("pk"):
        owed = _owed(account)
        if owed > 0:
            payment_record(
                actor=None,
                account=account,
                means="transfer",
                amount=owed,
                received_on=day,
                check_permission=False,
            )
            counts["settled"] += 1


# What happens on which day (days before today), besides the dunning runs.
def _scenes(counts):
    return {
        85: [lambda d: _plan(d, counts, first_in=15, count=2, pay=True)],  # kept
        70: [lambda d: _plan(d, counts, first_in=15, count=3, pay=False)],  # broken
        45: [lambda d: _dispute(d, counts)],
        30: [lambda d: _fsl(d, counts)],
        25: [lambda d: _promise(d, counts, due_in=7)],  # broken
        12: [lambda d: _plan(d, counts, first_in=18, count=6, pay=False)],  # running
        3: [lambda d: _promise(d, counts, due_in=7)],  # pending
    }


def seed_demo(today: dt.date) -> dict[str, int]:
    """Seed procedures, past dunning runs and today's proposal; returns counts to print."""
    today = min(today, clock.today())
    services.procedures_seed()
    counts = {
        "dunning_runs": 0, "notices": 0, "proposals_today": 0, "blocks": 0, "plans": 0,
        "promises": 0, "settled": 0,
    }  # fmt: skip
    if BatchRun.objects.filter(kind="dunning_proposal").exists():
        return counts  # seeded already
    scenes = _scenes(counts)
    first = max([*PAST_RUNS, *scenes])
    settling: dict[int, list[int]] = {}  # days before today → accounts paying that day
    for days in range(first, -1, -1):
        day = today - dt.timedelta(days=days)
        with _at(day):
            for scene in scenes.get(days, ()):
                scene(day)
            if days in settling:
                _settle(day, settling.pop(days), counts)
            if days in PAST_RUNS or days == 0:
                proposal = services.dunning_propose(actor=None, on=day)
                if days:
                    services.dunning_issue(actor=None, proposal_run=proposal)
                    counts["dunning_runs"] += 1
                    settling[days - SETTLE_AFTER] = _settlers(proposal)
    counts["notices"] = DunningNotice.objects.count()
    counts["proposals_today"] = DunningProposal.objects.filter(
        run=proposal, status="proposed"
    ).count()
    return counts
