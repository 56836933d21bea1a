"""Reconciliation of balances (*rapprochement des soldes*, PAY-7): sub-ledger = general ledger.

At a date, per centre: the sum of the customers' open items posted up to the
date (their full amounts: what was allocated after the date does not change a
balance, and allocations only move money between items of one account) must
equal the balance of the customers' accounts of the general ledger (411/416,
debit − credit) on the entries dated up to the date, taken per centre of the
entry. A sub-ledger item is counted under the customer account's centre.

When a centre differs, the customer accounts that differ are listed. Agency
and region totals add up their centres. A read, never a write.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum

from robinet.ledger.fec import CUSTOMER_ACCOUNT_PREFIXES
from robinet.ledger.models import JournalLine, OpenItem
from robinet.organisation.access import require
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def cents(value) -> Decimal:
    """A database sum to the cent (SQLite sums decimals as floats)."""
    return ZERO if value is None else Decimal(value).quantize(CENT)


@dataclass(frozen=True)
class AccountDifference:
    account_id: int
    number: str
    holder: str
    sub_ledger: Decimal
    general_ledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.sub_ledger - self.general_ledger


@dataclass
class EntityLine:
    entity: Entity
    sub_ledger: Decimal = ZERO
    general_ledger: Decimal = ZERO
    accounts: list[AccountDifference] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return self.sub_ledger - self.general_ledger

    @property
    def balanced(self) -> bool:
        return self.difference == 0


@dataclass
class Report:
    on: dt.date
    centres: list[EntityLine]
    agencies: list[EntityLine]
    regions: list[EntityLine]
    total: EntityLine

    @property
    def balanced(self) -> bool:
        return all(line.balanced for line in self.centres) and self.total.balanced

    def rows(self) -> list[tuple[int, EntityLine]]:
        """Regions, their agencies, their centres, in tree order with a depth (for screens)."""
        by_parent: dict[int | None, list[EntityLine]] = defaultdict(list)
        for line in self.regions + self.agencies + self.centres:
            by_parent[line.entity.parent_id].append(line)
        out: list[tuple[int, EntityLine]] = []

        def walk(parent_id, depth):
            for line in sorted(by_parent.get(parent_id, []), key=lambda x: x.entity.code):
                out.append((depth, line))
                walk(line.entity.pk, depth + 1)

        walk(None, 0)
        return out


def customer_accounts_q(prefix: str = "") -> Q:
    q = Q()
    for code in CUSTOMER_ACCOUNT_PREFIXES:
        q |= Q(**{f"{prefix}ledger_account__startswith": code})
    return q


def _sub_ledger(on: dt.date, centre_ids: list[int], by_account: bool) -> dict:
    items = OpenItem.objects.filter(posted_on__lte=on, account__centre_id__in=centre_ids)
    key = "account_id" if by_account else "account__centre_id"
    return {
        k: cents(t)
        for k, t in items.values(key).order_by(key).annotate(t=Sum("amount")).values_list(key, "t")
    }


def _general_ledger(on: dt.date, centre_ids: list[int], by_account: bool) -> dict:
    lines = JournalLine.objects.filter(
        customer_accounts_q(), entry__entry_date__lte=on, entry__centre_id__in=centre_ids
    )
    key = "customer_account_id" if by_account else "entry__centre_id"
    return {
        k: cents(d) - cents(c)
        for k, d, c in lines.values(key)
        .order_by(key)
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list(key, "d", "c")
    }


def _account_differences(on: dt.date, centre: Entity) -> list[AccountDifference]:
    from robinet.customers.models import CustomerAccount

    sub = {
        k: cents(t)
        for k, t in OpenItem.objects.filter(posted_on__lte=on, account__centre=centre)
        .values("account_id")
        .order_by("account_id")
        .annotate(t=Sum("amount"))
        .values_list("account_id", "t")
    }
    general = {
        k: cents(d) - cents(c)
        for k, d, c in JournalLine.objects.filter(
            customer_accounts_q(), entry__entry_date__lte=on, entry__centre=centre
        )
        .values("customer_account_id")
        .order_by("customer_account_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("customer_account_id", "d", "c")
    }
    differing = sorted(
        k for k in set(sub) | set(general) if (sub.get(k) or ZERO) != (general.get(k) or ZERO)
    )
    names = {
        a.pk: a
        for a in CustomerAccount.objects.filter(pk__in=[k for k in differing if k]).select_related(
            "party"
        )
    }
    out = []
    for account_id in differing:
        account = names.get(account_id)
        out.append(
            AccountDifference(
                account_id=account_id or 0,
                number=account.number if account else "—",
                holder=account.party.display_name if account else "",
                sub_ledger=sub.get(account_id) or ZERO,
                general_ledger=general.get(account_id) or ZERO,
            )
        )
    return out


def report(*, actor, on: dt.date, check_permission: bool = True) -> Report:
    """The reconciliation at ``on`` over the centres the actor may see (all without a check)."""
    if check_permission:
        scope = require(actor, Perm.ACCOUNTING_VIEW)
        entity_q = scope.entity_filter(Perm.ACCOUNTING_VIEW)
    else:
        entity_q = Q()
    centres = list(Entity.objects.filter(entity_q, kind=EntityKind.CENTRE).order_by("code"))
    centre_ids = [c.pk for c in centres]
    sub = _sub_ledger(on, centre_ids, by_account=False)
    general = _general_ledger(on, centre_ids, by_account=False)
    centre_lines = []
    for centre in centres:
        line = EntityLine(
            centre,
            sub_ledger=sub.get(centre.pk) or ZERO,
            general_ledger=general.get(centre.pk) or ZERO,
        )
        if not line.balanced:
            line.accounts = _account_differences(on, centre)
        centre_lines.append(line)
    # Roll up to agencies and regions (only the parts the actor sees).
    parents = {
        e.pk: e
        for e in Entity.objects.filter(kind__in=(EntityKind.AGENCY, EntityKind.REGION)).order_by(
            "code"
        )
    }
    totals: dict[int, EntityLine] = {}
    for line in centre_lines:
        parent_id = line.entity.parent_id
        while parent_id is not None and parent_id in parents:
            parent = parents[parent_id]
            total = totals.setdefault(parent_id, EntityLine(parent))
            total.sub_ledger += line.sub_ledger
            total.general_ledger += line.general_ledger
            parent_id = parent.parent_id
    grand = EntityLine(Entity(name="Total", code="", kind=""))
    for line in centre_lines:
        grand.sub_ledger += line.sub_ledger
        grand.general_ledger += line.general_ledger
    return Report(
        on=on,
        centres=centre_lines,
        agencies=[t for t in totals.values() if t.entity.kind == EntityKind.AGENCY],
        regions=[t for t in totals.values() if t.entity.kind == EntityKind.REGION],
        total=grand,
    )


def report_to_dict(result: Report) -> dict:
    def line(item: EntityLine) -> dict:
        return {
            "entity": item.entity.code,
            "name": item.entity.name,
            "kind": item.entity.kind,
            "sub_ledger": cents(item.sub_ledger),
            "general_ledger": cents(item.general_ledger),
            "difference": cents(item.difference),
        }

    return {
        "date": result.on,
        "balanced": result.balanced,
        "total": line(result.total),
        "regions": [line(x) for x in result.regions],
        "agencies": [line(x) for x in result.agencies],
        "centres": [
            {
                **line(x),
                "accounts": [
                    {
                        "account": a.number,
                        "holder": a.holder,
                        "sub_ledger": a.sub_ledger,
                        "general_ledger": a.general_ledger,
                        "difference": a.difference,
                    }
                    for a in x.accounts
                ],
            }
            for x in result.centres
        ],
    }
