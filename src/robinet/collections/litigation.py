"""Litigation (*contentieux*, COLL-9) and the time bar (COLL-10).

:func:`eligibility` is a pure function over plain facts: it lists every check
with its result and, when it fails, the reason in French. The services open a
file (refusing an ineligible one, naming the reasons), move it through the
stages declared in :data:`TRANSITIONS`, add costs and close it.

While a file is live, dunning of the account is held with a
``CollectionBlock`` of reason ``litigation`` whose ``reference`` is the file
number, opened and lifted through :mod:`robinet.collections.blocks`; closing
the file lifts it (the « lever » button refuses it). Timeline events have
their own kinds: ``litigation_opened``, ``litigation_stage``,
``litigation_cost`` and ``litigation_closed``.

Costs are posted and the outcome is booked by :mod:`robinet.collections.litigation_booking`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.collections.blocks import block_close, block_open, blocks_of
from robinet.collections.choices import Action, BlockReason, DebtStage, EventKind
from robinet.collections.events import debt_case_stage, event_record
from robinet.collections.fetch import recovered_here
from robinet.collections.models import (
    CostKind,
    DunningNotice,
    InsolvencyFile,
    InsolvencyState,
    LitigationCost,
    LitigationFile,
    LitigationItem,
    LitigationStage,
)
from robinet.collections.models_litigation import CLOSED_STAGES
from robinet.collections.policy import DebtorFacts, ItemFacts
from robinet.collections.rules.france import FrancePack
from robinet.core import audit, clock
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from robinet.core.money import format_money
from robinet.core.numbering import format_number, next_number
from robinet.ledger.models import OpenItem
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")
SERIES = "CTX"

#: a claim below this amount is not worth a court procedure
MIN_CLAIM = Decimal("100.00")
#: estimated legal cost of an order for payment: the request to the court is free,
#: the service of the order and a first enforcement act by a *commissaire de justice*
#: are the bulk (a flat, documented estimate, not a tariff)
ESTIMATED_LEGAL_COST = Decimal("150.00")
#: share of the claim expected to be recovered once the order is enforceable
EXPECTED_RECOVERY_RATE = Decimal("0.60")

#: allowed moves: stage -> stages it may go to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    LitigationStage.DRAFT: (LitigationStage.FILED, LitigationStage.ABANDONED),
    LitigationStage.FILED: (LitigationStage.ORDER_ISSUED, LitigationStage.ABANDONED),
    LitigationStage.ORDER_ISSUED: (LitigationStage.SERVED, LitigationStage.ABANDONED),
    LitigationStage.SERVED: (
        LitigationStage.ENFORCEABLE,
        LitigationStage.PAID,
        LitigationStage.ABANDONED,
    ),
    LitigationStage.ENFORCEABLE: (
        LitigationStage.ENFORCEMENT,
        LitigationStage.PAID,
        LitigationStage.ABANDONED,
    ),
    LitigationStage.ENFORCEMENT: (LitigationStage.PAID, LitigationStage.ABANDONED),
    LitigationStage.PAID: (),
    LitigationStage.ABANDONED: (),
}

#: the date field set when a stage is reached
STAGE_DATE = {
    LitigationStage.FILED: "filed_on",
    LitigationStage.ORDER_ISSUED: "order_issued_on",
    LitigationStage.SERVED: "served_on",
    LitigationStage.ENFORCEABLE: "enforceable_on",
    LitigationStage.ENFORCEMENT: "enforcement_on",
    LitigationStage.PAID: "closed_on",
    LitigationStage.ABANDONED: "closed_on",
}


# --- eligibility (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimItem:
    id: int
    document_number: str
    due_date: dt.date
    open_amount: Decimal


@dataclass(frozen=True)
class DebtorIdentity:
    is_person: bool
    name: str
    birth_date: dt.date | None = None
    birth_place: str = ""
    siret: str = ""


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class Eligibility:
    checks: tuple[Check, ...]
    total: Decimal
    expected_recovery: Decimal
    time_barred: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [c.reason for c in self.checks if not c.ok]


def eligibility(
    *,
    items: Iterable[ClaimItem],
    debtor: DebtorIdentity,
    customer_class: str,
    formal_notice_on: dt.date | None,
    insolvent: bool = False,
    on: dt.date,
    pack: FrancePack | None = None,
) -> Eligibility:
    """Every check of COLL-9 and COLL-10, in the order the screen lists them."""
    pack = pack or FrancePack()
    items = list(items)
    total = sum((i.open_amount for i in items), ZERO)
    facts = DebtorFacts(account_id=0, customer_class=customer_class)
    barred = tuple(
        i.document_number
        for i in items
        if pack.time_barred(
            facts,
            ItemFacts(
                id=i.id,
                document_number=i.document_number,
                posted_on=i.due_date,
                due_date=i.due_date,
                open_amount=i.open_amount,
            ),
            on,
        )
    )
    expected = (total * EXPECTED_RECOVERY_RATE).quantize(Decimal("0.01"))
    checks = [
        Check(
            "items",
            _("Des postes échus et impayés sont réclamés"),
            bool(items),
            _("Aucun poste échu et impayé à réclamer."),
        ),
        Check(
            "threshold",
            _("Montant supérieur au seuil de %(s)s") % {"s": format_money(MIN_CLAIM)},
            total > MIN_CLAIM,
            _("Le montant réclamé (%(t)s) ne dépasse pas le seuil de %(s)s.")
            % {"t": format_money(total), "s": format_money(MIN_CLAIM)},
        ),
        Check(
            "recovery",
            _("Recouvrement attendu supérieur au coût de la procédure (%(c)s)")
            % {"c": format_money(ESTIMATED_LEGAL_COST)},
            expected > ESTIMATED_LEGAL_COST,
            _("Le recouvrement attendu (%(e)s) ne couvre pas le coût estimé de %(c)s.")
            % {"e": format_money(expected), "c": format_money(ESTIMATED_LEGAL_COST)},
        ),
        Check(
            "time_bar",
            _("Aucune créance prescrite (COLL-10)"),
            not barred,
            _("Créance prescrite, jamais portée au contentieux : %(d)s.")
            % {"d": ", ".join(barred)},
        ),
    ]
    if debtor.is_person:
        missing = []
        if not debtor.birth_date:
            missing.append(_("date de naissance"))
        if not debtor.birth_place.strip():
            missing.append(_("lieu de naissance"))
        checks.append(
            Check(
                "identity",
                _("Débiteur identifié (date et lieu de naissance)"),
                not missing,
                _("Débiteur insuffisamment identifié : %(m)s manquant(s).")
                % {"m": ", ".join(missing)},
            )
        )
    else:
        siret = debtor.siret.strip()
        checks.append(
            Check(
                "identity",
                _("Débiteur identifié (SIREN/SIRET)"),
                len(siret) in (9, 14) and siret.isdigit(),
                _("Entreprise sans SIREN/SIRET valide."),
            )
        )
    checks.append(
        Check(
            "formal_notice",
            _("Mise en demeure adressée"),
            formal_notice_on is not None,
            _("Aucune mise en demeure n'a été adressée au débiteur."),
        )
    )
    checks.append(
        Check(
            "insolvency",
            _("Pas de surendettement ni de procédure collective en cours (COLL-12)"),
            not insolvent,
            _("Un dossier de surendettement ou de procédure collective suspend les poursuites."),
        )
    )
    return Eligibility(
        checks=tuple(checks), total=total, expected_recovery=expected, time_barred=barred
    )


# --- facts from the database -------------------------------------------------------------------


def overdue_items(account, on: dt.date | None = None) -> list[OpenItem]:
    """The account's debit items past due and still open."""
    on = on or clock.today()
    return list(
        OpenItem.objects.filter(
            recovered_here(), account=account, open_amount__gt=0, due_date__lt=on
        ).order_by("due_date", "id")
    )


def formal_notice_of(account) -> DunningNotice | None:
    # JSON containment is not portable (SQLite): filter the account's few notices in Python.
    for notice in DunningNotice.objects.filter(account=account).order_by("-issued_on", "-id"):
        if Action.FORMAL_NOTICE in (notice.actions or []):
            return notice
    return None


def identity_of(account) -> DebtorIdentity:
    party = account.party
    return DebtorIdentity(
        is_person=party.kind == "person",
        name=str(party),
        birth_date=party.birth_date,
        birth_place=party.birth_place or "",
        siret=party.siret or "",
    )


def account_insolvent(account) -> bool:
    return (
        InsolvencyFile.objects.filter(account=account)
        .exclude(state=InsolvencyState.CLOSED)
        .exists()
    )


def account_eligibility(account, items=None, on: dt.date | None = None) -> Eligibility:
    on = on or clock.today()
    chosen = overdue_items(account, on) if items is None else list(items)
    notice = formal_notice_of(account)
    return eligibility(
        items=[ClaimItem(i.pk, i.document_number, i.due_date, i.open_amount) for i in chosen],
        debtor=identity_of(account),
        customer_class=account.customer_class,
        formal_notice_on=notice.issued_on if notice else None,
        insolvent=account_insolvent(account),
        on=on,
    )


# --- services ----------------------------------------------------------------------------------


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _require(actor, entity=None) -> None:
    if actor is not None:
        require(actor, Perm.LITIGATION_MANAGE, entity)


def _pick_items(account, items, on) -> list[OpenItem]:
    overdue = overdue_items(account, on)
    if items is None:
        return overdue
    wanted = {getattr(i, "pk", i) for i in items}
    chosen = [i for i in overdue if i.pk in wanted]
    if len(chosen) != len(wanted):
        raise ValidationFailed(
            {"items": [_("Un poste choisi n'est pas une dette échue de ce compte.")]}
        )
    return chosen


@transaction.atomic
def litigation_open(
    account, items=None, actor=None, *, on: dt.date | None = None, court: str = ""
) -> LitigationFile:
    """Open a file for ``items`` (all overdue items by default); refuse it when ineligible."""
    on = on or clock.today()
    _require(actor, account.centre)
    if LitigationFile.objects.filter(account=account).exclude(stage__in=CLOSED_STAGES).exists():
        raise ValidationFailed(
            {"account": [_("Ce compte a déjà un dossier contentieux en cours.")]}
        )
    chosen = _pick_items(account, items, on)
    result = account_eligibility(account, chosen, on)
    if not result.eligible:
        raise ValidationFailed({"eligibility": result.reasons}, _("Dossier non recevable."))
    number = format_number(SERIES, on.year, next_number(SERIES, on.year))
    file = LitigationFile.objects.create(
        number=number,
        account=account,
        stage=LitigationStage.DRAFT,
        opened_on=on,
        court=court[:120],
        principal=result.total,
        created_by=_user(actor),
        created_at=clock.now(),
    )
    LitigationItem.objects.bulk_create(
        LitigationItem(file=file, open_item=i, amount=i.open_amount) for i in chosen
    )
    debt_case_stage(
        account_id=account.pk,
        stage=DebtStage.LITIGATION,
        on=on,
        next_step=_("Déposer la requête en injonction de payer"),
    )
    block_open(
        actor=actor,
        account=account,
        reason=BlockReason.LITIGATION,
        reference=number,
        starts_on=on,
        comment=_("Contentieux %(n)s") % {"n": number},
        event_kind=EventKind.LITIGATION_OPENED,
        summary=_("Dossier contentieux %(n)s ouvert pour %(m)s ; relances suspendues")
        % {"n": number, "m": format_money(result.total)},
        next_step=_("Déposer la requête en injonction de payer"),
    )
    audit.record(
        actor=actor,
        verb="litigation.opened",
        target=account,
        data={"file": number, "principal": result.total},
    )
    return file


def allowed_stages(file: LitigationFile) -> tuple[str, ...]:
    return TRANSITIONS[file.stage]


def _lift_block(file: LitigationFile, actor, on: dt.date, summary: str) -> None:
    """Lift the file's hold with one ``litigation_closed`` event."""
    blocks = blocks_of(file.account_id, BlockReason.LITIGATION, file.number)
    for index, block in enumerate(blocks):
        block_close(
            actor=actor,
            block=block,
            on=max(on, block.starts_on),
            event_kind=EventKind.LITIGATION_CLOSED if index == 0 else None,
            summary=summary,
        )
    if not blocks:
        event_record(
            account=file.account, kind=EventKind.LITIGATION_CLOSED, summary=summary, actor=actor,
            on=on,
        )  # fmt: skip


@transaction.atomic
def litigation_stage(
    file: LitigationFile, stage: str, actor=None, *, on: dt.date | None = None, note: str = ""
) -> LitigationFile:
    """Move ``file`` to ``stage`` on ``on``; only the moves of :data:`TRANSITIONS`."""
    on = on or clock.today()
    file = LitigationFile.objects.select_for_update().select_related("account").get(pk=file.pk)
    _require(actor, file.account.centre)
    if stage not in TRANSITIONS.get(file.stage, ()):
        raise InvalidTransition(
            _("Passage impossible de « %(a)s » à « %(b)s ».")
            % {
                "a": LitigationStage(file.stage).label,
                "b": LitigationStage(stage).label if stage in LitigationStage.values else stage,
            }
        )
    if on < file.opened_on:
        raise ValidationFailed({"on": [_("La date précède l'ouverture du dossier.")]})
    file.stage = stage
    setattr(file, STAGE_DATE[stage], on)
    fields = ["stage", STAGE_DATE[stage]]
    if stage in CLOSED_STAGES:
        file.outcome = (note or LitigationStage(stage).label)[:255]
        fields.append("outcome")
    file.save(update_fields=fields)
    label = str(LitigationStage(stage).label)
    summary = _("Contentieux %(n)s : %(s)s") % {"n": file.number, "s": label} + (
        f" — {note}" if note else ""
    )
    if stage in CLOSED_STAGES:
        _lift_block(file, actor, on, summary)
        debt_case_stage(
            account_id=file.account_id,
            stage=DebtStage.CLOSED if stage == LitigationStage.PAID else DebtStage.REMINDERS,
            on=on,
        )
    else:
        debt_case_stage(
            account_id=file.account_id, stage=DebtStage.LITIGATION, on=on, next_step=label
        )
        event_record(
            account=file.account,
            kind=EventKind.LITIGATION_STAGE,
            summary=summary,
            actor=actor,
            on=on,
        )
    audit.record(
        actor=actor,
        verb="litigation.stage",
        target=file.account,
        data={"file": file.number, "stage": stage},
    )
    return file


def litigation_close(
    file: LitigationFile, outcome: str, actor=None, *, paid: bool = False, on=None
) -> LitigationFile:
    """Close the file (paid or abandoned) with its outcome; the dunning hold is lifted."""
    stage = LitigationStage.PAID if paid else LitigationStage.ABANDONED
    return litigation_stage(file, stage, actor, on=on, note=outcome)


@transaction.atomic
def litigation_cost_add(
    file: LitigationFile,
    kind: str,
    amount: Decimal,
    actor=None,
    *,
    on: dt.date | None = None,
    label: str = "",
) -> LitigationCost:
    on = on or clock.today()
    _require(actor, file.account.centre)
    amount = Decimal(amount)
    if kind not in CostKind.values:
        raise ValidationFailed({"kind": [_("Nature de frais inconnue.")]})
    if amount <= 0:
        raise ValidationFailed({"amount": [_("Le montant doit être positif.")]})
    if file.is_closed:
        raise InvalidTransition(_("Le dossier est clos."))
    cost = LitigationCost.objects.create(
        file=file,
        kind=kind,
        amount=amount,
        incurred_on=on,
        label=label[:120],
        created_by=_user(actor),
    )
    from robinet.collections.litigation_booking import cost_post

    cost_post(cost)  # the expense entry, in this transaction (COLL-9)
    event_record(
        account=file.account,
        kind=EventKind.LITIGATION_COST,
        summary=_("Contentieux %(n)s : frais %(k)s de %(m)s")
        % {"n": file.number, "k": CostKind(kind).label, "m": format_money(amount)},
        actor=actor,
        on=on,
    )
    return cost


def costs_total(file: LitigationFile) -> Decimal:
    return sum((c.amount for c in file.costs.all()), ZERO)
