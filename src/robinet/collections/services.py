"""Writes of dunning: procedures, runs, review of proposals, blocks (COLL-1…3, COLL-13).

Runs follow the two steps utilities know: :func:`dunning_propose` writes the
proposal (nothing is sent), an officer reviews it — :func:`proposal_exclude`
and :func:`proposal_item_exclude`, each with a reason — and
:func:`dunning_issue` runs the activity that issues the notices.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from robinet.collections import runs
from robinet.collections.blocks import FILE_BLOCK_MESSAGES, block_close, block_open
from robinet.collections.choices import (
    FILE_BLOCK_REASONS,
    INSOLVENCY_BLOCK_REASONS,
    Action,
    EventKind,
    ProposalStatus,
)
from robinet.collections.events import event_record
from robinet.collections.models import (
    CollectionBlock,
    DunningLevel,
    DunningProcedure,
    DunningProposal,
    InsolvencyFile,
    InsolvencyState,
    ProcedureClass,
    ProposalItem,
)
from robinet.collections.plans import plans_monitor
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.core.models import BatchRun, RunState
from robinet.core.runs import run_approve, run_create, run_execute, run_propose
from robinet.customers.choices import CustomerClass
from robinet.organisation.access import require
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm

DUNNING_CHUNK_SIZE = 2000


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _require(actor, perm: str, entity=None) -> None:
    if actor is not None:
        require(actor, perm, entity)


# --- procedures (COLL-1) -----------------------------------------------------------------------

# (sequence, label, days after due, min amount, actions, delay, indemnity, interest)
INDIVIDUAL_LEVELS = (
    (1, "Rappel avant échéance", -3, "0", ["email", "sms"], 3, False, False),
    (2, "Premier rappel", 1, "5", ["letter", "email"], 15, False, False),
    (3, "Deuxième rappel", 20, "5", ["letter", "sms"], 15, False, False),
    (4, "Mise en demeure", 40, "30", ["formal_notice", "letter"], 15, False, False),
    (
        5,
        "Transmission à l'agence de recouvrement",
        60,
        "50",
        ["agency", "letter"],
        15,
        False,
        False,
    ),
)
PROFESSIONAL_LEVELS = (
    (1, "Premier rappel", 5, "5", ["letter", "email"], 15, True, False),
    (2, "Deuxième rappel", 20, "5", ["letter", "email"], 15, False, False),
    (3, "Mise en demeure", 35, "30", ["formal_notice", "letter"], 15, False, True),
    (
        4,
        "Avis de restriction de la fourniture",
        50,
        "100",
        ["restriction", "letter"],
        15,
        False,
        True,
    ),
    (5, "Transfert au contentieux", 70, "150", ["litigation", "letter"], 15, False, True),
)
DEFAULT_PROCEDURES = (
    (
        "PARTICULIERS",
        "Particuliers (décret 2008-780)",
        True,
        (CustomerClass.INDIVIDUAL, CustomerClass.SYNDIC),
        INDIVIDUAL_LEVELS,
    ),
    (
        "PROFESSIONNELS",
        "Professionnels (Code de commerce L441-10)",
        False,
        (
            CustomerClass.PROFESSIONAL,
            CustomerClass.FARMER,
            CustomerClass.LARGE_ACCOUNT,
        ),
        PROFESSIONAL_LEVELS,
    ),
    (
        "COLLECTIVITES",
        "Collectivités et administrations",
        False,
        (CustomerClass.LOCAL_AUTHORITY, CustomerClass.ADMINISTRATION),
        (
            (1, "Premier rappel", 10, "5", ["letter", "email"], 30, False, False),
            (2, "Deuxième rappel", 45, "5", ["letter"], 30, False, False),
        ),
    ),
)


def check_levels(levels) -> None:
    """Levels rank 1, 2, 3… with strictly increasing days; only known actions (COLL-1)."""
    errors: dict[str, list[str]] = {}
    previous = None
    for position, level in enumerate(sorted(levels, key=lambda lvl: lvl.sequence), start=1):
        field = f"levels[{position}]"
        if level.sequence != position:
            errors.setdefault(field, []).append(_("Les rangs se suivent à partir de 1."))
        unknown = [a for a in level.actions if a not in Action.values]
        if unknown or not level.actions:
            errors.setdefault(field, []).append(
                _("Actions inconnues ou absentes : %(a)s") % {"a": ", ".join(unknown) or "—"}
            )
        if previous is not None and level.days_after_due <= previous.days_after_due:
            errors.setdefault(field, []).append(
                _("Chaque niveau vient strictement après le précédent (jours après échéance).")
            )
        previous = level
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def procedures_seed() -> list[DunningProcedure]:
    """Create the default procedures that do not exist yet (idempotent; demo and new sites)."""
    created = []
    for code, label, is_default, classes, levels in DEFAULT_PROCEDURES:
        if DunningProcedure.objects.filter(code=code).exists():
            continue
        procedure = DunningProcedure.objects.create(
            code=code,
            label=label,
            is_default=is_default and not DunningProcedure.objects.filter(is_default=True).exists(),
        )
        rows = [
            DunningLevel(
                procedure=procedure,
                sequence=seq,
                label=lbl,
                days_after_due=days,
                min_amount=Decimal(minimum),
                actions=actions,
                delay_days=delay,
                charges_indemnity=indemnity,
                charges_interest=interest,
            )
            for seq, lbl, days, minimum, actions, delay, indemnity, interest in levels
        ]
        check_levels(rows)
        DunningLevel.objects.bulk_create(rows)
        for customer_class in classes:
            if not ProcedureClass.objects.filter(customer_class=customer_class).exists():
                ProcedureClass.objects.create(procedure=procedure, customer_class=customer_class)
        created.append(procedure)
    return created


# --- runs (COLL-2) -----------------------------------------------------------------------------


def _entity(entity_code: str):
    if not entity_code:
        return None
    entity = Entity.objects.filter(code=entity_code).first()
    if entity is None:
        raise ValidationFailed({"entity": [_("Entité inconnue : %(c)s") % {"c": entity_code}]})
    return entity


def _require_run(actor, entity) -> None:
    if entity is not None:
        _require(actor, Perm.DUNNING_RUN, entity)
    else:
        for region in Entity.objects.filter(parent__isnull=True):
            _require(actor, Perm.DUNNING_RUN, region)
        _require(actor, Perm.DUNNING_RUN)


def dunning_propose(
    *,
    actor,
    on: dt.date | None = None,
    entity_code: str = "",
    chunk_size: int | None = None,
    executor=None,
) -> BatchRun:
    """Propose the day's dunning (nothing is sent): a run, planned, approved and executed.

    Plans and promises are checked first (COLL-5): one broken on ``on``
    no longer holds its account, so dunning resumes the same day.
    """
    entity = _entity(entity_code)
    _require_run(actor, entity)
    if not DunningProcedure.objects.exists():
        raise ApplicationError(
            _("Aucune procédure de relance n'est paramétrée."), code="no_procedure"
        )
    on = on or clock.today()
    plans_monitor(on=on)  # a system check, on behalf of the run (its permission is checked)
    with transaction.atomic():
        run = run_create(
            kind=runs.PROPOSAL,
            run_date=on,
            parameters={"entity": entity_code},
            chunk_size=chunk_size or DUNNING_CHUNK_SIZE,
            actor=_user(actor),
        )
        run_propose(run=run, actor=_user(actor))
        run_approve(run=run, actor=_user(actor))
    # The review screen needs the proposals: wait for the workers when there are some.
    return run_execute(run=run, actor=_user(actor), executor=executor, wait=True)


def dunning_issue(
    *,
    actor,
    proposal_run: BatchRun,
    chunk_size: int | None = None,
    executor=None,
    send: bool = True,
) -> BatchRun:
    """Issue the notices of a reviewed proposal (the activity run); once per proposal run.

    With ``send``, e-mails and SMS go out once the run is committed; without,
    :func:`notices_dispatch` sends them later (a separate batch, like printing).
    """
    if proposal_run.kind != runs.PROPOSAL:
        raise ApplicationError(_("Ce traitement n'est pas une proposition de relances."))
    _require_run(actor, _entity(proposal_run.parameters.get("entity", "")))
    if proposal_run.state != RunState.DONE:
        raise InvalidTransition(_("La proposition n'est pas terminée."))
    with transaction.atomic():
        locked = BatchRun.objects.select_for_update().get(pk=proposal_run.pk)
        already = BatchRun.objects.filter(
            kind=runs.ACTIVITY, parameters__proposal_run=locked.pk
        ).exclude(state=RunState.CANCELLED)
        if already.exists():
            raise InvalidTransition(_("Cette proposition a déjà été émise."))
        run = run_create(
            kind=runs.ACTIVITY,
            run_date=locked.run_date,
            parameters={"proposal_run": locked.pk, "entity": locked.parameters.get("entity", "")},
            chunk_size=chunk_size or DUNNING_CHUNK_SIZE,
            actor=_user(actor),
        )
        run_propose(run=run, actor=_user(actor))
        run_approve(run=run, actor=_user(actor))
    run = run_execute(run=run, actor=_user(actor), executor=executor, wait=True)
    if send:
        transaction.on_commit(lambda: notices_dispatch(activity_run=run))
    return run


def notices_dispatch(*, activity_run: BatchRun):
    """Send the e-mails and SMS of an activity run not sent yet (idempotent)."""
    from robinet.collections.models import DunningNotice
    from robinet.collections.notices.messages import notices_send

    ids = list(DunningNotice.objects.filter(run_id=activity_run.pk).values_list("pk", flat=True))
    return notices_send(ids, now=clock.now())


# --- review ------------------------------------------------------------------------------------


def _open_proposal(proposal: DunningProposal, actor) -> DunningProposal:
    locked = (
        DunningProposal.objects.select_for_update().select_related("account").get(pk=proposal.pk)
    )
    _require(actor, Perm.DUNNING_RUN, locked.account.centre)
    if locked.status != ProposalStatus.PROPOSED:
        raise InvalidTransition(_("Cette proposition n'est plus modifiable."))
    if (
        BatchRun.objects.filter(kind=runs.ACTIVITY, parameters__proposal_run=locked.run_id)
        .exclude(state=RunState.CANCELLED)
        .exists()
    ):
        raise InvalidTransition(_("Cette proposition a déjà été émise."))
    return locked


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Indiquez le motif de l'exclusion.")]})
    return reason[:255]


@transaction.atomic(durable=True)
def proposal_exclude(*, actor, proposal: DunningProposal, reason: str) -> DunningProposal:
    """Leave a whole account out of the activity run, with a reason (COLL-13)."""
    reason = _reason(reason)
    locked = _open_proposal(proposal, actor)
    locked.status = ProposalStatus.EXCLUDED
    locked.exclusion_reason = reason
    locked.excluded_by = _user(actor)
    locked.save(update_fields=["status", "exclusion_reason", "excluded_by"])
    event_record(
        account=locked.account,
        kind=EventKind.EXCLUSION,
        summary=_("Relance exclue : %(r)s") % {"r": reason},
        actor=actor,
        on=clock.today(),
    )
    audit.record(
        actor=actor, verb="dunning.proposal_excluded", target=locked, data={"reason": reason}
    )
    return locked


@transaction.atomic(durable=True)
def proposal_item_exclude(*, actor, item: ProposalItem, reason: str) -> ProposalItem:
    """Leave one item out of the notice; the account is excluded when nothing is left."""
    reason = _reason(reason)
    proposal = _open_proposal(item.proposal, actor)
    locked = ProposalItem.objects.select_for_update().select_related("open_item").get(pk=item.pk)
    if locked.excluded:
        raise InvalidTransition(_("Ce poste est déjà exclu."))
    locked.excluded = True
    locked.exclusion_reason = reason
    locked.excluded_by = _user(actor)
    locked.save(update_fields=["excluded", "exclusion_reason", "excluded_by"])
    remaining = proposal.items.filter(excluded=False)
    if not remaining.filter(to_level__gt=F("from_level")).exists():
        proposal.status = ProposalStatus.EXCLUDED
        proposal.exclusion_reason = reason
        proposal.excluded_by = _user(actor)
        proposal.save(update_fields=["status", "exclusion_reason", "excluded_by"])
    else:
        proposal.total = sum((i.open_amount for i in remaining), Decimal(0))
        proposal.save(update_fields=["total"])
    event_record(
        account=proposal.account,
        kind=EventKind.EXCLUSION,
        summary=_("Poste %(d)s exclu de la relance : %(r)s")
        % {"d": locked.open_item.document_number, "r": reason},
        actor=actor,
        on=clock.today(),
    )
    audit.record(
        actor=actor, verb="dunning.item_excluded", target=locked.open_item, data={"reason": reason}
    )
    return locked


# --- blocks (COLL-3): block_open / block_close live in blocks.py, re-exported here -------------


@transaction.atomic(durable=True)
def block_create(
    *,
    actor,
    account,
    reason: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    reference: str = "",
    comment: str = "",
) -> CollectionBlock:
    """Hold dunning on an account (a case, a dispute, over-indebtedness, FSL…)."""
    _require(actor, Perm.DUNNING_RUN, account.centre)
    return block_open(
        actor=actor,
        account=account,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        reference=reference,
        comment=comment,
    )


def _held_by_a_file(block: CollectionBlock) -> bool:
    """A block a file opened: agency and litigation always; insolvency while its file lives.

    An officer's own over-indebtedness block (no file) is lifted like any other.
    """
    if block.reason not in FILE_BLOCK_REASONS:
        return False
    if block.reason not in INSOLVENCY_BLOCK_REASONS:
        return True
    return (
        InsolvencyFile.objects.filter(account_id=block.account_id, number=block.reference)
        .exclude(state=InsolvencyState.CLOSED)
        .exists()
    )


@transaction.atomic(durable=True)
def block_lift(*, actor, block: CollectionBlock, on: dt.date | None = None) -> CollectionBlock:
    locked = CollectionBlock.objects.select_related("account").get(pk=block.pk)
    _require(actor, Perm.DUNNING_RUN, locked.account.centre)
    if locked.lifted_on is None and _held_by_a_file(locked):
        # COLL-8, COLL-9, COLL-12: the hold lasts as long as its file; closing the file lifts it.
        raise InvalidTransition(FILE_BLOCK_MESSAGES[locked.reason])
    return block_close(actor=actor, block=locked, on=on)
