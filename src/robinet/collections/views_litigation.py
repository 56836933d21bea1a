"""Screens of litigation (COLL-9) and insolvency files (COLL-12).

Thin views: reads through :mod:`robinet.collections.litigation_selectors`,
writes through :mod:`robinet.collections.litigation` and
:mod:`robinet.collections.insolvency`. Reading needs ``collection.view``;
every change ``collection.litigation`` on the account's centre.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.collections import insolvency as ins
from robinet.collections import litigation as lit
from robinet.collections import litigation_booking as booking
from robinet.collections import litigation_selectors as selectors
from robinet.collections.forms_litigation import CostForm, InsolvencyForm, LitigationOpenForm
from robinet.collections.litigation_pdf import bundle_pdf
from robinet.collections.models import (
    CostKind,
    InsolvencyKind,
    InsolvencyState,
    LitigationStage,
)
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm

LIST_LIMIT = 100
VIEW, MANAGE = Perm.COLLECTION_VIEW, Perm.LITIGATION_MANAGE


def _can_manage(user, account) -> bool:
    return scope_for(user).covers(MANAGE, account.centre)


def _account(request, number: str):
    return customer_selectors.account_get_for_user(user=request.user, number=number, perm=VIEW)


def _error_text(exc: ApplicationError) -> str:
    problems = [str(m) for ms in exc.fields.values() for m in ms]
    return " ".join([str(exc.message), *problems])


def _day(value, default=None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else (default or clock.today())
    except ValueError:
        raise exceptions.ValidationFailed({"on": [_("Date invalide.")]}) from None


# --- litigation --------------------------------------------------------------------------------


class LitigationListView(StaffViewMixin, View):
    permission = VIEW

    def get(self, request):
        stage = request.GET.get("stage", "")
        if stage not in LitigationStage.values:
            stage = ""
        account = request.GET.get("account", "")
        files = list(
            selectors.litigation_list(user=request.user, stage=stage, account=account)[:LIST_LIMIT]
        )
        return render(
            request,
            "collections/litigation/litigation_list.html",
            {
                "files": files,
                "stages": LitigationStage.choices,
                "stage": stage,
                "account": account,
                "limit": LIST_LIMIT,
            },
        )


class LitigationMixin(StaffViewMixin):
    permission = VIEW

    def get_file(self):
        return selectors.litigation_get_for_user(user=self.request.user, number=self.kwargs["file"])


class LitigationDetailView(LitigationMixin, View):
    def get(self, request, file):
        file = self.get_file()
        can_manage = _can_manage(request.user, file.account) and not file.is_closed
        stages = [
            (
                value,
                label,
                getattr(file, lit.STAGE_DATE[value]) if value in lit.STAGE_DATE else None,
            )
            for value, label in LitigationStage.choices
            if value != LitigationStage.DRAFT
        ]
        context = {
            "file": file,
            "items": selectors.litigation_items(file),
            "costs": file.costs.all(),
            "costs_total": lit.costs_total(file),
            "eligibility": lit.account_eligibility(
                file.account,
                [i.open_item for i in file.items.select_related("open_item")],
                file.opened_on,
            ),
            "stages": stages,
            "next_stages": [(s, LitigationStage(s).label) for s in lit.allowed_stages(file)]
            if can_manage
            else [],
            "cost_kinds": CostKind.choices,
            "recoveries": file.recoveries.select_related("payment"),
            "recovered_total": booking.recovered_total(file),
            "costs_to_reinvoice": file.costs.filter(invoice__isnull=True).exists(),
            "reinvoice_allowed_without_order": booking.reinvoice_allowed(
                file.account.customer_class, court_order=False
            ),
            "can_manage": can_manage,
            "events": selectors.file_events(file),
            "today": clock.today(),
        }
        return render(request, "collections/litigation/litigation_detail.html", context)


class LitigationBundleView(LitigationMixin, View):
    def get(self, request, file):
        content, filename = bundle_pdf(self.get_file())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class LitigationStageView(LitigationMixin, View):
    def post(self, request, file):
        file = self.get_file()
        require_covered(request.user, MANAGE, file.account.centre)
        stage = request.POST.get("stage", "")
        try:
            lit.litigation_stage(
                file,
                stage,
                request.user,
                on=_day(request.POST.get("on")),
                note=request.POST.get("note", "")[:200],
            )
            messages.success(request, _("Étape enregistrée."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("collections:litigation-detail", file.number)


class LitigationCostView(LitigationMixin, View):
    def post(self, request, file):
        file = self.get_file()
        require_covered(request.user, MANAGE, file.account.centre)
        form = CostForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, _("Frais invalides : vérifiez la nature, le montant et la date.")
            )
            return redirect("collections:litigation-detail", file.number)
        try:
            lit.litigation_cost_add(
                file,
                form.cleaned_data["kind"],
                form.cleaned_data["amount"],
                request.user,
                on=form.cleaned_data["on"],
                label=form.cleaned_data["label"],
            )
            messages.success(request, _("Frais enregistrés."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("collections:litigation-detail", file.number)


class LitigationOutcomeView(LitigationMixin, View):
    """Book money on the file (COLL-9): re-invoice its costs, a recovery, an unenforceable
    judgment (which proposes a write-off)."""

    def post(self, request, file):
        file = self.get_file()
        require_covered(request.user, MANAGE, file.account.centre)
        action = request.POST.get("action", "")
        on = _day(request.POST.get("on"))
        try:
            if action == "reinvoice":
                invoice = booking.costs_reinvoice(
                    file, request.user, court_order=request.POST.get("court_order") == "1", on=on
                )
                messages.success(
                    request, _("Frais refacturés : facture %(f)s.") % {"f": invoice.number}
                )
            elif action == "recovery":
                recovery = booking.recovery_book(
                    file,
                    request.POST.get("amount", ""),
                    request.user,
                    on=on,
                    note=request.POST.get("note", "")[:200],
                )
                messages.success(
                    request,
                    _("Recouvrement enregistré : règlement %(p)s.")
                    % {"p": recovery.payment.number},
                )
            elif action == "unenforceable":
                file = booking.unenforceable_record(
                    file, request.user, reason=request.POST.get("reason", "")[:200], on=on
                )
                messages.success(
                    request,
                    _("Dossier clos ; admission en non-valeur %(w)s proposée.")
                    % {"w": file.write_off_request.number if file.write_off_request else "—"},
                )
            else:
                raise exceptions.ValidationFailed({"action": [_("Action inconnue.")]})
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("collections:litigation-detail", file.number)


class LitigationCreateView(StaffViewMixin, View):
    """Open a file from an account: the checks, the overdue items, the court."""

    permission = MANAGE
    template_name = "collections/litigation/litigation_form.html"

    def _render(self, request, account, form, error_message=""):
        items = lit.overdue_items(account)
        return render(
            request,
            self.template_name,
            {
                "account": account,
                "form": form,
                "open_items": items,
                "checked": set(form["items"].value() or []),
                "eligibility": lit.account_eligibility(account, items),
                "error_message": error_message,
            },
        )

    def get(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        items = lit.overdue_items(account)
        form = LitigationOpenForm(initial={"items": [str(i.pk) for i in items]}, open_items=items)
        return self._render(request, account, form)

    def post(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        form = LitigationOpenForm(request.POST, open_items=lit.overdue_items(account))
        if not form.is_valid():
            return self._render(request, account, form)
        try:
            file = lit.litigation_open(
                account,
                [int(i) for i in form.cleaned_data["items"]] or None,
                request.user,
                court=form.cleaned_data["court"],
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            return self._render(request, account, form, _error_text(exc))
        messages.success(request, _("Dossier contentieux %(n)s ouvert.") % {"n": file.number})
        return redirect("collections:litigation-detail", file.number)


# --- insolvency --------------------------------------------------------------------------------


class InsolvencyListView(StaffViewMixin, View):
    permission = VIEW

    def get(self, request):
        state = request.GET.get("state", "")
        if state not in InsolvencyState.values:
            state = ""
        files = list(selectors.insolvency_list(user=request.user, state=state)[:LIST_LIMIT])
        visible = {f.pk for f in selectors.insolvency_list(user=request.user)}
        deadlines = [f for f in ins.deadlines_approaching() if f.pk in visible]
        return render(
            request,
            "collections/litigation/insolvency_list.html",
            {
                "files": files,
                "deadlines": deadlines,
                "states": InsolvencyState.choices,
                "state": state,
                "limit": LIST_LIMIT,
                "today": clock.today(),
            },
        )


class InsolvencyMixin(StaffViewMixin):
    permission = VIEW

    def get_file(self):
        return selectors.insolvency_get_for_user(user=self.request.user, number=self.kwargs["file"])


class InsolvencyDetailView(InsolvencyMixin, View):
    def get(self, request, file):
        file = self.get_file()
        return render(
            request,
            "collections/litigation/insolvency_detail.html",
            {
                "file": file,
                "items": file.items.select_related("open_item").order_by("open_item__due_date"),
                "can_manage": _can_manage(request.user, file.account)
                and file.state != InsolvencyState.CLOSED,
                "events": selectors.file_events(file),
                "today": clock.today(),
            },
        )


class InsolvencyActionView(InsolvencyMixin, View):
    def post(self, request, file):
        file = self.get_file()
        require_covered(request.user, MANAGE, file.account.centre)
        action = request.POST.get("action", "")
        on = None
        try:
            on = _day(request.POST.get("on"))
            if action == "declare":
                amount = request.POST.get("amount", "").replace(",", ".").strip()
                try:
                    value = Decimal(amount) if amount else None
                except InvalidOperation:
                    raise exceptions.ValidationFailed(
                        {"amount": [_("Montant invalide.")]}
                    ) from None
                ins.claim_declare(file, on, request.user, amount=value)
            elif action == "plan":
                ins.plan_apply(file, request.POST.get("terms", ""), on, request.user)
            elif action == "erase":
                ins.erasure_apply(
                    file,
                    on,
                    request.user,
                    write_off_reference=request.POST.get("write_off_reference", ""),
                )
            elif action == "close":
                ins.insolvency_close(file, on, request.user)
            else:
                raise exceptions.ValidationFailed({"action": [_("Action inconnue.")]})
            messages.success(request, _("Dossier mis à jour."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("collections:insolvency-detail", file.number)


class InsolvencyCreateView(StaffViewMixin, View):
    permission = MANAGE
    template_name = "collections/litigation/insolvency_form.html"

    def get(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        kind = (
            InsolvencyKind.OVER_INDEBTEDNESS
            if account.party.kind == "person"
            else InsolvencyKind.RECEIVERSHIP
        )
        form = InsolvencyForm(initial={"kind": kind, "opened_on": clock.today()})
        return render(request, self.template_name, {"account": account, "form": form})

    def post(self, request, number):
        account = _account(request, number)
        require_covered(request.user, MANAGE, account.centre)
        form = InsolvencyForm(request.POST)
        error = ""
        if form.is_valid():
            data = form.cleaned_data
            try:
                file = ins.insolvency_record(
                    account,
                    data["kind"],
                    data["opened_on"],
                    request.user,
                    bodacc_on=data["bodacc_on"],
                    reference=data["reference"],
                    administrator=data["administrator"],
                )
            except (exceptions.PermissionDenied, exceptions.NotFound):
                raise
            except ApplicationError as exc:
                error = _error_text(exc)
            else:
                messages.success(
                    request,
                    _("Dossier %(n)s enregistré ; relances suspendues.") % {"n": file.number},
                )
                return redirect("collections:insolvency-detail", file.number)
        return render(
            request,
            self.template_name,
            {"account": account, "form": form, "error_message": error},
        )
