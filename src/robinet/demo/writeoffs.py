"""Write-offs and provisions for the demo utility (COLL-11).

Run after the collections demo: the demo collection officer ``recouvrement``
proposes two write-offs of old unpaid debts; the manager ``responsable``
approves the first (booked: loss 654, items closed), the second waits for a
decision; then the provisions are computed at ``today`` (doubtful customers
416, provision 491). Through the real services; idempotent.
"""

from __future__ import annotations

import datetime as dt

from robinet.collections import writeoffs
from robinet.collections.models import WriteOffReason, WriteOffRequest
from robinet.collections.provisions import provision_run
from robinet.ledger.models import OpenItem
from robinet.organisation.access import scope_for
from robinet.organisation.models import User
from robinet.organisation.roles import Perm

REQUESTER, APPROVER = "recouvrement", "responsable"


def _oldest_debts(requester, approver, count: int) -> list[OpenItem]:
    """The oldest open debit item of ``count`` accounts both users may act on."""
    requesting, approving = scope_for(requester), scope_for(approver)
    chosen, seen = [], set()
    candidates = (
        OpenItem.objects.filter(cleared_on__isnull=True, open_amount__gt=0)
        .select_related("account__centre")
        .order_by("due_date", "pk")
    )
    for item in candidates.iterator(chunk_size=500):
        if item.account_id in seen:
            continue
        centre = item.account.centre
        if requesting.covers(Perm.WRITE_OFF_REQUEST, centre) and approving.covers(
            Perm.WRITE_OFF_APPROVE, centre
        ):
            seen.add(item.account_id)
            chosen.append(item)
            if len(chosen) == count:
                break
    return chosen


def seed_demo(today: dt.date) -> dict:
    """Seed one booked write-off, one pending request and a provision run. Returns counts."""
    counts = {"write_offs_booked": 0, "write_offs_pending": 0, "provision_runs": 0}
    if WriteOffRequest.objects.exists():
        return counts
    requester = User.objects.filter(username=REQUESTER).first()
    approver = User.objects.filter(username=APPROVER).first()
    if requester is not None and approver is not None:
        debts = _oldest_debts(requester, approver, 2)
        if debts:
            booked = writeoffs.write_off_request(
                actor=requester,
                account=debts[0].account,
                items=[(debts[0], None)],
                reason=WriteOffReason.IRRECOVERABLE,
                note="Débiteur parti sans adresse ; recherches infructueuses.",
            )
            writeoffs.write_off_approve(
                actor=approver, request=booked, note="Certificat d'irrécouvrabilité reçu.", on=today
            )
            counts["write_offs_booked"] = 1
        if len(debts) > 1:
            writeoffs.write_off_request(
                actor=requester,
                account=debts[1].account,
                items=[(debts[1], None)],
                reason=WriteOffReason.BELOW_COST,
                note="Reste dû inférieur au coût d'une procédure.",
            )
            counts["write_offs_pending"] = 1
    provision_run(on=today)
    counts["provision_runs"] = 1
    return counts
