"""Screens of write-offs and provisions (COLL-11).

Thin views: they read through :mod:`robinet.collections.writeoff_selectors`,
write through :mod:`robinet.collections.writeoffs` and
:mod:`robinet.collections.provisions`. Reading needs ``collection.view``;
requesting ``collection.write_off``, deciding and running provisions
``collection.write_off_approve`` on the account's centre (the services check
it again, and refuse the requester as approver).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.collections import writeoff_selectors as selectors
from robinet.collections import writeoffs
from robinet.collections.forms_writeoffs import DecisionForm, ProvisionRunForm, WriteOffRequestForm
from robinet.collections.models import WriteOffState
from robinet.collections.provisions import provision_run
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm

LIST_LIMIT = 100
VIEW, REQUEST, APPROVE = Perm.COLLECTION_VIEW, Perm.WRITE_OFF_REQUEST, Perm.WRITE_OFF_APPROVE


def _error_text(exc: ApplicationError) -> str:
    problems = [m for ms in exc.fields.values() for m in ms if m != exc.message]
    return " ".join([str(exc.message), *problems])


class WriteOffListView(StaffViewMixin, View):
    permission = VIEW

    def get(self, request):
        state = request.GET.get("state", "")
        if state not in WriteOffState.values:
            state = ""
        account = request.GET.get("account", "")
        rows = list(
            selectors.write_off_list(user=request.user, state=state, account=account)[:LIST_LIMIT]
        )
        context = {
            "requests": rows,
            "states": WriteOffState.choices,
            "state": state,
            "account": account,
            "limit": LIST_LIMIT,
        }
        return render(request, "collections/writeoffs/writeoff_list.html", context)


class WriteOffDetailView(StaffViewMixin, View):
    """The request, its items, and for an approver the decision (approve / reject with a note)."""

    permission = VIEW
    template_name = "collections/writeoffs/writeoff_detail.html"

    def _context(self, request, wo, form):
        can_decide = (
            wo.state == WriteOffState.REQUESTED
            and scope_for(request.user).covers(APPROVE, wo.account.centre)
            and wo.requested_by_id != request.user.pk
        )
        return {
            "wo": wo,
            "items": selectors.write_off_items(wo),
            "lines": selectors.write_off_entry_lines(wo),
            "form": form,
            "can_decide": can_decide,
            "own_request": wo.requested_by_id == request.user.pk,
        }

    def get(self, request, number):
        wo = selectors.write_off_get_for_user(user=request.user, number=number)
        return render(request, self.template_name, self._context(request, wo, DecisionForm()))

    def post(self, request, number):
        wo = selectors.write_off_get_for_user(user=request.user, number=number)
        require_covered(request.user, APPROVE, wo.account.centre)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self._context(request, wo, form), status=422)
        note = form.cleaned_data["note"]
        try:
            if request.POST.get("decision") == "approve":
                writeoffs.write_off_approve(actor=request.user, request=wo, note=note)
                messages.success(request, _("Admission en non-valeur approuvée et comptabilisée."))
            else:
                writeoffs.write_off_reject(actor=request.user, request=wo, note=note)
                messages.success(request, _("Admission en non-valeur refusée."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            wo.refresh_from_db()
            return render(request, self.template_name, self._context(request, wo, form), status=422)
        return redirect("collections:writeoff-detail", wo.number)


class WriteOffCreateView(StaffViewMixin, View):
    """Propose to write off open items of one account."""

    permission = REQUEST
    template_name = "collections/writeoffs/writeoff_form.html"

    def _account(self, request, number):
        account = customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=VIEW
        )
        require_covered(request.user, REQUEST, account.centre)
        return account

    def _render(self, request, account, form, status=200):
        total = sum((i.open_amount for i in form.open_items), 0)
        context = {"account": account, "form": form, "total": total}
        return render(request, self.template_name, context, status=status)

    def get(self, request, number):
        account = self._account(request, number)
        form = WriteOffRequestForm(open_items=selectors.open_debits(account))
        return self._render(request, account, form)

    def post(self, request, number):
        account = self._account(request, number)
        form = WriteOffRequestForm(request.POST, open_items=selectors.open_debits(account))
        if not form.is_valid():
            return self._render(request, account, form, status=422)
        try:
            wo = writeoffs.write_off_request(
                actor=request.user,
                account=account,
                items=form.selected(),
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(request, account, form, status=422)
        messages.success(request, _("Proposition %(n)s enregistrée.") % {"n": wo.number})
        return redirect("collections:writeoff-detail", wo.number)


class ProvisionRunView(StaffViewMixin, View):
    """What is doubtful and provisioned by bucket, the last runs, and (approvers) a run."""

    permission = VIEW
    template_name = "collections/writeoffs/provisions.html"

    def _render(self, request, form, status=200):
        context = {
            "form": form,
            "buckets": selectors.provision_by_bucket(user=request.user),
            "runs": selectors.provision_runs(user=request.user),
            "can_run": scope_for(request.user).allows(APPROVE),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, ProvisionRunForm(initial={"on": clock.today()}))

    def post(self, request):
        if not scope_for(request.user).allows(APPROVE):
            raise exceptions.PermissionDenied(_("Réservé aux responsables."))
        form = ProvisionRunForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=422)
        run = provision_run(on=form.cleaned_data["on"] or clock.today(), actor=request.user)
        messages.success(
            request,
            _("Provisions calculées : dotation %(i)s €, reprise %(d)s €.")
            % {"i": run.increase, "d": run.decrease},
        )
        return redirect("collections:provision-run")
