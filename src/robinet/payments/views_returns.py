"""Direct-debit returns (PAY-4) and refunds (PAY-6): screens.

Thin views over :mod:`robinet.payments.returns` and :mod:`robinet.payments.refunds`:
the services check the permissions and validate.
"""

from __future__ import annotations

from django import forms as dj_forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import UploadField, date_field
from robinet.backoffice.http import StaffViewMixin
from robinet.core import exceptions
from robinet.core.exceptions import ApplicationError
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm
from robinet.payments import refunds, returns
from robinet.payments.models import RefundStatus

LIST_LIMIT = 100


class ReturnImportForm(dj_forms.Form):
    file = UploadField(label=gettext_lazy("Fichier de rejets ou de retours (pain.002, camt.054)"))


class ExportForm(dj_forms.Form):
    execution_date = date_field(gettext_lazy("Date d'exécution"), required=False)


def _errors(exc: ApplicationError) -> list[str]:
    return [m for ms in exc.fields.values() for m in ms] or [exc.message]


class ReturnFileListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def _render(self, form, errors=(), status=200):
        user = self.request.user
        return render(
            self.request,
            "payments/return_list.html",
            {
                "files": list(returns.return_file_list(user=user)[:LIST_LIMIT]),
                "form": form,
                "errors": errors,
                "can_import": scope_for(user).allows(Perm.PAYMENT_IMPORT),
                "limit": LIST_LIMIT,
            },
            status=status,
        )

    def get(self, request):
        return self._render(ReturnImportForm())

    def post(self, request):
        form = ReturnImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(form, status=422)
        upload = form.cleaned_data["file"]
        try:
            outcome = returns.return_file_import(
                actor=request.user, data=upload.read(), filename=upload.name
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            return self._render(form, errors=_errors(exc), status=422)
        messages.success(
            request,
            _("%(reversed)s règlement(s) annulé(s), %(accepted)s opération(s) acceptée(s).")
            % {"reversed": len(outcome.reversed), "accepted": len(outcome.accepted)},
        )
        for number in outcome.direct_debit_stopped:
            messages.warning(
                request,
                _("Prélèvement arrêté sur le compte %(n)s après des rejets répétés.")
                % {"n": number},
            )
        return redirect("payments:return-file", outcome.file.pk)


class ReturnFileDetailView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        return_file = returns.return_file_get(user=request.user, pk=pk)
        return render(
            request,
            "payments/return_detail.html",
            {"file": return_file, "items": list(returns.return_items(return_file))},
        )


class RefundListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def _render(self, *, skipped=(), errors=(), export_form=None, status=200):
        user = self.request.user
        every = list(refunds.refund_list(user=user)[: LIST_LIMIT * 2])
        return render(
            self.request,
            "payments/refund_list.html",
            {
                "proposed": [r for r in every if r.status == RefundStatus.PROPOSED],
                "approved": [r for r in every if r.status == RefundStatus.APPROVED],
                "exported": [r for r in every if r.status == RefundStatus.EXPORTED][:LIST_LIMIT],
                "files": list(refunds.refund_files(user=user)[:20]),
                "skipped": skipped,
                "errors": errors,
                "export_form": export_form or ExportForm(),
                "can_manage": scope_for(user).allows(Perm.PAYMENT_ALLOCATE),
            },
            status=status,
        )

    def get(self, request):
        return self._render()


class RefundProposeView(StaffViewMixin, View):
    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request):
        outcome = refunds.refunds_propose(actor=request.user)
        messages.success(
            request, _("%(n)s remboursement(s) proposé(s).") % {"n": len(outcome.proposed)}
        )
        view = RefundListView()
        view.setup(request)
        return view._render(skipped=outcome.skipped)


class RefundApproveView(StaffViewMixin, View):
    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request, number: str):
        refund = refunds.refund_get(user=request.user, number=number)
        try:
            refunds.refund_approve(actor=request.user, refund=refund)
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            view = RefundListView()
            view.setup(request)
            return view._render(errors=[f"{refund.number} : {m}" for m in _errors(exc)], status=422)
        messages.success(request, _("Remboursement %(n)s approuvé.") % {"n": refund.number})
        return redirect("payments:refunds")


class RefundExportView(StaffViewMixin, View):
    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request):
        form = ExportForm(request.POST)
        view = RefundListView()
        view.setup(request)
        if not form.is_valid():
            return view._render(export_form=form, status=422)
        try:
            refund_file = refunds.refunds_export(
                actor=request.user, execution_date=form.cleaned_data["execution_date"]
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            return view._render(export_form=form, errors=_errors(exc), status=422)
        messages.success(
            request,
            _("Fichier de virements %(id)s créé : %(n)s remboursement(s).")
            % {"id": refund_file.message_id, "n": refund_file.refunds_count},
        )
        return redirect("payments:refunds")


class RefundFileDownloadView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        refund_file = refunds.refund_file_get(user=request.user, pk=pk)
        response = HttpResponse(refund_file.content, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{refund_file.filename}"'
        return response
