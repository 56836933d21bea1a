"""Monthly payment — *mensualisation* (BILL-10), with its CASE-7 side effects.

A customer paying by direct debit spreads a contract's yearly water bill over
10 or 12 monthly instalments:

* :func:`plan_enrol` (account with an IBAN; sets ``monthly_payment``): the
  annual estimate is the contract's consumption of the last 12 months (else
  similar premises, else a volume the officer gives) priced with the tariffs
  in force over the 12 months the plan covers — across a tariff change, each
  tariff for its days (BILL-2) — through
  :func:`robinet.billing.selectors.contract_simulation`; the pure rules of
  :mod:`robinet.billing.budget_plan` spread it over the instalments;
* :func:`schedule_pdf`: the schedule sent to the customer, which is also the
  SEPA pre-notification (dates, amounts, creditor identifier — PAY-3);
* :func:`plan_suspend` / :func:`plan_resume` / :func:`plan_adjust_next_two`,
  and :func:`claim_side_effect`, the hook the cases module calls when a claim
  is not solved the same day (CASE-7);
* :func:`plan_change_amount`: the customer's new monthly amount, within
  ±30 % of the base amount and never below 5 € (``budget_plan``);
* the SEPA debit runs (:mod:`robinet.payments.sepa`, PAY-3) collect the
  scheduled instalments due of active plans whose account has an active
  mandate: :func:`instalments_to_debit` is what they take,
  :func:`instalments_debited` marks them collected (the payment is booked on
  the account as a credit the consumption invoice later clears), and
  :func:`instalment_debit_rejected` puts one back to *rejected* when the bank
  rejects or returns it (PAY-4);
* :func:`instalment_collect`: an officer marks collected an instalment paid
  otherwise (a scheduled or rejected one paid at the counter, booked there);
* :func:`plan_settle`: the yearly settlement — the year's consumption
  invoices minus the instalments collected — and the next year's plan.

"Collected" means the same everywhere: an instalment whose money is on the
account (debited by a run and not rejected, or marked by an officer once
paid otherwise). The settlement adds up exactly those; a rejected instalment
is not counted, so the settlement asks for it again.

The plan points at its SEPA mandate (``mandate``): the account's active one
at enrolment, the one last used by a run afterwards. Settlement issues no
invoice: the consumption invoice is the invoice; a balance due stays open on
it (the next debit run collects it, the plan being settled), and a refund is
recorded on the plan until payments brings refunds (PAY-6).

Permissions: reading needs ``billing.view``; enrolment and changes
``contract.change`` on the account's centre; collecting and settling
``billing.run``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.billing import budget_plan as rules
from robinet.billing.choices import (
    BILL_KINDS,
    LIVE_BUDGET_STATUSES,
    BudgetPlanStatus,
    InstalmentStatus,
    InvoiceKind,
)
from robinet.billing.fees import _require
from robinet.billing.models import BudgetInstalment, BudgetPlan, Invoice
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, NotFound, ValidationFailed
from robinet.customers.choices import ContractStatus
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm
from robinet.tariffs.selectors import TariffCache

MANAGE = Perm.CONTRACT_CHANGE
SETTLE = Perm.BILLING_RUN
YEAR = dt.timedelta(days=365)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _rule(exc: rules.PlanRuleError) -> ValidationFailed:
    return ValidationFailed({exc.field: [exc.message]}, exc.message)


def _decimal(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: [_("Montant invalide.")]}) from None
    if not amount.is_finite():
        raise ValidationFailed({field: [_("Montant invalide.")]})
    return amount


# --- selectors -------------------------------------------------------------------------------


def plan_list(*, user, perm: str = Perm.BILLING_VIEW) -> QuerySet[BudgetPlan]:
    """Plans of the accounts in the user's centres."""
    plans = BudgetPlan.objects.select_related("account__party", "contract")
    if user is None:
        return plans
    require(user, perm)
    scope = scope_for(user)
    if scope.is_superuser:
        return plans
    return plans.filter(account__centre_id__in=scope.centre_ids(perm))


def plan_search(
    *, user, status: str = "", account: str = "", year: int | None = None
) -> QuerySet[BudgetPlan]:
    plans = plan_list(user=user)
    if status:
        plans = plans.filter(status=status)
    if account:
        value = account.strip()
        plans = plans.filter(Q(account__number=value) | Q(contract__number=value))
    if year:
        plans = plans.filter(year=year)
    return plans.order_by("-year", "-id")


def plan_get_for_user(*, user, pk: int, perm: str = Perm.BILLING_VIEW) -> BudgetPlan:
    plan = (
        plan_list(user=user, perm=perm)
        .select_related("account__centre", "contract__service_point")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise NotFound(_("Mensualisation introuvable."))
    return plan


def schedule_of(plan: BudgetPlan) -> list[BudgetInstalment]:
    """The instalments in order, each with its direct debit (run, payment, reversal) if any."""
    return list(
        plan.instalments.select_related(
            "direct_debit__run", "direct_debit__payment__reversal"
        ).order_by("position")
    )


def live_plan_of(contract, *, on: dt.date | None = None) -> BudgetPlan | None:
    """The contract's live (active or suspended) plan, the latest first."""
    plans = BudgetPlan.objects.filter(contract=contract, status__in=LIVE_BUDGET_STATUSES)
    if on is not None:
        plans = plans.filter(period_start__lte=on)
    return plans.order_by("-year", "-id").first()


@dataclass(frozen=True)
class Figures:
    scheduled_total: Decimal
    collected: Decimal
    to_collect: Decimal
    suspended: Decimal
    rejected: Decimal = Decimal(0)


def figures_of(plan: BudgetPlan) -> Figures:
    sums = dict(
        plan.instalments.values("status")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("status", "total")
    )
    zero = Decimal(0)
    collected = sums.get(InstalmentStatus.COLLECTED, zero)
    to_collect = sums.get(InstalmentStatus.SCHEDULED, zero)
    suspended = sums.get(InstalmentStatus.SUSPENDED, zero)
    rejected = sums.get(InstalmentStatus.REJECTED, zero)
    return Figures(
        collected + to_collect + suspended + rejected, collected, to_collect, suspended, rejected
    )


def social_for(account_id: int, period_end: dt.date) -> bool:
    """Is the account a social-tariff beneficiary for the estimate's year (BILL-1, BILL-10)?

    The run's rule (:func:`robinet.billing.runs.social_on`): eligible at the end of the
    period billed — the validity dates of the account's ``social_tariff`` particularity —, so
    that the estimate prices the year as the bills will.
    """
    from robinet.customers.choices import ParticularityKind
    from robinet.customers.models import Particularity

    return (
        Particularity.objects.filter(
            account_id=account_id,
            kind=ParticularityKind.SOCIAL_TARIFF,
            started_on__lte=period_end,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=period_end))
        .exists()
    )


@dataclass(frozen=True)
class Estimate:
    volume: Decimal
    basis: str
    total: Decimal
    period_start: dt.date
    period_end: dt.date


#: Tariffs of a bulk enrolment, parsed once per estimate period and commune.
TariffsByPeriod = dict[tuple[dt.date, dt.date], TariffCache]


def estimate_for(
    contract,
    *,
    period_start: dt.date,
    volume=None,
    at: dt.date | None = None,
    tariffs: TariffsByPeriod | None = None,
) -> Estimate:
    """The annual estimate of a contract for the 12 months from ``period_start`` (BILL-10).

    The volume: the contract's last 12 months before ``at`` (default today),
    else similar premises, else ``volume``; priced with the tariffs in force
    over the period (a tariff change inside it prices each part with its tariff),
    at the social tariff when the account is a beneficiary (:func:`social_for`).
    ``tariffs``: a cache shared by the estimates of a bulk enrolment (:func:`plan_enrol_many`).
    """
    from robinet.billing.selectors import contract_simulation
    from robinet.metering import selectors as metering

    at = at or clock.today()
    sp = contract.service_point
    given = _decimal(volume, "volume") if volume not in (None, "") else None
    start = max(at - YEAR, contract.start_date)
    history = metering.service_point_history(sp.pk, start=start, end=at)
    similar = None
    if given is None and history.days < rules.MIN_HISTORY_DAYS:
        similar = metering.similar_premises_average(sp, metering.meter_at(sp, at), at=at)
    try:
        estimate = rules.annual_volume(
            history_volume=history.volume,
            history_days=history.days,
            similar_daily=similar,
            given=given,
        )
    except rules.PlanRuleError as exc:
        raise _rule(exc) from None
    period_end = rules.add_months(period_start, 12, 1) - dt.timedelta(days=1)
    versions = None
    if tariffs is not None:
        cache = tariffs.get((period_start, period_end))
        if cache is None:
            cache = tariffs[(period_start, period_end)] = TariffCache(
                start=period_start, end=period_end
            )
        versions = cache.for_communes([sp.commune_insee]).get(sp.commune_insee, [])
    bill = contract_simulation(
        contract=contract,
        volume=estimate.volume,
        start=period_start,
        end=period_end,
        social=social_for(contract.account_id, period_end),
        versions=versions,
    )
    return Estimate(estimate.volume, estimate.basis, bill.total_incl_vat, period_start, period_end)


# --- enrolment -------------------------------------------------------------------------------


def _locked(plan: BudgetPlan) -> BudgetPlan:
    return (
        BudgetPlan.objects.select_for_update(of=("self",))
        .select_related("account__centre", "contract__service_point")
        .get(pk=plan.pk)
    )


def _mandate_for(account, reference: str = ""):
    """The mandate a plan is collected under: the one with UMR ``reference``, else the active one.

    None when the account has no mandate yet (the runs collect once one is signed).
    """
    from robinet.payments.models import Mandate, MandateStatus

    mandates = Mandate.objects.filter(account=account)
    reference = (reference or "").strip()
    if not reference:
        return mandates.filter(status=MandateStatus.ACTIVE).first()
    mandate = mandates.filter(umr=reference).first()
    if mandate is None:
        raise ValidationFailed(
            {"mandate_reference": [_("Aucun mandat de ce compte n'a la RUM %s.") % reference]}
        )
    if mandate.status != MandateStatus.ACTIVE:
        raise ValidationFailed(
            {"mandate_reference": [_("Le mandat %s n'est plus actif.") % reference]}
        )
    return mandate


def _create_plan(
    *,
    actor,
    contract,
    count: int,
    day: int,
    first_due: dt.date,
    volume,
    mandate,
    previous: BudgetPlan | None = None,
    tariffs: TariffsByPeriod | None = None,
) -> BudgetPlan:
    period_start = first_due.replace(day=1)
    estimate = estimate_for(contract, period_start=period_start, volume=volume, tariffs=tariffs)
    try:
        schedule = rules.build_schedule(
            estimate=estimate.total, count=count, day_of_month=day, first_due=first_due
        )
    except rules.PlanRuleError as exc:
        raise _rule(exc) from None
    try:
        with transaction.atomic():
            plan = BudgetPlan.objects.create(
                account=contract.account,
                contract=contract,
                year=first_due.year,
                period_start=estimate.period_start,
                period_end=estimate.period_end,
                estimate=estimate.total,
                estimate_volume=estimate.volume,
                estimate_basis=estimate.basis,
                instalment_count=count,
                day_of_month=day,
                mandate=mandate,
                previous_plan=previous,
                created_at=clock.now(),
                created_by=_user(actor),
            )
    except IntegrityError:
        raise ApplicationError(
            _("Cet abonnement a déjà une mensualisation en cours pour %(y)s.")
            % {"y": first_due.year},
            code="budget_plan_exists",
            http_status=409,
        ) from None
    BudgetInstalment.objects.bulk_create(
        BudgetInstalment(plan=plan, position=i.position, due_date=i.due_date, amount=i.amount)
        for i in schedule
    )
    audit.record(
        actor=actor,
        verb="budget_plan_created",
        target=plan,
        subject=contract.account,
        data={
            "contract": contract.number,
            "year": plan.year,
            "estimate": str(plan.estimate),
            "volume": str(plan.estimate_volume),
            "basis": plan.estimate_basis,
            "instalments": count,
            "first_due": first_due.isoformat(),
            "previous_plan": previous.pk if previous else None,
        },
    )
    return plan


@transaction.atomic
def plan_enrol(
    *,
    actor,
    contract,
    instalment_count: int = 10,
    day_of_month: int = 5,
    volume=None,
    mandate_reference: str = "",
    first_due: dt.date | None = None,
    tariffs: TariffsByPeriod | None = None,
) -> BudgetPlan:
    """Enrol a contract in monthly payment (BILL-10).

    Requires an IBAN on the account and an active contract; the first
    instalment falls at least 14 days after today (SEPA pre-notification) on
    ``day_of_month``, or on ``first_due`` if later. Sets the account's
    ``monthly_payment``. ``mandate_reference`` names the account's active
    mandate (UMR) to collect under; empty: the account's active mandate, if any.
    ``tariffs`` is for :func:`plan_enrol_many` (the tariffs parsed once for all).
    """
    account = contract.account
    _require(actor, MANAGE, account.centre)
    errors: dict[str, list[str]] = {}
    if not account.iban.strip():
        errors["account"] = [
            _("Le compte n'a pas d'IBAN : la mensualisation se paie par prélèvement.")
        ]
    if contract.status != ContractStatus.ACTIVE:
        errors["contract"] = [_("Seul un abonnement en cours se mensualise.")]
    try:
        count = int(instalment_count)
        day = int(day_of_month)
    except (TypeError, ValueError):
        count, day = 0, 0
    if count not in rules.COUNTS:
        errors["instalment_count"] = [_("10 ou 12 échéances.")]
    if day not in rules.DAYS:
        errors["day_of_month"] = [_("Jour de prélèvement entre le 1er et le 28.")]
    if errors:
        raise ValidationFailed(errors)
    earliest = clock.today() + dt.timedelta(days=rules.PRE_NOTIFICATION_DAYS)
    if first_due is not None and first_due < earliest:
        raise ValidationFailed(
            {
                "first_due": [
                    _("Le premier prélèvement a lieu au plus tôt le %(d)s (pré-notification).")
                    % {"d": earliest.strftime("%d/%m/%Y")}
                ]
            }
        )
    first = rules.first_due_date(not_before=first_due or earliest, day_of_month=day)
    plan = _create_plan(
        actor=actor,
        contract=contract,
        count=count,
        day=day,
        first_due=first,
        volume=volume,
        mandate=_mandate_for(account, mandate_reference),
        tariffs=tariffs,
    )
    if not account.monthly_payment:
        account.monthly_payment = True
        account.save(update_fields=["monthly_payment"])
        audit.record(
            actor=actor,
            verb="account_monthly_payment_on",
            target=account,
            changes={"monthly_payment": [False, True]},
        )
    return plan


@dataclass(frozen=True)
class BulkEnrolment:
    """What :func:`plan_enrol_many` did: the plans, and why the others were not enrolled."""

    plans: list[BudgetPlan]
    refused: dict[str, str]  # contract number → reason


def plan_enrol_many(
    *, actor, contracts, instalment_count: int = 10, day_of_month: int = 5
) -> BulkEnrolment:
    """Enrol many contracts at once (a campaign, the demo), each as :func:`plan_enrol` would.

    The tariffs are loaded and parsed once per commune for all the estimates (the
    costly part of pricing a year); each estimate is still the contract's own (its
    history, diameter, services, social tariff). Each contract is enrolled in its own
    savepoint: one refused (no IBAN, a plan already, no tariff…) does not stop the others.
    """
    tariffs: TariffsByPeriod = {}
    plans: list[BudgetPlan] = []
    refused: dict[str, str] = {}
    for contract in contracts:
        try:
            with transaction.atomic():
                plans.append(
                    plan_enrol(
                        actor=actor,
                        contract=contract,
                        instalment_count=instalment_count,
                        day_of_month=day_of_month,
                        tariffs=tariffs,
                    )
                )
        except ApplicationError as exc:
            details = [str(m) for messages in (exc.fields or {}).values() for m in messages]
            refused[contract.number] = " ".join(details) or str(exc.message)
    return BulkEnrolment(plans, refused)


# --- changes (CASE-7, customer's request) ----------------------------------------------------


def _require_live(plan: BudgetPlan) -> None:
    if not plan.is_live:
        raise InvalidTransition(_("Cette mensualisation est soldée ou résiliée."))


@transaction.atomic
def plan_suspend(*, actor, plan: BudgetPlan, reason: str = "") -> BudgetPlan:
    """Active → suspended: the scheduled instalments are not collected (CASE-7)."""
    plan = _locked(plan)
    _require(actor, MANAGE, plan.account.centre)
    if plan.status != BudgetPlanStatus.ACTIVE:
        raise InvalidTransition(_("Seule une mensualisation active se suspend."))
    suspended = plan.instalments.filter(status=InstalmentStatus.SCHEDULED).update(
        status=InstalmentStatus.SUSPENDED
    )
    plan.status = BudgetPlanStatus.SUSPENDED
    plan.suspended_on = clock.today()
    plan.suspension_reason = reason.strip()[:200]
    plan.save(update_fields=["status", "suspended_on", "suspension_reason"])
    audit.record(
        actor=actor,
        verb="budget_plan_suspended",
        target=plan,
        subject=plan.account,
        data={"reason": plan.suspension_reason, "instalments": suspended},
    )
    return plan


@transaction.atomic
def plan_resume(*, actor, plan: BudgetPlan) -> BudgetPlan:
    """Suspended → active: the instalments still to come are scheduled again.

    Those whose date passed during the suspension stay suspended (not
    collected): the yearly settlement catches up.
    """
    plan = _locked(plan)
    _require(actor, MANAGE, plan.account.centre)
    if plan.status != BudgetPlanStatus.SUSPENDED:
        raise InvalidTransition(_("Seule une mensualisation suspendue se reprend."))
    resumed = plan.instalments.filter(
        status=InstalmentStatus.SUSPENDED, due_date__gt=clock.today()
    ).update(status=InstalmentStatus.SCHEDULED)
    plan.status = BudgetPlanStatus.ACTIVE
    plan.save(update_fields=["status"])
    audit.record(
        actor=actor,
        verb="budget_plan_resumed",
        target=plan,
        subject=plan.account,
        data={"instalments": resumed},
    )
    return plan


def _upcoming(plan: BudgetPlan) -> list[BudgetInstalment]:
    return list(
        plan.instalments.select_for_update()
        .filter(status=InstalmentStatus.SCHEDULED, due_date__gt=clock.today())
        .order_by("position")
    )


@transaction.atomic
def plan_adjust_next_two(
    *, actor, plan: BudgetPlan, adjustment, reason: str = ""
) -> list[BudgetInstalment]:
    """CASE-7: the next two instalments to come take ``adjustment`` (€, + or −) between them."""
    plan = _locked(plan)
    _require(actor, MANAGE, plan.account.centre)
    if plan.status != BudgetPlanStatus.ACTIVE:
        raise InvalidTransition(_("Seule une mensualisation active s'ajuste."))
    amount = _decimal(adjustment, "adjustment")
    if amount == 0:
        raise ValidationFailed({"adjustment": [_("Indiquez un ajustement non nul.")]})
    upcoming = _upcoming(plan)
    try:
        amounts = rules.adjust_next_two([i.amount for i in upcoming], amount)
    except rules.PlanRuleError as exc:
        raise _rule(exc) from None
    changed = []
    for instalment, new in zip(upcoming, amounts, strict=False):
        changed.append(
            {"position": instalment.position, "old": str(instalment.amount), "new": str(new)}
        )
        instalment.amount = new
        instalment.save(update_fields=["amount"])
    audit.record(
        actor=actor,
        verb="budget_plan_adjusted",
        target=plan,
        subject=plan.account,
        data={"adjustment": str(amount), "reason": reason.strip()[:200], "instalments": changed},
    )
    return upcoming[: len(amounts)]


@transaction.atomic
def plan_change_amount(*, actor, plan: BudgetPlan, amount) -> list[BudgetInstalment]:
    """The customer's new monthly amount for every instalment to come (within the limits)."""
    plan = _locked(plan)
    _require(actor, MANAGE, plan.account.centre)
    if plan.status != BudgetPlanStatus.ACTIVE:
        raise InvalidTransition(_("Seule une mensualisation active change de montant."))
    value = _decimal(amount, "amount")
    upcoming = _upcoming(plan)
    try:
        amounts = rules.change_amount(
            estimate=plan.estimate,
            count=plan.instalment_count,
            remaining=len(upcoming),
            new_amount=value,
        )
    except rules.PlanRuleError as exc:
        raise _rule(exc) from None
    old = [str(i.amount) for i in upcoming]
    for instalment, new in zip(upcoming, amounts, strict=True):
        instalment.amount = new
        instalment.save(update_fields=["amount"])
    audit.record(
        actor=actor,
        verb="budget_plan_amount_changed",
        target=plan,
        subject=plan.account,
        data={"amount": str(value), "old": old},
    )
    return upcoming


CLAIM_ACTIONS = ("suspend", "adjust")


def claim_side_effect(
    *, actor, contract, action: str, adjustment=None, reason: str = ""
) -> BudgetPlan | None:
    """CASE-7 hook: a claim not solved the same day suspends or adjusts the monthly payment.

    ``action`` is ``suspend`` or ``adjust`` (the next two instalments take
    ``adjustment``). Returns the plan changed, or None when the contract has
    no active plan (nothing to do).
    """
    if action not in CLAIM_ACTIONS:
        raise ValidationFailed({"action": [_("Action : suspendre ou ajuster.")]})
    plan = BudgetPlan.objects.filter(contract=contract, status=BudgetPlanStatus.ACTIVE).first()
    if plan is None:
        return None
    if action == "suspend":
        return plan_suspend(actor=actor, plan=plan, reason=reason)
    plan_adjust_next_two(actor=actor, plan=plan, adjustment=adjustment, reason=reason)
    return plan


@transaction.atomic
def plan_cancel(*, actor, plan: BudgetPlan, reason: str = "") -> BudgetPlan:
    """The customer leaves monthly payment: instalments to come are cancelled."""
    plan = _locked(plan)
    _require(actor, MANAGE, plan.account.centre)
    _require_live(plan)
    plan.instalments.filter(
        status__in=(InstalmentStatus.SCHEDULED, InstalmentStatus.SUSPENDED)
    ).update(status=InstalmentStatus.CANCELLED)
    plan.status = BudgetPlanStatus.CANCELLED
    plan.closed_on = clock.today()
    plan.save(update_fields=["status", "closed_on"])
    account = plan.account
    if (
        account.monthly_payment
        and not BudgetPlan.objects.filter(account=account, status__in=LIVE_BUDGET_STATUSES).exists()
    ):
        account.monthly_payment = False
        account.save(update_fields=["monthly_payment"])
    audit.record(
        actor=actor,
        verb="budget_plan_cancelled",
        target=plan,
        subject=account,
        data={"reason": reason.strip()[:200]},
    )
    return plan


# --- collection (PAY-3 debit runs; an officer for instalments paid otherwise) ----------------


def instalments_to_debit(collection_date: dt.date) -> QuerySet[BudgetInstalment]:
    """BILL-10: the instalments a debit run on ``collection_date`` collects (PAY-3).

    Scheduled (neither suspended — CASE-7 — nor cancelled, collected or rejected),
    due on or before the date, of an active plan, never debited before. The
    schedule sent to the customer is the pre-notification: its date is the
    earliest collection. The run adds the account's conditions (active
    mandate, direct debit on, no hold).
    """
    return BudgetInstalment.objects.filter(
        status=InstalmentStatus.SCHEDULED,
        due_date__lte=collection_date,
        plan__status=BudgetPlanStatus.ACTIVE,
        direct_debit__isnull=True,
    )


def instalments_debited(*, instalment_ids, collected_on: dt.date, mandates: dict[int, int]) -> int:
    """Scheduled → collected for the instalments a run debited (inside the run's transaction).

    ``mandates``: plan id → the mandate used, which becomes the plan's mandate.
    """
    count = BudgetInstalment.objects.filter(
        pk__in=list(instalment_ids), status=InstalmentStatus.SCHEDULED
    ).update(status=InstalmentStatus.COLLECTED, collected_on=collected_on)
    by_mandate: dict[int, list[int]] = {}
    for plan_id, mandate_id in mandates.items():
        by_mandate.setdefault(mandate_id, []).append(plan_id)
    for mandate_id, plan_ids in by_mandate.items():
        BudgetPlan.objects.filter(pk__in=plan_ids).exclude(mandate_id=mandate_id).update(
            mandate_id=mandate_id
        )
    return count


def instalment_debit_rejected(*, actor, instalment_id: int, reason: str = "") -> None:
    """PAY-4: the bank rejected or returned the debit of an instalment: collected → rejected.

    Inside the caller's transaction (the payment's reversal). The instalment is
    not paid any more: the settlement does not count it (it is asked for again
    on the consumption invoice), unless an officer marks it collected once paid
    otherwise.
    """
    instalment = (
        BudgetInstalment.objects.select_for_update(of=("self",))
        .select_related("plan__account")
        .get(pk=instalment_id)
    )
    if instalment.status != InstalmentStatus.COLLECTED:
        return
    instalment.status = InstalmentStatus.REJECTED
    instalment.save(update_fields=["status"])
    audit.record(
        actor=actor,
        verb="budget_instalment_rejected",
        target=instalment.plan,
        subject=instalment.plan.account,
        data={
            "position": instalment.position,
            "amount": str(instalment.amount),
            "reason": reason[:200],
        },
    )


#: What an officer may mark collected: not debited yet, or rejected then paid otherwise.
COLLECTABLE_BY_HAND = (InstalmentStatus.SCHEDULED, InstalmentStatus.REJECTED)


@transaction.atomic
def instalment_collect(
    *, actor, instalment: BudgetInstalment, collected_on: dt.date | None = None
) -> BudgetInstalment:
    """Scheduled or rejected → collected: an instalment paid otherwise (booked where it was paid).

    The debit runs mark the instalments they collect themselves; this is for an
    instalment the customer paid at a counter or by transfer, so that the
    settlement counts it.
    """
    instalment = (
        BudgetInstalment.objects.select_for_update(of=("self",))
        .select_related("plan__account__centre")
        .get(pk=instalment.pk)
    )
    plan = instalment.plan
    _require(actor, SETTLE, plan.account.centre)
    if instalment.status not in COLLECTABLE_BY_HAND:
        raise InvalidTransition(
            _("Seule une échéance prévue ou rejetée peut être marquée prélevée.")
        )
    if not plan.is_live:
        raise InvalidTransition(_("Cette mensualisation est soldée ou résiliée."))
    collected_on = collected_on or clock.today()
    if collected_on > clock.today():
        raise ValidationFailed({"collected_on": [_("La date de prélèvement ne peut être future.")]})
    previous = instalment.status
    instalment.status = InstalmentStatus.COLLECTED
    instalment.collected_on = collected_on
    instalment.save(update_fields=["status", "collected_on"])
    audit.record(
        actor=actor,
        verb="budget_instalment_collected",
        target=plan,
        subject=plan.account,
        data={
            "position": instalment.position,
            "amount": str(instalment.amount),
            "collected_on": collected_on.isoformat(),
            "was": previous,
        },
    )
    return instalment


# --- yearly settlement -----------------------------------------------------------------------


def settlement_invoices(plan: BudgetPlan, *, up_to: dt.date) -> tuple[list[Invoice], list[Invoice]]:
    """The consumption invoices the plan settles, and the credit notes correcting them.

    The contract's bills whose period ends within the plan's 12 months, issued
    up to ``up_to``, except those an earlier plan of the contract settled
    already (catch-up bills of earlier periods are not the plan's).
    """
    taken = {
        number
        for numbers in BudgetPlan.objects.filter(
            contract_id=plan.contract_id, status=BudgetPlanStatus.SETTLED
        ).values_list("settled_invoices", flat=True)
        for number in numbers
    }
    bills = [
        i
        for i in Invoice.objects.filter(
            contract_id=plan.contract_id,
            kind__in=BILL_KINDS,
            period_end__gte=plan.period_start,
            period_end__lte=plan.period_end,
            issue_date__lte=up_to,
        ).order_by("period_end", "number")
        if i.number not in taken
    ]
    credit_notes = list(
        Invoice.objects.filter(
            kind=InvoiceKind.CREDIT_NOTE,
            credited_invoice__in=[b.pk for b in bills],
            issue_date__lte=up_to,
        ).order_by("issue_date", "number")
    )
    return bills, credit_notes


@transaction.atomic
def plan_settle(
    *, actor, plan: BudgetPlan, settled_on: dt.date | None = None, renew: bool = True
) -> BudgetPlan:
    """Yearly settlement: the year's consumption invoices minus the instalments collected.

    No invoice is issued: the consumption invoice is the invoice. A balance
    due (> 0) is what the customer pays on it; a refund (< 0) is recorded on
    the plan for the payments module (PAY-6). Instalments not collected are
    cancelled. With ``renew``, the next year's plan follows (same count and
    day, estimate from the latest 12 months); if it cannot be made (no tariff,
    contract ended…) the settlement stands and ``plan.next_plan`` is absent.
    Rejected instalments are not collected: they stay rejected, outside the sum.
    Returns the settled plan.
    """
    plan = _locked(plan)
    _require(actor, SETTLE, plan.account.centre)
    _require_live(plan)
    settled_on = settled_on or clock.today()
    bills, credit_notes = settlement_invoices(plan, up_to=settled_on)
    if not bills:
        raise ApplicationError(
            _("Aucune facture de consommation émise pour cette période : rien à solder."),
            code="no_invoice_to_settle",
            http_status=409,
        )
    invoiced = sum((b.total_incl_vat for b in bills), Decimal(0)) - sum(
        (c.total_incl_vat for c in credit_notes), Decimal(0)
    )
    collected = plan.instalments.filter(status=InstalmentStatus.COLLECTED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal(0)
    result = rules.settle(invoiced=invoiced, collected=collected)
    plan.instalments.filter(
        status__in=(InstalmentStatus.SCHEDULED, InstalmentStatus.SUSPENDED)
    ).update(status=InstalmentStatus.CANCELLED)
    plan.status = BudgetPlanStatus.SETTLED
    plan.closed_on = settled_on
    plan.settled_invoices = [b.number for b in bills]
    plan.settled_invoiced = result.invoiced
    plan.settled_collected = result.collected
    plan.settled_balance = result.balance
    plan.settlement_outcome = result.outcome
    plan.save(
        update_fields=[
            "status",
            "closed_on",
            "settled_invoices",
            "settled_invoiced",
            "settled_collected",
            "settled_balance",
            "settlement_outcome",
        ]
    )
    audit.record(
        actor=actor,
        verb="budget_plan_settled",
        target=plan,
        subject=plan.account,
        data={
            "invoices": plan.settled_invoices,
            "credit_notes": [c.number for c in credit_notes],
            "invoiced": str(result.invoiced),
            "collected": str(result.collected),
            "balance": str(result.balance),
            "outcome": result.outcome,
        },
    )
    if renew:
        try:
            with transaction.atomic():
                plan_renew(actor=actor, plan=plan)
        except ApplicationError as exc:
            # The settlement stands; the officer enrols again once the cause is fixed.
            audit.record(
                actor=actor,
                verb="budget_plan_not_renewed",
                target=plan,
                subject=plan.account,
                data={"reason": str(exc.message), "fields": exc.fields},
            )
    return plan


def plan_renew(*, actor, plan: BudgetPlan) -> BudgetPlan:
    """The next year's plan after a settlement: January on the same day (or 14 days from today)."""
    contract = plan.contract
    if contract.status != ContractStatus.ACTIVE:
        raise InvalidTransition(_("L'abonnement est résilié : pas de nouvel échéancier."))
    earliest = clock.today() + dt.timedelta(days=rules.PRE_NOTIFICATION_DAYS)
    not_before = max(dt.date(plan.year + 1, 1, 1), earliest)
    first = rules.first_due_date(not_before=not_before, day_of_month=plan.day_of_month)
    return _create_plan(
        actor=actor,
        contract=contract,
        count=plan.instalment_count,
        day=plan.day_of_month,
        first_due=first,
        volume=plan.estimate_volume if plan.estimate_basis == "given" else None,
        mandate=_mandate_for(contract.account) or plan.mandate,
        previous=plan,
    )


# --- the schedule document (also the SEPA pre-notification) ----------------------------------


def schedule_pdf(plan: BudgetPlan) -> tuple[bytes, str]:
    """The schedule in French: dates and amounts, and the SEPA pre-notification mentions."""
    from django.conf import settings
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    from robinet.billing.documents.pdf import a4_document, fonts, fr_date, fr_money, fr_quantity
    from robinet.billing.selectors import buyer, seller

    regular, bold = fonts(embed=True)
    s, b = seller(), buyer(plan.account)
    creditor_id = settings.ROBINET_UTILITY["sepa_creditor_id"]
    out = io.BytesIO()
    c, text = a4_document(
        out,
        title=f"Échéancier de mensualisation {plan.year} — abonnement {plan.contract.number}",
        author=s.name,
        regular=regular,
    )
    width, height = A4
    left, right = 18 * mm, width - 18 * mm

    y = height - 18 * mm
    text(left, y, s.name, 13, bold)
    for line in (*s.address_lines, f"{s.postcode} {s.city}", f"Tél. {s.phone} — {s.email}"):
        y -= 4.2 * mm
        text(left, y, line, 8)
    by = height - 40 * mm
    for i, line in enumerate(
        (b.name, *b.address_lines, f"{b.postcode} {b.city}", f"Client n° {b.account_number}")
    ):
        text(110 * mm, by - i * 4.6 * mm, line, 10, bold if i == 0 else regular)
    y = height - 78 * mm
    text(left, y, f"ÉCHÉANCIER DE MENSUALISATION {plan.year}", 14, bold)
    y -= 6 * mm
    text(left, y, "Valant pré-notification des prélèvements SEPA", 10, bold)
    y -= 7 * mm
    rows = (
        f"Abonnement n° {plan.contract.number} — période du {fr_date(plan.period_start)} "
        f"au {fr_date(plan.period_end)}",
        f"Estimation annuelle : {fr_money(plan.estimate)} TTC pour "
        f"{fr_quantity(plan.estimate_volume)} m³ ({plan.get_estimate_basis_display().lower()}), "
        + (
            "au tarif social en vigueur"
            if social_for(plan.account_id, plan.period_end)
            else "aux tarifs en vigueur"
        ),
        f"{plan.instalment_count} prélèvements le {plan.day_of_month} du mois",
        f"Créancier : {s.name} — identifiant créancier SEPA (ICS) : {creditor_id}",
        "Référence unique du mandat (RUM) : "
        + (plan.mandate.umr if plan.mandate else "communiquée avec votre mandat de prélèvement"),
    )
    for row in rows:
        text(left, y, row, 9)
        y -= 5 * mm
    if plan.account.iban:
        iban = plan.account.iban.replace(" ", "")
        text(left, y, f"Compte débité : IBAN {iban[:4]} **** **** {iban[-4:]}", 9)
        y -= 5 * mm
    y -= 5 * mm
    text(left, y, "N°", 9, bold)
    text(left + 15 * mm, y, "Date de prélèvement", 9, bold)
    text(right - 40 * mm, y, "Montant TTC", 9, bold, "right")
    text(right, y, "État", 9, bold, "right")
    c.line(left, y - 2 * mm, right, y - 2 * mm)
    y -= 7 * mm
    total = Decimal(0)
    for instalment in schedule_of(plan):
        if y < 40 * mm:
            c.showPage()
            y = height - 20 * mm
        text(left, y, str(instalment.position), 9)
        text(left + 15 * mm, y, fr_date(instalment.due_date), 9)
        text(right - 40 * mm, y, fr_money(instalment.amount), 9, align="right")
        text(right, y, instalment.get_status_display(), 9, align="right")
        if instalment.status != InstalmentStatus.CANCELLED:
            total += instalment.amount
        y -= 5 * mm
    c.line(left, y + 2 * mm, right, y + 2 * mm)
    y -= 3 * mm
    text(left + 15 * mm, y, "Total", 9, bold)
    text(right - 40 * mm, y, fr_money(total), 9, bold, "right")
    y -= 12 * mm
    notes = (
        "Les prélèvements sont effectués aux dates ci-dessus, ou le premier jour ouvré suivant.",
        "Votre facture annuelle de consommation sera diminuée des prélèvements effectués : "
        "le solde vous sera prélevé,",
        "ou le trop-perçu vous sera remboursé. Un nouvel échéancier vous sera alors adressé.",
        "Vous pouvez demander à modifier le montant de vos mensualités ou mettre fin à la "
        "mensualisation en contactant",
        f"notre service clients au {s.phone}.",
    )
    for note in notes:
        text(left, y, note, 8)
        y -= 4.2 * mm
    c.showPage()
    c.save()
    return out.getvalue(), f"echeancier-{plan.contract.number}-{plan.year}.pdf"
