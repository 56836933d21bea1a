"""The portal's account pages: home, bills and payments, paying online, the calculator.

* ``portal:home`` — balance, next due date, last bill, consumption chart
  (METER-6), the abnormal-consumption alert (METER-5), open requests (PORTAL-1);
* ``portal:bills`` — invoices and credit notes with what is still open, the
  payment history; ``portal:bill-pdf``, ``portal:bill-facturx`` (professionals),
  ``portal:receipt`` (PORTAL-1);
* ``portal:pay`` / ``portal:pay-return`` — card payment through the configured
  provider (PORTAL-2, PAY-2): the booking is the provider's callback;
* ``portal:calculator`` — the public bill calculator (BILL-11), no login.

Each object is reached through the user's linked accounts: anything else is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View

from robinet.billing import selectors as billing_selectors
from robinet.core import audit
from robinet.core.exceptions import ApplicationError
from robinet.payments import cards
from robinet.payments.documents import receipt_pdf
from robinet.payments.models import CardStatus
from robinet.portal import selectors
from robinet.portal.access import PortalLoginRequiredMixin, current_user, linked_accounts
from robinet.portal.forms_account import CalculatorForm, PayForm


def optional_url(name: str, *args) -> str:
    """The URL of another part of the portal, or "" while it is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class AccountPageMixin(PortalLoginRequiredMixin):
    """A page about one of the user's accounts: ``?compte=<number>``, default the first."""

    def account_context(self) -> dict:
        user = current_user(self.request)
        account = selectors.chosen_account(user, self.request.GET.get("compte", ""))
        accounts = list(linked_accounts(user)) if account is not None else []
        return {"account": account, "accounts": accounts}


class HomeView(AccountPageMixin, View):
    def get(self, request):
        context = self.account_context()
        account = context["account"]
        if account is not None:
            context.update(
                balance=selectors.balance_of(account),
                last_invoice=selectors.last_invoice(account),
                chart=selectors.consumption_chart(account),
                notice=selectors.leak_notice(account),
                open_requests=selectors.open_requests_count(account),
                requests_url=optional_url("portal:requests"),
                leak_relief_url=optional_url("portal:leak-relief"),
                link_url=optional_url("portal:profile"),
            )
        return render(request, "portal/account/home.html", context)


class BillsView(AccountPageMixin, View):
    def get(self, request):
        context = self.account_context()
        account = context["account"]
        if account is not None:
            context.update(
                balance=selectors.balance_of(account),
                bills=selectors.bill_rows(account),
                payments=selectors.payment_rows(account),
                facturx=selectors.is_professional(account),
            )
        return render(request, "portal/account/bills.html", context)


class BillPdfView(PortalLoginRequiredMixin, View):
    """The bill's PDF (a Factur-X PDF/A-3 for professionals and public bodies, BILL-8)."""

    def get(self, request, number: str):
        invoice = selectors.invoice_for(current_user(request), number)
        content, filename = billing_selectors.invoice_pdf(invoice)
        return _attachment(content, filename, "application/pdf")


class BillFacturxView(PortalLoginRequiredMixin, View):
    """The Factur-X XML (EN 16931) of a professional's bill; 404 for an individual."""

    def get(self, request, number: str):
        invoice = selectors.invoice_for(current_user(request), number)
        if not selectors.is_professional(invoice.account):
            raise Http404
        return _attachment(
            billing_selectors.invoice_facturx_xml(invoice),
            f"{invoice.number}-facturx.xml",
            "application/xml",
        )


class ReceiptView(PortalLoginRequiredMixin, View):
    def get(self, request, pk: int):
        payment = selectors.payment_for(current_user(request), pk)
        content, filename = receipt_pdf(payment)
        return _attachment(content, filename, "application/pdf")


class PayView(PortalLoginRequiredMixin, View):
    """``POST payer/``: start a card checkout for what is open, then go to the provider."""

    http_method_names = ["post"]

    def post(self, request):
        user = current_user(request)
        form = PayForm(request.POST)
        if not form.is_valid():
            raise Http404
        account = selectors.chosen_account(user, form.cleaned_data["compte"])
        if account is None:
            raise Http404
        invoice = None
        if form.cleaned_data["facture"]:
            invoice = selectors.invoice_for(user, form.cleaned_data["facture"])
            if invoice.account_id != account.pk:
                raise Http404
            amount = selectors.invoice_open_amount(invoice)
        else:
            amount = selectors.balance_of(account).to_pay
        back = f"{reverse('portal:bills')}?compte={account.number}"
        if amount <= 0:
            messages.info(request, _("Il n'y a rien à payer sur ce compte."))
            return redirect(back)
        try:
            card = cards.card_checkout_start(
                actor=None,
                account=account,
                amount=amount,
                invoice=invoice,
                return_url=reverse("portal:pay-return"),
                check_permission=False,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        audit.record(
            actor=None,
            verb="portal.card_checkout",
            target=card,
            subject=account,
            data={"portal_user": user.pk, "amount": amount},
        )
        return redirect(card.redirect_url)


class PayReturnView(PortalLoginRequiredMixin, View):
    """Where the provider sends the customer back: the outcome of their payment."""

    def get(self, request):
        card = selectors.card_for(current_user(request), request.GET.get("reference", ""))
        return render(
            request,
            "portal/account/pay_return.html",
            {
                "card": card,
                "account": card.account,
                "paid": card.status == CardStatus.PAID,
                "declined": card.status == CardStatus.DECLINED,
                "pending": card.status == CardStatus.PENDING,
                "balance": selectors.balance_of(card.account),
            },
        )


class CalculatorView(View):
    """The public bill calculator (BILL-11): no login, nothing written."""

    def get(self, request):
        communes = selectors.published_communes()
        estimate = None
        if "commune" in request.GET:
            form = CalculatorForm(request.GET, communes=communes)
            if form.is_valid():
                try:
                    estimate = selectors.estimate(
                        commune=form.cleaned_data["commune"],
                        diameter_mm=form.cleaned_data["diameter"],
                        volume=form.cleaned_data["volume"],
                    )
                except ApplicationError as exc:
                    for name, errors in (exc.fields or {"commune": [exc.message]}).items():
                        field = {"tariff": "commune", "from": "commune", "to": "commune"}.get(
                            name, name
                        )
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
        else:
            form = CalculatorForm(communes=communes)
        status = 422 if form.is_bound and form.errors else 200
        return render(
            request,
            "portal/account/calculator.html",
            {"form": form, "estimate": estimate, "has_communes": bool(communes)},
            status=status,
        )
