"""Writes of external agencies (COLL-8, COLL-3, COLL-13, ORG-4).

* :func:`agency_create`, :func:`member_link`, :func:`member_unlink` — an
  agency, linked to its PAY-8 collection operator (its transfers and
  statements are booked there), and the external users who work for it (the
  administrator's « Utilisateurs de l'agence » screen);
* :func:`debts_assign` — the accounts an officer selected go to the agency:
  an assignment with its items, a ``CollectionBlock`` of reason ``agency``
  opened by :func:`~robinet.collections.blocks.block_open` (the utility's own
  dunning stops, COLL-3), the debt case at stage ``agency`` and an
  ``agency_assigned`` event on the timeline;
* :func:`assignment_recall` — the agency gives the debt back: the block is
  lifted, the debt case returns to reminders;
* :func:`assignments_close_paid` — assignments whose items are all paid are
  closed (and their block lifted);
* :func:`report_record` — one line the agency reports (contact, promise,
  collection, dispute, unreachable), idempotent on its external reference.

Every service takes ``actor=`` and checks ``Perm.AGENCY_MANAGE`` on the
account's centre, except reports, which the agency's own users may write for
their agency's live assignments (``Perm.AGENCY_WORK``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.collections.agency_selectors import (
    agency_of_user,
    assignable_items,
    held_account_ids,
)
from robinet.collections.blocks import block_close, block_open, blocks_of
from robinet.collections.choices import BlockReason, DebtStage, EventKind
from robinet.collections.events import debt_case_stage, event_record
from robinet.collections.models import (
    AgencyAssignment,
    AgencyMember,
    AgencyReport,
    AssignmentItem,
    AssignmentState,
    CollectionAgency,
    ReportKind,
)
from robinet.core import audit, clock
from robinet.core.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from robinet.core.money import format_money
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm, Role
from robinet.payments.models import CollectionOperator, OperatorKind

_CODE = re.compile(r"^[A-Z0-9_-]{2,16}$")
CENT = Decimal("0.01")


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _require(actor, perm: str, entity=None) -> None:
    if actor is not None:
        require(actor, perm, entity)


# --- agencies and their users ------------------------------------------------------------------


@transaction.atomic
def agency_create(
    *,
    actor,
    code: str,
    name: str,
    address: str = "",
    email: str = "",
    commission_rate: Decimal | str = "0",
) -> CollectionAgency:
    """An agency and its PAY-8 collection operator (same code, kind ``agency``)."""
    _require(actor, Perm.AGENCY_MANAGE)
    code = (code or "").strip().upper()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not _CODE.match(code):
        errors["code"] = [_("Code de 2 à 16 lettres, chiffres, tirets.")]
    elif CollectionAgency.objects.filter(code=code).exists():
        errors["code"] = [_("Ce code est déjà pris.")]
    if not name:
        errors["name"] = [_("Le nom est obligatoire.")]
    try:
        rate = Decimal(str(commission_rate).replace(",", "."))
    except ArithmeticError:
        rate = None
    if rate is None or not (0 <= rate <= 100):
        errors["commission_rate"] = [_("Un taux entre 0 et 100 %.")]
    if errors:
        raise ValidationFailed(errors)
    operator = CollectionOperator.objects.filter(code=code).first()
    if operator is None:
        operator = CollectionOperator.objects.create(
            code=code, name=name[:120], kind=OperatorKind.AGENCY
        )
    elif operator.kind != OperatorKind.AGENCY or hasattr(operator, "agency"):
        raise ValidationFailed({"code": [_("Ce code est celui d'un autre opérateur.")]})
    agency = CollectionAgency.objects.create(
        code=code,
        name=name[:120],
        address=(address or "")[:255],
        email=email or "",
        commission_rate=rate,
        operator=operator,
    )
    audit.record(actor=actor, verb="agency.created", target=agency, data={"code": code})
    return agency


@transaction.atomic
def member_link(*, actor, agency: CollectionAgency, user) -> AgencyMember:
    """Attach an external agency user to ``agency`` (ORG-4)."""
    _require(actor, Perm.AGENCY_MANAGE)
    if not user.role_assignments.filter(role=Role.EXTERNAL_AGENCY).exists():
        raise ValidationFailed(
            {"user": [_("Seul un utilisateur d'agence externe peut être rattaché.")]}
        )
    member, _created = AgencyMember.objects.update_or_create(user=user, defaults={"agency": agency})
    audit.record(actor=actor, verb="agency.member_linked", target=agency, data={"user": user.pk})
    return member


@transaction.atomic
def member_unlink(*, actor, member: AgencyMember) -> None:
    """Detach an agency user: it sees no assigned debt any more (ORG-4)."""
    _require(actor, Perm.AGENCY_MANAGE)
    agency, user_id = member.agency, member.user_id
    AgencyMember.objects.filter(pk=member.pk).delete()
    audit.record(actor=actor, verb="agency.member_unlinked", target=agency, data={"user": user_id})


# --- assignment (COLL-8, COLL-3) ---------------------------------------------------------------


@transaction.atomic
def debts_assign(
    *,
    actor,
    agency: CollectionAgency,
    accounts: Iterable[CustomerAccount],
    on: dt.date | None = None,
) -> list[AgencyAssignment]:
    """Assign each account's overdue, not time-barred items to ``agency``.

    All or nothing: an account held otherwise (block, plan, promise, already
    assigned) or with nothing to assign refuses the whole request, naming it.
    """
    on = on or clock.today()
    if not agency.active:
        raise ValidationFailed({"agency": [_("Cette agence n'est plus active.")]})
    accounts = list(
        CustomerAccount.objects.select_for_update(of=("self",))
        .filter(pk__in=[a.pk for a in accounts])
        .select_related("centre")
        .order_by("pk")
    )
    if not accounts:
        raise ValidationFailed({"accounts": [_("Sélectionnez au moins un compte.")]})
    for account in accounts:
        _require(actor, Perm.AGENCY_MANAGE, account.centre)
    held = held_account_ids([a.pk for a in accounts], on)
    candidates = assignable_items([a for a in accounts if a.pk not in held], on)
    errors = []
    for account in accounts:
        if account.pk in held:
            errors.append(
                _("%(n)s : relances déjà suspendues (blocage, échéancier, promesse ou agence).")
                % {"n": account.number}
            )
        elif account.pk not in candidates:
            errors.append(_("%(n)s : aucune dette échue à confier.") % {"n": account.number})
    if errors:
        raise ValidationFailed({"accounts": errors})
    now = clock.now()
    result = []
    for account in accounts:
        candidate = candidates[account.pk]
        assignment = AgencyAssignment.objects.create(
            agency=agency,
            account=account,
            assigned_on=on,
            amount=candidate.total,
            created_by=_user(actor),
            created_at=now,
        )
        AssignmentItem.objects.bulk_create(
            AssignmentItem(
                assignment=assignment, open_item=item, amount_at_assignment=item.open_amount
            )
            for item in candidate.items
        )
        debt_case_stage(
            account_id=account.pk,
            stage=DebtStage.AGENCY,
            on=on,
            next_step=_("Compte rendu de l'agence"),
        )
        block_open(
            actor=actor,
            account=account,
            reason=BlockReason.AGENCY,
            reference=assignment.reference,
            starts_on=on,
            comment=_("Confié à %(a)s") % {"a": agency.name},
            event_kind=EventKind.AGENCY_ASSIGNED,
            summary=_("Dette de %(m)s confiée à l'agence %(a)s (%(r)s) ; relances suspendues")
            % {"m": format_money(candidate.total), "a": agency.name, "r": assignment.reference},
            next_step=_("Compte rendu de l'agence"),
        )
        audit.record(
            actor=actor,
            verb="agency.assigned",
            target=account,
            data={"agency": agency.code, "assignment": assignment.pk, "amount": candidate.total},
        )
        result.append(assignment)
    return result


@transaction.atomic
def assignment_recall(
    *, actor, assignment: AgencyAssignment, reason: str, on: dt.date | None = None
) -> AgencyAssignment:
    """Take the debt back from the agency: the block is lifted, dunning resumes."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Indiquez le motif du rappel.")]})
    locked = (
        AgencyAssignment.objects.select_for_update()
        .select_related("account__centre", "agency")
        .get(pk=assignment.pk)
    )
    _require(actor, Perm.AGENCY_MANAGE, locked.account.centre)
    if locked.state != AssignmentState.ASSIGNED:
        raise InvalidTransition(_("Cette dette n'est plus confiée à l'agence."))
    on = on or clock.today()
    locked.state, locked.recalled_on, locked.reason = AssignmentState.RECALLED, on, reason[:255]
    locked.save(update_fields=["state", "recalled_on", "reason"])
    debt_case_stage(account_id=locked.account_id, stage=DebtStage.REMINDERS, on=on)
    _release(
        locked,
        actor,
        on,
        EventKind.AGENCY_RECALLED,
        _("Dette rappelée de l'agence %(a)s (%(r)s) : %(m)s ; relances reprises")
        % {"a": locked.agency.name, "r": locked.reference, "m": reason},
    )
    audit.record(
        actor=actor,
        verb="agency.recalled",
        target=locked.account,
        data={"assignment": locked.pk, "reason": reason},
    )
    return locked


def _release(assignment: AgencyAssignment, actor, on: dt.date, kind: str, summary: str) -> None:
    """Lift the assignment's block (through the one block path) with one event of ``kind``."""
    blocks = blocks_of(assignment.account_id, BlockReason.AGENCY, assignment.reference)
    for index, block in enumerate(blocks):
        block_close(
            actor=actor,
            block=block,
            on=max(on, block.starts_on),
            event_kind=kind if index == 0 else None,
            summary=summary,
        )
    if not blocks:
        event_record(account=assignment.account, kind=kind, summary=summary, actor=actor, on=on)


@transaction.atomic
def assignments_close_paid(
    *, actor, agency: CollectionAgency | None = None, on: dt.date | None = None
) -> list[AgencyAssignment]:
    """Close the live assignments whose items are all paid (the debt case is closed)."""
    on = on or clock.today()
    live = AgencyAssignment.objects.select_related("account__centre", "agency").filter(
        state=AssignmentState.ASSIGNED
    )
    if agency is not None:
        live = live.filter(agency=agency)
    if actor is not None:
        live = live.filter(scope_for(actor).entity_filter(Perm.AGENCY_MANAGE, "account__centre"))
    closed = []
    for assignment in live.exclude(
        items__open_item__cleared_on__isnull=True, items__open_item__open_amount__gt=0
    ):
        assignment.state, assignment.closed_on = AssignmentState.CLOSED, on
        assignment.save(update_fields=["state", "closed_on"])
        debt_case_stage(account_id=assignment.account_id, stage=DebtStage.CLOSED, on=on)
        _release(
            assignment,
            actor,
            on,
            EventKind.AGENCY_CLOSED,
            _("Dette confiée à l'agence %(a)s soldée (%(r)s)")
            % {"a": assignment.agency.name, "r": assignment.reference},
        )
        closed.append(assignment)
    return closed


# --- what the agency reports ------------------------------------------------------------------


def require_report(actor, assignment: AgencyAssignment) -> None:
    """Officers on the account's centre, or the users of the assignment's own agency."""
    if actor is None:
        return
    scope = scope_for(actor)
    if scope.covers(Perm.AGENCY_MANAGE, assignment.account.centre):
        return
    if scope.allows(Perm.AGENCY_WORK) and agency_of_user(actor) == assignment.agency:
        if assignment.state != AssignmentState.ASSIGNED:
            raise PermissionDenied(_("Cette dette n'est plus confiée à votre agence."))
        return
    raise PermissionDenied(_("Vous n'avez pas l'habilitation nécessaire pour cette action."))


def commission_of(agency: CollectionAgency, kind: str, amount: Decimal | None) -> Decimal:
    """The agency's commission on a collection, when its report leaves it blank."""
    if kind != ReportKind.PAYMENT or not amount:
        return Decimal("0.00")
    return (amount * agency.commission_rate / 100).quantize(CENT)


def report_summary(report: AgencyReport) -> str:
    label = ReportKind(report.kind).label
    parts = [_("Agence %(a)s — %(k)s") % {"a": report.agency.name, "k": label}]
    if report.amount:
        parts.append(format_money(report.amount))
    if report.promised_on:
        parts.append(_("pour le %(d)s") % {"d": report.promised_on.strftime("%d/%m/%Y")})
    if report.note:
        parts.append(report.note)
    return " ; ".join(parts)


def report_write(*, actor, assignment, row: dict, import_file=None) -> AgencyReport:
    """Write one report line checked by the caller, with its event on the timeline."""
    commission = row.get("commission")
    if commission is None:
        commission = commission_of(assignment.agency, row["kind"], row.get("amount"))
    report = AgencyReport.objects.create(
        agency=assignment.agency,
        assignment=assignment,
        external_reference=row["reference"],
        reported_on=row["reported_on"],
        kind=row["kind"],
        amount=row.get("amount"),
        promised_on=row.get("promised_on"),
        commission=commission,
        note=(row.get("note") or "")[:255],
        import_file=import_file,
        created_by=_user(actor),
        created_at=clock.now(),
    )
    event_record(
        account=assignment.account,
        kind=EventKind.AGENCY_REPORTED,
        summary=report_summary(report),
        actor=actor,
        on=report.reported_on,
        next_step=_("Échéance promise") if report.promised_on else "",
        next_step_on=report.promised_on,
    )
    return report


@transaction.atomic
def report_record(
    *,
    actor,
    assignment: AgencyAssignment,
    kind: str,
    reported_on: dt.date,
    reference: str = "",
    amount: Decimal | None = None,
    promised_on: dt.date | None = None,
    commission: Decimal | None = None,
    note: str = "",
) -> AgencyReport:
    """One outcome reported on screen; returns the existing line for a known reference."""
    assignment = AgencyAssignment.objects.select_related("account__centre", "agency").get(
        pk=assignment.pk
    )
    require_report(actor, assignment)
    errors: dict[str, list[str]] = {}
    if kind not in ReportKind.values:
        errors["kind"] = [_("Nature inconnue.")]
    if reported_on is None or reported_on > clock.today():
        errors["reported_on"] = [_("Une date qui n'est pas dans le futur.")]
    if kind in (ReportKind.PROMISE, ReportKind.PAYMENT) and not amount:
        errors["amount"] = [_("Le montant est obligatoire pour une promesse ou un encaissement.")]
    if amount is not None and amount <= 0:
        errors["amount"] = [_("Le montant doit être positif.")]
    if kind == ReportKind.PROMISE and promised_on is None:
        errors["promised_on"] = [_("Indiquez la date promise.")]
    if commission is not None and commission < 0:
        errors["commission"] = [_("La commission ne peut pas être négative.")]
    if errors:
        raise ValidationFailed(errors)
    reference = (reference or "").strip()[:60] or f"WEB-{clock.now():%Y%m%d%H%M%S%f}"
    existing = AgencyReport.objects.filter(
        agency=assignment.agency, external_reference=reference
    ).first()
    if existing is not None:
        return existing
    report = report_write(
        actor=actor,
        assignment=assignment,
        row={
            "reference": reference,
            "reported_on": reported_on,
            "kind": kind,
            "amount": amount,
            "promised_on": promised_on,
            "commission": commission,
            "note": note,
        },
    )
    audit.record(
        actor=actor, verb="agency.reported", target=assignment.account, data={"report": report.pk}
    )
    return report
