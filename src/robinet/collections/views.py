"""Back-office screens of dunning (COLL-1…4, COLL-13).

Thin views: each parses a presentation form, calls one selector or service
of ``robinet.collections`` and renders. Selectors scope every read to the
user's centres (``Perm.COLLECTION_VIEW``); services check ``Perm.DUNNING_RUN``
again, and their refusals come back as inline messages.

* proposal runs: list with « Lancer une proposition », the proposal page
  (figures, difference from the previous run, proposals per account with
  exclusion of an account or of one item, « Émettre les relances »);
* notices: list, detail (items, fees, the legal rules that allowed it), PDF;
* an account's collection page: debt case, overdue items, blocks, notices,
  timeline; the procedures and the legal rule catalogue.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin
from robinet.collections import forms, selectors, services
from robinet.collections.choices import Action, BlockReason, ProposalStatus
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.models import RunState
from robinet.core.models.runs import FINAL_RUN_STATES
from robinet.core.runs import run_worker_progress
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm

ACTION_LABELS = dict(Action.choices)
BLOCK_LABELS = dict(BlockReason.choices)


def _reraise_access(exc: ApplicationError) -> None:
    """Not-found and permission refusals are HTTP answers, not inline messages."""
    if isinstance(exc, exceptions.NotFound | exceptions.PermissionDenied):
        raise exc


def url_or_none(name: str, *args) -> str | None:
    """A URL of another screen that may not be installed (payment plans, promises…)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def run_entities(user) -> tuple[list[Entity], bool]:
    """Entities the user may run dunning on, and whether they cover the whole utility."""
    scope = scope_for(user)
    entities = list(Entity.objects.order_by("path"))
    regions = [e for e in entities if e.parent_id is None]
    allowed = [e for e in entities if scope.covers(Perm.DUNNING_RUN, e)]
    whole = bool(regions) and all(scope.covers(Perm.DUNNING_RUN, r) for r in regions)
    return allowed, whole


# --- proposal runs (COLL-2) --------------------------------------------------------------------


class DunningRunListView(StaffViewMixin, View):
    """The proposal runs, and « Lancer une proposition » (POST → ``dunning_propose``)."""

    permission = Perm.COLLECTION_VIEW

    def form(self, data=None):
        entities, whole = run_entities(self.request.user)
        return forms.ProposeForm(
            data, initial={"on": clock.today()}, entities=entities, whole_utility=whole
        )

    def render_page(self, form, error_message="", status=200):
        can_run = scope_for(self.request.user).allows(Perm.DUNNING_RUN)
        return render(
            self.request,
            "collections/run_list.html",
            {
                "runs": selectors.proposal_run_list(user=self.request.user),
                "form": form,
                "can_run": can_run,
                "error_message": error_message,
            },
            status=status,
        )

    def get(self, request):
        return self.render_page(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not scope_for(request.user).allows(Perm.DUNNING_RUN):
            raise exceptions.PermissionDenied()
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            run = services.dunning_propose(
                actor=request.user,
                on=form.cleaned_data["on"],
                entity_code=form.cleaned_data["entity"],
            )
        except ApplicationError as exc:
            _reraise_access(exc)
            add_service_errors(form, exc, aliases={"entity_code": "entity"})
            return self.render_page(form, exc.message, status=400)
        messages.success(request, _("Proposition de relances n° %(n)s établie.") % {"n": run.pk})
        return redirect("collections:dunning-run", run.pk)


def decorate_proposals(proposals) -> None:
    """Labels for the template: rules with their sources, actions, blocks (no query)."""
    for proposal in proposals:
        proposal.rule_rows = selectors.rules_explained(proposal.rules)
        proposal.action_labels = [ACTION_LABELS.get(a, a) for a in proposal.actions]
        proposal.block_labels = [BLOCK_LABELS.get(b, b) for b in proposal.blocks]


class RunMixin(StaffViewMixin):
    permission = Perm.COLLECTION_VIEW

    def can_review(self, run) -> bool:
        return (
            run.activity is None
            and run.state == RunState.DONE
            and scope_for(self.request.user).allows(Perm.DUNNING_RUN)
        )

    def proposal_context(self, proposal, *, error_message="", error_item=None, form_value=""):
        run = selectors.proposal_run_get_for_user(user=self.request.user, pk=proposal.run_id)
        proposal = (
            selectors.proposal_list(user=self.request.user, run=run).filter(pk=proposal.pk).get()
        )
        decorate_proposals([proposal])
        return {
            "run": run,
            "proposal": proposal,
            "can_review": self.can_review(run),
            "row_error": error_message,
            "error_proposal": proposal.pk,
            "error_item": error_item,
            "form_value": form_value,
        }


class DunningRunDetailView(RunMixin, View):
    """A proposal: figures, difference from the previous run, proposals per account."""

    def get(self, request, pk):
        return self.render_page(pk)

    def render_page(self, pk, *, error_message="", status=200, extra=None):
        run = selectors.proposal_run_get_for_user(user=self.request.user, pk=pk)
        levels = selectors.dunning_levels()
        filters = forms.ProposalFilterForm(self.request.GET or None, levels=levels)
        data = filters.cleaned_data if filters.is_valid() else {}
        proposals = selectors.proposal_list(
            user=self.request.user,
            run=run,
            status=data.get("status") or "",
            level=data.get("level"),
            search=data.get("q") or "",
        )
        page = selectors.proposal_page(proposals, self.request.GET.get("page"))
        decorate_proposals(page.object_list)
        query = self.request.GET.copy()
        query.pop("page", None)
        context: dict[str, Any] = {
            "run": run,
            "figures": run.figures,
            "diff": selectors.proposal_run_diff(user=self.request.user, run=run),
            "workers": run_worker_progress(run),
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "can_review": self.can_review(run),
            "final": run.state in FINAL_RUN_STATES or run.state == RunState.FAILED,
            "error_message": error_message,
            "STATUS": ProposalStatus,
            **(extra or {}),
        }
        return render(self.request, "collections/run_detail.html", context, status=status)


class ProposalExcludeView(RunMixin, View):
    """Leave an account out of the notices, with a reason (POST → ``proposal_exclude``)."""

    permission = Perm.DUNNING_RUN

    def post(self, request, pk):
        proposal = selectors.proposal_get_for_user(user=request.user, pk=pk)
        form = forms.ExcludeForm(request.POST)
        reason = form.data.get("reason", "")
        try:
            services.proposal_exclude(actor=request.user, proposal=proposal, reason=reason)
        except ApplicationError as exc:
            _reraise_access(exc)
            return self.answer(proposal, error=exc, reason=reason)
        return self.answer(proposal, done=_("Compte exclu de la relance."))

    def answer(self, proposal, *, error=None, reason="", done="", item=None):
        message = _field_message(error) if error else ""
        if self.request.htmx:
            context = self.proposal_context(
                proposal, error_message=message, error_item=item, form_value=reason
            )
            context["done_message"] = done
            context["oob"] = True  # the figures at the top follow
            return render(self.request, "collections/_proposal.html", context)
        if error is None:
            messages.success(self.request, done)
            return redirect(
                reverse("collections:dunning-run", args=[proposal.run_id])
                + f"#proposal-{proposal.pk}"
            )
        return DunningRunDetailView(request=self.request).render_page(
            proposal.run_id,
            status=400,
            extra={
                "error_proposal": proposal.pk,
                "error_item": item,
                "row_error": message,
                "form_value": reason,
            },
        )


class ProposalItemExcludeView(ProposalExcludeView):
    """Leave one item out of the notice (POST → ``proposal_item_exclude``)."""

    def post(self, request, pk):
        item = selectors.proposal_item_get_for_user(user=request.user, pk=pk)
        reason = request.POST.get("reason", "")
        try:
            services.proposal_item_exclude(actor=request.user, item=item, reason=reason)
        except ApplicationError as exc:
            _reraise_access(exc)
            return self.answer(item.proposal, error=exc, reason=reason, item=item.pk)
        return self.answer(
            item.proposal,
            done=_("Poste %(d)s exclu de la relance.") % {"d": item.open_item.document_number},
        )


def _field_message(error: ApplicationError) -> str:
    """The field message of a refusal (« Indiquez le motif… ») or its general message."""
    for field_messages in error.fields.values():
        if field_messages:
            return str(field_messages[0])
    return str(error.message)


class DunningIssueView(RunMixin, View):
    """« Émettre les relances »: the activity run of a reviewed proposal."""

    permission = Perm.DUNNING_RUN

    def post(self, request, pk):
        run = selectors.proposal_run_get_for_user(user=request.user, pk=pk)
        try:
            activity = services.dunning_issue(actor=request.user, proposal_run=run)
        except ApplicationError as exc:
            _reraise_access(exc)
            return DunningRunDetailView(request=request).render_page(
                pk, error_message=exc.message, status=400
            )
        messages.success(
            request,
            _("Relances émises (traitement n° %(n)s) : %(c)s avis.")
            % {"n": activity.pk, "c": activity.succeeded},
        )
        return redirect(reverse("collections:notice-list") + f"?run={activity.pk}")


# --- notices -----------------------------------------------------------------------------------


class NoticeListView(StaffViewMixin, View):
    permission = Perm.COLLECTION_VIEW

    def get(self, request):
        filters = forms.NoticeFilterForm(request.GET or None, levels=selectors.dunning_levels())
        data = filters.cleaned_data if filters.is_valid() else {}
        notices = selectors.notice_list(
            user=request.user,
            run_id=data.get("run"),
            account=data.get("account") or "",
            level=data.get("level"),
        )
        page = selectors.proposal_page(notices, request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "collections/notice_list.html",
            {"filters": filters, "page": page, "query": query.urlencode()},
        )


class NoticeDetailView(StaffViewMixin, View):
    permission = Perm.COLLECTION_VIEW

    def get(self, request, pk):
        notice = selectors.notice_get_for_user(user=request.user, pk=pk)
        return render(
            request,
            "collections/notice_detail.html",
            {
                "notice": notice,
                "rule_rows": selectors.rules_explained(notice.rules),
                "action_labels": [ACTION_LABELS.get(a, a) for a in notice.actions],
            },
        )


class NoticePdfView(StaffViewMixin, View):
    """The letter as sent, inline (built by the notices module)."""

    permission = Perm.COLLECTION_VIEW

    def get(self, request, pk):
        notice = selectors.notice_get_for_user(user=request.user, pk=pk)
        from robinet.collections.notices.document import notice_document
        from robinet.collections.notices.pdf import render_notice_pdf

        content = render_notice_pdf(notice_document(notice))
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="relance-{notice.number}.pdf"'
        return response


# --- an account's collection (COLL-3, COLL-13) -------------------------------------------------


class AccountCollectionView(StaffViewMixin, View):
    """The debtor's page: debt case, overdue items, blocks (add, lift), notices, timeline."""

    permission = Perm.COLLECTION_VIEW

    def get_account(self, number):
        return customer_selectors.account_get_for_user(
            user=self.request.user, number=number, perm=Perm.COLLECTION_VIEW
        )

    def get(self, request, number):
        return self.render_page(self.get_account(number))

    def render_page(self, account, *, form=None, error_message="", status=200):
        summary = selectors.account_collection(user=self.request.user, account=account)
        scope = scope_for(self.request.user)
        return render(
            self.request,
            "collections/account.html",
            {
                "account": account,
                "summary": summary,
                "items": selectors.item_levels(summary.overdue),
                "form": form or forms.BlockForm(initial={"starts_on": clock.today()}),
                "error_message": error_message,
                "can_block": scope.covers(Perm.DUNNING_RUN, account.centre),
                "can_plan": scope.covers(Perm.PLAN_MANAGE, account.centre),
                "plan_create_url": url_or_none("collections:plan-create", account.number),
                "promise_create_url": url_or_none("collections:promise-create", account.number),
                "diagnosis_create_url": url_or_none("collections:diagnosis-create", account.number),
                "can_litigate": scope.covers(Perm.LITIGATION_MANAGE, account.centre),
                "litigation_create_url": url_or_none(
                    "collections:litigation-create", account.number
                ),
                "insolvency_create_url": url_or_none(
                    "collections:insolvency-create", account.number
                ),
                "plan_url": (
                    url_or_none("collections:plan-detail", summary.active_plan.number)
                    if summary.active_plan
                    else None
                ),
            },
            status=status,
        )


class AccountCollectionCardView(AccountCollectionView):
    """The « Recouvrement » card of the customer page (loaded by htmx)."""

    def get(self, request, number):
        account = self.get_account(number)
        return render(
            request,
            "collections/_account_collection.html",
            {
                "account": account,
                "collection": selectors.account_collection(
                    user=request.user, account=account, notices=1, events=1
                ),
            },
        )


class BlockCreateView(AccountCollectionView):
    permission = Perm.DUNNING_RUN

    def post(self, request, number):
        account = self.get_account(number)
        form = forms.BlockForm(request.POST)
        if not form.is_valid():
            return self.render_page(account, form=form, status=400)
        data = form.cleaned_data
        try:
            services.block_create(
                actor=request.user,
                account=account,
                reason=data["reason"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reference=data["reference"],
                comment=data["comment"],
            )
        except ApplicationError as exc:
            _reraise_access(exc)
            add_service_errors(form, exc)
            return self.render_page(account, form=form, error_message=exc.message, status=400)
        messages.success(request, _("Relances bloquées sur le compte %(n)s.") % {"n": number})
        return redirect("collections:account-collection", number)


class BlockLiftView(AccountCollectionView):
    permission = Perm.DUNNING_RUN

    def post(self, request, pk):
        block = selectors.block_get_for_user(user=request.user, pk=pk)
        try:
            services.block_lift(actor=request.user, block=block)
        except ApplicationError as exc:
            _reraise_access(exc)
            return self.render_page(block.account, error_message=exc.message, status=400)
        messages.success(request, _("Blocage levé."))
        return redirect("collections:account-collection", block.account.number)


# --- procedures and legal rules (COLL-1, COLL-4) -----------------------------------------------


class ProceduresView(StaffViewMixin, View):
    permission = Perm.COLLECTION_VIEW

    def get(self, request):
        return render(
            request,
            "collections/procedures.html",
            {
                "procedures": selectors.procedure_list(),
                "catalogue": selectors.rule_catalogue(),
            },
        )
