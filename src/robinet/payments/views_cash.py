"""Back-office screens of the counter cash desk (PAY-2, PAY-9).

Thin views: each parses a presentation form, calls one service of
:mod:`robinet.payments.cashdesk` or a selector of
:mod:`robinet.payments.cash_selectors`, and renders. The services check the
permissions on the centre again.

* the counter (*Caisse*): choose the centre, take a payment, today's
  payments with their receipts and the cancel button, link to the closing;
* a day: its closing report (screen and PDF), the closing form with the
  counted cash, the transmissions treasury received (PAY-9);
* the closed days history, the transmissions report (screen and CSV);
* deposit slips of cheques: list, create, detail, bank CSV, PDF.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import add_service_errors, date_field
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.core import clock
from robinet.core.exceptions import ApplicationError, PermissionDenied
from robinet.organisation.access import can
from robinet.organisation.roles import Perm
from robinet.payments import cash_selectors as selectors
from robinet.payments import cashdesk, documents

MEANS_CHOICES = [(m.value, m.label) for m in cashdesk.COUNTER_MEANS]
LIST_LIMIT = 100


class TakeForm(forms.Form):
    account = forms.CharField(label=gettext_lazy("N° de compte client"), max_length=16)
    invoice = forms.CharField(
        label=gettext_lazy("N° de facture réglée (facultatif)"), max_length=20, required=False
    )
    means = forms.ChoiceField(label=gettext_lazy("Moyen de paiement"), choices=MEANS_CHOICES)
    amount = forms.CharField(
        label=gettext_lazy("Montant (€)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    cheque_number = forms.CharField(
        label=gettext_lazy("N° de chèque"), max_length=20, required=False
    )
    cheque_bank = forms.CharField(label=gettext_lazy("Banque tirée"), max_length=80, required=False)
    drawer = forms.CharField(label=gettext_lazy("Tireur"), max_length=120, required=False)


class CloseForm(forms.Form):
    counted_cash = forms.CharField(
        label=gettext_lazy("Espèces comptées (€)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class TransmissionForm(forms.Form):
    amount = forms.CharField(
        label=gettext_lazy("Montant reçu (€)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    reference = forms.CharField(label=gettext_lazy("Référence du versement"), max_length=60)
    received_on = date_field(gettext_lazy("Reçu le"))


class SlipForm(forms.Form):
    bank_account_label = forms.CharField(
        label=gettext_lazy("Compte bancaire de remise"), max_length=120
    )
    deposited_on = date_field(gettext_lazy("Date de remise"))


def _day_arg(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _csv(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _error_text(exc: ApplicationError) -> str:
    problems = [m for ms in exc.fields.values() for m in ms]
    return " ".join([str(exc.message), *problems])


# --- the counter -------------------------------------------------------------------------------


class CounterView(StaffViewMixin, View):
    """ "Caisse": today's counter of one of the user's centres."""

    permission = Perm.PAYMENT_TAKE

    def centre_choice(self, request, value):
        centres = list(selectors.centres_for(user=request.user))
        if value:
            return centres, selectors.centre_get_for_user(user=request.user, pk=value)
        return centres, (centres[0] if len(centres) == 1 else None)

    def render_page(self, request, centres, centre, form, error_message="", status=200):
        today = clock.today()
        day = selectors.cash_day_find(centre=centre, day=today) if centre else None
        summary = selectors.counter_day_summary(day)
        context = {
            "centres": centres,
            "centre": centre,
            "today": today,
            "form": form,
            "error_message": error_message,
            "close_form": CloseForm(),
            **summary,
        }
        return render(request, "payments/cash_counter.html", context, status=status)

    def get(self, request):
        centres, centre = self.centre_choice(request, request.GET.get("centre"))
        return self.render_page(request, centres, centre, TakeForm())

    def post(self, request):
        centres, centre = self.centre_choice(request, request.POST.get("centre"))
        if centre is None:
            messages.error(request, _("Choisissez le centre de la caisse."))
            return redirect("payments:cash")
        form = TakeForm(request.POST)
        if not form.is_valid():
            return self.render_page(request, centres, centre, form, status=422)
        data = form.cleaned_data
        try:
            account = cashdesk.account_for_counter(user=request.user, number=data["account"])
            invoice = cashdesk.invoice_for_counter(account=account, number=data["invoice"])
            payment = cashdesk.counter_payment_take(
                actor=request.user,
                centre=centre,
                account=account,
                means=data["means"],
                amount=data["amount"],
                invoice=invoice,
                cheque_number=data["cheque_number"],
                cheque_bank=data["cheque_bank"],
                drawer=data["drawer"],
            )
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self.render_page(request, centres, centre, form, exc.message, status=422)
        messages.success(
            request,
            _("Règlement %(number)s de %(amount)s € enregistré.")
            % {"number": payment.number, "amount": f"{payment.amount:.2f}".replace(".", ",")},
        )
        return redirect(f"{reverse('payments:cash')}?centre={centre.pk}&taken={payment.number}")


class PaymentReceiptView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, number):
        payment = selectors.payment_get_for_user(user=request.user, number=number)
        return _pdf(*documents.receipt_pdf(payment))


class PaymentCancelView(StaffViewMixin, View):
    permission = Perm.PAYMENT_TAKE

    def post(self, request, number):
        payment = selectors.payment_get_for_user(
            user=request.user, number=number, perm=Perm.PAYMENT_TAKE
        )
        try:
            cashdesk.counter_payment_cancel(
                actor=request.user, payment=payment, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Règlement %(n)s annulé.") % {"n": payment.number})
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        return redirect(f"{reverse('payments:cash')}?centre={payment.centre_id}")


# --- days ------------------------------------------------------------------------------------


class DayListView(StaffViewMixin, View):
    """Closed days history (and days still open) of the user's centres."""

    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        centres = list(selectors.centres_for(user=request.user, perm=Perm.PAYMENT_VIEW))
        centre_id = request.GET.get("centre", "")
        centre = next((c for c in centres if str(c.pk) == centre_id), None)
        start, end = _day_arg(request.GET.get("start")), _day_arg(request.GET.get("end"))
        days = list(
            selectors.cash_day_list(user=request.user, centre=centre, start=start, end=end)[
                :LIST_LIMIT
            ]
        )
        context = {
            "days": days,
            "centres": centres,
            "centre": centre,
            "start": start,
            "end": end,
            "limit": LIST_LIMIT,
        }
        return render(request, "payments/cash_day_list.html", context)


class DayMixin(StaffViewMixin):
    permission = Perm.PAYMENT_VIEW

    def get_day(self):
        return selectors.cash_day_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class DayDetailView(DayMixin, View):
    def render_page(self, request, day, close_form=None, transmission_form=None, status=200):
        summary = selectors.counter_day_summary(day)
        context = {
            **summary,
            "can_close": not day.is_closed and can(request.user, Perm.PAYMENT_TAKE, day.centre),
            "can_transmit": day.is_closed
            and can(request.user, cashdesk.TRANSMISSION_PERM, day.centre),
            "close_form": close_form or CloseForm(),
            "transmission_form": transmission_form
            or TransmissionForm(initial={"received_on": clock.today()}),
            "transmissions": list(day.transmissions.order_by("received_on", "pk")),
        }
        return render(request, "payments/cash_day_detail.html", context, status=status)

    def get(self, request, pk):
        return self.render_page(request, self.get_day())


class DayCloseView(DayDetailView):
    permission = Perm.PAYMENT_TAKE

    def post(self, request, pk):
        day = self.get_day()
        require_covered(request.user, Perm.PAYMENT_TAKE, day.centre)
        form = CloseForm(request.POST)
        if not form.is_valid():
            return self.render_page(request, day, close_form=form, status=422)
        try:
            cashdesk.cash_day_close(
                actor=request.user, day=day, counted_cash=form.cleaned_data["counted_cash"]
            )
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            messages.error(request, _error_text(exc))
            return self.render_page(request, day, close_form=form, status=422)
        messages.success(request, _("Journée de caisse clôturée."))
        return redirect("payments:cash-day-detail", day.pk)


class DayReportPdfView(DayMixin, View):
    def get(self, request, pk):
        return _pdf(*documents.closing_report_pdf(self.get_day()))


class TransmissionCreateView(DayDetailView):
    permission = cashdesk.TRANSMISSION_PERM

    def post(self, request, pk):
        day = self.get_day()
        require_covered(request.user, cashdesk.TRANSMISSION_PERM, day.centre)
        form = TransmissionForm(request.POST)
        if not form.is_valid():
            return self.render_page(request, day, transmission_form=form, status=422)
        try:
            cashdesk.cash_transmission_record(
                actor=request.user,
                day=day,
                amount=form.cleaned_data["amount"],
                reference=form.cleaned_data["reference"],
                received_on=form.cleaned_data["received_on"],
            )
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            messages.error(request, _error_text(exc))
            return self.render_page(request, day, transmission_form=form, status=422)
        messages.success(request, _("Versement enregistré."))
        return redirect("payments:cash-day-detail", day.pk)


class TransmissionReportView(StaffViewMixin, View):
    """PAY-9: per centre and period, reported vs transmitted for each closed day."""

    permission = Perm.PAYMENT_VIEW
    as_csv = False

    def get(self, request):
        centres = list(selectors.centres_for(user=request.user, perm=Perm.PAYMENT_VIEW))
        centre_id = request.GET.get("centre", "")
        centre = next((c for c in centres if str(c.pk) == centre_id), None)
        today = clock.today()
        start = _day_arg(request.GET.get("start")) or today.replace(day=1)
        end = _day_arg(request.GET.get("end")) or today
        report = selectors.transmission_report(
            user=request.user, centre=centre, start=start, end=end
        )
        if self.as_csv:
            return _csv(
                selectors.transmission_report_csv(report),
                f"versements-{start.isoformat()}-{end.isoformat()}.csv",
            )
        context = {
            "report": report,
            "centres": centres,
            "centre": centre,
            "start": start,
            "end": end,
            "query": request.GET.urlencode(),
        }
        return render(request, "payments/cash_transmissions.html", context)


# --- cheque deposit slips --------------------------------------------------------------------


class SlipListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        slips = list(selectors.slip_list(user=request.user)[:LIST_LIMIT])
        context = {
            "slips": slips,
            "limit": LIST_LIMIT,
            "can_create": can(request.user, Perm.PAYMENT_TAKE),
        }
        return render(request, "payments/cash_slip_list.html", context)


class SlipCreateView(StaffViewMixin, View):
    permission = Perm.PAYMENT_TAKE

    def render_page(self, request, centre, form, error_message="", status=200, chosen=None):
        centres = list(selectors.centres_for(user=request.user))
        pending = list(selectors.pending_cheques(centre)) if centre else []
        context = {
            "centres": centres,
            "centre": centre,
            "pending": pending,
            "chosen": chosen if chosen is not None else {p.pk for p in pending},
            "form": form,
            "error_message": error_message,
        }
        return render(request, "payments/cash_slip_form.html", context, status=status)

    def centre(self, request, value):
        if value:
            return selectors.centre_get_for_user(user=request.user, pk=value)
        centres = list(selectors.centres_for(user=request.user))
        return centres[0] if len(centres) == 1 else None

    def get(self, request):
        centre = self.centre(request, request.GET.get("centre"))
        return self.render_page(request, centre, SlipForm(initial={"deposited_on": clock.today()}))

    def post(self, request):
        centre = self.centre(request, request.POST.get("centre"))
        form = SlipForm(request.POST)
        chosen_ids = {int(v) for v in request.POST.getlist("payments") if v.isdecimal()}
        if centre is None:
            messages.error(request, _("Choisissez le centre."))
            return redirect("payments:cash-slip-create")
        if not form.is_valid():
            return self.render_page(request, centre, form, status=422, chosen=chosen_ids)
        chosen = [p for p in selectors.pending_cheques(centre) if p.pk in chosen_ids]
        try:
            slip = cashdesk.cheque_slip_create(
                actor=request.user,
                centre=centre,
                bank_account_label=form.cleaned_data["bank_account_label"],
                deposited_on=form.cleaned_data["deposited_on"],
                payments=chosen,
            )
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self.render_page(
                request, centre, form, _error_text(exc), status=422, chosen=chosen_ids
            )
        messages.success(request, _("Bordereau %(n)s créé.") % {"n": slip.number})
        return redirect("payments:cash-slip-detail", slip.pk)


class SlipMixin(StaffViewMixin):
    permission = Perm.PAYMENT_VIEW

    def get_slip(self):
        return selectors.slip_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class SlipDetailView(SlipMixin, View):
    def get(self, request, pk):
        slip = self.get_slip()
        context = {"slip": slip, "cheques": list(selectors.slip_payments(slip))}
        return render(request, "payments/cash_slip_detail.html", context)


class SlipCsvView(SlipMixin, View):
    def get(self, request, pk):
        slip = self.get_slip()
        return _csv(selectors.slip_csv(slip), f"bordereau-{slip.number}.csv")


class SlipPdfView(SlipMixin, View):
    def get(self, request, pk):
        return _pdf(*documents.slip_pdf(self.get_slip()))
