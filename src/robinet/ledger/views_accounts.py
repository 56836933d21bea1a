"""The customer account screens: statement (screen and PDF), allocation by hand (PAY-1)."""

from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.core.exceptions import ApplicationError, NotFound
from robinet.customers import selectors as customer_selectors
from robinet.ledger import selectors, services
from robinet.ledger.forms import (
    AllocationForm,
    PaymentReversalForm,
    StatementFilterForm,
    UnallocationForm,
)
from robinet.ledger.statement_pdf import render_statement
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm


class AccountView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get_account(self, number: str):
        account = customer_selectors.account_get_for_user(
            user=self.request.user, number=number, perm=Perm.PAYMENT_VIEW
        )
        require_covered(self.request.user, Perm.PAYMENT_VIEW, account.centre)
        return account

    def statement(self, account):
        form = StatementFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
        statement = selectors.account_statement(
            account,
            start=filters.get("start"),
            end=filters.get("end"),
            kinds=[filters["kind"]] if filters.get("kind") else None,
            open_only=bool(filters.get("open_only")),
        )
        return form, statement


class AccountStatementView(AccountView):
    """The statement: every document in posting order with the running balance."""

    def get(self, request, number, allocation_form=None, error_message="", status=200):
        account = self.get_account(number)
        form, statement = self.statement(account)
        scope = scope_for(request.user)
        can_allocate = scope.covers(Perm.PAYMENT_ALLOCATE, account.centre)
        debits, credits = (
            list(selectors.open_debits(account)),
            list(selectors.open_credits(account)),
        )
        if allocation_form is None and can_allocate and debits and credits:
            allocation_form = AllocationForm(
                debits=debits,
                credits=credits,
                initial={"amount": min(debits[0].open_amount, -credits[0].open_amount)},
            )
        allocations = list(selectors.account_allocations(account)[:50])
        cancelled = {a.reverses_id for a in allocations if a.reverses_id}
        return render(
            request,
            "ledger/account_statement.html",
            {
                "account": account,
                "form": form,
                "statement": statement,
                "balance": selectors.account_balance(account),
                "allocation_form": allocation_form,
                "can_allocate": can_allocate,
                "can_reverse": scope.covers(Perm.PAYMENT_TAKE, account.centre),
                "allocations": allocations,
                "cancelled": cancelled,
                "payments": list(selectors.account_payments(account)[:50]),
                "unallocation_form": UnallocationForm(),
                "reversal_form": PaymentReversalForm(),
                "error_message": error_message,
                "query": request.GET.urlencode(),
            },
            status=status,
        )


class AccountStatementPdfView(AccountView):
    def get(self, request, number):
        account = self.get_account(number)
        _form, statement = self.statement(account)
        response = HttpResponse(render_statement(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="releve-{account.number}.pdf"'
        return response


class AllocateView(AccountStatementView):
    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request, number):
        account = self.get_account(number)
        form = AllocationForm(
            request.POST,
            debits=selectors.open_debits(account),
            credits=selectors.open_credits(account),
        )
        if not form.is_valid():
            return self.get(request, number, allocation_form=form, status=422)
        data = form.cleaned_data
        try:
            services.allocate(
                actor=request.user,
                debit=selectors.item_for_account(account, data["debit"]),
                credit=selectors.item_for_account(account, data["credit"]),
                amount=Decimal(data["amount"]),
                reason=data["reason"],
            )
        except NotFound:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self.get(
                request, number, allocation_form=form, error_message=exc.message, status=422
            )
        messages.success(request, _("Lettrage enregistré."))
        return redirect("ledger:account-statement", account.number)


class UnallocateView(AccountView):
    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request, number, pk):
        account = self.get_account(number)
        allocation = selectors.allocation_for_account(account, pk)
        if allocation is None:
            raise NotFound(_("Lettrage introuvable."))
        form = UnallocationForm(request.POST)
        try:
            if not form.is_valid():
                raise ApplicationError(
                    _("Indiquez le motif du délettrage."), code="reason_required"
                )
            services.unallocate(
                actor=request.user, allocation=allocation, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            if isinstance(exc, NotFound):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Lettrage annulé."))
        return redirect("ledger:account-statement", account.number)


class PaymentReverseView(AccountView):
    permission = Perm.PAYMENT_TAKE

    def post(self, request, number, payment_number):
        from robinet.payments.services import payment_reverse

        account = self.get_account(number)
        payment = selectors.account_payments(account).filter(number=payment_number).first()
        if payment is None:
            raise NotFound(_("Règlement introuvable."))
        form = PaymentReversalForm(request.POST)
        try:
            if not form.is_valid():
                raise ApplicationError(
                    _("Indiquez le motif de l'annulation."), code="reason_required"
                )
            payment_reverse(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            if isinstance(exc, NotFound):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Règlement %(n)s annulé.") % {"n": payment.number})
        return redirect("ledger:account-statement", account.number)
