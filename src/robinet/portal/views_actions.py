"""Portal views: my requests and the self-service actions (PORTAL-2, CASE-2, CASE-6).

Thin views: the account is always re-checked through
:func:`robinet.portal.access.account_for` (``?compte=`` / the ``compte`` POST
field is never trusted), forms parse, :mod:`robinet.portal.actions` acts, and
errors from services are shown next to their field.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from robinet.core.exceptions import ApplicationError
from robinet.core.money import format_money
from robinet.portal import actions, auth
from robinet.portal import forms_actions as forms
from robinet.portal.access import (
    PortalLoginRequiredMixin,
    account_for,
    current_user,
    linked_accounts,
)
from robinet.portal.uploads import upload_for


class AccountMixin(PortalLoginRequiredMixin):
    """The account acted on: ``compte`` (query or POST), re-checked; else the first linked.

    An unverified e-mail may read but not act: every POST waits for the verification.
    """

    def dispatch(self, request, *args, **kwargs):
        user = current_user(request)
        if request.method == "POST" and user is not None:
            try:
                auth.require_verified(user)
            except ApplicationError as exc:
                messages.error(request, str(exc.message))
                return redirect(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)

    def get_account(self):
        if hasattr(self, "_account"):
            return self._account
        user = current_user(self.request)
        number = self.request.POST.get("compte") or self.request.GET.get("compte")
        if number:
            self._account = account_for(user, number)
        else:
            self._account = linked_accounts(user).first()
            if self._account is None:
                raise Http404
        return self._account

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.get_account()
        context["accounts"] = linked_accounts(current_user(self.request))
        return context


class ActionFormView(AccountMixin, FormView):
    """One action: the form, the service call, its errors next to the fields."""

    heading = ""
    #: service field name → form field name, where they differ
    field_map: dict[str, str] = {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = self.heading
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.request.method == "POST":
            kwargs["files"] = self.request.FILES
        return kwargs

    def form_valid(self, form):
        user = current_user(self.request)
        try:
            response = self.act(user, self.get_account(), form.cleaned_data)
        except ApplicationError as exc:
            for name, errors in exc.fields.items():
                name = self.field_map.get(name, name)
                target = name if name in form.fields else None
                for error in errors:
                    form.add_error(target, error)
            if not exc.fields:
                form.add_error(None, str(exc.message))
            return self.form_invalid(form)
        return response

    def done(self, case, text=None):
        messages.success(
            self.request,
            text
            or _(
                "Votre demande %(n)s est enregistrée. Vous pouvez la suivre dans « Mes demandes »."
            )
            % {"n": case.number},
        )
        return redirect("portal:request-detail", number=case.number)


# --- my requests ------------------------------------------------------------------------------


class RequestListView(AccountMixin, TemplateView):
    template_name = "portal/actions/requests.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for account in context["accounts"]:
            for case in actions.cases_of(account):
                rows.append(
                    {
                        "case": case,
                        "account": account,
                        "status": actions.status_label(case),
                    }
                )
        context["rows"] = rows
        return context


class RequestDetailView(PortalLoginRequiredMixin, TemplateView):
    template_name = "portal/actions/request_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = current_user(self.request)
        case = actions.case_for(user, kwargs["number"])
        context.update(
            case=case,
            status=actions.status_label(case),
            exchanges=actions.messages_of(case),
            uploads=actions.uploads_of(user, case),
        )
        return context


class ActionsIndexView(AccountMixin, TemplateView):
    template_name = "portal/actions/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["items"] = [
            ("portal:reading", "bi-speedometer2", _("Transmettre mon relevé de compteur")),
            ("portal:plan-request", "bi-calendar-check", _("Demander un délai de paiement")),
            ("portal:leak-relief", "bi-droplet", _("Demander un écrêtement après une fuite")),
            ("portal:move", "bi-house", _("Déclarer une arrivée ou un départ")),
            ("portal:contact-data", "bi-person-lines-fill", _("Modifier mes coordonnées")),
            ("portal:bank-details", "bi-bank", _("Payer par prélèvement automatique")),
            ("portal:services", "bi-envelope-paper", _("Mensualisation et e-facture")),
            ("portal:free-request", "bi-chat-left-text", _("Faire une demande ou une réclamation")),
            ("portal:gdpr-export", "bi-download", _("Télécharger mes données personnelles")),
        ]
        return context


# --- actions ------------------------------------------------------------------------------------


class ReadingView(ActionFormView):
    template_name = "portal/actions/reading.html"
    form_class = forms.ReadingForm
    heading = gettext_lazy("Transmettre mon relevé de compteur")

    def get_initial(self):
        from robinet.core import clock

        return {"read_on": clock.today()}

    def act(self, user, account, data):
        outcome = actions.reading_submit(
            user=user, account=account, index=data["index"], read_on=data["read_on"]
        )
        form = self.get_form_class()(initial=self.get_initial())
        return self.render_to_response(self.get_context_data(form=form, outcome=outcome))


class PlanRequestView(ActionFormView):
    template_name = "portal/actions/form.html"
    form_class = forms.PlanRequestForm
    heading = gettext_lazy("Demander un délai de paiement")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = _("Somme restant due : %(a)s.") % {
            "a": format_money(actions.debt_of(self.get_account()))
        }
        return context

    def act(self, user, account, data):
        outcome = actions.plan_request(
            user=user,
            account=account,
            kind=data["kind"],
            instalments=data.get("instalments") or 1,
            due_on=data.get("due_on"),
            message=data.get("message", ""),
        )
        if outcome.approved:
            return self.done(
                outcome.case,
                _("Votre demande est acceptée (dossier %(n)s).") % {"n": outcome.case.number},
            )
        return self.done(
            outcome.case,
            _("Votre demande %(n)s est transmise à un conseiller, qui vous répondra.")
            % {"n": outcome.case.number},
        )


class LeakReliefView(ActionFormView):
    template_name = "portal/actions/form.html"
    form_class = forms.LeakReliefForm
    heading = gettext_lazy("Demander un écrêtement après une fuite")
    field_map = {"repair_date": "repaired_on", "leak_location": "location"}
    multipart = True

    def act(self, user, account, data):
        case = actions.leak_relief_request(
            user=user,
            account=account,
            certificate=data["certificate"],
            repaired_on=data["repaired_on"],
            location=data["location"],
            leak_after_meter=data["leak_after_meter"],
            appliance_leak=data["appliance_leak"],
            message=data.get("message", ""),
        )
        return self.done(case)


class MoveView(ActionFormView):
    template_name = "portal/actions/form.html"
    form_class = forms.MoveForm
    heading = gettext_lazy("Déclarer une arrivée ou un départ")

    def act(self, user, account, data):
        case = actions.move_request(
            user=user,
            account=account,
            kind=data["kind"],
            on=data["on"],
            index=data.get("index"),
            message=data.get("message", ""),
        )
        return self.done(case)


class ContactDataView(ActionFormView):
    template_name = "portal/actions/contact_data.html"
    form_class = forms.ContactDataForm
    heading = gettext_lazy("Modifier mes coordonnées")
    field_map = {"preferred_contact_method": "preferred"}

    def get_initial(self):
        party = self.get_account().party
        return {
            "email": party.email,
            "mobile": party.mobile,
            "landline": party.landline,
            "preferred": party.preferred_contact_method,
        }

    def act(self, user, account, data):
        from robinet.customers.services import BloctelNoticeRequired

        try:
            case = actions.contact_data_update(
                user=user,
                account=account,
                email=data["email"],
                mobile=data["mobile"],
                landline=data["landline"],
                preferred=data["preferred"],
                bloctel_ack=data["bloctel_ack"],
            )
        except BloctelNoticeRequired as exc:
            message = _("Cochez cette case après avoir lu l'information Bloctel.")
            raise ApplicationError(
                str(exc.message), fields={**exc.fields, "bloctel_ack": [message]}
            ) from None
        return self.done(case, _("Vos coordonnées sont mises à jour."))


class BankDetailsView(ActionFormView):
    template_name = "portal/actions/bank_details.html"
    form_class = forms.BankDetailsForm
    heading = gettext_lazy("Payer par prélèvement automatique")

    def act(self, user, account, data):
        case = actions.bank_details_update(
            user=user, account=account, iban=data["iban"], bic=data["bic"], consent=data["consent"]
        )
        return self.done(case, _("Votre mandat de prélèvement est enregistré."))


class ServicesView(ActionFormView):
    template_name = "portal/actions/form.html"
    form_class = forms.ServicesForm
    heading = gettext_lazy("Mensualisation et e-facture")

    def act(self, user, account, data):
        if data["service"] == "e_invoice":
            case = actions.e_invoice_subscribe(user=user, account=account)
            return self.done(case, _("La facture électronique est activée."))
        outcome = actions.monthly_payment_request(
            user=user,
            account=account,
            instalment_count=data.get("instalment_count") or 10,
            day_of_month=data.get("day_of_month") or 5,
        )
        if outcome.enrolled:
            return self.done(outcome.case, _("Votre mensualisation est mise en place."))
        return self.done(
            outcome.case,
            _("Votre demande %(n)s est transmise à un conseiller : %(r)s")
            % {"n": outcome.case.number, "r": " ".join(outcome.reasons)},
        )


class FreeRequestView(ActionFormView):
    template_name = "portal/actions/form.html"
    form_class = forms.FreeRequestForm
    heading = gettext_lazy("Faire une demande ou une réclamation")
    multipart = True

    def act(self, user, account, data):
        case = actions.free_request(
            user=user,
            account=account,
            code=data["code"],
            subject=data["subject"],
            body=data["body"],
            files=data.get("attachments") or [],
        )
        return self.done(case)


class GdprExportView(AccountMixin, TemplateView):
    """GET: the explanation; POST: the JSON file of the user's own account (CUST-8)."""

    template_name = "portal/actions/gdpr.html"

    def post(self, request, *args, **kwargs):
        account = self.get_account()
        data = actions.gdpr_export(user=current_user(request), account=account)
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="donnees-{account.number}.json"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response


class UploadView(PortalLoginRequiredMixin, View):
    """A customer's own file, only to its owner (attachment, nosniff, never a public URL)."""

    def get(self, request, pk: int):
        upload = upload_for(current_user(request), pk)
        with upload.file.open("rb") as handle:
            content = handle.read()
        response = HttpResponse(content, content_type=upload.content_type)
        ascii_name = upload.original_name.encode("ascii", "ignore").decode() or "document"
        ascii_name = ascii_name.replace('"', "").replace("\\", "")
        response["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def request_url(case) -> str:
    return reverse("portal:request-detail", kwargs={"number": case.number})
