"""Card payments (PAY-2): the staff screens, the provider callback, the test provider's page.

* ``card-list`` / ``card-start`` / ``card-detail`` — staff start a card payment
  for an account (PAYMENT_TAKE) and follow it (PAYMENT_VIEW);
* ``card-callback`` — the provider's server-to-server notification: no
  session, no CSRF token, the signature is the authentication;
* ``card-test-provider`` — the *test* provider's hosted payment page
  (development and demo only): « Payer » / « Refuser » send the signed
  notification to the callback endpoint, then go back to the return URL.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import forms as dj_forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin
from robinet.billing import selectors as billing_selectors
from robinet.core import exceptions
from robinet.core.exceptions import ApplicationError
from robinet.customers import selectors as customer_selectors
from robinet.ledger.models import OpenItem
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm
from robinet.payments import cards, providers
from robinet.payments.models import CardStatus

LIST_LIMIT = 100


class CardStartForm(dj_forms.Form):
    account = dj_forms.CharField(label=gettext_lazy("N° de compte client"), max_length=16)
    amount = dj_forms.DecimalField(
        label=gettext_lazy("Montant (€)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    invoice = dj_forms.CharField(
        label=gettext_lazy("N° de facture (facultatif)"), max_length=20, required=False
    )


class CardListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        status = request.GET.get("status", "")
        account = request.GET.get("account", "")
        rows = list(
            cards.card_transaction_list(user=request.user, account_number=account, status=status)[
                :LIST_LIMIT
            ]
        )
        return render(
            request,
            "payments/card_list.html",
            {
                "cards": rows,
                "status": status,
                "account": account,
                "statuses": CardStatus.choices,
                "limit": LIST_LIMIT,
                "can_take": scope_for(request.user).allows(Perm.PAYMENT_TAKE),
            },
        )


class CardStartView(StaffViewMixin, View):
    permission = Perm.PAYMENT_TAKE

    def _render(self, form, error_message="", status=200):
        return render(
            self.request,
            "payments/card_start.html",
            {"form": form, "error_message": error_message},
            status=status,
        )

    def get(self, request):
        return self._render(
            CardStartForm(
                initial={
                    "account": request.GET.get("account", ""),
                    "invoice": request.GET.get("invoice", ""),
                }
            )
        )

    def post(self, request):
        form = CardStartForm(request.POST)
        if not form.is_valid():
            return self._render(form, status=422)
        data = form.cleaned_data
        try:
            account = customer_selectors.account_get_for_user(
                user=request.user, number=data["account"].strip()
            )
            invoice = None
            if data["invoice"].strip():
                invoice = billing_selectors.invoice_get_for_user(
                    user=request.user, number=data["invoice"].strip()
                )
            card = cards.card_checkout_start(
                actor=request.user,
                account=account,
                amount=data["amount"],
                invoice=invoice,
                return_url=reverse("payments:card-return"),
            )
        except exceptions.PermissionDenied:
            raise
        except exceptions.NotFound as exc:
            form.add_error(None, exc.message)
            return self._render(form, exc.message, status=422)
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(form, exc.message, status=422)
        return redirect(card.redirect_url)


class CardDetailView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        card = cards.card_transaction_get_for_user(user=request.user, pk=pk)
        open_item = (
            OpenItem.objects.filter(invoice=card.invoice).first() if card.invoice_id else None
        )
        return render(request, "payments/card_detail.html", {"card": card, "open_item": open_item})


class CardReturnView(StaffViewMixin, View):
    """Where the provider sends the payer back: the transaction's page."""

    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        card = cards.card_transaction_get_for_user(
            user=request.user, reference=request.GET.get("reference", "")
        )
        if card.status == CardStatus.PAID:
            messages.success(request, _("Paiement par carte accepté."))
        elif card.status == CardStatus.DECLINED:
            messages.warning(request, _("Paiement par carte refusé."))
        return redirect("payments:card-detail", card.pk)


@method_decorator(csrf_exempt, name="dispatch")
class CardCallbackView(View):
    """``POST /payments/card/callback/<provider>/``: the provider's signed notification."""

    http_method_names = ["post"]

    def post(self, request, provider: str):
        try:
            card = cards.card_callback_receive(
                provider_name=provider, body=request.body, headers=request.headers
            )
        except ApplicationError as exc:
            return JsonResponse(
                {"code": exc.code, "message": str(exc.message)}, status=exc.http_status
            )
        return JsonResponse({"reference": card.provider_reference, "status": card.status})


class TestProviderPageView(View):
    """The test provider's hosted page (only while the test provider is configured)."""

    def dispatch(self, request, *args, **kwargs):
        if providers.TestProvider.name != settings.ROBINET_CARD_PROVIDER:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def _card(self, reference):
        try:
            return cards.card_transaction_get_public(reference=reference)
        except exceptions.NotFound as exc:
            raise Http404(exc.message) from exc

    def get(self, request, reference: str):
        card = self._card(reference)
        return render(request, "payments/card_test_provider.html", {"card": card})

    def post(self, request, reference: str):
        card = self._card(reference)
        action = request.POST.get("action")
        if action not in (providers.PAID, providers.DECLINED):
            return HttpResponseBadRequest()
        if card.status == CardStatus.PENDING:
            provider = providers.get_provider(providers.TestProvider.name)
            body, headers = provider.callback_body(
                reference=card.provider_reference, status=action, amount=card.amount
            )
            url = request.build_absolute_uri(
                reverse("payments:card-callback", args=[provider.name])
            )
            try:
                providers.deliver_callback(url, body, headers)
            except providers.DeliveryFailed as exc:
                return render(
                    request,
                    "payments/card_test_provider.html",
                    {"card": card, "error": str(exc)},
                    status=502,
                )
        back = card.return_url or "/"
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "/"
        sep = "&" if "?" in back else "?"
        return redirect(f"{back}{sep}{urlencode({'reference': card.provider_reference})}")
