"""Screens of field interventions and the appointment book (CASE-8).

Thin views: reads through :mod:`robinet.cases.field_selectors`, writes through
:mod:`robinet.cases.field`. ``case.view`` to read, ``case.handle`` to create and
book (checked again by the services), ``case.field`` for reports and the
scheduler's list.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.cases import field
from robinet.cases import field_selectors as selectors
from robinet.cases import interventions as rules
from robinet.cases.choices import AppointmentStatus, InterventionStatus
from robinet.cases.forms_field import (
    BookFilterForm,
    InterventionForm,
    ReasonForm,
    ReportForm,
    SchedulerForm,
)
from robinet.cases.models import Case, FieldTeam
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm

VIEW, HANDLE, SCHEDULE = Perm.CASE_VIEW, Perm.CASE_HANDLE, Perm.FIELD_SCHEDULE
LIST_LIMIT = 200


def _error_text(exc: ApplicationError) -> str:
    problems = [m for ms in exc.fields.values() for m in ms]
    return " ".join([str(exc.message), *problems])


def _intervention(request, pk: int):
    return selectors.intervention_get_for_user(user=request.user, pk=pk)


def _time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise exceptions.ValidationFailed({"starts_at": [_("Créneau invalide.")]}) from None


def _date(value: str, name: str = "day") -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise exceptions.ValidationFailed({name: [_("Date invalide.")]}) from None


class InterventionCreateView(StaffViewMixin, View):
    """Trigger an intervention from a case; then book it when an appointment is needed."""

    permission = HANDLE
    template_name = "cases/field/intervention_form.html"

    def _case(self, request, case_pk):
        case = Case.objects.select_related("account__party", "centre").filter(pk=case_pk).first()
        if case is None or not scope_for(request.user).covers(VIEW, case.centre):
            raise exceptions.NotFound()
        require_covered(request.user, HANDLE, case.centre)
        return case

    def _render(self, request, case, form, status=200):
        return render(request, self.template_name, {"case": case, "form": form}, status=status)

    def get(self, request, case_pk):
        case = self._case(request, case_pk)
        phone = case.account.party.mobile if case.account_id else ""
        return self._render(request, case, InterventionForm(initial={"contact_phone": phone}))

    def post(self, request, case_pk):
        case = self._case(request, case_pk)
        form = InterventionForm(request.POST)
        if not form.is_valid():
            return self._render(request, case, form, status=422)
        try:
            intervention = field.intervention_create(
                actor=request.user, case=case, **form.cleaned_data
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(request, case, form, status=422)
        messages.success(
            request,
            _("Intervention %(number)s déclenchée. %(instruction)s")
            % {
                "number": intervention.number,
                "instruction": rules.contact_instruction(
                    case.channel, intervention.appointment_required
                ),
            },
        )
        if intervention.appointment_required:
            return redirect("cases:appointment-slots", intervention.pk)
        return redirect("cases:intervention-detail", intervention.pk)


class InterventionDetailView(StaffViewMixin, View):
    """Status, appointment, actions; the field report for the scheduling team."""

    permission = VIEW
    template_name = "cases/field/intervention_detail.html"

    def _context(self, request, intervention, **forms):
        scope = scope_for(request.user)
        live = intervention.status not in (
            InterventionStatus.DONE,
            InterventionStatus.MISSED,
            InterventionStatus.CANCELLED,
        )
        return {
            "intervention": intervention,
            "appointment": selectors.live_appointment(intervention),
            "appointments": selectors.appointments_of(intervention),
            "can_handle": live and scope.covers(HANDLE, intervention.centre),
            "can_report": live and scope.covers(SCHEDULE, intervention.centre),
            "instruction": rules.contact_instruction(
                intervention.case.channel, intervention.appointment_required
            ),
            "reason_form": forms.get("reason_form") or ReasonForm(),
            "report_form": forms.get("report_form") or ReportForm(),
        }

    def get(self, request, pk):
        intervention = _intervention(request, pk)
        return render(request, self.template_name, self._context(request, intervention))

    def post(self, request, pk):
        intervention = _intervention(request, pk)
        action = request.POST.get("action", "")
        if action == "report":
            require_covered(request.user, SCHEDULE, intervention.centre)
            form = ReportForm(request.POST)
            if form.is_valid():
                try:
                    field.report_record(
                        actor=request.user, intervention=intervention, **form.cleaned_data
                    )
                except (exceptions.PermissionDenied, exceptions.NotFound):
                    raise
                except ApplicationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("Compte rendu enregistré."))
                    return redirect("cases:intervention-detail", pk)
            context = self._context(request, intervention, report_form=form)
            return render(request, self.template_name, context, status=422)
        require_covered(request.user, HANDLE, intervention.centre)
        reason = request.POST.get("reason", "")
        try:
            if action == "cancel_appointment":
                appointment = selectors.live_appointment(intervention)
                if appointment is None:
                    raise exceptions.InvalidTransition(_("Aucun rendez-vous réservé."))
                field.appointment_cancel(actor=request.user, appointment=appointment, reason=reason)
                messages.success(request, _("Rendez-vous annulé."))
            elif action == "cancel":
                field.intervention_cancel(
                    actor=request.user, intervention=intervention, reason=reason
                )
                messages.success(request, _("Intervention annulée."))
            else:
                messages.error(request, _("Action inconnue."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("cases:intervention-detail", pk)


class AppointmentSlotsView(StaffViewMixin, View):
    """The proposed slots J+2…J+10 as buttons by day; none → to the scheduler (CASE-8)."""

    permission = VIEW
    template_name = "cases/field/slots.html"

    def _render(self, request, intervention, scheduler_form=None, status=200):
        rows = field.slots_available(intervention=intervention)
        days = [(day, list(slots)) for day, slots in groupby(rows, key=lambda r: r[1])]
        context = {
            "intervention": intervention,
            "appointment": selectors.live_appointment(intervention),
            "days": days,
            "can_handle": scope_for(request.user).covers(HANDLE, intervention.centre),
            "scheduler_form": scheduler_form
            or SchedulerForm(initial={"contact_phone": intervention.contact_phone}),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self._render(request, _intervention(request, pk))

    def post(self, request, pk):
        intervention = _intervention(request, pk)
        require_covered(request.user, HANDLE, intervention.centre)
        if request.POST.get("action") == "scheduler":
            form = SchedulerForm(request.POST)
            form.is_valid()
            try:
                field.to_scheduler(
                    actor=request.user,
                    intervention=intervention,
                    phone_checked=form.cleaned_data.get("phone_checked", False),
                    contact_phone=form.cleaned_data.get("contact_phone") or None,
                )
            except (exceptions.PermissionDenied, exceptions.NotFound):
                raise
            except ApplicationError as exc:
                add_service_errors(form, exc)
                if not exc.fields:
                    form.add_error(None, str(exc.message))
                return self._render(request, intervention, form, status=422)
            messages.success(request, _("Transmise à l'ordonnancement, qui rappellera le client."))
            return redirect("cases:intervention-detail", pk)
        try:
            team = FieldTeam.objects.filter(pk=request.POST.get("team") or 0).first()
            if team is None:
                raise exceptions.ValidationFailed({"team": [_("Équipe terrain inconnue.")]})
            day = _date(request.POST.get("day"))
            starts_at = _time(request.POST.get("starts_at"))
            current = selectors.live_appointment(intervention)
            if current is not None:
                field.appointment_reschedule(
                    actor=request.user, appointment=current, team=team, day=day,
                    starts_at=starts_at, reason=_("Rendez-vous déplacé à la demande du client"),
                )  # fmt: skip
            else:
                field.appointment_book(
                    actor=request.user, intervention=intervention, team=team, day=day,
                    starts_at=starts_at,
                )  # fmt: skip
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
            return redirect("cases:appointment-slots", pk)
        messages.success(
            request,
            _("Rendez-vous pris le %(day)s à %(time)s. Le client recevra un SMS la veille.")
            % {"day": f"{day:%d/%m/%Y}", "time": f"{starts_at:%H:%M}"},
        )
        return redirect("cases:intervention-detail", pk)


class SchedulerView(StaffViewMixin, View):
    """The scheduling team's call-back list (§5.1.6.1 b)."""

    permission = SCHEDULE
    template_name = "cases/field/scheduler.html"

    def get(self, request):
        rows = selectors.scheduler_list(user=request.user)[:LIST_LIMIT]
        return render(request, self.template_name, {"interventions": rows})


class AppointmentBookView(StaffViewMixin, View):
    """A team's book: the week's slots, booked appointments and room left."""

    permission = VIEW
    template_name = "cases/field/book.html"

    def get(self, request):
        teams = selectors.team_list(user=request.user)
        form = BookFilterForm(request.GET or None, teams=teams)
        team, start = None, clock.today()
        if form.is_bound and form.is_valid():
            team = form.cleaned_data["team"]
            start = form.cleaned_data["day"] or start
        team = team or teams.first()
        start -= dt.timedelta(days=start.weekday())
        days = [start + dt.timedelta(days=n) for n in range(6)]
        week = []
        if team is not None:
            calendar = field.calendar_of(None)
            week = [
                (day, slots)
                for day, slots in selectors.team_book(team=team, days=days)
                if calendar.is_working_day(day)
            ]
        context = {
            "form": form,
            "team": team,
            "week": week,
            "previous": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "booked": AppointmentStatus.BOOKED,
        }
        return render(request, self.template_name, context)
