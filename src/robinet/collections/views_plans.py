"""Screens of payment plans, promises to pay and the debtor diagnosis (COLL-5, COLL-6).

Thin views: they read through :mod:`robinet.collections.plan_selectors`, write
through :mod:`robinet.collections.plans`, and render French templates.
Reading needs ``collection.view``; every change ``collection.plans`` on the
account's centre (the services check it again).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.collections import diagnosis as rules
from robinet.collections import instalments as arithmetic
from robinet.collections import plan_selectors as selectors
from robinet.collections import plans
from robinet.collections.agreement_pdf import agreement_pdf
from robinet.collections.choices import Orientation, PlanState, PromiseState
from robinet.collections.forms_plans import DiagnosisForm, PlanCreateForm, PromiseForm
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm

LIST_LIMIT = 100
VIEW, MANAGE = Perm.COLLECTION_VIEW, Perm.PLAN_MANAGE


def _can_manage(user, account) -> bool:
    return scope_for(user).covers(MANAGE, account.centre)


def _account(request, number: str):
    return customer_selectors.account_get_for_user(user=request.user, number=number, perm=VIEW)


def _error_text(exc: ApplicationError) -> str:
    problems = [m for ms in exc.fields.values() for m in ms]
    return " ".join([str(exc.message), *problems])


def _day(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise exceptions.ValidationFailed({"signed_on": [_("Date invalide.")]}) from None


def _assessment(diagnosis) -> rules.Assessment:
    """The suggestion of a recorded diagnosis (down payment, instalments, amount)."""
    return rules.assess(
        rules.Situation(
            monthly_income=diagnosis.monthly_income,
            monthly_charges=diagnosis.monthly_charges,
            assets=diagnosis.assets,
            liabilities=diagnosis.liabilities,
            household_size=diagnosis.household_size,
            debt=diagnosis.debt,
        )
    )


# --- plans -----------------------------------------------------------------------------------


class PlanListView(StaffViewMixin, View):
    permission = VIEW

    def get(self, request):
        state = request.GET.get("state", "")
        account = request.GET.get("account", "")
        if state not in PlanState.values:
            state = ""
        rows = list(
            selectors.plan_list(user=request.user, state=state, account=account)[:LIST_LIMIT]
        )
        context = {
            "plans": rows,
            "states": PlanState.choices,
            "state": state,
            "account": account,
            "limit": LIST_LIMIT,
        }
        return render(request, "collections/plans/plan_list.html", context)


class PlanMixin(StaffViewMixin):
    permission = VIEW

    def get_plan(self):
        return selectors.plan_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class PlanDetailView(PlanMixin, View):
    def get(self, request, pk):
        plan = self.get_plan()
        active = plan.state == PlanState.ACTIVE
        can_manage = _can_manage(request.user, plan.account)
        context = {
            "plan": plan,
            "instalments": selectors.plan_instalments(plan),
            "items": selectors.plan_items(plan),
            "figures": selectors.plan_figures(plan),
            "events": selectors.plan_events(plan),
            "can_sign": can_manage and active and plan.signed_on is None,
            "can_cancel": can_manage and active,
            "today": clock.today(),
        }
        return render(request, "collections/plans/plan_detail.html", context)


class PlanAgreementView(PlanMixin, View):
    """The agreement to sign, inline PDF."""

    def get(self, request, pk):
        content, filename = agreement_pdf(self.get_plan())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


class PlanActionView(PlanMixin, View):
    action = ""

    def post(self, request, pk):
        plan = self.get_plan()
        require_covered(request.user, MANAGE, plan.account.centre)
        try:
            if self.action == "sign":
                plans.payment_plan_sign(
                    plan=plan, signed_on=_day(request.POST.get("signed_on")), actor=request.user
                )
                messages.success(request, _("Signature de l'accord enregistrée."))
            else:
                plans.payment_plan_cancel(
                    plan=plan, reason=request.POST.get("reason", ""), actor=request.user
                )
                messages.success(request, _("Échéancier annulé : les relances reprennent."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("collections:plan-detail", plan.pk)


class PlanCreateView(StaffViewMixin, View):
    """Agree a plan for an account: its open items, a suggestion from the diagnosis, a preview."""

    permission = MANAGE
    template_name = "collections/plans/plan_form.html"

    def _context(self, request, account, form, preview=None, error_message="", **extra):
        open_items = list(selectors.account_open_debits(account))
        diagnosis = selectors.diagnosis_latest(account)
        return {
            "account": account,
            "form": form,
            "open_items": open_items,
            "total": sum((i.open_amount for i in open_items), rules.ZERO),
            "checked": set(form["items"].value() or []),
            "diagnosis": diagnosis,
            "active_plan": selectors.account_active_plan(account),
            "preview": preview,
            "error_message": error_message,
            **extra,
        }

    def get(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        open_items = list(selectors.account_open_debits(account))
        diagnosis = selectors.diagnosis_latest(account)
        today = clock.today()
        initial = {
            "items": [str(i.pk) for i in open_items],
            "first_due": arithmetic.add_months(today, 1),
            "count": 3,
            "grace_days": 10,
        }
        total = sum((i.open_amount for i in open_items), rules.ZERO)
        down = rules.ZERO
        if diagnosis is not None:
            initial["count"] = max(1, min(arithmetic.MAX_COUNT, diagnosis.suggested_instalments))
            suggested = _assessment(diagnosis)
            if rules.ZERO < suggested.down_payment < total:
                down = suggested.down_payment
                initial["down_payment"] = str(down).replace(".", ",")
        form = PlanCreateForm(initial=initial, open_items=open_items)
        preview = None
        if total > 0:
            try:
                preview = arithmetic.schedule(
                    total=total, down_payment=down, count=initial["count"],
                    first_due=initial["first_due"], agreed_on=today,
                )  # fmt: skip
            except arithmetic.ScheduleError:
                preview = None
        return render(request, self.template_name, self._context(request, account, form, preview))

    def post(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        open_items = list(selectors.account_open_debits(account))
        form = PlanCreateForm(request.POST, open_items=open_items)
        if not form.is_valid():
            context = self._context(request, account, form)
            return render(request, self.template_name, context, status=422)
        data = form.cleaned_data
        chosen = [i for i in open_items if str(i.pk) in data["items"]]
        if "preview" in request.POST:
            try:
                preview = arithmetic.schedule(
                    total=sum((i.open_amount for i in chosen), rules.ZERO),
                    down_payment=data["down_payment"],
                    count=data["count"],
                    first_due=data["first_due"],
                    agreed_on=clock.today(),
                )
            except arithmetic.ScheduleError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                return render(
                    request, self.template_name, self._context(request, account, form), status=422
                )
            return render(
                request, self.template_name, self._context(request, account, form, preview)
            )
        try:
            plan = plans.payment_plan_create(
                account=account,
                items=chosen,
                count=data["count"],
                first_due=data["first_due"],
                down_payment=data["down_payment"],
                grace_days=data["grace_days"],
                direct_debit=data["direct_debit"],
                actor=request.user,
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            context = self._context(request, account, form, error_message=exc.message)
            return render(request, self.template_name, context, status=422)
        messages.success(
            request,
            _("Échéancier %(n)s accordé : imprimez l'accord et faites-le signer.")
            % {"n": plan.number},
        )
        return redirect("collections:plan-detail", plan.pk)


# --- promises --------------------------------------------------------------------------------


class PromiseCreateView(StaffViewMixin, View):
    permission = MANAGE
    template_name = "collections/plans/promise_form.html"

    def _render(self, request, account, form, error_message="", status=200):
        context = {
            "account": account,
            "form": form,
            "error_message": error_message,
            "pending": selectors.account_pending_promise(account),
            "promises": list(
                selectors.promise_list(user=request.user, account=account.number)[:20]
            ),
            "debt": selectors.account_open_debt(account),
            "pending_state": PromiseState.PENDING,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        form = PromiseForm(
            initial={"due_on": clock.today() + dt.timedelta(days=7), "grace_days": 3}
        )
        return self._render(request, account, form)

    def post(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        form = PromiseForm(request.POST)
        if not form.is_valid():
            return self._render(request, account, form, status=422)
        data = form.cleaned_data
        try:
            plans.promise_create(
                account=account,
                due_on=data["due_on"],
                amount=data["amount"],
                grace_days=data["grace_days"],
                actor=request.user,
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(request, account, form, exc.message, status=422)
        messages.success(request, _("Promesse de paiement enregistrée."))
        return redirect("collections:promise-create", account.number)


class PromiseCancelView(StaffViewMixin, View):
    permission = MANAGE

    def post(self, request, pk):
        promise = selectors.promise_get_for_user(user=request.user, pk=pk)
        require_covered(request.user, MANAGE, promise.account.centre)
        try:
            plans.promise_cancel(
                promise=promise, reason=request.POST.get("reason", ""), actor=request.user
            )
            messages.success(request, _("Promesse de paiement annulée."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("collections:promise-create", promise.account.number)


# --- diagnosis -------------------------------------------------------------------------------


class DiagnosisCreateView(StaffViewMixin, View):
    """The debtor's situation → capacity, suggested plan, orientation; FSL application."""

    permission = MANAGE
    template_name = "collections/plans/diagnosis_form.html"

    def _render(self, request, account, form, error_message="", status=200):
        latest = selectors.diagnosis_latest(account)

        context = {
            "account": account,
            "form": form,
            "error_message": error_message,
            "latest": latest,
            "debt": selectors.account_open_debt(account),
            "floor_first": rules.FLOOR_FIRST_PERSON,
            "floor_other": rules.FLOOR_PER_OTHER_PERSON,
            "max_instalments": rules.MAX_SUGGESTED_INSTALMENTS,
            "fsl_pending": selectors.account_fsl_pending(account),
            "orientation_none": Orientation.NONE,
            "suggestion": _assessment(latest) if latest else None,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        return self._render(request, account, DiagnosisForm())

    def post(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        form = DiagnosisForm(request.POST)
        if not form.is_valid():
            return self._render(request, account, form, status=422)
        try:
            plans.diagnosis_record(account=account, actor=request.user, **form.cleaned_data)
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(request, account, form, exc.message, status=422)
        messages.success(request, _("Diagnostic enregistré."))
        return redirect("collections:diagnosis-create", account.number)


class FslDecisionView(StaffViewMixin, View):
    permission = MANAGE

    def post(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        try:
            plans.fsl_decision(account=account, actor=request.user)
            messages.success(request, _("Décision du FSL enregistrée : le recouvrement reprend."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("collections:diagnosis-create", account.number)
