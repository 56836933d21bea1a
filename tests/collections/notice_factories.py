"""Real dunning notices for tests: billed accounts, a procedure, a proposal, a notice.

The accounts are billed through the billing run (their invoices post the
open items); the notice is shaped by the real policy and French rule pack
(:func:`robinet.collections.policy.decide`), so that its actions and rule ids
are those an activity run would record, then written as the rows an
activity run writes (``DunningProposal``, ``DunningNotice``, ``NoticeItem``,
``DunningCharge``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from robinet.collections.choices import ProposalStatus
from robinet.collections.models import (
    DunningCharge,
    DunningLevel,
    DunningNotice,
    DunningProcedure,
    DunningProposal,
    NoticeItem,
)
from robinet.collections.policy import DebtorFacts, ItemFacts, LevelSpec, ProcedureSpec, decide
from robinet.collections.rules.france import FrancePack
from robinet.core.models import BatchRun
from robinet.ledger.models import OpenItem
from tests.billing import factories as billing
from tests.customers import factories as customers
from tests.metering.factories import read

START = dt.date(2025, 1, 1)
MOBILE = "0612345678"  # the party's own number needs the Bloctel notice (CUST-5)
_numbers = itertools.count(1)

LEVELS = (
    # sequence, label, days after due, actions, delay, indemnity, interest
    (1, "Premier rappel", 10, ["letter", "email", "sms"], 15, False, False),
    (2, "Mise en demeure", 30, ["formal_notice", "email", "sms", "restriction"], 8, True, True),
    (3, "Transmission à l'agence", 60, ["letter", "agency"], 15, True, True),
)


def billed_accounts(centre, count: int = 1, *, professional: bool = False, use=None):
    """``count`` accounts billed for both halves of 2025 (two open invoices each)."""
    use = use or ("business" if professional else "main_residence")
    points = []
    for i in range(count):
        if professional:
            account = customers.company(
                centre, name=f"Boulangerie {i}", email=f"compta{i}@example.fr"
            )
        else:
            account = customers.person(centre, name=f"Lefèvre {i}")
        sp = customers.service_point(centre, premises_use=use)
        customers.moved_in(account, sp, start=START, index="100")
        points.append((account, sp))
    for _, sp in points:
        read(sp, dt.date(2025, 6, 20), "130")
    billing.run(dt.date(2025, 6, 30))
    for _, sp in points:
        read(sp, dt.date(2025, 12, 20), "160")
    billing.run(dt.date(2025, 12, 31))
    return [account for account, _ in points]


def procedure(code: str = "STD") -> DunningProcedure:
    proc, created = DunningProcedure.objects.get_or_create(code=code, defaults={"label": code})
    if created:
        for seq, label, days, actions, delay, indemnity, interest in LEVELS:
            DunningLevel.objects.create(
                procedure=proc,
                sequence=seq,
                label=label,
                days_after_due=days,
                actions=actions,
                delay_days=delay,
                charges_indemnity=indemnity,
                charges_interest=interest,
            )
    return proc


def _spec(proc: DunningProcedure) -> ProcedureSpec:
    return ProcedureSpec(
        code=proc.code,
        levels=tuple(
            LevelSpec(
                sequence=lvl.sequence,
                label=lvl.label,
                days_after_due=lvl.days_after_due,
                actions=tuple(lvl.actions),
                delay_days=lvl.delay_days,
                charges_indemnity=lvl.charges_indemnity,
                charges_interest=lvl.charges_interest,
            )
            for lvl in proc.levels.order_by("sequence")
        ),
    )


def notice(
    account,
    *,
    level: int = 1,
    main_residence: bool | None = None,
    nec: bool = False,
    formal_notice_sent: bool | None = None,
    email: bool = True,
    sms: bool = True,
    on: dt.date | None = None,
    run: BatchRun | None = None,
) -> DunningNotice:
    """A notice of ``level`` for ``account``'s open invoices, as the French pack shapes it."""
    proc = procedure()
    professional = account.customer_class == "professional"
    if main_residence is None:
        main_residence = not professional
    if formal_notice_sent is None:
        formal_notice_sent = level > 2
    open_items = list(
        OpenItem.objects.filter(account=account, kind="invoice", open_amount__gt=0).order_by(
            "due_date", "id"
        )
    )
    assert open_items, "the account has no open invoice"
    on = on or max(i.due_date for i in open_items) + dt.timedelta(days=90)
    facts = [
        ItemFacts(
            id=i.pk,
            document_number=i.document_number,
            posted_on=i.posted_on,
            due_date=i.due_date,
            open_amount=i.open_amount,
            level=level - 1,
        )
        for i in open_items
    ]
    debtor = DebtorFacts(
        account_id=account.pk,
        customer_class=account.customer_class,
        main_residence=main_residence,
        nec=nec,
        formal_notice_sent=formal_notice_sent,
    )
    decision = decide(debtor=debtor, items=facts, procedure=_spec(proc), on=on, pack=FrancePack())
    assert decision.notice, decision
    c = decision.candidate
    lvl = proc.levels.get(sequence=c.level.sequence)
    run = run or BatchRun.objects.create(kind="collections.dunning", run_date=on)
    fee_total = sum((f.amount for f in c.fees), Decimal("0.00"))
    proposal = DunningProposal.objects.create(
        run=run,
        account=account,
        procedure=proc,
        level=lvl,
        status=ProposalStatus.ISSUED,
        total=c.total,
        fee_total=fee_total,
        actions=list(c.actions),
        rules=list(c.rules),
    )
    party = account.party
    row = DunningNotice.objects.create(
        number=f"REL-{on.year}-{next(_numbers):06d}",
        proposal=proposal,
        run=run,
        account=account,
        procedure=proc,
        level=lvl,
        issued_on=on,
        pay_by=c.pay_by,
        actions=list(c.actions),
        rules=list(c.rules),
        total_due=c.total,
        fee_total=fee_total,
        main_residence=main_residence,
        email_to=party.email if email else "",
        sms_to=(party.mobile or MOBILE) if sms else "",
    )
    by_id = {i.pk: i for i in open_items}
    NoticeItem.objects.bulk_create(
        NoticeItem(
            notice=row,
            open_item=by_id[s.item_id],
            document_number=s.document_number,
            due_date=s.due_date,
            open_amount=s.open_amount,
            level=s.to_level,
        )
        for s in c.steps
    )
    DunningCharge.objects.bulk_create(
        DunningCharge(notice=row, open_item=by_id[f.item_id], kind=f.kind, amount=f.amount)
        for f in c.fees
    )
    return row
