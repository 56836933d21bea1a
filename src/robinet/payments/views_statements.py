"""Bank statements and the unallocated-amounts worklist (PAY-5): screens.

Thin views over :mod:`robinet.payments.bank_statements` (writes, permission
checks, validation) and :mod:`robinet.payments.statement_selectors` (reads).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms as dj_forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import UploadField
from robinet.backoffice.http import StaffViewMixin
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.core.models.runs import RunState
from robinet.core.runs import page_executor, run_can_be_resumed, run_worker_progress
from robinet.organisation.access import can
from robinet.organisation.roles import Perm
from robinet.payments import bank_formats, statement_booking
from robinet.payments import bank_statements as service
from robinet.payments import statement_selectors as selectors
from robinet.payments.models import EntryStatus

LIST_LIMIT = 100
SPLIT_ROWS = 4

RULES = {
    "reference": gettext_lazy("référence"),
    "iban": gettext_lazy("IBAN connu + montant"),
    "name": gettext_lazy("nom + montant"),
}
REASONS = {
    "ambiguous": gettext_lazy("plusieurs comptes possibles"),
    "no_match": gettext_lazy("aucun compte trouvé"),
    "weak": gettext_lazy("indices insuffisants"),
}


def signal_labels(signals: dict) -> list[str]:
    """The signals of a match, in French, for the officer."""
    labels = []
    if signals.get("rule"):
        labels.append(_("Règle : %(r)s") % {"r": RULES.get(signals["rule"], signals["rule"])})
    if signals.get("reason"):
        labels.append(_("Motif : %(r)s") % {"r": REASONS.get(signals["reason"], signals["reason"])})
    if signals.get("invoices"):
        labels.append(_("Facture lue : %(n)s") % {"n": ", ".join(signals["invoices"])})
    if signals.get("customer_number"):
        labels.append(_("N° client lu : %(n)s") % {"n": signals["customer_number"]})
    if signals.get("reference_in") == "end_to_end_id":
        labels.append(_("Référence de bout en bout"))
    if signals.get("amount_equals_invoice"):
        labels.append(_("Montant égal au reste dû de la facture"))
    if signals.get("iban_known"):
        labels.append(_("IBAN déjà connu pour ce compte"))
    if "amount_matches" in signals:
        labels.append(
            _("Montant égal à %(of)s") % {"of": signals.get("amount_of", "")}
            if signals["amount_matches"]
            else _("Montant différent des sommes dues")
        )
    if signals.get("name_similarity"):
        labels.append(
            _("Nom semblable à %(p)s %%") % {"p": int(Decimal(signals["name_similarity"]) * 100)}
        )
    if signals.get("ambiguous"):
        labels.append(_("Ambigu"))
    if signals.get("references_not_found"):
        labels.append(
            _("Référence(s) inconnue(s) : %(r)s")
            % {"r": ", ".join(signals["references_not_found"])}
        )
    return labels


class StatementImportForm(dj_forms.Form):
    file = UploadField(label=gettext_lazy("Relevé bancaire (camt.053, CFONB 120 ou MT940)"))


class AllocateForm(dj_forms.Form):
    account = dj_forms.CharField(label=gettext_lazy("N° de compte client"), max_length=16)
    invoice = dj_forms.CharField(
        label=gettext_lazy("Facture à solder (facultatif)"), max_length=20, required=False
    )


class ReasonForm(dj_forms.Form):
    action = dj_forms.ChoiceField(
        label=gettext_lazy("Décision"),
        choices=[
            ("refund", gettext_lazy("Rembourser le donneur d'ordre")),
            ("transfer", gettext_lazy("Transférer hors des comptes clients")),
        ],
    )
    reason = dj_forms.CharField(label=gettext_lazy("Motif"), max_length=255)


class StatementListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        return render(
            request,
            "payments/statement_list.html",
            {
                "statements": list(selectors.statement_list(user=request.user)[:LIST_LIMIT]),
                "can_import": can(request.user, Perm.PAYMENT_IMPORT),
                "limit": LIST_LIMIT,
            },
        )


class StatementImportView(StaffViewMixin, View):
    permission = Perm.PAYMENT_IMPORT

    def _render(self, form, issues=(), error_message="", status=200):
        return render(
            self.request,
            "payments/statement_import.html",
            {
                "form": form,
                "issues": issues,
                "error_message": error_message,
                "formats": [f.label for f in bank_formats.formats()],
            },
            status=status,
        )

    def get(self, request):
        return self._render(StatementImportForm())

    def post(self, request):
        form = StatementImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(form, status=422)
        upload = form.cleaned_data["file"]
        try:
            # The booking run goes to the workers, or to a thread of this process: the
            # statement's page follows it.
            outcome = service.statement_import(
                actor=request.user,
                source=upload.read(),
                filename=upload.name,
                wait=False,
                executor=page_executor(),
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
            return self._render(form, error_message=exc.message, status=422)
        messages.success(request, bank_formats.DETECTORS["camt053"].describe(outcome))
        return redirect("payments:bank-statement", outcome.statements[0].pk)


class StatementDetailView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        statement = selectors.statement_get(user=request.user, pk=pk)
        entries = list(selectors.statement_entries(statement=statement))
        for entry in entries:
            entry.signal_labels = signal_labels(entry.signals)
        return render(
            request,
            "payments/statement_detail.html",
            {"statement": statement, "entries": entries, **booking_context(request, statement)},
        )


ACTIVE_RUN_STATES = (RunState.DRAFT, RunState.PROPOSED, RunState.APPROVED, RunState.RUNNING)


def booking_context(request, statement) -> dict:
    """The booking run of the statement's matched credits, for its page (PAY-5)."""
    run = statement_booking.booking_runs(import_file_id=statement.import_file_id).first()
    return {
        "statement": statement,
        "booking_run": run,
        "booking_workers": run_worker_progress(run) if run else [],
        "booking_active": run is not None and run.state in ACTIVE_RUN_STATES,
        "booking_can_resume": run is not None
        and run_can_be_resumed(run)
        and can(request.user, Perm.PAYMENT_IMPORT),
    }


class StatementBookingView(StaffViewMixin, View):
    """GET: the booking run's progress block, polled by the statement's page while the run
    runs (the page reloads once it is over); POST: « Reprendre » a failed or stalled run."""

    permission = Perm.PAYMENT_VIEW

    def get(self, request, pk: int):
        statement = selectors.statement_get(user=request.user, pk=pk)
        context = booking_context(request, statement)
        response = render(request, "payments/_statement_booking.html", context)
        if request.htmx and not context["booking_active"]:
            response["HX-Refresh"] = "true"  # the entries' states changed: show them
        return response

    def post(self, request, pk: int):
        statement = selectors.statement_get(user=request.user, pk=pk)
        run = statement_booking.booking_runs(import_file_id=statement.import_file_id).first()
        if run is None:
            raise exceptions.NotFound(_("Ce relevé n'a rien à comptabiliser."))
        try:
            run = statement_booking.booking_resume(
                actor=request.user, run=run, executor=page_executor()
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Comptabilisation n° %(n)s reprise : %(state)s.")
                % {"n": run.pk, "state": run.get_state_display()},
            )
        return redirect("payments:bank-statement", statement.pk)


class UnallocatedListView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        status = request.GET.get("status", EntryStatus.UNALLOCATED)
        if status not in EntryStatus.values:
            status = EntryStatus.UNALLOCATED
        search = request.GET.get("q", "")
        entries = list(
            selectors.worklist(user=request.user, status=status, search=search)[:LIST_LIMIT]
        )
        for entry in entries:
            entry.best = entry.suggestions[0] if entry.suggestions else None
            entry.best_labels = signal_labels(entry.best["signals"]) if entry.best else []
        return render(
            request,
            "payments/unallocated_list.html",
            {
                "entries": entries,
                "status": status,
                "statuses": EntryStatus.choices,
                "search": search,
                "ageing": selectors.worklist_ageing(user=request.user, today=clock.today()),
                "can_allocate": can(request.user, Perm.PAYMENT_ALLOCATE),
                "limit": LIST_LIMIT,
            },
        )


class UnallocatedDetailView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def render_page(self, request, entry, *, allocate=None, reason=None, split_errors=(),
                    split_rows=None, status=200):  # fmt: skip
        suggestions = [
            {**s, "labels": signal_labels(s.get("signals", {}))} for s in entry.suggestions
        ]
        rows = split_rows or [{"account": "", "amount": ""} for _ in range(SPLIT_ROWS)]
        return render(
            request,
            "payments/unallocated_detail.html",
            {
                "entry": entry,
                "signals": signal_labels(entry.signals),
                "suggestions": suggestions,
                "allocate_form": allocate or AllocateForm(),
                "reason_form": reason or ReasonForm(),
                "split_rows": rows,
                "split_errors": split_errors,
                "payments": list(entry.bookings.select_related("payment__account")),
                "can_allocate": can(request.user, Perm.PAYMENT_ALLOCATE)
                and entry.status == EntryStatus.UNALLOCATED,
            },
            status=status,
        )

    def get(self, request, pk: int):
        return self.render_page(request, selectors.entry_get(user=request.user, pk=pk))


class UnallocatedAllocateView(UnallocatedDetailView):
    """Accept a suggestion (or name an account): the whole credit to one account."""

    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request, pk: int):
        entry = selectors.entry_get(user=request.user, pk=pk)
        form = AllocateForm(request.POST)
        if form.is_valid():
            try:
                account, invoice = selectors.allocation_target(
                    user=request.user,
                    number=form.cleaned_data["account"],
                    invoice_number=form.cleaned_data["invoice"],
                )
                service.entry_allocate(
                    actor=request.user, entry=entry, account=account, invoice=invoice
                )
            except exceptions.PermissionDenied:
                raise
            except ApplicationError as exc:
                for name, errors in (exc.fields or {"account": [exc.message]}).items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("%(amount)s € affectés au compte %(n)s.")
                    % {"amount": entry.amount, "n": account.number},
                )
                return redirect("payments:unallocated")
        return self.render_page(request, entry, allocate=form, status=422)


class UnallocatedSplitView(UnallocatedDetailView):
    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request, pk: int):
        entry = selectors.entry_get(user=request.user, pk=pk)
        accounts = request.POST.getlist("account")
        amounts = request.POST.getlist("amount")
        rows = [
            {"account": a.strip(), "amount": m.strip()}
            for a, m in zip(accounts, amounts, strict=False)
        ]
        errors: list[str] = []
        parts = []
        for n, row in enumerate(rows, start=1):
            if not row["account"] and not row["amount"]:
                continue
            try:
                amount = Decimal(row["amount"].replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                errors.append(_("Ligne %(n)s : montant illisible.") % {"n": n})
                continue
            try:
                account, _invoice = selectors.allocation_target(
                    user=request.user, number=row["account"]
                )
            except ApplicationError as exc:
                errors.append(
                    _("Ligne %(n)s : %(m)s")
                    % {"n": n, "m": " ".join(m for ms in exc.fields.values() for m in ms)}
                )
                continue
            parts.append((account, amount))
        if not errors:
            try:
                service.entry_split(actor=request.user, entry=entry, parts=parts)
            except exceptions.PermissionDenied:
                raise
            except ApplicationError as exc:
                errors.extend(m for ms in exc.fields.values() for m in ms)
                if not exc.fields:
                    errors.append(exc.message)
            else:
                messages.success(
                    request,
                    _("%(amount)s € répartis entre %(n)s comptes.")
                    % {"amount": entry.amount, "n": len(parts)},
                )
                return redirect("payments:unallocated")
        rows += [{"account": "", "amount": ""}] * max(0, SPLIT_ROWS - len(rows))
        return self.render_page(request, entry, split_errors=errors, split_rows=rows, status=422)


class UnallocatedCloseView(UnallocatedDetailView):
    """Refund to the payer or transfer out of the customer accounts, with a reason."""

    permission = Perm.PAYMENT_ALLOCATE

    def post(self, request, pk: int):
        entry = selectors.entry_get(user=request.user, pk=pk)
        form = ReasonForm(request.POST)
        if form.is_valid():
            action = (
                service.entry_mark_refund
                if form.cleaned_data["action"] == "refund"
                else service.entry_transfer
            )
            try:
                action(actor=request.user, entry=entry, reason=form.cleaned_data["reason"])
            except exceptions.PermissionDenied:
                raise
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Décision enregistrée."))
                return redirect("payments:unallocated")
        return self.render_page(request, entry, reason=form, status=422)
