"""The collection timeline (COLL-13): one writer for every event on an account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from robinet.collections.models import CollectionEvent, DebtCase
from robinet.core import clock


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def event_record(
    *,
    account,
    kind: str,
    summary: str,
    on: dt.date | None = None,
    actor=None,
    next_step: str = "",
    next_step_on: dt.date | None = None,
    **links,
) -> CollectionEvent:
    """Record one event (``links``: ``notice=``, ``plan=``, ``promise=``)."""
    return CollectionEvent.objects.create(
        account=account,
        kind=kind,
        occurred_on=on or clock.today(),
        at=clock.now(),
        actor=_user(actor),
        summary=summary[:255],
        next_step=next_step[:160],
        next_step_on=next_step_on,
        **links,
    )


def events_bulk(events: Iterable[CollectionEvent]) -> None:
    """Bulk insert for runs (events built with ``at`` and ``occurred_on`` set)."""
    CollectionEvent.objects.bulk_create(list(events), batch_size=2000)


def debt_case_stage(
    *, account_id: int, stage: str, on: dt.date, next_step: str = "", next_step_on=None
) -> DebtCase:
    """Move the debtor's one debt case to ``stage`` (opening it if needed)."""
    case, created = DebtCase.objects.get_or_create(
        account_id=account_id,
        defaults={
            "stage": stage,
            "opened_on": on,
            "updated_on": on,
            "next_step": next_step[:160],
            "next_step_on": next_step_on,
        },
    )
    if not created:
        case.stage, case.updated_on = stage, on
        case.next_step, case.next_step_on = next_step[:160], next_step_on
        case.save(update_fields=["stage", "updated_on", "next_step", "next_step_on"])
    return case
