"""Writing audit events (ORG-3). Services call these inside their transaction."""

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from robinet.core import clock
from robinet.core.bulk import create_instances
from robinet.core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited values of ``instance`` (column values, FKs as ids)."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {name: _plain(getattr(instance, name)) for name in names}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def label(instance: models.Model) -> str:
    return instance._meta.label_lower


def _event(occurred_at, actor, verb, target, subject, changes, data) -> AuditEvent:
    subject = subject or target
    return AuditEvent(
        occurred_at=occurred_at,
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        target_type=label(target),
        target_id=str(target.pk),
        subject_type=label(subject),
        subject_id=str(subject.pk),
        changes=dict(changes or {}),
        data={k: _plain(v) for k, v in (data or {}).items()},
    )


def record(
    *,
    actor,
    verb: str,
    target: models.Model,
    subject: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    event = _event(clock.now(), actor, verb, target, subject, changes, data)
    event.save(force_insert=True)
    return event


#: from this many events, ``record_many`` writes them with ``COPY`` (PostgreSQL)
BULK_ROWS = 500


def record_many(
    *,
    actor,
    verb: str,
    events: Iterable[tuple[models.Model, models.Model | None, Mapping[str, Any] | None]],
) -> list[AuditEvent]:
    """:func:`record` for many targets in one insert: ``(target, subject, data)`` each."""
    now = clock.now()
    rows = [
        _event(now, actor, verb, target, subject, None, data) for target, subject, data in events
    ]
    if len(rows) >= BULK_ROWS:
        return create_instances(AuditEvent, rows)
    return AuditEvent.objects.bulk_create(rows, batch_size=2000)


def events_for(subject_type: str, subject_ids: Iterable[Any]):
    return (
        AuditEvent.objects.filter(
            subject_type=subject_type, subject_id__in=[str(i) for i in subject_ids]
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")
    )
