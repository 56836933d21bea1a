"""Doubtful debts and their provision by age bucket (COLL-11, PAY-7).

The first half is pure: age buckets, rates, the provision of one open item
at a date. The second half is the run: at a date, every overdue debit item
older than the first bucket is carried on doubtful customers (416) and
provisioned at its bucket's rate; a :class:`ProvisionSnapshot` per item keeps
what is posted, so a run posts only the difference — including back to 411
and a reprise (7817) when the item was paid or written off ("reversed on
payment").

Rates are on the open amount including VAT (VAT is not regularised here).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from robinet.core import audit, clock
from robinet.core.money import round_money

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Bucket:
    """Items overdue by at least ``from_months`` (and less than the next bucket's) at ``rate``."""

    from_months: int
    rate: Decimal
    label: str


#: Default buckets: < 6 months 0 %, 6–12 months 25 %, 12–24 months 50 %, > 24 months 100 %.
DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    Bucket(0, Decimal("0"), "< 6 mois"),
    Bucket(6, Decimal("0.25"), "6 à 12 mois"),
    Bucket(12, Decimal("0.50"), "12 à 24 mois"),
    Bucket(24, Decimal("1"), "> 24 mois"),
)

#: Buckets per customer class; a class not listed uses the default (individuals and
#: professionals alike, by default).
DEFAULT_BUCKETS_BY_CLASS: Mapping[str, tuple[Bucket, ...]] = {}


def buckets_for(customer_class: str | None = None) -> tuple[Bucket, ...]:
    """The buckets of a customer class (``ROBINET_PROVISION_BUCKETS`` overrides per class)."""
    configured = getattr(settings, "ROBINET_PROVISION_BUCKETS", None) or DEFAULT_BUCKETS_BY_CLASS
    return tuple(configured.get(customer_class or "", DEFAULT_BUCKETS))


def months_overdue(due: dt.date, on: dt.date) -> int:
    """Whole months from ``due`` to ``on`` (0 when not yet due)."""
    if on <= due:
        return 0
    months = (on.year - due.year) * 12 + on.month - due.month
    if on.day < due.day:
        months -= 1
    return max(months, 0)


def bucket_index(months: int, buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS) -> int:
    index = 0
    for i, bucket in enumerate(buckets):
        if months >= bucket.from_months:
            index = i
    return index


def is_doubtful(months: int, buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS) -> bool:
    """Older than the first bucket: carried on doubtful customers (416)."""
    return bucket_index(months, buckets) > 0


def provision_amount(
    open_amount: Decimal, due: dt.date, on: dt.date, buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
) -> Decimal:
    """The provision of a debit item open for ``open_amount`` at ``on`` (never < 0 nor > open)."""
    if open_amount <= 0:
        return ZERO
    rate = buckets[bucket_index(months_overdue(due, on), buckets)].rate
    rate = min(max(rate, Decimal(0)), Decimal(1))
    return min(round_money(open_amount * rate), open_amount)


@dataclass(frozen=True)
class Target:
    """What should be posted for one item at the date."""

    doubtful: Decimal
    provision: Decimal
    bucket: int


def target(
    open_amount: Decimal, due: dt.date, on: dt.date, buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
) -> Target:
    months = months_overdue(due, on)
    index = bucket_index(months, buckets)
    if open_amount <= 0 or index == 0:
        return Target(ZERO, ZERO, index)
    return Target(open_amount, provision_amount(open_amount, due, on, buckets), index)


# --- the run ------------------------------------------------------------------------------------


def _centre_filter(actor) -> Q:
    """The centres a run covers: all for the command, the actor's approval scope otherwise."""
    if actor is None:
        return Q()
    from robinet.organisation.access import scope_for
    from robinet.organisation.roles import Perm

    scope = scope_for(actor)
    if scope.is_superuser:
        return Q()
    return Q(account__centre_id__in=scope.centre_ids(Perm.WRITE_OFF_APPROVE))


def provision_run(*, on: dt.date, actor=None):
    """Transfer to doubtful and provision at ``on``; post only what changed since the last run.

    ``actor`` None is the command (all centres); a user needs
    ``collection.write_off_approve`` and the run covers the centres where they hold it.
    """
    from robinet.collections.models import ProvisionRun, ProvisionSnapshot
    from robinet.ledger import posting
    from robinet.ledger.models import OpenItem
    from robinet.organisation.access import require
    from robinet.organisation.roles import Perm

    if actor is not None:
        require(actor, Perm.WRITE_OFF_APPROVE)
    scope = _centre_filter(actor)
    with transaction.atomic():
        items = list(
            OpenItem.objects.select_for_update(of=("self",))
            .filter(scope, posted_on__lte=on, amount__gt=0)
            .filter(Q(cleared_on__isnull=True, open_amount__gt=0) | Q(provision__doubtful__gt=0))
            .select_related("account")
            .order_by("pk")
        )
        snapshots = {
            s.item_id: s
            for s in ProvisionSnapshot.objects.select_for_update().filter(
                item_id__in=[i.pk for i in items]
            )
        }
        run = ProvisionRun.objects.create(
            on=on,
            at=clock.now(),
            by=actor if getattr(actor, "pk", None) else None,
            doubtful_moved=ZERO,
            increase=ZERO,
            decrease=ZERO,
            figures={},
        )
        moves: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        increase: dict[int, Decimal] = defaultdict(lambda: ZERO)
        decrease: dict[int, Decimal] = defaultdict(lambda: ZERO)
        figures: dict[int, dict[str, Decimal]] = defaultdict(
            lambda: {"count": 0, "open": ZERO, "provision": ZERO}
        )
        new, changed = [], []
        for item in items:
            buckets = buckets_for(item.account.customer_class)
            open_amount = item.open_amount if item.cleared_on is None else ZERO
            goal = target(open_amount, item.due_date, on, buckets)
            snap = snapshots.get(item.pk)
            before_d = snap.doubtful if snap else ZERO
            before_p = snap.provision if snap else ZERO
            centre = item.account.centre_id
            if goal.doubtful != before_d:
                moves[centre].append((item.account_id, goal.doubtful - before_d))
            if goal.provision > before_p:
                increase[centre] += goal.provision - before_p
            elif goal.provision < before_p:
                decrease[centre] += before_p - goal.provision
            if goal.doubtful:
                fig = figures[goal.bucket]
                fig["count"] += 1
                fig["open"] += goal.doubtful
                fig["provision"] += goal.provision
            if snap is None:
                if goal.doubtful:
                    new.append(
                        ProvisionSnapshot(
                            item=item,
                            account_id=item.account_id,
                            doubtful=goal.doubtful,
                            provision=goal.provision,
                            bucket=goal.bucket,
                            run=run,
                            updated_on=on,
                        )
                    )
            elif (snap.doubtful, snap.provision, snap.bucket) != tuple(
                (goal.doubtful, goal.provision, goal.bucket)
            ):
                snap.doubtful, snap.provision, snap.bucket = (
                    goal.doubtful,
                    goal.provision,
                    goal.bucket,
                )
                snap.run, snap.updated_on = run, on
                changed.append(snap)
        ProvisionSnapshot.objects.bulk_create(new)
        ProvisionSnapshot.objects.bulk_update(
            changed, ["doubtful", "provision", "bucket", "run", "updated_on"]
        )
        piece = f"PROV-{on.isoformat()}"
        entries = []
        for centre in sorted(set(moves) | set(increase) | set(decrease)):
            if moves.get(centre):
                entries.append(
                    posting.doubtful_transfer_entry(
                        on=on, piece_ref=piece, centre_id=centre, moves=moves[centre]
                    )
                )
            entries.append(
                posting.provision_entry(
                    on=on,
                    piece_ref=piece,
                    centre_id=centre,
                    increase=increase.get(centre, ZERO),
                    decrease=decrease.get(centre, ZERO),
                )
            )
        posting.post(entries)
        run.doubtful_moved = sum((a for m in moves.values() for _acc, a in m), ZERO)
        run.increase = sum(increase.values(), ZERO)
        run.decrease = sum(decrease.values(), ZERO)
        run.figures = {
            str(index): {k: str(v) for k, v in fig.items()}
            for index, fig in sorted(figures.items())
        }
        run.save(update_fields=["doubtful_moved", "increase", "decrease", "figures"])
        if getattr(actor, "pk", None):
            audit.record(
                actor=actor,
                verb="provisioned",
                target=run,
                data={"on": on, "increase": run.increase, "decrease": run.decrease},
            )
        return run


def release_for_write_off(items: Iterable, *, amounts: Mapping[int, Decimal]):
    """The doubtful part and provision to release when ``amounts`` of ``items`` are written off.

    Returns (from_doubtful per item id, provision released in total); the snapshots are
    updated in place (the caller posts the write-off and the reprise).
    """
    from robinet.collections.models import ProvisionSnapshot

    snapshots = {
        s.item_id: s
        for s in ProvisionSnapshot.objects.select_for_update().filter(
            item_id__in=[i.pk for i in items]
        )
    }
    from_doubtful: dict[int, Decimal] = {}
    released = ZERO
    for item in items:
        snap = snapshots.get(item.pk)
        if snap is None or not snap.doubtful:
            continue
        amount = amounts[item.pk]
        moved = min(amount, snap.doubtful)
        from_doubtful[item.pk] = moved
        remaining = snap.doubtful - moved
        # The provision follows the remaining doubtful amount, at most what it was.
        provision = min(snap.provision, remaining)
        released += snap.provision - provision
        snap.doubtful, snap.provision = remaining, provision
        snap.save(update_fields=["doubtful", "provision"])
    return from_doubtful, released
