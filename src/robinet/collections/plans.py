"""Payment plans, promises to pay, debtor diagnosis and the FSL pause (COLL-5, COLL-6, COLL-4).

Services (keyword-only, ``actor=``; entry points are durable transactions):

* :func:`payment_plan_create` — an *échéancier* covering open debit items of
  an account (by default all of them): down payment, monthly instalments, grace
  period, by direct debit only with an active SEPA mandate; one active plan per
  account. Numbered ``ECH-<year>-<n>``.
* :func:`payment_plan_sign` / :func:`payment_plan_cancel`.
* :func:`promise_create` / :func:`promise_cancel` — a *promesse de paiement*.
* :func:`diagnosis_record` — the debtor's situation and what it allows
  (:mod:`robinet.collections.diagnosis`); with ``fsl_requested`` it opens an
  FSL block on the account: collection pauses while the application is
  pending (COLL-4). :func:`fsl_decision` lifts it.
* :func:`plans_monitor` — the daily check: instalments paid or missed, plans
  kept (the debt is cleared) or broken (a missed instalment after the grace
  period: dunning resumes at the level the items had), promises kept or broken.

Dunning reads plans and promises itself (an active plan or a pending promise
holds it, COLL-3): no ``CollectionBlock`` rows are written for them. Every
action is written on the account's collection timeline (COLL-13).

Permissions: ``collection.plans`` on the account's centre when ``actor`` is
given (``actor=None`` is the system: the monitor, the demo).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from robinet.collections import blocks, events
from robinet.collections import diagnosis as rules
from robinet.collections import instalments as arithmetic
from robinet.collections import plan_selectors as selectors
from robinet.collections.choices import (
    BlockReason,
    DebtStage,
    EventKind,
    InstalmentState,
    Orientation,
    PlanState,
    PromiseState,
)
from robinet.collections.fetch import recovered_here
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DebtCase,
    DebtorDiagnosis,
    Instalment,
    PaymentPlan,
    PaymentPromise,
    PlanItem,
)
from robinet.core import clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.core.money import format_money, is_rounded
from robinet.core.numbering import format_number, next_number
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

ZERO = Decimal("0")
MANAGE = Perm.PLAN_MANAGE
SERIES = "ECH"
MAX_PROMISE_GRACE_DAYS = 30
RESUME_STEP = "Reprise des relances"


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _check(actor, account) -> None:
    if actor is not None:
        require(actor, MANAGE, account.centre)


def _amount(value, field: str, *, positive: bool = False) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: [_("Montant invalide.")]}) from None
    if not amount.is_finite():
        raise ValidationFailed({field: [_("Montant invalide.")]})
    if amount < 0 or (positive and amount == 0):
        raise ValidationFailed(
            {field: [_("Le montant doit être positif.") if positive else _("Montant négatif.")]}
        )
    if not is_rounded(amount):
        raise ValidationFailed({field: [_("Le montant s'exprime au centime près.")]})
    if amount >= Decimal("10000000000"):
        raise ValidationFailed({field: [_("Montant trop élevé.")]})
    return amount


def _grace(value, field: str, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
        raise ValidationFailed(
            {field: [_("Le délai de grâce va de 0 à %(high)s jours.") % {"high": high}]}
        )
    return value


def _money(value: Decimal) -> str:
    return format_money(value)


def _stage_after_release(account_id: int, on: dt.date) -> None:
    """Back to reminders (dunning resumes at the level the items had)."""
    events.debt_case_stage(
        account_id=account_id, stage=DebtStage.REMINDERS, on=on, next_step=RESUME_STEP
    )


# --- payment plans ---------------------------------------------------------------------------


def _plan_items(account, items) -> list[OpenItem]:
    queryset = OpenItem.objects.select_for_update().filter(account=account).order_by("pk")
    if items is None:
        chosen = list(queryset.filter(recovered_here(), amount__gt=0, open_amount__gt=0))
    else:
        ids = sorted({getattr(i, "pk", i) for i in items})
        chosen = list(queryset.filter(pk__in=ids))
        if len(chosen) != len(ids):
            raise ValidationFailed({"items": [_("Un poste choisi n'est pas sur ce compte.")]})
        if any(i.amount <= 0 or i.open_amount <= 0 for i in chosen):
            raise ValidationFailed(
                {"items": [_("Un poste choisi n'est pas une dette restant due.")]}
            )
        if OpenItem.objects.filter(~recovered_here(), pk__in=ids).exists():
            raise ValidationFailed(
                {
                    "items": [
                        _(
                            "Un poste choisi est un titre transmis au comptable public : "
                            "c'est lui qui accorde les délais de paiement."
                        )
                    ]
                }
            )
    if not chosen:
        raise ValidationFailed({"items": [_("Aucun poste restant dû à échelonner.")]})
    return chosen


@transaction.atomic(durable=True)
def payment_plan_create(
    *,
    account,
    count: int,
    first_due: dt.date,
    items=None,
    down_payment: Decimal | str = ZERO,
    grace_days: int = 10,
    direct_debit: bool = False,
    agreed_on: dt.date | None = None,
    actor,
) -> PaymentPlan:
    """Agree a plan on ``account`` (validates input; raises ``ValidationFailed`` naming the field).

    ``items``: the open items (or their ids) the plan covers; default all the
    account's open debit items. ``count``: monthly instalments after the down
    payment (1 to 36).
    """
    _check(actor, account)
    agreed_on = agreed_on or clock.today()
    down = _amount(down_payment, "down_payment")
    grace = _grace(grace_days, "grace_days", arithmetic.MAX_GRACE_DAYS)
    if first_due is None:
        raise ValidationFailed({"first_due": [_("Indiquez la date de la première échéance.")]})
    if direct_debit:
        from robinet.payments.models import Mandate, MandateStatus

        if not Mandate.objects.filter(account=account, status=MandateStatus.ACTIVE).exists():
            raise ValidationFailed(
                {"direct_debit": [_("Le prélèvement demande un mandat SEPA actif sur le compte.")]}
            )
    if selectors.account_active_plan(account) is not None:
        raise ApplicationError(
            _("Ce compte a déjà un échéancier en cours."),
            code="plan_exists",
            fields={"account": [_("Ce compte a déjà un échéancier en cours.")]},
            http_status=409,
        )
    chosen = _plan_items(account, items)
    total = sum((i.open_amount for i in chosen), ZERO)
    try:
        dues = arithmetic.schedule(
            total=total, down_payment=down, count=count, first_due=first_due, agreed_on=agreed_on
        )
    except arithmetic.ScheduleError as exc:
        raise ValidationFailed({exc.field: [exc.message]}, exc.message) from None
    number = format_number(SERIES, agreed_on.year, next_number(SERIES, agreed_on.year))
    try:
        with transaction.atomic():
            plan = PaymentPlan.objects.create(
                number=number,
                account=account,
                state=PlanState.ACTIVE,
                agreed_on=agreed_on,
                total=total,
                down_payment=down,
                grace_days=grace,
                direct_debit=bool(direct_debit),
                created_by=_user(actor),
                created_at=clock.now(),
            )
    except IntegrityError:
        raise ApplicationError(
            _("Ce compte a déjà un échéancier en cours."), code="plan_exists", http_status=409
        ) from None
    PlanItem.objects.bulk_create(
        [PlanItem(plan=plan, open_item=i, amount_at_start=i.open_amount) for i in chosen]
    )
    Instalment.objects.bulk_create(
        [Instalment(plan=plan, sequence=d.sequence, due_on=d.due_on, amount=d.amount) for d in dues]
    )
    first = dues[0]
    events.event_record(
        account=account,
        kind=EventKind.PLAN_CREATED,
        summary=_("Échéancier %(n)s accordé : %(c)s échéance(s) pour %(t)s%(dd)s.")
        % {
            "n": number,
            "c": len(dues),
            "t": _money(total),
            "dd": (_(", par prélèvement") if direct_debit else ""),
        },
        on=agreed_on,
        actor=actor,
        next_step=_("Échéance n° %(s)s de %(a)s")
        % {"s": first.sequence, "a": _money(first.amount)},
        next_step_on=first.due_on,
        plan=plan,
    )
    events.debt_case_stage(
        account_id=account.pk,
        stage=DebtStage.PLAN,
        on=agreed_on,
        next_step=_("Échéancier %(n)s") % {"n": number},
        next_step_on=first.due_on,
    )
    return plan


def _locked_plan(plan: PaymentPlan) -> PaymentPlan:
    return (
        PaymentPlan.objects.select_for_update(of=("self",))
        .select_related("account__centre")
        .get(pk=plan.pk)
    )


@transaction.atomic(durable=True)
def payment_plan_sign(*, plan: PaymentPlan, signed_on: dt.date | None = None, actor) -> PaymentPlan:
    """Record that the debtor signed the agreement (the signed copy is kept on file)."""
    plan = _locked_plan(plan)
    _check(actor, plan.account)
    signed_on = signed_on or clock.today()
    if plan.state != PlanState.ACTIVE:
        raise InvalidTransition(_("Seul un échéancier en cours peut être signé."))
    if plan.signed_on is not None:
        raise InvalidTransition(_("Cet échéancier est déjà signé."))
    if signed_on < plan.agreed_on:
        raise ValidationFailed(
            {"signed_on": [_("La signature ne peut pas précéder la date de l'accord.")]}
        )
    plan.signed_on = signed_on
    plan.save(update_fields=["signed_on"])
    events.event_record(
        account=plan.account,
        kind=EventKind.PLAN_SIGNED,
        summary=_("Accord d'échéancier %(n)s signé par le client.") % {"n": plan.number},
        on=signed_on,
        actor=actor,
        plan=plan,
    )
    return plan


@transaction.atomic(durable=True)
def payment_plan_cancel(
    *, plan: PaymentPlan, reason: str, on: dt.date | None = None, actor
) -> PaymentPlan:
    """Cancel an active plan (reason required); dunning resumes at the level items had."""
    plan = _locked_plan(plan)
    _check(actor, plan.account)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Indiquez le motif de l'annulation.")]})
    if plan.state != PlanState.ACTIVE:
        raise InvalidTransition(_("Seul un échéancier en cours peut être annulé."))
    on = on or clock.today()
    plan.state, plan.closed_on, plan.note = (
        PlanState.CANCELLED,
        max(on, plan.agreed_on),
        reason[:255],
    )
    plan.save(update_fields=["state", "closed_on", "note"])
    events.event_record(
        account=plan.account,
        kind=EventKind.PLAN_CANCELLED,
        summary=_("Échéancier %(n)s annulé : %(r)s") % {"n": plan.number, "r": reason},
        on=plan.closed_on,
        actor=actor,
        next_step=RESUME_STEP,
        plan=plan,
    )
    _stage_after_release(plan.account_id, plan.closed_on)
    return plan


# --- promises to pay -------------------------------------------------------------------------


@transaction.atomic(durable=True)
def promise_create(
    *,
    account,
    due_on: dt.date,
    amount: Decimal | str,
    grace_days: int = 3,
    made_on: dt.date | None = None,
    actor,
) -> PaymentPromise:
    """Record the debtor's promise to pay ``amount`` by ``due_on`` (one pending per account)."""
    _check(actor, account)
    made_on = made_on or clock.today()
    value = _amount(amount, "amount", positive=True)
    grace = _grace(grace_days, "grace_days", MAX_PROMISE_GRACE_DAYS)
    if due_on is None or due_on < made_on:
        raise ValidationFailed(
            {"due_on": [_("La date promise ne peut pas précéder le jour de la promesse.")]}
        )
    if selectors.account_pending_promise(account) is not None:
        raise ApplicationError(
            _("Ce compte a déjà une promesse de paiement en attente."),
            code="promise_exists",
            fields={"account": [_("Ce compte a déjà une promesse de paiement en attente.")]},
            http_status=409,
        )
    try:
        with transaction.atomic():
            promise = PaymentPromise.objects.create(
                account=account,
                made_on=made_on,
                due_on=due_on,
                amount=value,
                grace_days=grace,
                state=PromiseState.PENDING,
                created_by=_user(actor),
                created_at=clock.now(),
            )
    except IntegrityError:
        raise ApplicationError(
            _("Ce compte a déjà une promesse de paiement en attente."),
            code="promise_exists",
            http_status=409,
        ) from None
    events.event_record(
        account=account,
        kind=EventKind.PROMISE_MADE,
        summary=_("Promesse de payer %(a)s au plus tard le %(d)s.")
        % {"a": _money(value), "d": due_on.strftime("%d/%m/%Y")},
        on=made_on,
        actor=actor,
        next_step=_("Vérifier le paiement promis"),
        next_step_on=due_on + dt.timedelta(days=grace),
        promise=promise,
    )
    if selectors.account_active_plan(account) is None:
        events.debt_case_stage(
            account_id=account.pk,
            stage=DebtStage.PROMISE,
            on=made_on,
            next_step=_("Paiement promis"),
            next_step_on=due_on,
        )
    return promise


@transaction.atomic(durable=True)
def promise_cancel(
    *, promise: PaymentPromise, reason: str = "", on: dt.date | None = None, actor
) -> PaymentPromise:
    promise = (
        PaymentPromise.objects.select_for_update(of=("self",))
        .select_related("account__centre")
        .get(pk=promise.pk)
    )
    _check(actor, promise.account)
    if promise.state != PromiseState.PENDING:
        raise InvalidTransition(_("Seule une promesse en attente peut être annulée."))
    on = max(on or clock.today(), promise.made_on)
    reason = (reason or "").strip()
    promise.state, promise.closed_on = PromiseState.CANCELLED, on
    if reason:
        promise.note = reason[:255]
    promise.save(update_fields=["state", "closed_on", "note"])
    events.event_record(
        account=promise.account,
        kind=EventKind.PROMISE_CANCELLED,
        summary=(_("Promesse de paiement annulée") + (f" : {reason}" if reason else ".")),
        on=on,
        actor=actor,
        next_step=RESUME_STEP,
        promise=promise,
    )
    if selectors.account_active_plan(promise.account) is None:
        _stage_after_release(promise.account_id, on)
    return promise


# --- diagnosis and the FSL pause -------------------------------------------------------------


@transaction.atomic(durable=True)
def diagnosis_record(
    *,
    account,
    household_size: int,
    monthly_income,
    monthly_charges,
    assets=ZERO,
    liabilities=ZERO,
    debt=None,
    fsl_requested: bool = False,
    made_on: dt.date | None = None,
    actor,
) -> DebtorDiagnosis:
    """Record the debtor's situation (figures only, CUST-8) and what it allows (COLL-6).

    ``debt`` defaults to what the account owes now. With ``fsl_requested``
    collection pauses: an FSL block is opened on the account (COLL-4).
    """
    _check(actor, account)
    made_on = made_on or clock.today()
    figures = {
        "monthly_income": _amount(monthly_income, "monthly_income"),
        "monthly_charges": _amount(monthly_charges, "monthly_charges"),
        "assets": _amount(assets, "assets"),
        "liabilities": _amount(liabilities, "liabilities"),
        "debt": (
            selectors.account_open_debt(account) if debt in (None, "") else _amount(debt, "debt")
        ),
    }
    try:
        result = rules.assess(rules.Situation(household_size=household_size, **figures))
    except rules.DiagnosisError as exc:
        raise ValidationFailed({exc.field: [exc.message]}, exc.message) from None
    record = DebtorDiagnosis.objects.create(
        account=account,
        made_on=made_on,
        household_size=household_size,
        monthly_capacity=result.monthly_capacity,
        suggested_instalments=result.suggested_instalments,
        orientation=result.orientation,
        fsl_requested=bool(fsl_requested),
        created_by=_user(actor),
        created_at=clock.now(),
        **figures,
    )
    events.event_record(
        account=account,
        kind=EventKind.DIAGNOSIS,
        summary=_(
            "Diagnostic : capacité de %(c)s par mois, %(n)s échéance(s) suggérée(s), "
            "orientation : %(o)s."
        )
        % {
            "c": _money(result.monthly_capacity),
            "n": result.suggested_instalments,
            "o": Orientation(result.orientation).label,
        },
        on=made_on,
        actor=actor,
    )
    if fsl_requested:
        _fsl_block(account=account, on=made_on, actor=actor)
    return record


def _fsl_block(*, account, on: dt.date, actor) -> CollectionBlock | None:
    live = CollectionBlock.objects.filter(
        account=account, reason=BlockReason.FSL_PENDING, lifted_on__isnull=True
    ).first()
    if live is not None:
        return live
    return blocks.block_open(
        actor=actor,
        account=account,
        reason=BlockReason.FSL_PENDING,
        starts_on=on,
        summary=_("Demande d'aide FSL déposée : le recouvrement est suspendu."),
        next_step=_("Décision du FSL"),
    )


@transaction.atomic(durable=True)
def fsl_decision(*, account, on: dt.date | None = None, actor) -> int:
    """The FSL decided: lift the pause (returns the number of blocks lifted)."""
    _check(actor, account)
    on = on or clock.today()
    live = list(
        CollectionBlock.objects.select_for_update()
        .filter(account=account, reason=BlockReason.FSL_PENDING, lifted_on__isnull=True)
        .order_by("pk")
    )
    if not live:
        raise InvalidTransition(_("Aucune demande FSL en attente sur ce compte."))
    if any(on < block.starts_on for block in live):
        raise ValidationFailed(
            {"on": [_("La décision ne peut pas précéder le dépôt de la demande.")]}
        )
    for index, block in enumerate(live):
        blocks.block_close(
            actor=actor,
            block=block,
            on=on,
            event_kind=EventKind.UNBLOCK if index == 0 else None,
            summary=_("Décision du FSL reçue : le recouvrement reprend."),
            next_step=RESUME_STEP,
        )
    return len(live)


def _debt_cases_bulk(stages: dict[int, tuple[str, str]], on: dt.date) -> None:
    """``events.debt_case_stage`` for many accounts in three queries (the monitor)."""
    if not stages:
        return
    cases = {c.account_id: c for c in DebtCase.objects.filter(account_id__in=list(stages))}
    for case in cases.values():
        case.stage, case.next_step = stages[case.account_id]
        case.updated_on, case.next_step_on = on, None
    DebtCase.objects.bulk_update(
        list(cases.values()), ["stage", "next_step", "updated_on", "next_step_on"], batch_size=1000
    )
    DebtCase.objects.bulk_create(
        [
            DebtCase(account_id=a, stage=st, next_step=step, opened_on=on, updated_on=on)
            for a, (st, step) in stages.items()
            if a not in cases
        ]
    )


# --- monitoring ------------------------------------------------------------------------------


@dataclass
class MonitorCounts:
    plans_checked: int = 0
    plans_kept: int = 0
    plans_broken: int = 0
    plans_reopened: int = 0
    instalments_paid: int = 0
    instalments_missed: int = 0
    promises_kept: int = 0
    promises_broken: int = 0


def _event(account_id, kind, summary, on, now, actor, next_step="", **links) -> CollectionEvent:
    return CollectionEvent(
        account_id=account_id,
        kind=kind,
        occurred_on=on,
        at=now,
        actor=_user(actor),
        summary=summary[:255],
        next_step=next_step[:160],
        **links,
    )


@transaction.atomic(durable=True)
def plans_monitor(*, on: dt.date, actor=None) -> MonitorCounts:
    """Check every active plan and pending promise as of ``on`` (COLL-5). Idempotent.

    A fixed number of queries for the whole book, plus one debt-case write
    per account whose plan or promise ended.
    """
    if actor is not None:
        require(actor, MANAGE)
    counts = MonitorCounts()
    now = clock.now()
    new_events: list[CollectionEvent] = []
    released: set[int] = set()  # accounts back to reminders
    settled: set[int] = set()  # accounts whose plan was kept

    plans = list(
        PaymentPlan.objects.select_for_update()
        .filter(
            # COLL-5: a kept plan whose payment came back (a rejected debit, a bounced cheque)
            # has an item open again: it is checked again, and runs again if it falls short.
            Q(state=PlanState.ACTIVE)
            | Q(
                state=PlanState.KEPT,
                pk__in=PlanItem.objects.filter(
                    open_item__cleared_on__isnull=True, open_item__open_amount__gt=0
                ).values("plan_id"),
            ),
            agreed_on__lte=on,
        )
        .order_by("pk")
    )
    counts.plans_checked = len(plans)
    reopening: set[int] = set()
    paid = selectors.plans_paid(p.pk for p in plans)
    by_plan: dict[int, list[Instalment]] = defaultdict(list)
    for instalment in Instalment.objects.filter(plan_id__in=[p.pk for p in plans]).order_by(
        "plan_id", "sequence"
    ):
        by_plan[instalment.plan_id].append(instalment)
    changed_instalments: list[Instalment] = []
    changed_plans: list[PaymentPlan] = []
    for plan in plans:
        rows = by_plan[plan.pk]
        status = arithmetic.plan_status(
            rows, paid=paid.get(plan.pk, ZERO), on=on, grace_days=plan.grace_days
        )
        if plan.state == PlanState.KEPT:
            if status.kept:
                continue  # what came back was more than the plan covered
            plan.state, plan.closed_on = PlanState.ACTIVE, None
            changed_plans.append(plan)
            counts.plans_reopened += 1
            reopening.add(plan.account_id)
            new_events.append(
                _event(
                    plan.account_id,
                    EventKind.PLAN_REOPENED,
                    _(
                        "Échéancier %(n)s rouvert : un paiement reçu a été rejeté, %(r)s restent dus."
                    )
                    % {"n": plan.number, "r": _money(max(ZERO, status.due_total - status.paid))},
                    on,
                    now,
                    actor,
                    plan=plan,
                )
            )
        for instalment in rows:
            state = status.states[instalment.sequence]
            if state != instalment.state:
                if state == InstalmentState.PAID:
                    counts.instalments_paid += 1
                elif state == InstalmentState.MISSED:
                    counts.instalments_missed += 1
                instalment.state = state
                changed_instalments.append(instalment)
        if status.kept:
            plan.state, plan.closed_on = PlanState.KEPT, on
            changed_plans.append(plan)
            counts.plans_kept += 1
            settled.add(plan.account_id)
            new_events.append(
                _event(
                    plan.account_id,
                    EventKind.PLAN_KEPT,
                    _("Échéancier %(n)s respecté : %(t)s réglés.")
                    % {"n": plan.number, "t": _money(plan.total)},
                    on,
                    now,
                    actor,
                    plan=plan,
                )
            )
        elif status.broken:
            missed = [s for s, v in sorted(status.states.items()) if v == arithmetic.MISSED]
            plan.state, plan.closed_on = PlanState.BROKEN, on
            if plan not in changed_plans:
                changed_plans.append(plan)
            counts.plans_broken += 1
            released.add(plan.account_id)
            new_events.append(
                _event(
                    plan.account_id,
                    EventKind.PLAN_BROKEN,
                    _("Échéancier %(n)s rompu : échéance n° %(s)s impayée après %(g)s jours.")
                    % {"n": plan.number, "s": missed[0], "g": plan.grace_days},
                    on,
                    now,
                    actor,
                    next_step=RESUME_STEP,
                    plan=plan,
                )
            )
    Instalment.objects.bulk_update(changed_instalments, ["state"], batch_size=1000)
    PaymentPlan.objects.bulk_update(changed_plans, ["state", "closed_on"], batch_size=1000)
    # Back under the plan (unless it broke at once: then reminders resume, below).
    _debt_cases_bulk({a: (DebtStage.PLAN, "") for a in sorted(reopening - released)}, on)

    promises = list(
        PaymentPromise.objects.select_for_update()
        .filter(state=PromiseState.PENDING, made_on__lte=on)
        .order_by("pk")
    )
    payments: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    if promises:
        rows = (
            OpenItem.objects.filter(
                kind=OpenItemKind.PAYMENT,
                account_id__in=[p.account_id for p in promises],
                posted_on__gte=min(p.made_on for p in promises),
                posted_on__lte=on,
            )
            .values("account_id", "posted_on")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for row in rows:
            payments[row["account_id"]].append((row["posted_on"], -row["total"]))
    changed_promises: list[PaymentPromise] = []
    for promise in promises:
        received = sum(
            (a for day, a in payments[promise.account_id] if day >= promise.made_on), ZERO
        )
        if received >= promise.amount:
            promise.state, promise.closed_on = PromiseState.KEPT, on
            counts.promises_kept += 1
            settled.add(promise.account_id)
            new_events.append(
                _event(
                    promise.account_id,
                    EventKind.PROMISE_KEPT,
                    _("Promesse tenue : %(a)s reçus.") % {"a": _money(received)},
                    on,
                    now,
                    actor,
                    promise=promise,
                )
            )
        elif on > promise.due_on + dt.timedelta(days=promise.grace_days):
            promise.state, promise.closed_on = PromiseState.BROKEN, on
            counts.promises_broken += 1
            released.add(promise.account_id)
            new_events.append(
                _event(
                    promise.account_id,
                    EventKind.PROMISE_BROKEN,
                    _("Promesse non tenue : %(r)s reçus sur %(a)s promis.")
                    % {"r": _money(received), "a": _money(promise.amount)},
                    on,
                    now,
                    actor,
                    next_step=RESUME_STEP,
                    promise=promise,
                )
            )
        else:
            continue
        changed_promises.append(promise)
    PaymentPromise.objects.bulk_update(changed_promises, ["state", "closed_on"], batch_size=1000)
    events.events_bulk(new_events)

    if settled or released:
        touched = settled | released
        still_owing = selectors.accounts_with_open_debt(touched)
        still_planned = set(
            PaymentPlan.objects.filter(account_id__in=touched, state=PlanState.ACTIVE).values_list(
                "account_id", flat=True
            )
        )
        stages: dict[int, tuple[str, str]] = {}
        for account_id in sorted(touched - still_planned):
            if account_id in settled and account_id not in still_owing:
                stages[account_id] = (DebtStage.CLOSED, "")
            else:
                stages[account_id] = (DebtStage.REMINDERS, RESUME_STEP)
        _debt_cases_bulk(stages, on)
    return counts
