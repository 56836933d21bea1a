"""Collections for the demo utility (COLL-1…6, COLL-13).

After two years of bills and payments, the late payers are chased the way a
utility would have done it: dunning runs on past days (proposal, then the
notices issued), so that accounts show a history of reminders, formal
notices and, for professionals, the €40 indemnity; a few accounts are held
(a dispute, returned mail, a pending FSL application); some debtors agreed a
payment plan (kept, running, broken) or promised to pay. Today's proposal is
left for an officer to review and issue.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from robinet.collections import services
from robinet.collections.choices import BlockReason
from robinet.collections.models import DunningNotice, DunningProposal
from robinet.core import clock
from robinet.core.models import BatchRun
from robinet.customers.choices import CustomerClass, PremisesUse
from robinet.ledger.models import OpenItem

# Past run days, in days before today: each proposal is issued as it was reviewed.
PAST_RUNS = (80, 60, 40, 20)


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


def _held(today: dt.date) -> dict[str, int]:
    """A dispute, a pending FSL application: dunning holds (COLL-3, COLL-4)."""
    from robinet.customers.models import CustomerAccount

    counts = {"blocks": 0}
    debtors = list(_debtors(today)[:400])
    individuals = list(
        CustomerAccount.objects.filter(
            pk__in=debtors,
            customer_class=CustomerClass.INDIVIDUAL,
            contracts__service_point__premises_use=PremisesUse.MAIN_RESIDENCE,
        )
        .distinct()
        .order_by("pk")[:6]
    )
    if len(individuals) < 4:  # too small a utility: let every debtor be chased
        return counts
    for account, (reason, reference, comment) in zip(
        individuals[-2:],
        (
            (BlockReason.DISPUTE, "CONT-1", "Conteste le relevé de mars"),
            (BlockReason.FSL_PENDING, "FSL-2026-14", "Dossier déposé auprès du FSL"),
        ),
        strict=False,
    ):
        services.block_create(
            actor=None,
            account=account,
            reason=reason,
            starts_on=today - dt.timedelta(days=20),
            reference=reference,
            comment=comment,
        )
        counts["blocks"] += 1
    return counts


def seed_demo(today: dt.date) -> dict[str, int]:
    """Seed procedures, past dunning runs and today's proposal; returns counts to print."""
    today = min(today, clock.today())
    services.procedures_seed()
    counts = {"dunning_runs": 0, "notices": 0, "proposals_today": 0}
    if BatchRun.objects.filter(kind="dunning_proposal").exists():
        return counts  # seeded already
    counts.update(_held(today - dt.timedelta(days=PAST_RUNS[0] + 5)))
    for days in PAST_RUNS:
        day = today - dt.timedelta(days=days)
        with _at(day):
            proposal = services.dunning_propose(actor=None, on=day)
            services.dunning_issue(actor=None, proposal_run=proposal, send=False)
        counts["dunning_runs"] += 1
    counts["notices"] = DunningNotice.objects.count()
    with _at(today):
        proposal = services.dunning_propose(actor=None, on=today)
    counts["proposals_today"] = DunningProposal.objects.filter(
        run=proposal, status="proposed"
    ).count()
    return counts
