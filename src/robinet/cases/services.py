"""Customer requests: contacts, cases, tasks, answers, side effects, offers (CASE-1…7, CASE-9).

Every service checks ``case.handle`` on the centre of the case or account
(``case.supervise`` to reassign), records an audit event and writes nothing
when it fails (one transaction). ``actor=None`` is a system job (the daily
claim-effects run): no permission check.

Decisions:

* a contact about a closed case never reopens it: a new case is opened with
  ``previous_case`` pointing at the closed one (seed 003 §4.9), whatever the
  nature of the new request;
* a case is closed only when it has no open task (the responsible service
  finishes them first) and, for a claim or a multi-contact request, once a
  written answer has been sent (CASE-4) — also when it is handled at once;
* the text of written contacts (letter, e-mail, web form) goes through the
  sensitive-letter check; a sensitive contact routes the case to the
  sensitive-mail team (CASE-5);
* "online account" is always offered (CASE-9): there is no portal account yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.cases import answers as catalogue
from robinet.cases import deadlines
from robinet.cases.choices import (
    OPEN_STATUSES,
    WRITTEN_CHANNELS,
    CaseStatus,
    Channel,
    DebitAction,
    Direction,
    Nature,
    OfferOutcome,
    Service,
    TaskStatus,
    TeamKind,
)
from robinet.cases.models import Case, CaseType, Contact, ServiceOffer, Task, Team
from robinet.core import audit, clock
from robinet.core.bulk import create_instances
from robinet.core.calendar import department_of_insee
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from robinet.core.numbering import format_number, next_number, next_numbers
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

SERIES = "DOS"
HANDLE = Perm.CASE_HANDLE
SUPERVISE = Perm.CASE_SUPERVISE


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _check(actor, entity, perm: str = HANDLE) -> None:
    if actor is not None:
        require(actor, perm, entity)


def _text(value, field: str, *, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed({field: [_("Ce champ est obligatoire.")]})
    if len(text) > max_length:
        raise ValidationFailed({field: [_("%(n)s caractères au plus.") % {"n": max_length}]})
    return text


def _not_in_future(moment: dt.datetime | None, field: str, now: dt.datetime) -> dt.datetime:
    """``moment`` (``now`` when not given); a clear error naming ``field`` if in the future."""
    moment = moment or now
    if moment > now:
        raise ValidationFailed({field: [_("La date est dans le futur.")]})
    return moment


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed({field: [_("Valeur inconnue : %(v)s.") % {"v": value}]})
    return value


def _locked(case: Case) -> Case:
    return (
        # Only the case's row: its customer is a nullable join PostgreSQL cannot lock.
        Case.objects.select_for_update(of=("self",))
        .select_related("case_type", "account", "centre")
        .get(pk=case.pk)
    )


def _require_open(case: Case) -> None:
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition(_("Ce dossier est clôturé ou annulé."))


# --- where and when ------------------------------------------------------------------------


def department_of_account(account) -> str | None:
    """The department whose calendar applies: the supplied premises', else the customer's."""
    if account is None:
        return None
    from robinet.customers.choices import ContractStatus

    contract = (
        account.contracts.filter(status=ContractStatus.ACTIVE)
        .select_related("service_point")
        .order_by("pk")
        .first()
    )
    insee = (
        contract.service_point.commune_insee if contract else ""
    ) or account.party.commune_insee
    try:
        return department_of_insee(insee) if insee else None
    except ValueError:
        return None


def route(kind: str, centre) -> Team | None:
    """The nearest active team of ``kind`` on ``centre`` or one of its ancestors (CASE-6)."""
    ids = [int(part) for part in centre.path.strip("/").split("/") if part]
    teams = Team.objects.filter(kind=kind, active=True, entity_id__in=ids).select_related("entity")
    by_depth = sorted(teams, key=lambda t: (-len(t.entity.path), t.code))
    return by_depth[0] if by_depth else None


@dataclass(frozen=True)
class _Sensitivity:
    sensitive: bool
    reasons: tuple[str, ...]


def _detect(channel: str, *texts: str) -> _Sensitivity:
    """CASE-5: the sensitive-letter check, on written contacts only."""
    if channel not in WRITTEN_CHANNELS:
        return _Sensitivity(False, ())
    text = "\n".join(t for t in texts if t)
    if not text.strip():
        return _Sensitivity(False, ())
    from robinet.cases.sensitive import detect

    detection = detect(text)
    return _Sensitivity(bool(detection.sensitive), tuple(detection.reasons))


def _mark_sensitive(case: Case, found: _Sensitivity) -> None:
    reasons = [r for r in case.sensitive_reasons.split("; ") if r]
    reasons += [r for r in found.reasons if r not in reasons]
    case.sensitive = True
    case.sensitive_reasons = "; ".join(reasons)[:255]
    team = route(TeamKind.SENSITIVE_MAIL, case.centre)
    if team is not None:
        case.team = team


# --- opening -------------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    actor,
    case_type: CaseType,
    centre=None,
    subject: str,
    description: str = "",
    account=None,
    nature: str | None = None,
    channel: str = Channel.PHONE,
    opened_at: dt.datetime | None = None,
    previous_case: Case | None = None,
    response_due: dt.datetime | None = None,
) -> Case:
    """Open a case (CASE-2): numbered, with its deadline (CASE-3), routed (CASE-5/6), blocking
    dunning when its type does (CASE-7). Internal cases are opened here directly.

    ``response_due``: a deadline set by another rule (the month the customer has to answer
    a METER-5 notice, BILL-9) instead of the type's; ignored for a type without deadline."""
    centre = centre or (account.centre if account is not None else None)
    if centre is None:
        raise ValidationFailed({"centre": [_("Le centre est obligatoire.")]})
    _check(actor, centre)
    if case_type is None or not case_type.active:
        raise ValidationFailed({"case_type": [_("Type de dossier inconnu ou inactif.")]})
    nature = nature or case_type.default_nature
    _choice(nature, Nature, "nature")
    _choice(channel, Channel, "channel")
    if nature == Nature.CLAIM and account is None:
        raise ValidationFailed({"account": [_("Une réclamation porte sur un client.")]})
    subject = _text(subject, "subject", max_length=200)
    if previous_case is not None and previous_case.account_id != getattr(account, "pk", None):
        raise ValidationFailed(
            {"previous_case": [_("Le dossier précédent est celui d'un autre client.")]}
        )
    now = clock.now()
    opened_at = _not_in_future(opened_at, "opened_at", now)
    year = timezone.localtime(opened_at).year
    case = Case(
        number=format_number(SERIES, year, next_number(SERIES, year)),
        account=account,
        centre=centre,
        case_type=case_type,
        nature=nature,
        channel=channel,
        subject=subject,
        description=(description or "").strip(),
        opened_at=opened_at,
        opened_by=_user(actor),
        deadline_rule=case_type.deadline_rule,
        response_due=deadlines.response_due(
            rule=case_type.deadline_rule,
            channel=channel,
            opened_at=opened_at,
            department=department_of_account(account),
        ),
        team=route(case_type.routing, centre),
        previous_case=previous_case,
    )
    if response_due is not None and case.response_due is not None:
        if response_due < opened_at:
            raise ValidationFailed({"response_due": [_("L'échéance précède l'ouverture.")]})
        case.response_due = response_due
    found = _detect(channel, subject, case.description)
    if found.sensitive:
        _mark_sensitive(case, found)
    case.save()
    if case_type.blocks_dunning and account is not None:
        from robinet.collections.choices import BlockReason
        from robinet.collections.services import block_open

        case.blocks_dunning = True
        case.dunning_block = block_open(
            actor=actor, account=account, reason=BlockReason.CASE, reference=case.number
        )
        case.save(update_fields=["blocks_dunning", "dunning_block"])
    audit.record(
        actor=actor,
        verb="case.opened",
        target=case,
        subject=account or case,
        data={"type": case_type.code, "nature": nature, "sensitive": case.sensitive},
    )
    return case


@dataclass(frozen=True)
class SystemOpening:
    """One case of :func:`cases_open_by_system`: the account (its centre loaded) and texts."""

    account: object
    subject: str
    description: str = ""


def cases_open_by_system(
    *,
    case_type: CaseType,
    channel: str,
    openings: list[SystemOpening],
    opened_at: dt.datetime | None = None,
    response_due: dt.datetime | None = None,
) -> list[Case]:
    """:func:`case_open` for many cases the system opens at once (no actor), in the caller's
    transaction, in the order of ``openings``: the same cases, dunning blocks and audit, with
    one number reservation and one insert per table (bulk jobs: the METER-5 notices of a
    readings import). ``response_due`` as in :func:`case_open`; without it each case's
    deadline is computed from its account's department. The texts are the system's own:
    the sensitive-letter check (CASE-5), which reads what customers write, is not run."""
    if case_type is None or not case_type.active:
        raise ValidationFailed({"case_type": [_("Type de dossier inconnu ou inactif.")]})
    if not openings:
        return []
    nature = case_type.default_nature
    _choice(nature, Nature, "nature")
    _choice(channel, Channel, "channel")
    now = clock.now()
    opened_at = _not_in_future(opened_at, "opened_at", now)
    if response_due is not None and response_due < opened_at:
        raise ValidationFailed({"response_due": [_("L'échéance précède l'ouverture.")]})
    has_deadline = deadlines.working_days_for(case_type.deadline_rule, channel) is not None
    year = timezone.localtime(opened_at).year
    numbers = next_numbers(SERIES, len(openings), year)
    teams: dict[int, Team | None] = {}
    cases = []
    for opening, value in zip(openings, numbers, strict=True):
        account = opening.account
        centre = account.centre
        if centre.pk not in teams:
            teams[centre.pk] = route(case_type.routing, centre)
        due = None
        if has_deadline:
            due = response_due or deadlines.response_due(
                rule=case_type.deadline_rule,
                channel=channel,
                opened_at=opened_at,
                department=department_of_account(account),
            )
        case = Case(
            number=format_number(SERIES, year, value),
            account=account,
            centre=centre,
            case_type=case_type,
            nature=nature,
            channel=channel,
            subject=_text(opening.subject, "subject", max_length=200),
            description=(opening.description or "").strip(),
            opened_at=opened_at,
            deadline_rule=case_type.deadline_rule,
            response_due=due,
            team=teams[centre.pk],
        )
        cases.append(case)
    if case_type.blocks_dunning:
        from robinet.collections.blocks import blocks_open_many
        from robinet.collections.choices import BlockReason

        blocks = blocks_open_many(
            actor=None,
            accounts=[case.account for case in cases],
            reason=BlockReason.CASE,
            references=[case.number for case in cases],
        )
        for case, block in zip(cases, blocks, strict=True):
            case.blocks_dunning = True
            case.dunning_block = block
    create_instances(Case, cases)
    audit.record_many(
        actor=None,
        verb="case.opened",
        events=(
            (
                case,
                case.account,
                {"type": case_type.code, "nature": nature, "sensitive": case.sensitive},
            )
            for case in cases
        ),
    )
    return cases


def _inbound(case: Case, found: _Sensitivity) -> None:
    """CASE-1: one more inbound contact; from the second the case is multi-contact, priority."""
    case.contact_count += 1
    if case.contact_count >= 2:
        case.multi_contact = True
        case.priority = True
    if found.sensitive:
        _mark_sensitive(case, found)
    case.save(
        update_fields=[
            "contact_count",
            "multi_contact",
            "priority",
            "sensitive",
            "sensitive_reasons",
            "team",
        ]
    )


@transaction.atomic
def request_record(
    *,
    actor,
    account,
    channel: str,
    case_type: CaseType | None,
    subject: str,
    body: str = "",
    nature: str | None = None,
    occurred_at: dt.datetime | None = None,
    interlocutor: str = "",
    attach_to: Case | None = None,
    handled_now: bool = False,
    resolution: str = "",
    centre=None,
) -> Case:
    """The officer's one step: record an inbound contact and attach it or open a case (CASE-1/2/6)."""
    if account is None:
        raise ValidationFailed({"account": [_("Le client est obligatoire.")]})
    centre = centre or account.centre
    _check(actor, centre)
    _choice(channel, Channel, "channel")
    subject = _text(subject, "subject", max_length=200)
    interlocutor = _text(interlocutor, "interlocutor", max_length=120, required=False)
    now = clock.now()
    occurred_at = _not_in_future(occurred_at, "occurred_at", now)
    if nature is not None:
        _choice(nature, Nature, "nature")
    if nature == Nature.INTERNAL:
        raise ValidationFailed(
            {"nature": [_("Le contact d'un client n'ouvre pas une demande interne.")]}
        )
    if handled_now:
        resolution = _text(resolution, "resolution", max_length=10_000)
    found = _detect(channel, subject, body)
    case = None
    if attach_to is not None:
        target = _locked(attach_to)
        if target.account_id != account.pk:
            raise ValidationFailed({"attach_to": [_("Ce dossier est celui d'un autre client.")]})
        if target.status in OPEN_STATUSES:
            case = target
            _inbound(case, _Sensitivity(False, ()))
            if found.sensitive:
                _mark_sensitive(case, found)
                case.save(update_fields=["sensitive", "sensitive_reasons", "team"])
    if case is None:
        case_type = case_type or (attach_to.case_type if attach_to is not None else None)
        if case_type is None:
            raise ValidationFailed({"case_type": [_("Le type de demande est obligatoire.")]})
        if (nature or case_type.default_nature) == Nature.INTERNAL:
            raise ValidationFailed({"case_type": [_("Ce type est réservé aux demandes internes.")]})
        case = case_open(
            actor=actor,
            case_type=case_type,
            centre=centre,
            subject=subject,
            description=body,
            account=account,
            nature=nature,
            channel=channel,
            opened_at=occurred_at,
            previous_case=attach_to,
        )
        case.contact_count = 1
        case.save(update_fields=["contact_count"])
    contact = Contact.objects.create(
        case=case,
        account=account,
        centre=centre,
        direction=Direction.INBOUND,
        channel=channel,
        occurred_at=occurred_at,
        recorded_at=now,
        recorded_by=_user(actor),
        interlocutor=interlocutor,
        subject=subject,
        body=(body or "").strip(),
        sensitive=found.sensitive,
        sensitive_reasons="; ".join(found.reasons)[:255],
    )
    audit.record(
        actor=actor,
        verb="contact.recorded",
        target=contact,
        subject=account,
        data={"case": case.number, "channel": channel, "multi_contact": case.multi_contact},
    )
    if handled_now:
        case = _close(actor=actor, case=case, resolution=resolution)
    return case


@transaction.atomic
def contact_record(
    *,
    actor,
    account,
    direction: str,
    channel: str,
    subject: str = "",
    body: str = "",
    occurred_at: dt.datetime | None = None,
    interlocutor: str = "",
    centre=None,
) -> Contact:
    """A contact recorded without a case (an outbound call…), attached later (CASE-1, CASE-10)."""
    if account is None and centre is None:
        raise ValidationFailed({"account": [_("Le client est obligatoire.")]})
    centre = centre or account.centre
    _check(actor, centre)
    _choice(direction, Direction, "direction")
    _choice(channel, Channel, "channel")
    now = clock.now()
    occurred_at = _not_in_future(occurred_at, "occurred_at", now)
    found = (
        _detect(channel, subject, body)
        if direction == Direction.INBOUND
        else _Sensitivity(False, ())
    )
    contact = Contact.objects.create(
        account=account,
        centre=centre,
        direction=direction,
        channel=channel,
        occurred_at=occurred_at,
        recorded_at=now,
        recorded_by=_user(actor),
        interlocutor=_text(interlocutor, "interlocutor", max_length=120, required=False),
        subject=_text(subject, "subject", max_length=200, required=False),
        body=(body or "").strip(),
        sensitive=found.sensitive,
        sensitive_reasons="; ".join(found.reasons)[:255],
    )
    audit.record(
        actor=actor, verb="contact.recorded", target=contact, subject=account or contact, data={}
    )
    return contact


@transaction.atomic
def contact_attach(*, actor, contact: Contact, case: Case) -> Contact:
    """Attach a contact recorded without a case to an unclosed case of the same customer."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    case = _locked(case)
    _check(actor, case.centre)
    if contact.case_id is not None:
        raise InvalidTransition(_("Ce contact est déjà rattaché à un dossier."))
    _require_open(case)
    if contact.account_id is not None and contact.account_id != case.account_id:
        raise ValidationFailed({"case": [_("Ce dossier est celui d'un autre client.")]})
    contact.case = case
    contact.account_id = contact.account_id or case.account_id
    contact.save(update_fields=["case", "account"])
    if contact.direction == Direction.INBOUND:
        _inbound(
            case,
            _Sensitivity(
                contact.sensitive, tuple(r for r in contact.sensitive_reasons.split("; ") if r)
            ),
        )
    audit.record(
        actor=actor,
        verb="contact.attached",
        target=contact,
        subject=case,
        data={"case": case.number},
    )
    return contact


# --- treatment -----------------------------------------------------------------------------


@transaction.atomic
def case_defer(
    *, actor, case: Case, action: str, team: Team | None = None, due_at: dt.datetime | None = None
) -> Task:
    """Deferred treatment (CASE-6): the responsible team gets a task, the case waits for it."""
    case = _locked(case)
    _check(actor, case.centre)
    _require_open(case)
    action = _text(action, "action", max_length=200)
    team = team or case.team
    if team is None or not team.active:
        raise ValidationFailed({"team": [_("Choisissez l'équipe responsable.")]})
    now = clock.now()
    if due_at is not None and due_at < now:
        raise ValidationFailed({"due_at": [_("L'échéance est passée.")]})
    task = Task.objects.create(
        case=case,
        team=team,
        action=action,
        due_at=due_at or case.response_due,
        created_at=now,
        created_by=_user(actor),
    )
    case.status = CaseStatus.DEFERRED
    case.save(update_fields=["status"])
    audit.record(
        actor=actor, verb="case.deferred", target=case, data={"team": team.code, "action": action}
    )
    return task


@transaction.atomic
def case_pause(*, actor, case: Case, reason: str) -> Case:
    """Wait for a third party (the case shows in the paused list, CASE-10)."""
    case = _locked(case)
    _check(actor, case.centre)
    _require_open(case)
    if case.status == CaseStatus.PAUSED:
        raise InvalidTransition(_("Ce dossier est déjà en pause."))
    reason = _text(reason, "reason", max_length=255)
    case.status = CaseStatus.PAUSED
    case.save(update_fields=["status"])
    audit.record(actor=actor, verb="case.paused", target=case, data={"reason": reason})
    return case


def _status_after_pause(case: Case) -> str:
    return (
        CaseStatus.DEFERRED
        if case.tasks.filter(status=TaskStatus.OPEN).exists()
        else CaseStatus.OPEN
    )


@transaction.atomic
def case_resume(*, actor, case: Case) -> Case:
    case = _locked(case)
    _check(actor, case.centre)
    if case.status != CaseStatus.PAUSED:
        raise InvalidTransition(_("Seul un dossier en pause reprend."))
    case.status = _status_after_pause(case)
    case.save(update_fields=["status"])
    audit.record(actor=actor, verb="case.resumed", target=case, data={})
    return case


@transaction.atomic
def task_complete(*, actor, task: Task, comment: str = "") -> Task:
    """The responsible team did its part; the case is back to be answered and closed."""
    task = Task.objects.select_for_update().select_related("case", "case__centre").get(pk=task.pk)
    _check(actor, task.case.centre)
    if task.status != TaskStatus.OPEN:
        raise InvalidTransition(_("Cette tâche est déjà terminée ou annulée."))
    task.status = TaskStatus.DONE
    task.done_at = clock.now()
    task.done_by = _user(actor)
    task.comment = (comment or "").strip()
    task.save(update_fields=["status", "done_at", "done_by", "comment"])
    case = _locked(task.case)
    if (
        case.status == CaseStatus.DEFERRED
        and not case.tasks.filter(status=TaskStatus.OPEN).exists()
    ):
        case.status = CaseStatus.OPEN
        case.save(update_fields=["status"])
    audit.record(actor=actor, verb="task.done", target=task, subject=case, data={})
    return task


@transaction.atomic
def case_reassign(*, actor, case: Case, team: Team | None = None, assigned_to=None) -> Case:
    """A supervisor moves a case to another team or officer."""
    case = _locked(case)
    _check(actor, case.centre, SUPERVISE)
    _require_open(case)
    if team is None and assigned_to is None:
        raise ValidationFailed({"team": [_("Choisissez une équipe ou un chargé.")]})
    before = {"team": case.team_id, "assigned_to": case.assigned_to_id}
    if team is not None:
        if not team.active:
            raise ValidationFailed({"team": [_("Cette équipe n'est plus active.")]})
        case.team = team
    if assigned_to is not None:
        if not isinstance(assigned_to, get_user_model()) or not assigned_to.is_active:
            raise ValidationFailed({"assigned_to": [_("Utilisateur inconnu ou inactif.")]})
        case.assigned_to = assigned_to
    case.save(update_fields=["team", "assigned_to"])
    audit.record(
        actor=actor,
        verb="case.reassigned",
        target=case,
        changes={
            "team": [before["team"], case.team_id],
            "assigned_to": [before["assigned_to"], case.assigned_to_id],
        },
    )
    return case


@transaction.atomic
def case_subject_change(*, actor, case: Case, subject: str) -> Case:
    case = _locked(case)
    _check(actor, case.centre)
    _require_open(case)
    before = case.subject
    case.subject = _text(subject, "subject", max_length=200)
    case.save(update_fields=["subject"])
    audit.record(
        actor=actor, verb="case.changed", target=case, changes={"subject": [before, case.subject]}
    )
    return case


# --- side effects (CASE-7) -----------------------------------------------------------------


def _release_effects(*, actor, case: Case) -> None:
    """Closing or cancelling: dunning resumes, the direct debit or monthly payment too."""
    from robinet.collections.models import CollectionBlock
    from robinet.collections.services import block_close

    if case.dunning_block_id is not None:
        block = CollectionBlock.objects.get(pk=case.dunning_block_id)
        if block.lifted_on is None:
            block_close(actor=actor, block=block)
    if case.debit_action == DebitAction.DIRECT_DEBIT_SUSPENDED:
        from robinet.payments.holds import hold_close, live_holds

        for hold in live_holds(case.account).filter(reference=case.number):
            hold_close(actor=actor, hold=hold)
    elif case.debit_action == DebitAction.MONTHLY_SUSPENDED:
        others = (
            Case.objects.filter(
                account_id=case.account_id,
                status__in=OPEN_STATUSES,
                debit_action=DebitAction.MONTHLY_SUSPENDED,
            )
            .exclude(pk=case.pk)
            .exists()
        )
        if not others:
            from robinet.billing.budget import plan_resume
            from robinet.billing.choices import BudgetPlanStatus
            from robinet.billing.models import BudgetPlan

            for plan in BudgetPlan.objects.filter(
                account_id=case.account_id, status=BudgetPlanStatus.SUSPENDED
            ):
                plan_resume(actor=actor, plan=plan)


def _active_contracts(account):
    from robinet.customers.choices import ContractStatus

    return list(account.contracts.filter(status=ContractStatus.ACTIVE).order_by("pk"))


def _claim_effect(*, actor, case: Case) -> bool:
    """Suspend the monthly payment or hold the direct debit of ``case``'s account."""
    account = case.account
    reason = _("Réclamation %(n)s en cours") % {"n": case.number}
    if account.monthly_payment:
        from robinet.billing.budget import claim_side_effect
        from robinet.billing.choices import BudgetPlanStatus
        from robinet.billing.models import BudgetPlan

        changed = [
            claim_side_effect(actor=actor, contract=c, action="suspend", reason=reason)
            for c in _active_contracts(account)
        ]
        suspended = (
            any(changed)
            or BudgetPlan.objects.filter(
                account=account, status=BudgetPlanStatus.SUSPENDED
            ).exists()
        )
        if not suspended:
            return False
        case.debit_action = DebitAction.MONTHLY_SUSPENDED
    elif account.direct_debit:
        from robinet.payments.holds import hold_open

        hold_open(actor=actor, account=account, reason=reason, reference=case.number)
        case.debit_action = DebitAction.DIRECT_DEBIT_SUSPENDED
    else:
        return False
    case.debit_action_at = clock.now()
    case.save(update_fields=["debit_action", "debit_action_at"])
    audit.record(
        actor=actor, verb="case.debit_suspended", target=case, data={"action": case.debit_action}
    )
    return True


def claim_effects_apply(*, actor, on: dt.date) -> int:
    """The daily job (CASE-7): claims opened before ``on`` and still open suspend automatic
    payments. One transaction per case; returns how many cases changed."""
    if actor is not None:
        require(actor, HANDLE)
    start_of_day = dt.datetime.combine(on, dt.time(0, 0), timezone.get_current_timezone())
    candidates = Case.objects.filter(
        Q(account__direct_debit=True) | Q(account__monthly_payment=True),
        nature=Nature.CLAIM,
        status__in=OPEN_STATUSES,
        debit_action=DebitAction.NONE,
        opened_at__lt=start_of_day,
    )
    changed = 0
    for pk in list(candidates.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            case = _locked(Case(pk=pk))
            if case.debit_action != DebitAction.NONE or case.status not in OPEN_STATUSES:
                continue
            if actor is not None:
                require(actor, HANDLE, case.centre)
            changed += _claim_effect(actor=actor, case=case)
    return changed


@transaction.atomic
def case_adjust_instalments(*, actor, case: Case, adjustment) -> Case:
    """CASE-7: with the customer's agreement, the next two instalments are adjusted instead."""
    case = _locked(case)
    _check(actor, case.centre)
    _require_open(case)
    if case.nature != Nature.CLAIM or case.account is None:
        raise ValidationFailed({"case": [_("Seule une réclamation ajuste les mensualités.")]})
    if case.debit_action != DebitAction.NONE:
        raise InvalidTransition(_("Les prélèvements de ce dossier ont déjà été traités."))
    from robinet.billing.budget import claim_side_effect

    plans = [
        claim_side_effect(
            actor=actor,
            contract=c,
            action="adjust",
            adjustment=adjustment,
            reason=_("Réclamation %(n)s") % {"n": case.number},
        )
        for c in _active_contracts(case.account)
    ]
    if not any(plans):
        raise ValidationFailed({"adjustment": [_("Ce client n'a pas de mensualisation active.")]})
    case.debit_action = DebitAction.MONTHLY_ADJUSTED
    case.debit_action_at = clock.now()
    case.save(update_fields=["debit_action", "debit_action_at"])
    audit.record(
        actor=actor,
        verb="case.instalments_adjusted",
        target=case,
        data={"adjustment": str(adjustment)},
    )
    return case


# --- closing -------------------------------------------------------------------------------


def _close(*, actor, case: Case, resolution: str) -> Case:
    case = _locked(case)
    _require_open(case)
    resolution = _text(resolution, "resolution", max_length=10_000)
    if (case.nature == Nature.CLAIM or case.multi_contact) and case.answered_at is None:
        raise ValidationFailed(
            {
                "answer": [
                    _(
                        "Une réclamation ou une demande multi-contacts se clôture après "
                        "une réponse écrite."
                    )
                ]
            }
        )
    if case.tasks.filter(status=TaskStatus.OPEN).exists():
        raise ValidationFailed(
            {"tasks": [_("Des tâches sont en cours : le service responsable les termine d'abord.")]}
        )
    _release_effects(actor=actor, case=case)
    case.status = CaseStatus.CLOSED
    case.closed_at = clock.now()
    case.closed_by = _user(actor)
    case.resolution = resolution
    case.save(update_fields=["status", "closed_at", "closed_by", "resolution"])
    audit.record(
        actor=actor, verb="case.closed", target=case, subject=case.account or case, data={}
    )
    return case


@transaction.atomic
def case_close(*, actor, case: Case, resolution: str) -> Case:
    """Close a case (CASE-6), releasing what it held (CASE-7)."""
    _check(actor, case.centre)
    return _close(actor=actor, case=case, resolution=resolution)


@transaction.atomic
def case_cancel(*, actor, case: Case, reason: str) -> Case:
    """Cancel a case opened by mistake: its tasks and field interventions are cancelled too."""
    case = _locked(case)
    _check(actor, case.centre)
    _require_open(case)
    reason = _text(reason, "reason", max_length=10_000)
    now = clock.now()
    case.tasks.filter(status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED, done_at=now, done_by=_user(actor)
    )
    from robinet.cases import field

    field.cancel_for_case(actor=actor, case=case)
    _release_effects(actor=actor, case=case)
    case.status = CaseStatus.CANCELLED
    case.closed_at = now
    case.closed_by = _user(actor)
    case.resolution = reason
    case.save(update_fields=["status", "closed_at", "closed_by", "resolution"])
    audit.record(actor=actor, verb="case.cancelled", target=case, data={"reason": reason})
    return case


# --- answers (CASE-3, CASE-4) --------------------------------------------------------------


def _signature(actor, signature) -> catalogue.Signature:
    if isinstance(signature, catalogue.Signature):
        sig = signature
    elif isinstance(signature, dict):
        sig = catalogue.Signature(
            first_name=(signature.get("first_name") or "").strip(),
            last_name=(signature.get("last_name") or "").strip(),
            title=(signature.get("title") or "").strip(),
        )
    elif signature is None and actor is not None:
        sig = catalogue.Signature(
            first_name=(getattr(actor, "first_name", "") or "").strip(),
            last_name=(getattr(actor, "last_name", "") or "").strip(),
            title=_("Conseiller(ère) clientèle"),
        )
    else:
        sig = catalogue.Signature("", "", "")
    if not (sig.first_name and sig.last_name and sig.title):
        raise ValidationFailed(
            {"signature": [_("Le prénom, le nom et la fonction du signataire sont obligatoires.")]}
        )
    return sig


def _send_written(
    *, actor, case: Case, subject: str, text: str, template_code: str, holding: bool
) -> Contact:
    party = case.account.party
    channel = Channel.EMAIL if party.email else Channel.LETTER
    now = clock.now()
    contact = Contact.objects.create(
        case=case,
        account=case.account,
        centre=case.centre,
        direction=Direction.OUTBOUND,
        channel=channel,
        occurred_at=now,
        recorded_at=now,
        recorded_by=_user(actor),
        subject=subject[:200],
        body=text,
        template_code=template_code,
        is_answer=not holding,
        is_holding_reply=holding,
    )
    from robinet.cases.answer_pdf import answer_pdf

    pdf = answer_pdf(contact)
    if channel == Channel.EMAIL:
        message = EmailMessage(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[party.email],
        )
        message.attach(f"reponse-{case.number}.pdf", pdf, "application/pdf")
        message.send()
    return contact


@transaction.atomic
def answer_send(
    *, actor, case: Case, template_code: str | None = None, body: str | None = None, signature=None
) -> Contact:
    """The written answer (CASE-4): by e-mail when the customer has one, else a letter (PDF)."""
    case = _locked(case)
    _check(actor, case.centre)
    _require_open(case)
    if case.account is None:
        raise ValidationFailed(
            {"case": [_("Une demande interne n'a pas de client à qui répondre.")]}
        )
    if bool(template_code) == bool((body or "").strip()):
        raise ValidationFailed(
            {"body": [_("Choisissez un modèle ou rédigez une réponse personnalisée.")]}
        )
    if template_code:
        if template_code not in catalogue.TEMPLATES or template_code == catalogue.HOLDING_TEMPLATE:
            raise ValidationFailed({"template_code": [_("Modèle de réponse inconnu.")]})
        if case.sensitive:
            raise ValidationFailed(
                {"template_code": [_("Un courrier sensible appelle une réponse personnalisée.")]}
            )
    sig = _signature(actor, signature)
    subject, text = catalogue.render(
        case=case, signature=sig, template_code=template_code, body=body
    )
    contact = _send_written(
        actor=actor,
        case=case,
        subject=subject,
        text=text,
        template_code=template_code or "",
        holding=False,
    )
    case.answered_at = contact.occurred_at
    case.save(update_fields=["answered_at"])
    audit.record(
        actor=actor,
        verb="case.answered",
        target=case,
        subject=case.account,
        data={"channel": contact.channel, "template": template_code or ""},
    )
    return contact


@transaction.atomic
def holding_reply_send(*, actor, case: Case, signature=None) -> Contact:
    """CASE-3: the holding reply when the deadline cannot be met."""
    case = _locked(case)
    _check(actor, case.centre)
    _require_open(case)
    if case.account is None:
        raise ValidationFailed(
            {"case": [_("Une demande interne n'a pas de client à qui répondre.")]}
        )
    sig = _signature(actor, signature)
    subject, text = catalogue.render(
        case=case, signature=sig, template_code=catalogue.HOLDING_TEMPLATE
    )
    contact = _send_written(
        actor=actor,
        case=case,
        subject=subject,
        text=text,
        template_code=catalogue.HOLDING_TEMPLATE,
        holding=True,
    )
    case.holding_reply_at = contact.occurred_at
    case.save(update_fields=["holding_reply_at"])
    audit.record(
        actor=actor, verb="case.holding_reply", target=case, data={"channel": contact.channel}
    )
    return contact


# --- offers (CASE-9) -----------------------------------------------------------------------


def services_missing(account) -> list[str]:
    """The free services the customer has not subscribed (CASE-9).

    The online account is the customer portal: offered until a login is linked to the account.
    """
    missing = []
    if not account.direct_debit:
        missing.append(Service.DIRECT_DEBIT)
    if not account.monthly_payment:
        missing.append(Service.MONTHLY_PAYMENT)
    if not account.e_invoice:
        missing.append(Service.E_INVOICE)
    if not account.portal_links.exists():
        missing.append(Service.ONLINE_ACCOUNT)
    return missing


@transaction.atomic
def offer_record(
    *, actor, account, service: str, outcome: str, case: Case | None = None
) -> ServiceOffer:
    """What the customer answered when offered a service (CASE-9)."""
    _check(actor, account.centre)
    _choice(service, Service, "service")
    _choice(outcome, OfferOutcome, "outcome")
    if case is not None:
        if case.account_id != account.pk:
            raise ValidationFailed({"case": [_("Ce dossier est celui d'un autre client.")]})
        if ServiceOffer.objects.filter(case=case, service=service).exists():
            raise ValidationFailed(
                {"service": [_("Ce service a déjà été proposé sur ce dossier.")]}
            )
    offer = ServiceOffer.objects.create(
        account=account,
        case=case,
        service=service,
        outcome=outcome,
        recorded_at=clock.now(),
        recorded_by=_user(actor),
    )
    audit.record(
        actor=actor,
        verb="service.offered",
        target=offer,
        subject=account,
        data={"outcome": outcome},
    )
    return offer
