"""Screens of external agencies (COLL-8, ORG-4).

Officers (``Perm.COLLECTION_VIEW`` to read, ``Perm.AGENCY_MANAGE`` to act):
the agencies with their figures, an agency's page (assignments, reports,
export file, report import), the selection screen (rules → candidates →
assign) and the recall of a debt. Administrators (``Perm.ORG_MANAGE``): the
agency's users, linked and detached. Agency users (``Perm.AGENCY_WORK``): their
own portal, listing only the debts assigned to their agency, each with a form
to report an outcome; any other id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin
from robinet.collections import agencies, agency_files
from robinet.collections import agency_selectors as selectors
from robinet.collections import forms_agencies as forms
from robinet.collections.models import AgencyAssignment, AgencyMember, AssignmentState
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm


def _reraise_access(exc: ApplicationError) -> None:
    if isinstance(exc, exceptions.NotFound | exceptions.PermissionDenied):
        raise exc


def _require_manage(user) -> None:
    if not scope_for(user).allows(Perm.AGENCY_MANAGE):
        raise exceptions.PermissionDenied()


def _csv_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- officers ----------------------------------------------------------------------------------


class AgencyListView(StaffViewMixin, View):
    """The agencies with their figures; « Nouvelle agence » (POST)."""

    permission = Perm.COLLECTION_VIEW

    def render_page(self, form, status=200):
        return render(
            self.request,
            "collections/agencies/list.html",
            {
                "agencies": selectors.agency_list(user=self.request.user),
                "form": form,
                "can_manage": scope_for(self.request.user).allows(Perm.AGENCY_MANAGE),
            },
            status=status,
        )

    def get(self, request):
        return self.render_page(forms.AgencyForm())

    def post(self, request):
        _require_manage(request.user)
        form = forms.AgencyForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            agency = agencies.agency_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _reraise_access(exc)
            add_service_errors(form, exc)
            return self.render_page(form, status=400)
        messages.success(request, _("Agence %(c)s créée.") % {"c": agency.code})
        return redirect("collections:agency-detail", agency.code)


class AgencyDetailView(StaffViewMixin, View):
    """An agency: figures, live and past assignments, reports, export and import."""

    permission = Perm.COLLECTION_VIEW

    def render_page(self, agency, *, import_form=None, issues=(), error_message="", status=200):
        user = self.request.user
        assignments = list(selectors.assignment_list(user=user, agency=agency))
        collected = selectors.collected_by_assignment([a.pk for a in assignments])
        for assignment in assignments:
            assignment.collected = collected[assignment.pk]
        figures = selectors.agency_figures(user=user, agencies=[agency])[agency.pk]
        return render(
            self.request,
            "collections/agencies/detail.html",
            {
                "agency": agency,
                "figures": figures,
                "live": [a for a in assignments if a.state == AssignmentState.ASSIGNED],
                "past": [a for a in assignments if a.state != AssignmentState.ASSIGNED],
                "reports": selectors.report_list(user=user, agency=agency),
                "import_form": import_form or forms.ImportForm(),
                "recall_form": forms.RecallForm(),
                "issues": issues,
                "error_message": error_message,
                "can_manage": scope_for(user).allows(Perm.AGENCY_MANAGE),
                "can_link_users": scope_for(user).allows(Perm.ORG_MANAGE),
            },
            status=status,
        )

    def get(self, request, code):
        return self.render_page(selectors.agency_get(code=code))


class AgencyExportView(StaffViewMixin, View):
    """The assignment file of an agency (CSV), for the officer to send it."""

    permission = Perm.AGENCY_MANAGE

    def get(self, request, code):
        agency = selectors.agency_get(code=code)
        data = agency_files.assignment_export(actor=request.user, agency=agency)
        return _csv_response(data, agency_files.export_filename(agency))


class AgencyImportView(AgencyDetailView):
    """The agency's report file (POST): all or nothing, errors by line and column."""

    permission = Perm.AGENCY_MANAGE

    def get(self, request, code):
        return redirect("collections:agency-detail", code)

    def post(self, request, code):
        agency = selectors.agency_get(code=code)
        form = forms.ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(agency, import_form=form, status=400)
        upload = form.cleaned_data["file"]
        try:
            outcome = agency_files.reports_import(
                actor=request.user, agency=agency, source=upload.read(), filename=upload.name
            )
        except InvalidImportFile as exc:
            return self.render_page(
                agency,
                import_form=form,
                issues=exc.issues,
                error_message=_("Fichier refusé : rien n'a été importé. Corrigez ces lignes puis "
                                "importez à nouveau le fichier entier."),
                status=422,
            )  # fmt: skip
        except AlreadyImported as exc:
            return self.render_page(agency, import_form=form, error_message=exc.message, status=409)
        except ApplicationError as exc:
            _reraise_access(exc)
            return self.render_page(agency, import_form=form, error_message=exc.message, status=400)
        messages.success(
            request,
            _("Compte rendu importé : %(n)s lignes enregistrées, %(s)s déjà connues.")
            % {"n": len(outcome.created), "s": outcome.skipped},
        )
        return redirect("collections:agency-detail", agency.code)


class AgencyMembersView(StaffViewMixin, View):
    """The administrator links external users to the agency, or detaches them (ORG-4).

    Linking users is managing rights (``Perm.ORG_MANAGE``); the service also
    checks ``Perm.AGENCY_MANAGE``.
    """

    permission = Perm.ORG_MANAGE

    def render_page(self, agency, form=None, status=200):
        return render(
            self.request,
            "collections/agencies/members.html",
            {
                "agency": agency,
                "members": selectors.agency_members(agency=agency),
                "form": form or forms.MemberForm(users=selectors.linkable_users(agency=agency)),
            },
            status=status,
        )

    def get(self, request, code):
        return self.render_page(selectors.agency_get(code=code))

    def post(self, request, code):
        agency = selectors.agency_get(code=code)
        if "unlink" in request.POST:
            member = AgencyMember.objects.filter(
                agency=agency, pk=request.POST.get("unlink") or 0
            ).first()
            if member is None:
                raise exceptions.NotFound()
            username = member.user.get_username()
            agencies.member_unlink(actor=request.user, member=member)
            messages.success(
                request, _("%(u)s n'est plus rattaché(e) à l'agence.") % {"u": username}
            )
            return redirect("collections:agency-members", agency.code)
        users = selectors.linkable_users(agency=agency)
        form = forms.MemberForm(request.POST, users=users)
        if not form.is_valid():
            return self.render_page(agency, form, status=400)
        user = next(u for u in users if str(u.pk) == form.cleaned_data["user"])
        try:
            agencies.member_link(actor=request.user, agency=agency, user=user)
        except ApplicationError as exc:
            _reraise_access(exc)
            add_service_errors(form, exc)
            return self.render_page(agency, form, status=400)
        messages.success(
            request,
            _("%(u)s est rattaché(e) à l'agence %(a)s.")
            % {"u": user.get_username(), "a": agency.name},
        )
        return redirect("collections:agency-members", agency.code)


class AgencyClosePaidView(StaffViewMixin, View):
    permission = Perm.AGENCY_MANAGE

    def post(self, request, code):
        agency = selectors.agency_get(code=code)
        closed = agencies.assignments_close_paid(actor=request.user, agency=agency)
        messages.success(request, _("%(n)s dette(s) soldée(s) close(s).") % {"n": len(closed)})
        return redirect("collections:agency-detail", agency.code)


def _entities(user) -> list[Entity]:
    scope = scope_for(user)
    return [e for e in Entity.objects.order_by("path") if scope.covers(Perm.AGENCY_MANAGE, e)]


class AgencyAssignView(StaffViewMixin, View):
    """Selection rules (GET) → candidates → « Confier à l'agence » (POST)."""

    permission = Perm.AGENCY_MANAGE

    def render_page(self, rules, *, selected=(), error_message="", agency_code="", status=200):
        user = self.request.user
        candidates = []
        if rules.is_bound and rules.is_valid():
            data = rules.cleaned_data
            entity = Entity.objects.filter(code=data["entity"]).first() if data["entity"] else None
            candidates = selectors.assignment_candidates(
                user=user,
                min_amount=data["min_amount"] or 0,
                min_level=data["min_level"] or 0,
                min_age_days=data["min_age_days"] or 0,
                classes=data["classes"],
                entity=entity,
            )
        return render(
            self.request,
            "collections/agencies/assign.html",
            {
                "rules": rules,
                "searched": rules.is_bound,
                "candidates": candidates,
                "agencies": selectors.agency_list(user=user, active_only=True),
                "agency_code": agency_code or self.request.GET.get("agency", ""),
                "selected": set(selected),
                "error_message": error_message,
            },
            status=status,
        )

    def rules_form(self, data):
        bound = data if any(k in data for k in forms.SelectionForm.base_fields) else None
        return forms.SelectionForm(bound, entities=_entities(self.request.user))

    def get(self, request):
        return self.render_page(self.rules_form(request.GET))

    def post(self, request):
        rules = self.rules_form(request.POST)
        numbers = request.POST.getlist("accounts")
        agency_code = request.POST.get("agency", "")
        try:
            agency = selectors.agency_get(code=agency_code)
            if not numbers:
                raise exceptions.ValidationFailed(
                    {"accounts": [_("Cochez au moins un compte à confier.")]}
                )
            accounts = list(CustomerAccount.objects.filter(number__in=numbers))
            assignments = agencies.debts_assign(
                actor=request.user, agency=agency, accounts=accounts
            )
        except exceptions.NotFound:
            return self.render_page(
                rules, selected=numbers, error_message=_("Choisissez une agence."), status=400
            )
        except ApplicationError as exc:
            _reraise_access(exc)
            message = " ".join(m for ms in exc.fields.values() for m in ms) or exc.message
            return self.render_page(
                rules, selected=numbers, error_message=message, agency_code=agency_code, status=400
            )
        messages.success(
            request,
            _("%(n)s compte(s) confié(s) à %(a)s ; leurs relances sont suspendues.")
            % {"n": len(assignments), "a": agency.name},
        )
        return redirect("collections:agency-detail", agency.code)


class AssignmentRecallView(StaffViewMixin, View):
    permission = Perm.AGENCY_MANAGE

    def post(self, request, pk):
        assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
        form = forms.RecallForm(request.POST)
        form.is_valid()
        try:
            agencies.assignment_recall(
                actor=request.user,
                assignment=assignment,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ApplicationError as exc:
            _reraise_access(exc)
            message = " ".join(m for ms in exc.fields.values() for m in ms) or exc.message
            messages.error(request, message)
        else:
            messages.success(
                request,
                _("Dette %(r)s rappelée ; les relances reprennent.") % {"r": assignment.reference},
            )
        return redirect("collections:agency-detail", assignment.agency.code)


# --- the agency's portal (ORG-4) ---------------------------------------------------------------


class AgencyPortalView(StaffViewMixin, View):
    """The debts assigned to the user's agency — and nothing else."""

    permission = Perm.AGENCY_WORK

    def get(self, request):
        agency, assignments = selectors.portal_assignments(user=request.user)
        assignments = list(assignments)
        return render(
            request,
            "collections/agencies/portal.html",
            {
                "agency": agency,
                "assignments": assignments,
                "total": sum((a.amount for a in assignments), 0),
            },
        )


class AgencyPortalAssignmentView(StaffViewMixin, View):
    """One assigned debt: what is owed, what was reported, and a report form."""

    permission = Perm.AGENCY_WORK

    def render_page(self, assignment: AgencyAssignment, form, status=200):
        return render(
            self.request,
            "collections/agencies/portal_assignment.html",
            {
                "assignment": assignment,
                "row": agency_files.export_rows([assignment])[0],
                "items": sorted(assignment.items.all(), key=lambda i: i.open_item.due_date),
                "reports": assignment.reports.order_by("-reported_on", "-pk"),
                "form": form,
            },
            status=status,
        )

    def get(self, request, pk):
        assignment = selectors.portal_assignment_get(user=request.user, pk=pk)
        return self.render_page(
            assignment, forms.ReportForm(initial={"reported_on": clock.today()})
        )

    def post(self, request, pk):
        assignment = selectors.portal_assignment_get(user=request.user, pk=pk)
        form = forms.ReportForm(request.POST)
        if not form.is_valid():
            return self.render_page(assignment, form, status=400)
        try:
            agencies.report_record(actor=request.user, assignment=assignment, **form.cleaned_data)
        except ApplicationError as exc:
            _reraise_access(exc)
            add_service_errors(form, exc)
            return self.render_page(assignment, form, status=400)
        messages.success(request, _("Compte rendu enregistré."))
        return redirect("collections:agency-portal-assignment", assignment.pk)


class AgencyPortalExportView(StaffViewMixin, View):
    permission = Perm.AGENCY_WORK

    def get(self, request):
        agency, _assignments = selectors.portal_assignments(user=request.user)
        data = agency_files.assignment_export(actor=request.user, agency=agency)
        return _csv_response(data, agency_files.export_filename(agency))
