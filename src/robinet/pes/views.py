"""Back-office screens of the public-accountant bridge (régie, PES V2).

Thin views: the exports with their download, the recovery-status imports with
their outcome (and the form to import one), the export of a billing run (a
button on the run's page), a customer account's titles. The services check
the permissions again.
"""

from __future__ import annotations

from django import forms as dj_forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import UploadField
from robinet.backoffice.http import StaffViewMixin
from robinet.billing import selectors as billing_selectors
from robinet.core import exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import can
from robinet.organisation.roles import Perm
from robinet.pes import selectors
from robinet.pes.conf import is_regie
from robinet.pes.services import pes_export
from robinet.pes.status import status_import

LIST_LIMIT = 100


class StatusImportForm(dj_forms.Form):
    file = UploadField(label=gettext_lazy("Retours du comptable public (CSV)"))


class ExportListView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request):
        return render(
            request,
            "pes/export_list.html",
            {
                "exports": list(selectors.export_list(user=request.user)[:LIST_LIMIT]),
                "imports": list(selectors.status_import_list(user=request.user)[:LIST_LIMIT]),
                "can_import": can(request.user, Perm.PAYMENT_IMPORT),
                "can_export": can(request.user, Perm.BILLING_RUN),
                "regie": is_regie(),
                "limit": LIST_LIMIT,
            },
        )


class ExportDetailView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request, pk: int):
        export = selectors.export_get(user=request.user, pk=pk)
        return render(
            request,
            "pes/export_detail.html",
            {
                "export": export,
                "titles": list(export.title_rows.select_related("invoice", "account__party")),
                "reductions": list(export.reduction_rows.select_related("title", "credit_note")),
            },
        )


class ExportFileView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request, pk: int):
        export = selectors.export_get(user=request.user, pk=pk)
        response = HttpResponse(bytes(export.content), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


class RunExportView(StaffViewMixin, View):
    """The button of a billing run's page: title the run (POST), then show the export."""

    permission = Perm.BILLING_RUN

    def post(self, request, run_pk: int | None = None):
        run = billing_selectors.run_get_for_user(user=request.user, pk=run_pk) if run_pk else None
        try:
            export = pes_export(actor=request.user, run=run)
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("billing:run-detail", run_pk) if run_pk else redirect("pes:exports")
        messages.success(
            request,
            _("Export PES : %(t)s titre(s) pour %(a)s €, %(r)s réduction(s).")
            % {"t": export.titles, "a": export.total, "r": export.reductions},
        )
        return redirect("pes:export-detail", export.pk)


class StatusImportView(StaffViewMixin, View):
    permission = Perm.PAYMENT_IMPORT

    def _render(self, form, issues=(), error_message="", status=200):
        return render(
            self.request,
            "pes/status_import.html",
            {"form": form, "issues": issues, "error_message": error_message},
            status=status,
        )

    def get(self, request):
        return self._render(StatusImportForm())

    def post(self, request):
        form = StatusImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(form, status=422)
        upload = form.cleaned_data["file"]
        try:
            record = status_import(actor=request.user, source=upload.read(), filename=upload.name)
        except exceptions.PermissionDenied:
            raise
        except InvalidImportFile as exc:
            return self._render(
                form,
                issues=exc.issues,
                error_message=_("Fichier refusé, rien n'a été importé."),
                status=422,
            )
        except ApplicationError as exc:
            return self._render(form, error_message=exc.message, status=422)
        outcome = record.outcome
        messages.success(
            request,
            _(
                "%(l)s ligne(s) importée(s) : %(p)s paiement(s) (%(pa)s €), %(e)s poursuite(s), "
                "%(w)s admission(s) en non-valeur (%(wa)s €), %(c)s annulation(s)."
            )
            % {
                "l": outcome["lines"],
                "p": outcome["paid_count"],
                "pa": outcome["paid_amount"],
                "e": outcome["enforcement_count"],
                "w": outcome["written_off_count"],
                "wa": outcome["written_off_amount"],
                "c": outcome["cancelled_count"],
            },
        )
        return redirect("pes:exports")


class AccountTitlesView(StaffViewMixin, View):
    """A customer account's titles: number, amount, recovery status, the accountant's events."""

    permission = Perm.BILLING_VIEW

    def get(self, request, number: str):
        account = customer_selectors.account_get_for_user(user=request.user, number=number)
        titles = list(selectors.titles_for_account(user=request.user, account=account))
        for title in titles:
            title.event_rows = list(selectors.title_events(title))
        return render(request, "pes/account_titles.html", {"account": account, "titles": titles})
