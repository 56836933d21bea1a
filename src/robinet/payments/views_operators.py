"""Collection operators and agencies (PAY-8): operators, transfers, statements.

Thin views over :mod:`robinet.payments.operators`: the services check the
permissions (PAYMENT_IMPORT to write, PAYMENT_VIEW to read) and validate.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms as dj_forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import UploadField, add_service_errors, date_field
from robinet.backoffice.http import StaffViewMixin
from robinet.core import exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm
from robinet.payments import operators
from robinet.payments.models import OperatorKind, StatementStatus

LIST_LIMIT = 100


def _operator_choices(user):
    return [
        (o.code, f"{o.code} — {o.name}")
        for o in operators.operator_list(user=user, active_only=True)
    ]


class OperatorForm(dj_forms.Form):
    code = dj_forms.CharField(label=gettext_lazy("Code"), max_length=16)
    name = dj_forms.CharField(label=gettext_lazy("Nom"), max_length=120)
    kind = dj_forms.ChoiceField(label=gettext_lazy("Type"), choices=OperatorKind.choices)


class TransferForm(dj_forms.Form):
    operator = dj_forms.ChoiceField(label=gettext_lazy("Opérateur"))
    amount = dj_forms.DecimalField(
        label=gettext_lazy("Montant (€)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    received_on = date_field(gettext_lazy("Reçu le"), required=True)
    bank_reference = dj_forms.CharField(label=gettext_lazy("Référence bancaire"), max_length=80)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = _operator_choices(user)


class StatementImportForm(dj_forms.Form):
    operator = dj_forms.ChoiceField(label=gettext_lazy("Opérateur"))
    file = UploadField(label=gettext_lazy("Relevé de l'opérateur (CSV)"), max_mb=10)
    transfer = dj_forms.CharField(
        label=gettext_lazy("Référence du virement couvert (facultatif)"),
        max_length=80,
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = _operator_choices(user)


def _can_import(user) -> bool:
    return scope_for(user).allows(Perm.PAYMENT_IMPORT)


class OperatorListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def _render(self, form, status=200):
        user = self.request.user
        rows = []
        for operator in operators.operator_list(user=user):
            rows.append(
                {
                    "operator": operator,
                    "unassigned": operators.transfer_list(
                        user=user, operator=operator, unassigned=True
                    ).count(),
                    "in_difference": operators.statement_list(
                        user=user, operator=operator, status=StatementStatus.DIFFERENCE
                    ).count(),
                }
            )
        return render(
            self.request,
            "payments/operator_list.html",
            {"rows": rows, "form": form, "can_import": _can_import(user)},
            status=status,
        )

    def get(self, request):
        return self._render(OperatorForm())

    def post(self, request):
        form = OperatorForm(request.POST)
        if form.is_valid():
            try:
                operator = operators.operator_create(actor=request.user, **form.cleaned_data)
            except exceptions.PermissionDenied:
                raise
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Opérateur %(code)s enregistré.") % {"code": operator.code}
                )
                return redirect("payments:operators")
        return self._render(form, status=422)


class TransferListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def _render(self, form, status=200):
        user = self.request.user
        return render(
            self.request,
            "payments/operator_transfers.html",
            {
                "transfers": list(operators.transfer_list(user=user)[:LIST_LIMIT]),
                "form": form,
                "can_import": _can_import(user),
                "limit": LIST_LIMIT,
            },
            status=status,
        )

    def get(self, request):
        return self._render(
            TransferForm(user=request.user, initial={"operator": request.GET.get("operator", "")})
        )

    def post(self, request):
        form = TransferForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                operators.operator_transfer_record(
                    actor=request.user,
                    operator=operators.operator_get(user=request.user, code=data["operator"]),
                    amount=data["amount"],
                    received_on=data["received_on"],
                    bank_reference=data["bank_reference"],
                )
            except exceptions.PermissionDenied:
                raise
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Virement enregistré."))
                return redirect("payments:operator-transfers")
        return self._render(form, status=422)


class StatementListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        status = request.GET.get("status", "")
        statements = list(operators.statement_list(user=request.user, status=status)[:LIST_LIMIT])
        return render(
            request,
            "payments/operator_statements.html",
            {
                "statements": statements,
                "status": status,
                "statuses": StatementStatus.choices,
                "can_import": _can_import(request.user),
                "limit": LIST_LIMIT,
            },
        )


class StatementImportView(StaffViewMixin, View):
    permission = Perm.PAYMENT_IMPORT

    def _render(self, form, issues=(), error_message="", status=200):
        return render(
            self.request,
            "payments/operator_import.html",
            {"form": form, "issues": issues, "error_message": error_message},
            status=status,
        )

    def get(self, request):
        return self._render(StatementImportForm(user=request.user))

    def post(self, request):
        form = StatementImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self._render(form, status=422)
        data = form.cleaned_data
        upload = data["file"]
        try:
            statement = operators.operator_statement_import(
                actor=request.user,
                operator=operators.operator_get(user=request.user, code=data["operator"]),
                source=upload.read(),
                filename=upload.name,
                transfer_references=[data["transfer"]] if data["transfer"] else [],
            )
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
            add_service_errors(form, exc)
            return self._render(form, error_message=exc.message, status=422)
        if statement.status == StatementStatus.BOOKED:
            messages.success(
                request,
                _("Relevé rapproché : %(n)s règlement(s) comptabilisé(s).")
                % {"n": statement.line_count},
            )
        else:
            messages.warning(request, _("Relevé en écart : rien n'a été comptabilisé."))
        return redirect("payments:operator-statement", statement.pk)


class StatementDetailView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        statement = operators.statement_get_for_user(user=request.user, pk=pk)
        unassigned = []
        if statement.can_examine():
            unassigned = list(
                operators.transfer_list(
                    user=request.user, operator=statement.operator, unassigned=True
                )
            )
        return render(
            request,
            "payments/operator_statement.html",
            {
                "statement": statement,
                "lines": list(operators.statement_lines(statement)),
                "transfers": list(statement.transfers.order_by("received_on", "pk")),
                "unassigned": unassigned,
                "can_import": _can_import(request.user),
            },
        )


class StatementExamineView(StaffViewMixin, View):
    permission = Perm.PAYMENT_IMPORT

    def post(self, request, pk: int):
        statement = operators.statement_get_for_user(user=request.user, pk=pk)
        chosen = [r for r in request.POST.getlist("transfer") if r]
        try:
            statement = operators.operator_statement_examine(
                actor=request.user, statement=statement, transfer_references=chosen
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            problems = [m for ms in exc.fields.values() for m in ms]
            messages.error(request, " ".join([exc.message, *problems]))
            return redirect("payments:operator-statement", pk)
        if statement.status == StatementStatus.BOOKED:
            messages.success(request, _("Relevé rapproché et comptabilisé."))
        else:
            messages.warning(request, _("Le relevé est toujours en écart."))
        return redirect("payments:operator-statement", pk)
