"""Back-office screens of SEPA direct debit (PAY-3).

Thin views over :mod:`robinet.payments.sepa` (which checks the permissions
again and validates):

* ``/payments/sepa/runs/``: the direct-debit runs, with the form that creates
  one for a collection date (and a preview of what it would collect);
* ``/payments/sepa/runs/<pk>/``: a run's debits, counted per kind (invoices,
  monthly-payment and payment-plan instalments), each with its state (pending,
  settled, rejected); ``…/settle/`` (POST) marks the run settled (PAY-3);
  ``…/file/`` downloads its pain.008. While the run's chunks are processed the
  page shows its progress and the processes doing it (polled); a failed or
  interrupted run offers « Reprendre » (``…/resume/``, POST);
* ``/payments/sepa/mandates/?account=NUMBER``: an account's mandates, with
  the forms to create, amend and revoke one.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import add_service_errors, date_field
from robinet.backoffice.http import StaffViewMixin
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.models.runs import RunState
from robinet.core.runs import page_executor, run_can_be_resumed, run_worker_progress
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm
from robinet.payments import sepa, target2
from robinet.payments import sepa_selectors as selectors
from robinet.payments.models import MandateStatus, PainVersion

LIST_LIMIT = 100


class RunForm(forms.Form):
    collection_date = date_field(gettext_lazy("Date de prélèvement"), required=True)
    version = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=PainVersion.choices, initial=PainVersion.V08
    )


class MandateForm(forms.Form):
    signed_on = date_field(gettext_lazy("Signé le"), required=True)
    iban = forms.CharField(label=gettext_lazy("IBAN"), max_length=42, required=False)
    bic = forms.CharField(label=gettext_lazy("BIC"), max_length=11, required=False)
    debtor_name = forms.CharField(label=gettext_lazy("Titulaire"), max_length=70, required=False)
    umr = forms.CharField(label=gettext_lazy("RUM (vide : générée)"), max_length=35, required=False)


class AmendForm(forms.Form):
    iban = forms.CharField(label=gettext_lazy("Nouvel IBAN"), max_length=42, required=False)
    bic = forms.CharField(label=gettext_lazy("Nouveau BIC"), max_length=11, required=False)
    debtor_name = forms.CharField(
        label=gettext_lazy("Nouveau titulaire"), max_length=70, required=False
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motif"), max_length=255)


class RunListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def _render(self, request, form, status: int = 200):
        runs = list(selectors.debit_run_list(actor=request.user)[:LIST_LIMIT])
        preview = None
        if form.is_bound and form.is_valid():
            preview = selectors.debit_run_preview(
                actor=request.user, collection_date=form.cleaned_data["collection_date"]
            )
        return render(
            request,
            "payments/sepa_runs.html",
            {
                "runs": runs,
                "form": form,
                "preview": preview,
                "limit": LIST_LIMIT,
                "can_create": scope_for(request.user).allows(Perm.PAYMENT_IMPORT),
                "prenotice": sepa.prenotice_days(),
            },
            status=status,
        )

    def get(self, request):
        if "collection_date" in request.GET:
            return self._render(request, RunForm(request.GET))
        suggested = target2.add_business_days(target2.next_business_day(clock.today()), 1)
        return self._render(request, RunForm(initial={"collection_date": suggested}))

    def post(self, request):
        form = RunForm(request.POST)
        if form.is_valid():
            try:
                # Not waiting: on the workers, or in a thread of this process, the run
                # goes on and its page follows its progress.
                run = sepa.debit_run_create(
                    actor=request.user,
                    collection_date=form.cleaned_data["collection_date"],
                    version=form.cleaned_data["version"],
                    wait=False,
                    executor=page_executor(),
                )
            except exceptions.PermissionDenied:
                raise
            except ApplicationError as error:
                add_service_errors(form, error)
                if not error.fields:
                    form.add_error(None, error.message)
            else:
                if run.is_built:
                    messages.success(
                        request,
                        _("Remise créée : %(count)s prélèvement(s).") % {"count": run.item_count},
                    )
                else:
                    messages.info(
                        request, _("Remise lancée : ses lots sont en cours de traitement.")
                    )
                return redirect("payments:sepa-run", pk=run.pk)
        return self._render(request, form, status=422)


class RunDetailView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        run = selectors.debit_run_get(actor=request.user, pk=pk)
        batch = run.batch_run
        can_import = scope_for(request.user).allows(Perm.PAYMENT_IMPORT)
        progress = {
            "run": run,
            "batch": batch,
            "polling": batch is not None and batch.state == RunState.RUNNING,
            "workers": run_worker_progress(batch) if batch is not None else [],
            "can_resume": batch is not None
            and not run.is_built
            and can_import
            and run_can_be_resumed(batch),
        }
        if request.htmx and not request.htmx.history_restore_request:
            if run.is_built:  # done: the whole page, with the debits and the file
                response = HttpResponse(status=204)
                response["HX-Refresh"] = "true"
                return response
            return render(request, "payments/_sepa_run_progress.html", progress)
        return render(
            request,
            "payments/sepa_run_detail.html",
            {
                **progress,
                "items": selectors.debit_run_items(run=run),
                "kinds": selectors.debit_run_kinds(run=run),
                "can_settle": run.is_built
                and run.settled_on is None
                and run.settles_on <= clock.today()
                and can_import,
            },
        )


class RunResumeView(StaffViewMixin, View):
    """« Reprendre » a run that failed, stalled or could not build its file (POST)."""

    permission = Perm.PAYMENT_IMPORT

    def post(self, request, pk: int):
        run = selectors.debit_run_get(actor=request.user, pk=pk)
        try:
            run = sepa.debit_run_resume(actor=request.user, run=run, executor=page_executor())
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            if run.is_built:
                messages.success(
                    request,
                    _("Remise terminée : %(count)s prélèvement(s).") % {"count": run.item_count},
                )
            else:
                messages.info(
                    request, _("Remise reprise : seuls les lots non traités sont refaits.")
                )
        return redirect("payments:sepa-run", pk=run.pk)


class RunSettleView(StaffViewMixin, View):
    """PAY-3: the bank has credited the run: its payments stop being pending (today)."""

    permission = Perm.PAYMENT_IMPORT

    def post(self, request, pk: int):
        run = selectors.debit_run_get(actor=request.user, pk=pk)
        try:
            sepa.debit_runs_settle(actor=request.user, run=run)
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as error:
            messages.error(
                request, "; ".join([error.message, *sum(error.fields.values(), [])]).strip("; ")
            )
        else:
            messages.success(
                request, _("Remise réglée : ses prélèvements ne sont plus en attente.")
            )
        return redirect("payments:sepa-run", pk=run.pk)


class RunFileView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        run = selectors.debit_run_get(actor=request.user, pk=pk)
        if not run.is_built:
            raise exceptions.NotFound(_("Le fichier de cette remise n'est pas encore fait."))
        response = HttpResponse(bytes(run.file_content), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{run.file_name}"'
        return response


class MandateListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def _account(self, request):
        number = (request.GET.get("account") or request.POST.get("account") or "").strip()
        if not number:
            return None
        return customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=Perm.PAYMENT_VIEW
        )

    def _render(self, request, account, form=None, amend=None, revoke=None, status=200):
        mandates = (
            list(selectors.mandate_list(actor=request.user, account=account)) if account else []
        )
        active = next((m for m in mandates if m.status == MandateStatus.ACTIVE), None)
        return render(
            request,
            "payments/sepa_mandates.html",
            {
                "account": account,
                "mandates": mandates,
                "active": active,
                "form": form or MandateForm(initial={"iban": account.iban if account else ""}),
                "amend_form": amend or AmendForm(),
                "revoke_form": revoke or RevokeForm(),
                "can_change": account is not None
                and scope_for(request.user).covers(Perm.CUSTOMER_CHANGE, account.centre),
            },
            status=status,
        )

    def get(self, request):
        return self._render(request, self._account(request))

    def post(self, request):
        account = self._account(request)
        if account is None:
            raise exceptions.NotFound(_("Compte client introuvable."))
        action = request.POST.get("action", "create")
        form = amend = revoke = None
        try:
            if action == "create":
                form = MandateForm(request.POST)
                if form.is_valid():
                    sepa.mandate_create(actor=request.user, account=account, **form.cleaned_data)
                    messages.success(request, _("Mandat enregistré."))
                    return self._back(account)
            else:
                mandate = selectors.mandate_get(actor=request.user, pk=int(request.POST["mandate"]))
                if mandate.account_id != account.pk:
                    raise exceptions.NotFound(_("Mandat introuvable."))
                if action == "amend":
                    amend = AmendForm(request.POST)
                    if amend.is_valid():
                        changes = {k: v for k, v in amend.cleaned_data.items() if v}
                        sepa.mandate_amend(actor=request.user, mandate=mandate, **changes)
                        messages.success(request, _("Mandat modifié."))
                        return self._back(account)
                else:
                    revoke = RevokeForm(request.POST)
                    if revoke.is_valid():
                        sepa.mandate_revoke(
                            actor=request.user,
                            mandate=mandate,
                            reason=revoke.cleaned_data["reason"],
                        )
                        messages.success(request, _("Mandat révoqué."))
                        return self._back(account)
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as error:
            target = form or amend or revoke
            add_service_errors(target, error)
            if not error.fields:
                target.add_error(None, error.message)
        return self._render(request, account, form=form, amend=amend, revoke=revoke, status=422)

    def _back(self, account):
        return redirect(f"{reverse('payments:sepa-mandates')}?account={account.number}")
