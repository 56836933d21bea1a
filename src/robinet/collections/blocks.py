"""The one way to hold and release dunning on an account (COLL-3).

Every service that holds dunning — a case opened (cases), a payment plan's FSL
pause, an agency assignment, a litigation or insolvency file, an officer's
manual block — writes its :class:`CollectionBlock` through :func:`block_open`
and lifts it through :func:`block_close`, inside its own transaction (these
functions are not durable and check no permission: the caller did). The
caller may give the timeline event its own kind and wording (``event_kind``,
``summary``): one event per action, with a dedicated kind.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from robinet.collections.choices import BlockReason, EventKind
from robinet.collections.events import event_record
from robinet.collections.models import CollectionBlock, CollectionEvent
from robinet.core import audit, clock
from robinet.core.bulk import create_instances
from robinet.core.exceptions import InvalidTransition, ValidationFailed


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


#: why the « lever » button refuses a block a file opened
FILE_BLOCK_MESSAGES = {
    BlockReason.AGENCY: _lazy(
        "Cette dette est confiée à une agence : rappelez-la depuis l'agence."
    ),
    BlockReason.LITIGATION: _lazy(
        "Ce blocage suit un dossier contentieux : il est levé à la clôture du dossier."
    ),
    BlockReason.OVER_INDEBTEDNESS: _lazy(
        "Ce blocage suit un dossier de surendettement : il est levé à la clôture du dossier."
    ),
    BlockReason.COLLECTIVE_PROCEDURE: _lazy(
        "Ce blocage suit une procédure collective : il est levé à la clôture du dossier."
    ),
}


def block_open(
    *,
    actor,
    account,
    reason: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    reference: str = "",
    comment: str = "",
    event_kind: str = EventKind.BLOCK,
    summary: str = "",
    event_on: dt.date | None = None,
    next_step: str | None = None,
    next_step_on: dt.date | None = None,
) -> CollectionBlock:
    """Hold dunning on an account, inside the caller's transaction (COLL-3).

    For services that checked their own permission (a case opened, a plan
    agreed, a litigation or insolvency file, an agency assignment…): the block
    is written with their change or not at all. The one event on the timeline
    is the caller's when it gives ``event_kind``/``summary`` (a litigation file
    opened…), else a plain « Blocage ».
    """
    if reason not in BlockReason.values:
        raise ValidationFailed({"reason": [_("Motif de blocage inconnu.")]})
    starts_on = starts_on or clock.today()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed({"ends_on": [_("La fin précède le début.")]})
    block = CollectionBlock.objects.create(
        account=account,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        reference=reference[:40],
        comment=comment[:255],
        created_by=_user(actor),
        created_at=clock.now(),
    )
    if next_step is None:
        next_step = _("Fin du blocage") if ends_on else ""
        next_step_on = next_step_on or ends_on
    event_record(
        account=account,
        kind=event_kind,
        summary=summary or _("Relances bloquées : %(r)s") % {"r": BlockReason(reason).label},
        actor=actor,
        on=event_on or starts_on,
        next_step=next_step,
        next_step_on=next_step_on,
    )
    audit.record(
        actor=actor,
        verb="dunning.blocked",
        target=account,
        data={"reason": reason, "reference": block.reference},
    )
    return block


def blocks_open_many(
    *, actor, accounts: list, reason: str, references: list[str]
) -> list[CollectionBlock]:
    """:func:`block_open` for many accounts at once, from today, without end: one insert per
    table (blocks, timeline events, audit) for bulk jobs, e.g. the cases of a readings import.

    ``references[i]`` is the block of ``accounts[i]``; the blocks come back in that order.
    """
    if reason not in BlockReason.values:
        raise ValidationFailed({"reason": [_("Motif de blocage inconnu.")]})
    if len(references) != len(accounts):
        raise ValueError("one reference per account")
    today, now, user = clock.today(), clock.now(), _user(actor)
    blocks = create_instances(
        CollectionBlock,
        [
            CollectionBlock(
                account=account,
                reason=reason,
                starts_on=today,
                reference=reference[:40],
                created_by=user,
                created_at=now,
            )
            for account, reference in zip(accounts, references, strict=True)
        ],
    )
    summary = (_("Relances bloquées : %(r)s") % {"r": BlockReason(reason).label})[:255]
    create_instances(
        CollectionEvent,
        [
            CollectionEvent(
                account=account,
                kind=EventKind.BLOCK,
                occurred_on=today,
                at=now,
                actor=user,
                summary=summary,
            )
            for account in accounts
        ],
    )
    audit.record_many(
        actor=actor,
        verb="dunning.blocked",
        events=(
            (block.account, None, {"reason": reason, "reference": block.reference})
            for block in blocks
        ),
    )
    return blocks


def block_close(
    *,
    actor,
    block: CollectionBlock,
    on: dt.date | None = None,
    event_kind: str | None = EventKind.UNBLOCK,
    summary: str = "",
    next_step: str = "",
) -> CollectionBlock:
    """Lift a block inside the caller's transaction (no permission check; see :func:`block_open`).

    ``event_kind=None`` writes no event: the caller records one for several
    blocks (the FSL decision).
    """
    locked = CollectionBlock.objects.select_for_update().select_related("account").get(pk=block.pk)
    if locked.lifted_on is not None:
        raise InvalidTransition(_("Ce blocage est déjà levé."))
    locked.lifted_on = on or clock.today()
    locked.lifted_by = _user(actor)
    locked.save(update_fields=["lifted_on", "lifted_by"])
    if event_kind is not None:
        event_record(
            account=locked.account,
            kind=event_kind,
            summary=summary or _("Blocage levé : %(r)s") % {"r": BlockReason(locked.reason).label},
            actor=actor,
            on=locked.lifted_on,
            next_step=next_step,
        )
    audit.record(
        actor=actor,
        verb="dunning.unblocked",
        target=locked.account,
        data={"reason": locked.reason, "reference": locked.reference},
    )
    return locked


def blocks_of(account_id: int, reason: str, reference: str):
    """The live blocks a file opened (its reason and number), locked, oldest first."""
    return list(
        CollectionBlock.objects.select_for_update()
        .filter(account_id=account_id, reason=reason, reference=reference, lifted_on__isnull=True)
        .order_by("pk")
    )
