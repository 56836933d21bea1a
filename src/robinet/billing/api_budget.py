"""JSON API of monthly payment — *mensualisation* (BILL-10), with CASE-7's actions.

* ``GET /billing/budget-plans``: plans (filters ``status``, ``account`` — account
  or contract number —, ``year``);
* ``POST /billing/budget-plans``: enrol a contract (201); 400 naming
  ``account`` without an IBAN, ``volume`` without a history, 409
  ``budget_plan_exists`` when the contract has a live plan that year;
* ``GET /billing/budget-plans/{id}``: the plan with its mandate, its schedule
  (each instalment with its direct debit: end-to-end id, run, status
  ``pending`` / ``settled`` / ``rejected``) and figures;
* ``GET /billing/budget-plans/{id}/schedule``: the schedule PDF (also the SEPA
  pre-notification);
* ``POST …/adjust`` (the next two instalments take an amount, + or −) and
  ``POST …/suspend`` / ``POST …/resume`` (CASE-7).

Same permissions as the screens (:mod:`robinet.billing.budget`).
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from robinet.billing import budget
from robinet.billing.api import _binary, _page
from robinet.billing.models import BudgetPlan
from robinet.customers import selectors as customer_selectors

router = Router(tags=["mensualisation"])


class InstalmentDebitOut(Schema):
    end_to_end_id: str
    run: int = Field(alias="run_id")
    collection_date: dt.date = Field(alias="run.collection_date")
    payment: str = Field(alias="payment.number")
    status: str = Field(description="pending (until the run is settled) | settled | rejected")


class BudgetInstalmentOut(Schema):
    position: int
    due_date: dt.date
    amount: Decimal
    status: str = Field(description="scheduled | collected | rejected | suspended | cancelled")
    collected_on: dt.date | None = Field(description="Collection date (also of a rejected one)")
    debit: InstalmentDebitOut | None = Field(None, description="Its SEPA direct debit (PAY-3)")

    @staticmethod
    def resolve_debit(obj):
        return getattr(obj, "direct_debit", None)


class BudgetFiguresOut(Schema):
    scheduled_total: Decimal = Field(description="Instalments not cancelled")
    collected: Decimal
    to_collect: Decimal
    suspended: Decimal
    rejected: Decimal = Field(description="Debited then rejected by the bank (PAY-4)")


class BudgetPlanSummaryOut(Schema):
    id: int
    account: str = Field(alias="account.number")
    contract: str = Field(alias="contract.number")
    year: int
    status: str = Field(description="active | suspended | settled | cancelled")
    estimate: Decimal = Field(description="Annual estimate incl. VAT")
    instalment_count: int
    day_of_month: int


class BudgetPlanOut(BudgetPlanSummaryOut):
    period_start: dt.date
    period_end: dt.date
    estimate_volume: Decimal
    estimate_basis: str = Field(description="history | similar | given")
    mandate: str | None = Field(
        None, description="UMR of the SEPA mandate the plan is collected under"
    )
    suspended_on: dt.date | None
    suspension_reason: str
    closed_on: dt.date | None
    settled_invoices: list[str]
    settled_invoiced: Decimal | None
    settled_collected: Decimal | None
    settled_balance: Decimal | None = Field(description="> 0: due by the customer; < 0: refund")
    settlement_outcome: str
    previous_plan: int | None = None
    next_plan: int | None = None
    figures: BudgetFiguresOut
    instalments: list[BudgetInstalmentOut]

    @staticmethod
    def resolve_mandate(obj) -> str | None:
        return obj.mandate.umr if obj.mandate_id else None

    @staticmethod
    def resolve_previous_plan(obj) -> int | None:
        return obj.previous_plan_id

    @staticmethod
    def resolve_next_plan(obj) -> int | None:
        following = BudgetPlan.objects.filter(previous_plan=obj).values_list("pk", flat=True)
        return following.first()

    @staticmethod
    def resolve_figures(obj):
        return budget.figures_of(obj)

    @staticmethod
    def resolve_instalments(obj):
        return budget.schedule_of(obj)


class BudgetPlanIn(Schema):
    contract: str = Field(description="Contract number")
    instalment_count: int = Field(10, description="10 or 12")
    day_of_month: int = Field(5, ge=1, le=28, description="Day of the direct debit")
    volume: Decimal | None = Field(
        None, ge=0, max_digits=12, decimal_places=3, description="Annual m³ without a history"
    )
    mandate_reference: str = Field(
        "",
        max_length=35,
        description="UMR of an active mandate of the account; empty: its active one",
    )


class AdjustIn(Schema):
    adjustment: Decimal = Field(
        max_digits=12, decimal_places=2, description="Added to the next two instalments (+ or −)"
    )
    reason: str = Field("", max_length=200)


class SuspendIn(Schema):
    reason: str = Field("", max_length=200)


def _plan(request, plan_id: int) -> BudgetPlan:
    return budget.plan_get_for_user(user=request.user, pk=plan_id)


@router.get("/billing/budget-plans", response=list[BudgetPlanSummaryOut], summary="Mensualisations")
def plan_list(
    request, status: str = "", account: str = "", year: int | None = None, limit: int = 50,
    offset: int = 0,
):  # fmt: skip
    plans = budget.plan_search(user=request.user, status=status, account=account, year=year)
    return list(plans[_page(limit, offset)])


@router.post(
    "/billing/budget-plans", response={201: BudgetPlanOut}, summary="Mensualiser un abonnement"
)
def plan_create(request, payload: BudgetPlanIn):
    contract = customer_selectors.contract_get_for_user(user=request.user, number=payload.contract)
    plan = budget.plan_enrol(
        actor=request.user,
        contract=contract,
        instalment_count=payload.instalment_count,
        day_of_month=payload.day_of_month,
        volume=payload.volume,
        mandate_reference=payload.mandate_reference,
    )
    return Status(201, _plan(request, plan.pk))


@router.get(
    "/billing/budget-plans/{plan_id}", response=BudgetPlanOut, summary="Lire une mensualisation"
)
def plan_get(request, plan_id: int):
    return _plan(request, plan_id)


@router.get(
    "/billing/budget-plans/{plan_id}/schedule",
    summary="Échéancier (PDF, pré-notification SEPA)",
    openapi_extra=_binary("application/pdf", "Schedule PDF"),
)
def plan_schedule(request, plan_id: int):
    content, filename = budget.schedule_pdf(_plan(request, plan_id))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.post(
    "/billing/budget-plans/{plan_id}/adjust",
    response=BudgetPlanOut,
    summary="Ajuster les deux prochaines échéances (CASE-7)",
)
def plan_adjust(request, plan_id: int, payload: AdjustIn):
    """400 naming ``adjustment`` when an instalment would not stay positive."""
    budget.plan_adjust_next_two(
        actor=request.user,
        plan=_plan(request, plan_id),
        adjustment=payload.adjustment,
        reason=payload.reason,
    )
    return _plan(request, plan_id)


@router.post(
    "/billing/budget-plans/{plan_id}/suspend",
    response=BudgetPlanOut,
    summary="Suspendre les prélèvements (CASE-7)",
)
def plan_suspend(request, plan_id: int, payload: SuspendIn):
    budget.plan_suspend(actor=request.user, plan=_plan(request, plan_id), reason=payload.reason)
    return _plan(request, plan_id)


@router.post(
    "/billing/budget-plans/{plan_id}/resume",
    response=BudgetPlanOut,
    summary="Reprendre les prélèvements",
)
def plan_resume(request, plan_id: int):
    budget.plan_resume(actor=request.user, plan=_plan(request, plan_id))
    return _plan(request, plan_id)
