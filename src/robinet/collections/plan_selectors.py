"""Reads of payment plans, promises and diagnoses (COLL-5, COLL-6), scoped to the viewer.

Visibility: the accounts of the centres where the viewer holds
``collection.view`` (ORG-2); an account elsewhere is "not found".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.collections.access import scoped
from robinet.collections.choices import BlockReason
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DebtorDiagnosis,
    PaymentPlan,
    PaymentPromise,
    PlanItem,
)
from robinet.core.exceptions import NotFound
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Perm

ZERO = Decimal("0")
VIEW = Perm.COLLECTION_VIEW


def plan_list(*, user, state: str = "", account: str = "") -> QuerySet[PaymentPlan]:
    """Plans of the accounts the user may see, newest first (filters: state, account number)."""
    plans = scoped(PaymentPlan.objects.select_related("account__party"), user)
    if state:
        plans = plans.filter(state=state)
    if account:
        plans = plans.filter(account__number=account.strip())
    return plans.order_by("-agreed_on", "-id")


def plan_get_for_user(*, user, pk: int) -> PaymentPlan:
    plan = (
        plan_list(user=user).select_related("account__centre", "created_by").filter(pk=pk).first()
    )
    if plan is None:
        raise NotFound(_("Échéancier introuvable."))
    return plan


def plans_paid(plan_ids: Iterable[int]) -> dict[int, Decimal]:
    """What each plan has received: Σ open at the agreement − Σ open now of its items, ≥ 0.

    One query for any number of plans (the monitor reads all active plans at once).
    """
    rows = (
        PlanItem.objects.filter(plan_id__in=list(plan_ids))
        .values("plan_id")
        .annotate(start=Sum("amount_at_start"), open=Sum("open_item__open_amount"))
        .order_by()
    )
    return {r["plan_id"]: max(ZERO, (r["start"] or ZERO) - (r["open"] or ZERO)) for r in rows}


@dataclass(frozen=True)
class PlanFigures:
    paid: Decimal
    remaining: Decimal


def plan_figures(plan: PaymentPlan) -> PlanFigures:
    paid = min(plans_paid([plan.pk]).get(plan.pk, ZERO), plan.total)
    return PlanFigures(paid=paid, remaining=max(ZERO, plan.total - paid))


def plan_items(plan: PaymentPlan) -> list[PlanItem]:
    return list(plan.items.select_related("open_item").order_by("open_item__due_date", "pk"))


def plan_instalments(plan: PaymentPlan) -> list:
    return list(plan.instalments.order_by("sequence"))


def account_open_debits(account) -> QuerySet[OpenItem]:
    """The debts of an account a plan may cover: debit items with something still open."""
    return OpenItem.objects.filter(account=account, amount__gt=0, open_amount__gt=0).order_by(
        "due_date", "pk"
    )


def account_active_plan(account) -> PaymentPlan | None:
    return PaymentPlan.objects.filter(account=account, state="active").first()


def promise_list(*, user, account: str = "", state: str = "") -> QuerySet[PaymentPromise]:
    promises = scoped(PaymentPromise.objects.select_related("account__party"), user)
    if state:
        promises = promises.filter(state=state)
    if account:
        promises = promises.filter(account__number=account.strip())
    return promises.order_by("-made_on", "-id")


def promise_get_for_user(*, user, pk: int) -> PaymentPromise:
    promise = promise_list(user=user).select_related("account__centre").filter(pk=pk).first()
    if promise is None:
        raise NotFound(_("Promesse de paiement introuvable."))
    return promise


def account_pending_promise(account) -> PaymentPromise | None:
    return PaymentPromise.objects.filter(account=account, state="pending").first()


def diagnosis_latest(account) -> DebtorDiagnosis | None:
    return DebtorDiagnosis.objects.filter(account=account).order_by("-made_on", "-id").first()


def account_open_debt(account) -> Decimal:
    total = account_open_debits(account).aggregate(t=Sum("open_amount"))["t"]
    return total or ZERO


def accounts_with_open_debt(account_ids: Iterable[int]) -> set[int]:
    return set(
        OpenItem.objects.filter(
            Q(account_id__in=list(account_ids)), amount__gt=0, open_amount__gt=0
        )
        .values_list("account_id", flat=True)
        .distinct()
    )


def plan_events(plan: PaymentPlan, limit: int = 50) -> list[CollectionEvent]:
    """The plan's timeline (COLL-13), newest first."""
    return list(CollectionEvent.objects.filter(plan=plan)[:limit])


def account_fsl_pending(account) -> CollectionBlock | None:
    """The live FSL pause of the account, if any (COLL-4)."""
    return CollectionBlock.objects.filter(
        account=account, reason=BlockReason.FSL_PENDING, lifted_on__isnull=True
    ).first()
