"""Screens of contacts and cases: the officer's request form, the case page, the lists (CASE-1…9).

Thin views: they read through :mod:`robinet.cases.selectors`, write through
:mod:`robinet.cases.services`, and render French templates. Reading needs
``case.view``; handling ``case.handle`` on the case's centre (the services
check it again); the overdue lists and reassignment ``case.supervise``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.cases import answers, deadlines, selectors, services
from robinet.cases.answer_pdf import answer_pdf
from robinet.cases.choices import CaseStatus, Nature, OfferOutcome
from robinet.cases.forms import (
    AnswerForm,
    DeferForm,
    OfferForm,
    ReassignForm,
    RequestForm,
    TextForm,
)
from robinet.cases.models import Team
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm

VIEW, HANDLE, SUPERVISE = Perm.CASE_VIEW, Perm.CASE_HANDLE, Perm.CASE_SUPERVISE
PAGE_SIZE = 50


def _error_text(exc: ApplicationError) -> str:
    problems = [m for ms in exc.fields.values() for m in ms]
    return " ".join([str(exc.message), *problems])


def _account(request, number: str):
    return customer_selectors.account_get_for_user(user=request.user, number=number, perm=VIEW)


def _mark_deadlines(cases, now) -> None:
    """Set ``deadline_state`` (``overdue``, ``soon`` or ``""``) and the labels a row shows (CASE-3).

    One due-soon threshold for the whole list (the national calendar), and the
    choice labels translated once: a list shows up to a hundred cases.
    """
    soon = deadlines.due_soon_threshold(now)
    natures, statuses = dict(Nature.choices), dict(CaseStatus.choices)
    natures = {k: str(v) for k, v in natures.items()}
    statuses = {k: str(v) for k, v in statuses.items()}
    for case in cases:
        case.nature_label, case.status_label = natures[case.nature], statuses[case.status]
        due = case.response_due
        if not case.is_open or due is None:
            case.deadline_state = ""
        elif due < now:
            case.deadline_state = "overdue"
        else:
            case.deadline_state = "soon" if due < soon else ""


# --- the customer page's card and the request form -------------------------------------------


class AccountCasesCardView(StaffViewMixin, View):
    """The « Demandes » card of the customer page (htmx): open cases, last contacts, offers."""

    permission = VIEW

    def get(self, request, number):
        account = _account(request, number)
        now = clock.now()
        open_cases = list(selectors.open_cases_of(account))
        _mark_deadlines(open_cases, now)
        context = {
            "account": account,
            "open_cases": open_cases,
            "contacts": list(selectors.contacts_of(account)[:5]),
            "missing_services": services.services_missing(account),
            "can_handle": scope_for(request.user).covers(HANDLE, account.centre),
        }
        return render(request, "cases/_account_cases.html", context)


class RequestCreateView(StaffViewMixin, View):
    """The contact-centre officer takes a call (or a letter): contact, case, deadline."""

    permission = HANDLE
    template_name = "cases/request_form.html"

    def _render(self, request, account, form, status=200, error_message=""):
        context = {
            "account": account,
            "form": form,
            "open_cases": list(selectors.open_cases_of(account)),
            "error_message": error_message,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, number):
        account = _account(request, number)
        require_covered(request.user, HANDLE, account.centre)
        form = RequestForm(
            initial={"channel": request.GET.get("channel", "phone")},
            open_cases=selectors.open_cases_of(account),
        )
        return self._render(request, account, form)

    def post(self, request, number):
        account = _account(request, number)
        require_covered(request.user, HANDLE, account.centre)
        open_cases = list(selectors.open_cases_of(account))
        form = RequestForm(request.POST, open_cases=open_cases)
        if not form.is_valid():
            return self._render(request, account, form, status=400)
        data = form.cleaned_data
        attach_to = next((c for c in open_cases if str(c.pk) == data["attach_to"]), None)
        try:
            case = services.request_record(
                actor=request.user,
                account=account,
                channel=data["channel"],
                case_type=data["case_type"],
                subject=data["subject"],
                body=data["body"],
                nature=data["nature"] or None,
                occurred_at=data["occurred_at"],
                interlocutor=data["interlocutor"],
                attach_to=attach_to,
                handled_now=data["handled_now"],
                resolution=data["resolution"],
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(request, account, form, status=400, error_message=exc.message)
        if attach_to is not None:
            messages.success(request, _("Contact rattaché au dossier %s.") % case.number)
        else:
            messages.success(request, _("Dossier %s ouvert.") % case.number)
        return redirect("cases:case-detail", case.pk)


# --- lists --------------------------------------------------------------------------------


class CaseListView(StaffViewMixin, View):
    permission = VIEW

    def get(self, request):
        status = request.GET.get("status", "unclosed")
        nature = request.GET.get("nature", "")
        team = request.GET.get("team", "")
        q = request.GET.get("q", "").strip()
        status = status if status in {"unclosed", "", *CaseStatus.values} else "unclosed"
        nature = nature if nature in Nature.values else ""
        teams = list(Team.objects.filter(active=True))
        team_obj = next((t for t in teams if str(t.pk) == team), None)
        rows = selectors.case_list(
            user=request.user,
            status=status or None,
            nature=nature or None,
            team=team_obj,
            q=q or None,
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        _mark_deadlines(page, clock.now())
        context = {
            "page": page,
            "statuses": CaseStatus.choices,
            "natures": Nature.choices,
            "teams": teams,
            "status": status,
            "nature": nature,
            "team": team,
            "q": q,
        }
        return render(request, "cases/case_list.html", context)


class OverdueView(StaffViewMixin, View):
    """Overdue and soon-overdue cases, per team (CASE-3): the supervisor's morning list."""

    permission = VIEW

    def get(self, request):
        teams = list(Team.objects.filter(active=True))
        team = next((t for t in teams if str(t.pk) == request.GET.get("team", "")), None)
        now = clock.now()
        overdue = list(selectors.overdue_cases(user=request.user, now=now, team=team)[:PAGE_SIZE])
        soon = list(selectors.due_soon_cases(user=request.user, now=now, team=team)[:PAGE_SIZE])
        _mark_deadlines(overdue + soon, now)
        context = {
            "overdue": overdue,
            "soon": soon,
            "teams": teams,
            "team": team,
            "now": now,
            "limit": PAGE_SIZE,
            "can_supervise": scope_for(request.user).allows(SUPERVISE),
        }
        return render(request, "cases/overdue.html", context)


class TaskListView(StaffViewMixin, View):
    """Open tasks of a team (CASE-6): what deferred cases wait for."""

    permission = VIEW

    def get(self, request):
        teams = list(Team.objects.filter(active=True))
        team = next((t for t in teams if str(t.pk) == request.GET.get("team", "")), None)
        tasks = selectors.team_tasks(user=request.user, team=team)
        page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"page": page, "teams": teams, "team": team, "now": clock.now()}
        return render(request, "cases/task_list.html", context)


# --- the case page ------------------------------------------------------------------------


class CaseMixin(StaffViewMixin):
    permission = VIEW

    def get_case(self):
        return selectors.case_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class CaseDetailView(CaseMixin, View):
    def get(self, request, pk):
        case = self.get_case()
        scope = scope_for(request.user)
        can_handle = scope.covers(HANDLE, case.centre) and case.is_open
        now = clock.now()
        _mark_deadlines([case], now)
        context = {
            "case": case,
            "contacts": list(case.contacts.select_related("recorded_by").order_by("occurred_at")),
            "tasks": list(case.tasks.select_related("team").order_by("created_at")),
            "interventions": list(case.interventions.order_by("created_at")),
            "follow_ups": list(case.follow_ups.all()),
            "offers": list(case.offers.all()),
            "missing_services": (services.services_missing(case.account) if case.account else []),
            "can_handle": can_handle,
            "can_supervise": scope.covers(SUPERVISE, case.centre) and case.is_open,
            "answer_form": AnswerForm(templates=answers.template_choices()),
            "defer_form": DeferForm(initial={"team": case.team_id}),
            "reassign_form": ReassignForm(initial={"team": case.team_id}),
            "offer_outcomes": OfferOutcome.choices,
            "now": now,
        }
        return render(request, "cases/case_detail.html", context)


class CaseActionView(CaseMixin, View):
    """One POST per action of the case page; refusals come back as messages."""

    action = ""

    def post(self, request, pk):
        case = self.get_case()
        perm = SUPERVISE if self.action == "reassign" else HANDLE
        require_covered(request.user, perm, case.centre)
        try:
            message = getattr(self, f"do_{self.action}")(request, case)
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, message)
        return redirect("cases:case-detail", case.pk)

    def _text(self, request, field: str = "text") -> str:
        form = TextForm({"text": request.POST.get(field, "")})
        if not form.is_valid():
            raise exceptions.ValidationFailed({field: [_("Ce champ est obligatoire.")]})
        return form.cleaned_data["text"]

    def do_answer(self, request, case):
        form = AnswerForm(request.POST, templates=answers.template_choices())
        form.is_valid()
        contact = services.answer_send(
            actor=request.user,
            case=case,
            template_code=form.cleaned_data.get("template_code") or None,
            body=form.cleaned_data.get("body") or None,
        )
        return _("Réponse envoyée (%s).") % contact.get_channel_display().lower()

    def do_holding_reply(self, request, case):
        contact = services.holding_reply_send(actor=request.user, case=case)
        return _("Réponse d'attente envoyée (%s).") % contact.get_channel_display().lower()

    def do_defer(self, request, case):
        form = DeferForm(request.POST)
        if not form.is_valid():
            raise exceptions.ValidationFailed({"action": [_("Indiquez l'action à réaliser.")]})
        task = services.case_defer(
            actor=request.user,
            case=case,
            action=form.cleaned_data["action"],
            team=form.cleaned_data["team"],
        )
        return _("Dossier transmis à : %s.") % task.team

    def do_close(self, request, case):
        services.case_close(actor=request.user, case=case, resolution=self._text(request))
        return _("Dossier clôturé.")

    def do_cancel(self, request, case):
        services.case_cancel(actor=request.user, case=case, reason=self._text(request))
        return _("Dossier annulé.")

    def do_pause(self, request, case):
        services.case_pause(actor=request.user, case=case, reason=self._text(request))
        return _("Dossier en pause.")

    def do_resume(self, request, case):
        services.case_resume(actor=request.user, case=case)
        return _("Dossier repris.")

    def do_reassign(self, request, case):
        form = ReassignForm(request.POST)
        form.is_valid()
        services.case_reassign(actor=request.user, case=case, team=form.cleaned_data.get("team"))
        return _("Dossier réattribué.")

    def do_offer(self, request, case):
        form = OfferForm(request.POST)
        if not form.is_valid():
            raise exceptions.ValidationFailed({"service": [_("Service ou réponse inconnu.")]})
        offer = services.offer_record(
            actor=request.user,
            account=case.account,
            case=case,
            service=form.cleaned_data["service"],
            outcome=form.cleaned_data["outcome"],
        )
        return _("Proposition notée : %s.") % offer


class TaskDoneView(StaffViewMixin, View):
    permission = HANDLE

    def post(self, request, pk):
        task = selectors.task_get_for_user(user=request.user, pk=pk)
        try:
            services.task_complete(
                actor=request.user, task=task, comment=request.POST.get("comment", "")
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Tâche terminée."))
        return redirect("cases:case-detail", task.case_id)


class ContactPdfView(StaffViewMixin, View):
    """The letter of an outbound written answer, inline PDF."""

    permission = VIEW

    def get(self, request, pk):
        contact = selectors.contact_get_for_user(user=request.user, pk=pk)
        if not contact.is_answer and not contact.is_holding_reply:
            raise exceptions.NotFound(_("Ce contact n'a pas de courrier."))
        response = HttpResponse(answer_pdf(contact), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="reponse-{contact.pk}.pdf"'
        return response
