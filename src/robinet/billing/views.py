"""Back-office screens of billing (BILL-4…6, BILL-8, BILL-11).

Thin views: each parses a presentation form, calls one service or selector
of ``robinet.billing``, and renders. The services check the permissions again;
their refusals come back as field errors or an alert.

* billing runs: list, "Nouvelle facturation" (the run executes in a
  background thread so that its page shows live progress, polled by htmx),
  the run report;
* the held-bills worklist (BILL-5): filters, counts per reason, the detail
  with the simulation and the actions Libérer / Recalculer / Annuler;
* invoices: search, detail, PDF, Factur-X XML, credit note (BILL-6), rebill.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from abc import ABCMeta, abstractmethod
from decimal import Decimal
from typing import Any

from django import forms as dj_forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connections, transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import add_service_errors, date_field
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.billing import forms, printing, selectors, services, statistics
from robinet.billing.choices import BILL_KINDS, HeldBillStatus, HoldReason, InvoiceKind
from robinet.billing.models import HeldBill, Invoice
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.models import BatchRun
from robinet.core.models.runs import FINAL_RUN_STATES, RunState
from robinet.core.runs import run_can_be_resumed, run_worker_progress
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import can, scope_for
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm

logger = logging.getLogger(__name__)

#: rows shown at once in the lists (filter to see the others)
LIST_LIMIT = 100

# --- presentation of a bill (BILL-8 headings), shared with the tariff simulation ----------------

SERVICE_ORDER = ("water", "sanitation", "public_bodies", "other")
HEADINGS = {
    "water": gettext_lazy("Distribution de l'eau"),
    "sanitation": gettext_lazy("Collecte et traitement des eaux usées"),
    "public_bodies": gettext_lazy("Organismes publics"),
    "other": gettext_lazy("Autres prestations"),
}
BENEFICIARIES = {
    "operator": gettext_lazy("Exploitant"),
    "authority": gettext_lazy("Collectivité"),
    "water_agency": gettext_lazy("Agence de l'eau"),
    "other": gettext_lazy("Autre"),
}
KINDS = {
    "fixed": gettext_lazy("Abonnement"),
    "per_dwelling": gettext_lazy("Par logement"),
    "meter_rental": gettext_lazy("Location du compteur"),
    "volume": gettext_lazy("Au m³"),
    "minimum": gettext_lazy("Minimum de facturation"),
}
UNITS = {"m3": "m³", "year": gettext_lazy("an"), "day": gettext_lazy("jour"), "unit": "u"}


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _quantity(value) -> Decimal | None:
    """A line's quantity as stored on an invoice line (6 decimals at most)."""
    number = _dec(value)
    return None if number is None else number.quantize(Decimal("0.000001"))


def _day(value) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _get(item, name: str, default=None):
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


def unit_price(value: Decimal | None) -> str:
    """A unit price with its significant decimals, at least two: ``36,50``, ``1,1``→``1,10``,
    ``0,412345``."""
    if value is None:
        return ""
    places = min(6, max(2, -value.normalize().as_tuple().exponent))
    return number_format(value, decimal_pos=places, use_l10n=True)


def tariff_period_rows(periods) -> list[dict[str, Any]]:
    """The invoice's tariff periods (BILL-2) with dates and volumes typed."""
    return [
        {
            "tariff": p.get("tariff") or p.get("tariff_code", ""),
            "start": _day(p.get("start")),
            "end": _day(p.get("end")),
            "days": p.get("days"),
            "volume": _dec(p.get("volume")),
        }
        for p in periods or []
    ]


def bill_view(bill) -> dict[str, Any] | None:
    """A bill (``pricing.Bill``, its ``bill_to_dict`` form, or an invoice with its lines)
    as the screens show it: lines under the three BILL-8 headings, VAT per rate, totals."""
    if bill is None:
        return None
    lines = _get(bill, "lines")
    if hasattr(lines, "all"):
        lines = lines.all()
    rows = []
    for position, line in enumerate(lines, start=1):
        service = _get(line, "service")
        kind = _get(line, "kind") or _get(line, "component_kind", "")
        rows.append(
            {
                "position": _get(line, "position", position),
                "code": _get(line, "component_code"),
                "label": _get(line, "label"),
                "service": service,
                "kind": KINDS.get(kind, kind),
                "beneficiary": BENEFICIARIES.get(_get(line, "beneficiary"), ""),
                "tariff_code": _get(line, "tariff_code"),
                "period_start": _day(_get(line, "period_start")),
                "period_end": _day(_get(line, "period_end")),
                "quantity": _quantity(_get(line, "quantity")),
                "unit": UNITS.get(_get(line, "unit"), _get(line, "unit")),
                "unit_price": _dec(_get(line, "unit_price")),
                "unit_price_display": unit_price(_dec(_get(line, "unit_price"))),
                "amount_excl_vat": _dec(_get(line, "amount_excl_vat")),
                "vat_rate": _dec(_get(line, "vat_rate")),
                "block": _get(line, "block"),
                "social": _get(line, "social", False),
                "deduction": _get(line, "deduction", False),
            }
        )
    sections = []
    for service in SERVICE_ORDER + tuple(sorted({r["service"] for r in rows} - set(SERVICE_ORDER))):
        of_service = [r for r in rows if r["service"] == service]
        if of_service:
            sections.append(
                {
                    "service": service,
                    "heading": HEADINGS.get(service, service),
                    "lines": of_service,
                    "total": sum((r["amount_excl_vat"] for r in of_service), Decimal("0.00")),
                }
            )
    vat = _get(bill, "vat")
    if vat is None:
        vat = _get(bill, "vat_breakdown", [])
    return {
        "sections": sections,
        "lines": rows,
        "vat": [
            {
                "rate": _dec(_get(v, "rate")),
                "base": _dec(_get(v, "base")),
                "amount": _dec(_get(v, "amount")),
            }
            for v in vat
        ],
        "total_excl_vat": _dec(_get(bill, "total_excl_vat")),
        "total_vat": _dec(_get(bill, "total_vat")),
        "total_incl_vat": _dec(_get(bill, "total_incl_vat")),
        "volume": _dec(_get(bill, "volume")),
        "fixed_incl_vat": _dec(_get(bill, "fixed_incl_vat")),
        "price_per_m3_incl_vat": _dec(_get(bill, "price_per_m3_incl_vat")),
        "price_per_litre_incl_vat": _dec(_get(bill, "price_per_litre_incl_vat")),
    }


# --- billing runs (BILL-4) ----------------------------------------------------------------------


def run_entities(user) -> tuple[list[Entity], bool]:
    """The entities a user may start a billing run on (BILLING_RUN held on them), and
    whether they may bill the whole utility (they cover every region)."""
    scope = scope_for(user)
    entities = list(Entity.objects.order_by("path"))
    regions = [e for e in entities if e.parent_id is None]
    allowed = [e for e in entities if scope.covers(Perm.BILLING_RUN, e)]
    whole = bool(regions) and all(scope.covers(Perm.BILLING_RUN, r) for r in regions)
    return allowed, whole


def execute_in_background(run_pk: int, user_pk: int | None, *, resume: bool = False) -> None:
    """Execute (or resume) a run in a daemon thread so the page can poll its progress.

    The run's default executor is used (in-process here; Celery when a broker
    is configured, in which case the thread only enqueues). The thread closes
    its database connections when done.
    """
    service = services.billing_run_resume if resume else services.billing_run_execute

    def work():
        close_old_connections()
        try:
            user = get_user_model().objects.filter(pk=user_pk).first() if user_pk else None
            run = BatchRun.objects.get(pk=run_pk)
            service(actor=user, run=run)
        except Exception:
            logger.exception("billing run %s failed in the background", run_pk)
        finally:
            connections.close_all()

    threading.Thread(target=work, name=f"billing-run-{run_pk}", daemon=True).start()


class RunListView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request):
        runs = list(selectors.run_list(user=request.user)[:LIST_LIMIT])
        return render(
            request,
            "billing/run_list.html",
            {"runs": runs, "can_run": can(request.user, Perm.BILLING_RUN)},
        )


class RunCreateView(StaffViewMixin, View):
    """ "Nouvelle facturation": creates the run, starts it after the response, shows its page."""

    permission = Perm.BILLING_RUN
    #: how the run is started (tests replace it to run synchronously)
    start = staticmethod(execute_in_background)

    def form(self, data=None):
        today = clock.today()
        initial = {"issue_date": today, "period_end": today}
        entities, whole = run_entities(self.request.user)
        return forms.RunCreateForm(data, initial=initial, entities=entities, whole_utility=whole)

    def render_form(self, form, error_message=""):
        return render(
            self.request,
            "billing/run_form.html",
            {"form": form, "error_message": error_message},
        )

    def get(self, request):
        return self.render_form(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        data = form.cleaned_data
        try:
            run = services.billing_run_create(
                actor=request.user,
                period_end=data["period_end"],
                entity_code=data["entity"],
                cycle=data["cycle"],
                issue_date=data["issue_date"],
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc, aliases={"entity_code": "entity"})
            return self.render_form(form, exc.message)
        run_pk, user_pk = run.pk, request.user.pk
        transaction.on_commit(lambda: self.start(run_pk, user_pk))
        messages.success(request, _("Facturation n° %(n)s lancée.") % {"n": run.pk})
        return redirect("billing:run-detail", run.pk)


class RunResumeView(StaffViewMixin, View):
    """« Reprendre » a failed or stalled run: only the chunks not done (POST)."""

    permission = Perm.BILLING_RUN
    start = staticmethod(execute_in_background)

    def post(self, request, pk):
        run = selectors.run_get_for_user(user=request.user, pk=pk)
        if not run_can_be_resumed(run):
            messages.error(
                request, _("Seule une facturation en échec ou interrompue peut être reprise.")
            )
            return redirect("billing:run-detail", run.pk)
        run_pk, user_pk = run.pk, request.user.pk
        self.start(run_pk, user_pk, resume=True)
        messages.success(request, _("Facturation n° %(n)s reprise.") % {"n": run.pk})
        return redirect("billing:run-detail", run.pk)


class RunRenderView(StaffViewMixin, View):
    """« Rendre les PDF » of a finished run (POST, on the run workers); GET: its progress
    block, polled by the run's page while the rendering runs."""

    permission = Perm.BILLING_VIEW
    start = staticmethod(execute_in_background)

    def get(self, request, pk):
        run = selectors.run_get_for_user(user=request.user, pk=pk)
        context = render_context(run)
        context["can_run"] = can(request.user, Perm.BILLING_RUN)
        return render(request, "billing/_render_progress.html", context)

    def post(self, request, pk):
        run = selectors.run_get_for_user(user=request.user, pk=pk)
        try:
            render_run = services.billing_run_render(actor=request.user, run=run, execute=False)
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("billing:run-detail", run.pk)
        render_pk, user_pk = render_run.pk, request.user.pk
        transaction.on_commit(lambda: self.start(render_pk, user_pk))
        messages.success(
            request, _("Édition PDF de la facturation n° %(n)s lancée.") % {"n": run.pk}
        )
        return redirect("billing:run-detail", run.pk)


def render_context(run: BatchRun) -> dict[str, Any]:
    """The latest PDF rendering of a finished billing run, for its page."""
    from robinet.billing import rendering

    latest = rendering.render_runs(run).first()
    active = latest is not None and latest.state in rendering.ACTIVE
    return {
        "run": run,
        "render_run": latest,
        "render_workers": run_worker_progress(latest) if latest else [],
        "render_active": active,
    }


def run_context(run: BatchRun) -> dict[str, Any]:
    report = selectors.run_report(run)
    held = dict(HeldBill.objects.filter(run=run).values_list("contract_id", "pk"))
    for item in report["items"]:
        item["held_pk"] = held.get(item["contract_id"])
        item["outcome"] = (
            "held"
            if item["code"].startswith("held:")
            else ("failed" if item["status"] == "failed" else "skipped")
        )
        if item["outcome"] == "held":
            codes = item["code"].removeprefix("held:").split(",")
            labels = dict(HoldReason.choices)
            item["reasons"] = [str(labels.get(c, c)) for c in codes if c]
    invoices = list(
        Invoice.objects.filter(run=run)
        .select_related("account__party")
        .order_by("number")[:LIST_LIMIT]
    )
    final = run.state in FINAL_RUN_STATES or run.state == RunState.FAILED
    return {
        "run": run,
        "report": report,
        "run_invoices": invoices,
        "workers": run_worker_progress(run),
        "can_resume": run_can_be_resumed(run),
        "final": final,
        "polling": not final and run.state in (RunState.APPROVED, RunState.RUNNING),
    }


class RunDetailView(StaffViewMixin, View):
    """The run's page; with htmx, only the progress block (polled every second until done)."""

    permission = Perm.BILLING_VIEW

    def get(self, request, pk):
        run = selectors.run_get_for_user(user=request.user, pk=pk)
        context = run_context(run)
        context["can_run"] = can(request.user, Perm.BILLING_RUN)
        partial = request.htmx and not request.htmx.history_restore_request
        if run.state == RunState.DONE:
            context.update(render_context(run))
        template = "billing/_run_progress.html" if partial else "billing/run_detail.html"
        return render(request, template, context)


# --- held bills (BILL-5) ------------------------------------------------------------------------


class HeldListView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request):
        centres = customer_selectors.entity_centres_for(
            user=request.user, perm=Perm.BILLING_VIEW
        ).order_by("name")
        form = forms.HeldFilterForm(request.GET or None, centres=centres)
        held = selectors.held_bill_worklist(
            user=request.user, today=clock.today(), **form.filters()
        )
        counts = selectors.held_bill_counts(user=request.user)
        labels = dict(HoldReason.choices)
        rows = list(held[:LIST_LIMIT])
        for row in rows:
            row.reason_labels = [str(labels.get(r.get("code"), r.get("code"))) for r in row.reasons]
        context = {
            "form": form,
            "rows": rows,
            "total": held.count(),
            "limit": LIST_LIMIT,
            "counts": [(code, labels.get(code, code), n) for code, n in sorted(counts.items())],
            "can_correct": can(request.user, Perm.BILLING_CORRECT),
        }
        partial = request.htmx and not request.htmx.history_restore_request
        template = "billing/_held_table.html" if partial else "billing/held_list.html"
        return render(request, template, context)


class HeldMixin(StaffViewMixin):
    permission = Perm.BILLING_VIEW

    def get_held(self) -> HeldBill:
        return selectors.held_bill_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def render_detail(self, held, *, form=None, error_message="", status=200):
        labels = dict(HoldReason.choices)
        reasons = [
            {
                "code": r.get("code"),
                "label": labels.get(r.get("code"), r.get("code")),
                "message": r.get("message"),
            }
            for r in held.reasons
        ]
        sp = held.service_point
        context = {
            "held": held,
            "reasons": reasons,
            "bill": bill_view(held.simulation),
            "form": form or forms.HeldNoteForm(),
            "error_message": error_message,
            "can_correct": held.status == HeldBillStatus.HELD
            and can(self.request.user, Perm.BILLING_CORRECT, held.centre),
            # A run of the whole service is not in a centre officer's scope.
            "run_visible": held.run_id is not None
            and selectors.run_list(user=self.request.user).filter(pk=held.run_id).exists(),
            "readings_url": reverse(
                "metering:service-point-readings", args=[held.account.number, sp.reference]
            ),
        }
        return render(self.request, "billing/held_detail.html", context, status=status)


class HeldDetailView(HeldMixin, View):
    def get(self, request, pk):
        return self.render_detail(self.get_held())


class HeldActionView(HeldMixin, View):
    """Libérer / Recalculer / Annuler: POST only, then back to the detail (or the worklist)."""

    permission = Perm.BILLING_CORRECT
    action = ""

    def post(self, request, pk):
        held = self.get_held()
        require_covered(request.user, Perm.BILLING_CORRECT, held.centre)
        form = forms.HeldNoteForm(request.POST)
        form.is_valid()
        note = form.cleaned_data.get("note", "") if form.is_valid() else ""
        try:
            if self.action == "release":
                invoice = services.held_bill_release(actor=request.user, held=held, note=note)
                messages.success(
                    request,
                    _("Facture bloquée libérée : facture %(n)s émise.") % {"n": invoice.number},
                )
                return redirect("billing:invoice-detail", invoice.number)
            if self.action == "reprice":
                held = services.held_bill_reprice(actor=request.user, held=held)
                messages.success(request, _("Facture recalculée avec les données actuelles."))
                return redirect("billing:held-detail", held.pk)
            services.held_bill_cancel(actor=request.user, held=held, note=note)
            messages.success(
                request, _("Facture bloquée annulée : la période ne sera pas facturée.")
            )
            return redirect("billing:held")
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            held.refresh_from_db()
            return self.render_detail(held, form=form, error_message=exc.message, status=422)


# --- invoices (BILL-6, BILL-8) ------------------------------------------------------------------


class InvoiceListView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request):
        form = forms.InvoiceSearchForm(request.GET or None)
        invoices = selectors.invoice_search(user=request.user, **form.filters())
        context = {
            "form": form,
            "invoices": list(invoices[:LIST_LIMIT]),
            "limit": LIST_LIMIT,
            "can_bill_fees": can(request.user, Perm.FEES_MANAGE),
        }
        partial = request.htmx and not request.htmx.history_restore_request
        template = "billing/_invoice_table.html" if partial else "billing/invoice_list.html"
        return render(request, template, context)


class InvoiceMixin(StaffViewMixin):
    permission = Perm.BILLING_VIEW

    def get_invoice(self) -> Invoice:
        return selectors.invoice_get_for_user(user=self.request.user, number=self.kwargs["number"])


def open_item_of(invoice: Invoice):
    from robinet.ledger.models import OpenItem

    return OpenItem.objects.filter(invoice=invoice).first()


class InvoiceDetailView(InvoiceMixin, View):
    def get(self, request, number):
        invoice = self.get_invoice()
        lines = list(invoice.lines.order_by("position"))
        credit_notes = list(selectors.credit_notes_of(invoice))
        is_bill = invoice.kind in BILL_KINDS
        # BILL-7 fees and works invoices are credited as any invoice (never rebilled)
        creditable = invoice.kind != InvoiceKind.CREDIT_NOTE
        fully_credited = creditable and services.is_fully_credited(invoice)
        can_correct = can(request.user, Perm.BILLING_CORRECT, invoice.account.centre)
        buyer = selectors.buyer(invoice.account)
        context = {
            "invoice": invoice,
            "bill": bill_view({**_invoice_totals(invoice), "lines": lines}),
            "credit_notes": credit_notes,
            "open_item": open_item_of(invoice),
            "is_bill": creditable,
            "fully_credited": fully_credited,
            "can_credit": can_correct and creditable and not fully_credited,
            "can_rebill": can_correct and is_bill and fully_credited,
            "quote": invoice.quote if invoice.quote_id else None,
            "facturx": buyer.needs_facturx,
            "tariff_periods": tariff_period_rows(invoice.tariff_periods),
            **_leak_relief_context(invoice, can_correct),
        }
        return render(request, "billing/invoice_detail.html", context)


def _leak_relief_context(invoice: Invoice, can_correct: bool) -> dict[str, Any]:
    """BILL-9: the request on the invoice, and whether one may be opened."""
    from robinet.billing import leaks

    active = leaks.active_request_of(invoice) if invoice.kind in BILL_KINDS else None
    return {
        "leak_request": active,
        "can_request_leak_relief": can_correct
        and active is None
        and leaks.may_request_relief(invoice),
    }


def _invoice_totals(invoice: Invoice) -> dict[str, Any]:
    return {
        "vat_breakdown": invoice.vat_breakdown or [],
        "total_excl_vat": invoice.total_excl_vat,
        "total_vat": invoice.total_vat,
        "total_incl_vat": invoice.total_incl_vat,
        "volume": invoice.volume,
        "fixed_incl_vat": invoice.fixed_incl_vat,
        "price_per_m3_incl_vat": invoice.price_per_m3_incl_vat,
        "price_per_litre_incl_vat": invoice.price_per_litre_incl_vat,
    }


class InvoicePdfView(InvoiceMixin, View):
    """The PDF the customer receives (Factur-X for professionals), shown inline."""

    def get(self, request, number):
        content, filename = selectors.invoice_pdf(self.get_invoice())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


class InvoiceXmlView(InvoiceMixin, View):
    """The Factur-X (CII) XML of a professional's invoice, downloaded."""

    def get(self, request, number):
        invoice = self.get_invoice()
        if not selectors.buyer(invoice.account).needs_facturx:
            raise exceptions.NotFound(_("Pas de Factur-X pour ce client."))
        response = HttpResponse(selectors.invoice_facturx_xml(invoice), content_type="text/xml")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}-facturx.xml"'
        return response


class CreditNoteView(InvoiceMixin, View):
    """The credit-note form (BILL-6): total or chosen lines, with a reason."""

    permission = Perm.BILLING_CORRECT

    def setup_invoice(self):
        invoice = self.get_invoice()
        require_covered(self.request.user, Perm.BILLING_CORRECT, invoice.account.centre)
        # A line is never credited twice: only what is left to credit is offered.
        lines = [line for line, _quantity, _amount in services.remaining_lines(invoice)]
        return invoice, lines

    def render_form(self, invoice, form, error_message="", status=200):
        return render(
            self.request,
            "billing/credit_note_form.html",
            {"invoice": invoice, "form": form, "error_message": error_message},
            status=status,
        )

    def get(self, request, number):
        invoice, lines = self.setup_invoice()
        return self.render_form(invoice, forms.CreditNoteForm(lines=lines))

    def post(self, request, number):
        invoice, lines = self.setup_invoice()
        form = forms.CreditNoteForm(request.POST, lines=lines)
        if not form.is_valid():
            return self.render_form(invoice, form, status=422)
        data = form.cleaned_data
        positions = data["positions"] if data["scope"] == "lines" else None
        try:
            note = services.credit_note_issue(
                actor=request.user, invoice=invoice, reason=data["reason"], positions=positions
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self.render_form(invoice, form, exc.message, status=422)
        messages.success(
            request,
            _("Avoir %(n)s émis sur la facture %(i)s.") % {"n": note.number, "i": invoice.number},
        )
        return redirect("billing:invoice-detail", invoice.number)


class RebillView(InvoiceMixin, View):
    """ "Refacturer" after a full credit note: the period billed again with today's data."""

    permission = Perm.BILLING_CORRECT

    def post(self, request, number):
        invoice = self.get_invoice()
        try:
            new = services.invoice_rebill(actor=request.user, invoice=invoice)
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("billing:invoice-detail", invoice.number)
        messages.success(
            request, _("Période refacturée : facture %(n)s émise.") % {"n": new.number}
        )
        return redirect("billing:invoice-detail", new.number)


# --- billing statistics and print-shop export (BILL-12) -----------------------------------------


#: an agency's or a centre's name indented under its parent in the entity list
ENTITY_INDENT = "\u00a0" * 3


class StatisticsFilterForm(dj_forms.Form):
    """The statistics filters (GET): an entity of the user's scope and a range of issue dates."""

    entity = dj_forms.ModelChoiceField(
        label=gettext_lazy("Entité"),
        queryset=Entity.objects.none(),
        required=False,
        empty_label=gettext_lazy("Tout mon périmètre"),
        to_field_name="code",
    )
    date_from = date_field(gettext_lazy("Émises du"), required=True)
    date_to = date_field(gettext_lazy("Jusqu’au"), required=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        self.fields["entity"].queryset = Entity.objects.filter(
            scope.entity_filter(Perm.BILLING_VIEW)
        ).order_by("path")
        self.fields["entity"].label_from_instance = lambda e: (
            f"{ENTITY_INDENT * (e.path.count('/') - 2)}{e.name} ({e.code})"
        )


def statistics_form(request) -> StatisticsFilterForm:
    today = clock.today()
    data = request.GET.copy()
    data.setdefault("date_from", today.replace(month=1, day=1).isoformat())
    data.setdefault("date_to", today.isoformat())
    return StatisticsFilterForm(data, user=request.user)


def _run_statistics(request, form):
    """The figures for a valid form, or None with the service's errors put on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return statistics.billing_statistics(
            user=request.user,
            entity=data["entity"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    except exceptions.ValidationFailed as exc:
        add_service_errors(form, exc)
        return None


def statistics_charts(stats) -> dict[str, Any]:
    """Chart.js data: net amounts by issue month, net amounts excl. VAT by beneficiary."""
    return {
        "months": {
            "labels": [f"{m.month:%m/%Y}" for m in stats.by_month],
            "excl_vat": [str(m.excl_vat.net) for m in stats.by_month],
            "vat": [str(m.vat.net) for m in stats.by_month],
            "incl_vat": [str(m.incl_vat.net) for m in stats.by_month],
        },
        "beneficiaries": {
            "labels": [r.label for r in stats.by_beneficiary],
            "amounts": [str(r.amount.net) for r in stats.by_beneficiary],
        },
    }


class StatisticsView(StaffViewMixin, View):
    """ "Statistiques de facturation": figures per entity and period, charts, CSV link."""

    permission = Perm.BILLING_VIEW

    def get(self, request):
        form = statistics_form(request)
        stats = _run_statistics(request, form)
        context = {
            "form": form,
            "stats": stats,
            "charts": statistics_charts(stats) if stats else None,
            "breakdowns": [
                (_("Par bénéficiaire"), stats.by_beneficiary, "beneficiaries"),
                (_("Par rubrique"), stats.by_service, "services"),
                (_("Par taux de TVA"), stats.by_vat_rate, "vat-rates"),
            ]
            if stats
            else [],
            "query": request.GET.urlencode(),
        }
        return render(request, "billing/statistics.html", context, status=200 if stats else 422)


class StatisticsCsvView(StaffViewMixin, View):
    """The same figures as a French CSV (``;``, decimal comma, UTF-8 with BOM)."""

    permission = Perm.BILLING_VIEW

    def get(self, request):
        form = statistics_form(request)
        stats = _run_statistics(request, form)
        if stats is None:
            return render(
                request,
                "billing/statistics.html",
                {"form": form, "stats": None, "charts": None, "query": ""},
                status=422,
            )
        entity = stats.entity.code if stats.entity else "perimetre"
        name = f"statistiques-facturation-{entity}-{stats.date_from}-{stats.date_to}.csv"
        response = HttpResponse(
            statistics.statistics_csv(stats), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class RunPrintExportView(StaffViewMixin, View):
    """The print-shop file of a finished run (*édition des factures*), downloaded as CSV."""

    permission = Perm.BILLING_VIEW

    def get(self, request, pk):
        run = selectors.run_get_for_user(user=request.user, pk=pk)
        try:
            content = printing.print_export_csv(run)
        except printing.RunNotPrintable as exc:
            messages.error(request, exc.message)
            return redirect("billing:run-detail", run.pk)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="edition-factures-{run.pk}.csv"'
        return response


# --- services and fees, works quotes (BILL-7, COLL-1) -------------------------------------------

FEE_ROWS = 4
QUOTE_ROWS = 6


def _item_choices(kind: str) -> list[tuple[str, str]]:
    from robinet.billing import fees

    return [("", "—")] + [
        (
            item.code,
            f"{item.label} — {number_format(item.unit_price, 2)} € HT / {item.unit}"
            + ("" if item.allowed_for_individuals else " " + _("(hors particuliers)")),
        )
        for item in fees.price_list(kind=kind)
    ]


class ItemRowsForm(dj_forms.Form):
    """Rows of (price-list item, quantity); at least one row filled."""

    rows = FEE_ROWS
    item_kind = "fee"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = _item_choices(self.item_kind)
        for i in range(1, self.rows + 1):
            self.fields[f"item_{i}"] = dj_forms.ChoiceField(
                label=_("Article %(i)s") % {"i": i}, choices=choices, required=False
            )
            self.fields[f"quantity_{i}"] = dj_forms.DecimalField(
                label=_("Quantité %(i)s") % {"i": i},
                required=False,
                min_value=Decimal("0.001"),
                max_digits=12,
                decimal_places=3,
                initial=1,
            )

    def row_fields(self):
        return [(self[f"item_{i}"], self[f"quantity_{i}"]) for i in range(1, self.rows + 1)]

    def clean(self):
        data = super().clean()
        lines = []
        for i in range(1, self.rows + 1):
            code = data.get(f"item_{i}")
            if code:
                lines.append((code, data.get(f"quantity_{i}") or Decimal(1)))
        if not lines:
            raise dj_forms.ValidationError(_("Choisissez au moins un article."))
        data["lines"] = lines
        return data


class FeesForm(ItemRowsForm):
    account = dj_forms.CharField(label=gettext_lazy("N° de compte client"), max_length=16)
    contract = dj_forms.CharField(
        label=gettext_lazy("N° de contrat (facultatif)"), max_length=20, required=False
    )
    reason = dj_forms.CharField(label=gettext_lazy("Motif"), max_length=255, required=False)


class FormPageView(StaffViewMixin, View, metaclass=ABCMeta):
    """A create form page: GET shows it (prefilled from the query string), POST is the view's."""

    template_name = ""
    form_class: type[dj_forms.Form]
    prefill = "account"  # the query-string parameter copied into the form

    def render_form(self, form, error_message="", status=200):
        return render(
            self.request,
            self.template_name,
            {"form": form, "error_message": error_message},
            status=status,
        )

    def get(self, request):
        return self.render_form(
            self.form_class(initial={self.prefill: request.GET.get(self.prefill, "")})
        )

    error_aliases: dict[str, str] | None = None  # service field → form field

    def post(self, request):
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=422)
        try:
            return self.submit(request, form.cleaned_data)
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc, aliases=self.error_aliases)
            return self.render_form(form, exc.message, status=422)

    @abstractmethod
    def submit(self, request, data):
        """Call the service with the valid form's data; return the response."""


class FeesCreateView(FormPageView):
    """ "Facturer des frais": price-list items billed to an account (BILL-7, COLL-1)."""

    permission = Perm.FEES_MANAGE

    template_name = "billing/fees_form.html"
    form_class = FeesForm

    def submit(self, request, data):
        from robinet.billing import fees

        account = customer_selectors.account_get_for_user(
            user=request.user, number=data["account"].strip()
        )
        contract = None
        if data["contract"]:
            contract = customer_selectors.contract_get_for_user(
                user=request.user, number=data["contract"].strip()
            )
        invoice = fees.fees_invoice_issue(
            actor=request.user,
            account=account,
            contract=contract,
            items=data["lines"],
            reason=data["reason"],
        )
        messages.success(request, _("Facture %(n)s émise.") % {"n": invoice.number})
        return redirect("billing:invoice-detail", invoice.number)


class QuoteForm(ItemRowsForm):
    rows = QUOTE_ROWS
    item_kind = "works"

    account = dj_forms.CharField(
        label=gettext_lazy("N° de compte client (ou tiers)"), max_length=16
    )
    subject = dj_forms.CharField(label=gettext_lazy("Objet des travaux"), max_length=160)
    site_address = dj_forms.CharField(
        label=gettext_lazy("Adresse des travaux"), max_length=255, required=False
    )
    service_point = dj_forms.CharField(
        label=gettext_lazy("Point de desserte (facultatif)"), max_length=20, required=False
    )
    valid_until = date_field(gettext_lazy("Valable jusqu'au"))


class QuoteListView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request):
        from robinet.billing import works
        from robinet.billing.choices import QuoteStatus

        status = request.GET.get("status", "")
        account = request.GET.get("account", "")
        quotes = list(
            works.quote_search(user=request.user, status=status, account=account)[:LIST_LIMIT]
        )
        context = {
            "quotes": quotes,
            "statuses": QuoteStatus.choices,
            "status": status,
            "account": account,
            "limit": LIST_LIMIT,
            "can_manage": can(request.user, Perm.WORKS_MANAGE),
            "today": clock.today(),
        }
        return render(request, "billing/quote_list.html", context)


class QuoteCreateView(FormPageView):
    permission = Perm.WORKS_MANAGE

    template_name = "billing/quote_form.html"
    form_class = QuoteForm

    def submit(self, request, data):
        from robinet.billing import works

        account = customer_selectors.account_get_for_user(
            user=request.user, number=data["account"].strip()
        )
        service_point = None
        if data["service_point"]:
            service_point = customer_selectors.service_point_get_for_user(
                user=request.user, reference=data["service_point"].strip()
            )
        quote = works.quote_create(
            actor=request.user,
            account=account,
            subject=data["subject"],
            site_address=data["site_address"],
            service_point=service_point,
            valid_until=data["valid_until"],
            lines=data["lines"],
        )
        messages.success(request, _("Devis %(n)s établi.") % {"n": quote.number})
        return redirect("billing:quote-detail", quote.number)


class QuoteMixin(StaffViewMixin):
    permission = Perm.BILLING_VIEW

    def get_quote(self):
        from robinet.billing import works

        return works.quote_get_for_user(user=self.request.user, number=self.kwargs["number"])


class QuoteDetailView(QuoteMixin, View):
    def get(self, request, number):
        from robinet.billing import works
        from robinet.billing.choices import QuoteStatus

        quote = self.get_quote()
        can_manage = can(request.user, Perm.WORKS_MANAGE, quote.account.centre)
        undecided = quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT)
        context = {
            "quote": quote,
            "lines": list(quote.lines.order_by("position")),
            "expired": works.is_expired(quote),
            "deposit_invoice": works.deposit_invoice_of(quote),
            "works_invoice": works.works_invoice_of(quote),
            "can_send": can_manage and quote.status == QuoteStatus.DRAFT,
            "can_decide": can_manage and undecided,
            "can_invoice": can_manage and quote.status == QuoteStatus.ACCEPTED,
            "today": clock.today(),
        }
        return render(request, "billing/quote_detail.html", context)


class QuotePdfView(QuoteMixin, View):
    def get(self, request, number):
        from robinet.billing import works

        content, filename = works.quote_pdf(self.get_quote())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


def stored_file(field, missing: str) -> FileResponse:
    """An uploaded document (signed quote, agreement, plumber's certificate), shown inline."""
    if not field:
        raise exceptions.NotFound(missing)
    return FileResponse(
        field.open("rb"), as_attachment=False, filename=field.name.rsplit("/", 1)[-1]
    )


class QuoteSignedView(QuoteMixin, View):
    """The customer's signed quote, served to those who may see the quote."""

    def get(self, request, number):
        return stored_file(self.get_quote().signed_document, _("Pas de devis signé."))


def _form_day(value) -> dt.date | None:
    try:
        return _day(value)
    except ValueError:
        raise exceptions.ValidationFailed({"date": [_("Date invalide.")]}) from None


class QuoteActionView(QuoteMixin, View):
    """Envoyer / Accepter (signed copy) / Refuser / Facturer les travaux."""

    permission = Perm.WORKS_MANAGE
    action = ""

    def post(self, request, number):
        from robinet.billing import works

        quote = self.get_quote()
        require_covered(request.user, Perm.WORKS_MANAGE, quote.account.centre)
        try:
            if self.action == "send":
                works.quote_send(actor=request.user, quote=quote)
                messages.success(request, _("Devis marqué comme envoyé."))
            elif self.action == "accept":
                works.quote_accept(
                    actor=request.user,
                    quote=quote,
                    signed_document=request.FILES.get("signed_document"),
                    accepted_on=_form_day(request.POST.get("accepted_on")),
                )
                deposit = works.deposit_invoice_of(quote)
                messages.success(
                    request,
                    _("Devis accepté ; facture d'acompte %(n)s émise.") % {"n": deposit.number}
                    if deposit
                    else _("Devis accepté."),
                )
            elif self.action == "refuse":
                works.quote_refuse(
                    actor=request.user, quote=quote, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Devis refusé."))
            elif self.action == "invoice":
                invoice = works.works_invoice_issue(
                    actor=request.user,
                    quote=quote,
                    works_done_on=_form_day(request.POST.get("works_done_on")),
                )
                messages.success(
                    request, _("Facture de travaux %(n)s émise.") % {"n": invoice.number}
                )
                return redirect("billing:invoice-detail", invoice.number)
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            problems = [m for ms in exc.fields.values() for m in ms]
            messages.error(request, " ".join([exc.message, *problems]))
        return redirect("billing:quote-detail", quote.number)


# --- municipal contributions to projects (BILL-7) ----------------------------------------------

AGREEMENT_ROWS = 8


class AgreementForm(dj_forms.Form):
    """An agreement and its schedule: due dates, amounts optional (blank = equal shares)."""

    account = dj_forms.CharField(label=gettext_lazy("N° de compte de la commune"), max_length=16)
    project = dj_forms.CharField(label=gettext_lazy("Projet financé"), max_length=160)
    service = dj_forms.ChoiceField(label=gettext_lazy("Service"), choices=())
    total_excl_vat = dj_forms.DecimalField(
        label=gettext_lazy("Montant de la participation HT (€)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    vat_rate = dj_forms.ChoiceField(
        label=gettext_lazy("TVA"),
        choices=(),
        initial="0",
    )

    def __init__(self, *args, **kwargs):
        from robinet.billing.choices import CONTRIBUTION_VAT_RATES, ContributionService

        super().__init__(*args, **kwargs)
        self.fields["service"].choices = ContributionService.choices
        self.fields["vat_rate"].choices = [
            (r, _("Hors champ de TVA (0 %)") if r == "0" else f"{r.replace('.', ',')} %")
            for r in CONTRIBUTION_VAT_RATES
        ]
        for i in range(1, AGREEMENT_ROWS + 1):
            self.fields[f"due_{i}"] = date_field(_("Échéance %(i)s") % {"i": i})
            self.fields[f"amount_{i}"] = dj_forms.DecimalField(
                label=_("Montant HT %(i)s") % {"i": i},
                required=False,
                min_value=Decimal("0.01"),
                max_digits=12,
                decimal_places=2,
            )

    def row_fields(self):
        return [(self[f"due_{i}"], self[f"amount_{i}"]) for i in range(1, AGREEMENT_ROWS + 1)]

    def clean(self):
        data = super().clean()
        rows = [
            (data.get(f"due_{i}"), data.get(f"amount_{i}")) for i in range(1, AGREEMENT_ROWS + 1)
        ]
        rows = [(day, amount) for day, amount in rows if day or amount]
        if not rows:
            raise dj_forms.ValidationError(_("Indiquez au moins une date d'échéance."))
        if any(day is None for day, _amount in rows):
            raise dj_forms.ValidationError(_("Chaque montant a sa date d'échéance."))
        data["due_dates"] = [day for day, _amount in rows]
        amounts = [amount for _day, amount in rows]
        if all(a is None for a in amounts):
            data["amounts"] = None
        elif any(a is None for a in amounts):
            raise dj_forms.ValidationError(
                _("Indiquez tous les montants, ou aucun pour des échéances égales.")
            )
        else:
            data["amounts"] = amounts
        return data


class AgreementListView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request):
        from robinet.billing import contributions
        from robinet.billing.choices import AgreementStatus

        status = request.GET.get("status", "")
        account = request.GET.get("account", "")
        agreements = list(
            contributions.agreement_search(user=request.user, status=status, account=account)[
                :LIST_LIMIT
            ]
        )
        figures = contributions.followup_for(agreements)
        context = {
            "rows": [(a, figures[a.pk]) for a in agreements],
            "statuses": AgreementStatus.choices,
            "status": status,
            "account": account,
            "limit": LIST_LIMIT,
            "can_manage": can(request.user, contributions.MANAGE),
        }
        return render(request, "billing/contribution_list.html", context)


class AgreementCreateView(FormPageView):
    permission = Perm.WORKS_MANAGE

    template_name = "billing/contribution_form.html"
    form_class = AgreementForm

    def submit(self, request, data):
        from robinet.billing import contributions

        account = customer_selectors.account_get_for_user(
            user=request.user, number=data["account"].strip()
        )
        agreement = contributions.agreement_create(
            actor=request.user,
            account=account,
            project=data["project"],
            service=data["service"],
            total_excl_vat=data["total_excl_vat"],
            vat_rate=data["vat_rate"],
            due_dates=data["due_dates"],
            amounts=data["amounts"],
        )
        messages.success(request, _("Convention %(n)s enregistrée.") % {"n": agreement.number})
        return redirect("billing:contribution-detail", agreement.number)


class AgreementMixin(StaffViewMixin):
    permission = Perm.BILLING_VIEW

    def get_agreement(self):
        from robinet.billing import contributions

        return contributions.agreement_get_for_user(
            user=self.request.user, number=self.kwargs["number"]
        )


class AgreementDetailView(AgreementMixin, View):
    def get(self, request, number):
        from robinet.billing import contributions
        from robinet.billing.choices import AgreementStatus

        agreement = self.get_agreement()
        can_manage = can(request.user, contributions.MANAGE, agreement.account.centre)
        schedule = contributions.schedule_of(agreement)
        today = clock.today()
        rows = [
            {
                "instalment": i,
                "incl_vat": contributions.incl_vat(i.amount_excl_vat, agreement.vat_rate),
                "open_amount": getattr(getattr(i.invoice, "open_item", None), "open_amount", None),
                "due": i.invoice_id is None and i.due_date <= today,
            }
            for i in schedule
        ]
        followup = contributions.followup_of(agreement)
        signed = agreement.status == AgreementStatus.SIGNED
        context = {
            "agreement": agreement,
            "rows": rows,
            "followup": followup,
            "can_sign": can_manage and agreement.status == AgreementStatus.DRAFT,
            "can_invoice": can_manage and signed and not followup.fully_invoiced,
            "can_close": can_manage and signed and followup.fully_invoiced,
            "due_count": sum(1 for r in rows if r["due"]),
            "today": today,
        }
        return render(request, "billing/contribution_detail.html", context)


class AgreementPdfView(AgreementMixin, View):
    """The agreement document (parties, amounts, schedule, payments), rendered on request."""

    def get(self, request, number):
        from robinet.billing import contributions

        content, filename = contributions.agreement_pdf(self.get_agreement())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


class AgreementSignedView(AgreementMixin, View):
    """The signed agreement, served to those who may see the agreement."""

    def get(self, request, number):
        return stored_file(self.get_agreement().signed_document, _("Pas de convention signée."))


class AgreementActionView(AgreementMixin, View):
    """Signer / Facturer les échéances dues / Solder."""

    permission = Perm.WORKS_MANAGE
    action = ""

    def post(self, request, number):
        from robinet.billing import contributions

        agreement = self.get_agreement()
        require_covered(request.user, contributions.MANAGE, agreement.account.centre)
        try:
            if self.action == "sign":
                contributions.agreement_sign(
                    actor=request.user,
                    agreement=agreement,
                    signed_on=_form_day(request.POST.get("signed_on")),
                    deliberation=request.POST.get("deliberation", ""),
                    signed_document=request.FILES.get("signed_document"),
                )
                messages.success(request, _("Convention signée."))
            elif self.action == "invoice":
                invoices = contributions.agreement_invoice_due(
                    actor=request.user,
                    agreement=agreement,
                    up_to=_form_day(request.POST.get("up_to")),
                )
                if invoices:
                    messages.success(
                        request,
                        _("Factures émises : %(n)s.")
                        % {"n": ", ".join(i.number for i in invoices)},
                    )
                else:
                    messages.info(request, _("Aucune échéance à facturer à cette date."))
            elif self.action == "close":
                contributions.agreement_close(actor=request.user, agreement=agreement)
                messages.success(request, _("Convention soldée."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            problems = [m for ms in exc.fields.values() for m in ms]
            messages.error(request, " ".join([exc.message, *problems]))
        return redirect("billing:contribution-detail", agreement.number)


# --- leak relief (BILL-9, METER-5) -------------------------------------------------------------


def _decimal_or_error(value, field: str) -> Decimal | None:
    try:
        return _dec((value or "").strip().replace(",", "."))
    except ArithmeticError:
        raise exceptions.ValidationFailed({field: [_("Nombre invalide.")]}) from None


class LeakListView(StaffViewMixin, View):
    """The leak-relief worklist: filters by status and « délai dépassé »."""

    permission = Perm.BILLING_VIEW

    def get(self, request):
        from robinet.billing import leaks
        from robinet.billing.choices import LeakReliefStatus

        status = request.GET.get("status", "")
        overdue = request.GET.get("overdue") == "1"
        account = request.GET.get("account", "")
        requests = list(
            leaks.leak_relief_search(
                user=request.user, status=status, overdue=overdue, account=account
            )[:LIST_LIMIT]
        )
        for item in requests:
            item.overdue = leaks.is_overdue(item)
        context = {
            "requests": requests,
            "statuses": LeakReliefStatus.choices,
            "status": status,
            "overdue": overdue,
            "account": account,
            "limit": LIST_LIMIT,
        }
        return render(request, "billing/leak_list.html", context)


class LeakCreateView(InvoiceMixin, View):
    """« Demande d'écrêtement » from an invoice page (BILL-9)."""

    permission = Perm.BILLING_CORRECT

    def render_form(self, invoice, *, error_message="", errors=None, status=200):
        from robinet.billing import leaks

        notice = leaks._notice_of(invoice)
        context = {
            "invoice": invoice,
            "notice": notice,
            "informed_on": leaks.informed_on(notice, invoice),
            "error_message": error_message,
            "errors": errors or {},
            "reference_average": self.request.POST.get("reference_average", ""),
        }
        return render(self.request, "billing/leak_form.html", context, status=status)

    def get(self, request, number):
        invoice = self.get_invoice()
        require_covered(request.user, Perm.BILLING_CORRECT, invoice.account.centre)
        return self.render_form(invoice)

    def post(self, request, number):
        from robinet.billing import leaks

        invoice = self.get_invoice()
        require_covered(request.user, Perm.BILLING_CORRECT, invoice.account.centre)
        try:
            leak = leaks.leak_relief_open(
                actor=request.user,
                invoice=invoice,
                reference_average=_decimal_or_error(
                    request.POST.get("reference_average"), "reference_average"
                ),
                reference_basis=request.POST.get("reference_basis", "")[:24],
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            return self.render_form(
                invoice, error_message=exc.message, errors=exc.fields, status=422
            )
        messages.success(request, _("Demande d'écrêtement ouverte."))
        return redirect("billing:leak-detail", leak.pk)


class LeakMixin(StaffViewMixin):
    permission = Perm.BILLING_VIEW

    def get_leak(self):
        from robinet.billing import leaks

        return leaks.leak_relief_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class LeakDetailView(LeakMixin, View):
    def get(self, request, pk):
        from robinet.billing import leaks
        from robinet.billing.choices import LeakReliefStatus

        leak = self.get_leak()
        can_decide = can(request.user, Perm.BILLING_CORRECT, leak.account.centre)
        relief = leaks.relief_of(leak)
        credited = {line.position: line for line in relief.lines}
        preview = [
            {"line": line, "credit": credited.get(line.position)}
            for line in leak.invoice.lines.order_by("position")
            if line.position in credited
        ]
        context = {
            "leak": leak,
            "invoice": leak.invoice,
            "relief": relief,
            "preview": preview,
            "preview_total": relief.total_excl_vat,
            "problems": leaks.eligibility_problems(leak),
            "overdue": leaks.is_overdue(leak),
            "can_record": can_decide and leak.status == LeakReliefStatus.OPEN,
            "can_decide": can_decide
            and leak.status in (LeakReliefStatus.OPEN, LeakReliefStatus.RECEIVED),
            "can_approve": can_decide and leak.status == LeakReliefStatus.RECEIVED,
            "can_check": can_decide and leak.status == LeakReliefStatus.CHECK_REQUESTED,
            "answer": leaks.answer_of(leak),
            "check_intervention": leaks.check_intervention_of(leak),
            "correction_note": leaks.correction_note_of(leak),
            "today": clock.today(),
        }
        return render(request, "billing/leak_detail.html", context)


class LeakCertificateView(LeakMixin, View):
    """The plumber's certificate, served to those who may see the request."""

    def get(self, request, pk):
        return stored_file(self.get_leak().certificate, _("Pas d'attestation."))


class LeakActionView(LeakMixin, View):
    """Attestation reçue / Vérification du compteur / Accorder / Refuser / Résultat."""

    permission = Perm.BILLING_CORRECT
    action = ""

    def post(self, request, pk):
        from robinet.billing import leaks

        leak = self.get_leak()
        require_covered(request.user, Perm.BILLING_CORRECT, leak.account.centre)
        post = request.POST
        try:
            if self.action == "certificate":
                leaks.leak_relief_record_certificate(
                    actor=request.user,
                    request=leak,
                    certificate=request.FILES.get("certificate"),
                    repair_date=_form_day(post.get("repair_date")),
                    leak_location=post.get("leak_location", ""),
                    leak_after_meter=post.get("leak_after_meter") == "yes",
                    appliance_leak=post.get("appliance_leak") == "yes",
                    received_on=_form_day(post.get("received_on")),
                )
                messages.success(request, _("Attestation enregistrée."))
            elif self.action == "meter-check":
                leaks.leak_relief_request_meter_check(
                    actor=request.user,
                    request=leak,
                    requested_on=_form_day(post.get("requested_on")),
                    contact_phone=post.get("contact_phone", ""),
                )
                messages.success(request, _("Vérification du compteur demandée."))
            elif self.action == "approve":
                leak = leaks.leak_relief_approve(actor=request.user, request=leak)
                messages.success(
                    request,
                    _("Écrêtement accordé : avoir %(n)s émis.") % {"n": leak.credit_note.number},
                )
            elif self.action == "refuse":
                leaks.leak_relief_refuse(
                    actor=request.user, request=leak, reason=post.get("reason", "")
                )
                messages.success(request, _("Écrêtement refusé."))
            elif self.action == "meter-outcome":
                faulty = post.get("outcome") == "faulty"
                leaks.leak_relief_meter_check_outcome(
                    actor=request.user, request=leak, faulty=faulty, note=post.get("note", "")
                )
                messages.success(request, _("Résultat de la vérification enregistré."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            problems = [m for ms in exc.fields.values() for m in ms]
            messages.error(request, " ".join([exc.message, *problems]))
        return redirect("billing:leak-detail", leak.pk)


# --- monthly payment — mensualisation (BILL-10) -------------------------------------------------


class BudgetEnrolForm(dj_forms.Form):
    """Enrolment: the contract, 10 or 12 instalments, the day of the debit."""

    contract = dj_forms.CharField(
        label=gettext_lazy("N° d'abonnement (ou de compte client)"), max_length=16
    )
    instalment_count = dj_forms.TypedChoiceField(
        label=gettext_lazy("Nombre de prélèvements"),
        choices=[(10, "10"), (12, "12")],
        coerce=int,
        initial=10,
    )
    day_of_month = dj_forms.TypedChoiceField(
        label=gettext_lazy("Jour de prélèvement"),
        choices=[(d, str(d)) for d in range(1, 29)],
        coerce=int,
        initial=5,
    )
    volume = dj_forms.DecimalField(
        label=gettext_lazy("Volume annuel estimé (m³, sans historique)"),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=3,
    )
    mandate_reference = dj_forms.CharField(
        label=gettext_lazy("Référence du mandat (RUM, facultatif)"), max_length=35, required=False
    )


def _budget_contract(user, value: str):
    """A contract by its number, or the only active contract of an account."""
    from robinet.customers.choices import ContractStatus

    value = value.strip()
    try:
        return customer_selectors.contract_get_for_user(user=user, number=value)
    except exceptions.NotFound:
        account = customer_selectors.account_get_for_user(user=user, number=value)
        contracts = list(account.contracts.filter(status=ContractStatus.ACTIVE))
        if len(contracts) != 1:
            raise exceptions.ValidationFailed(
                {"contract": [_("Indiquez le numéro d'abonnement (le compte en a plusieurs).")]}
            ) from None
        return contracts[0]


class BudgetListView(StaffViewMixin, View):
    permission = Perm.BILLING_VIEW

    def get(self, request):
        from robinet.billing import budget
        from robinet.billing.choices import BudgetPlanStatus

        status = request.GET.get("status", "")
        account = request.GET.get("account", "")
        year = request.GET.get("year", "")
        plans = list(
            budget.plan_search(
                user=request.user,
                status=status,
                account=account,
                year=int(year) if year.isdigit() else None,
            )[:LIST_LIMIT]
        )
        context = {
            "plans": plans,
            "statuses": BudgetPlanStatus.choices,
            "status": status,
            "account": account,
            "year": year,
            "limit": LIST_LIMIT,
            "can_manage": can(request.user, budget.MANAGE),
        }
        return render(request, "billing/budget_list.html", context)


class BudgetEnrolView(FormPageView):
    permission = Perm.CONTRACT_CHANGE

    template_name = "billing/budget_form.html"
    form_class = BudgetEnrolForm
    prefill = "contract"

    error_aliases = {"account": "contract"}

    def submit(self, request, data):
        from robinet.billing import budget

        contract = _budget_contract(request.user, data["contract"])
        plan = budget.plan_enrol(
            actor=request.user,
            contract=contract,
            instalment_count=data["instalment_count"],
            day_of_month=data["day_of_month"],
            volume=data["volume"],
            mandate_reference=data["mandate_reference"],
        )
        messages.success(request, _("Mensualisation enregistrée : échéancier à envoyer au client."))
        return redirect("billing:budget-detail", plan.pk)


class BudgetMixin(StaffViewMixin):
    permission = Perm.BILLING_VIEW

    def get_plan(self):
        from robinet.billing import budget

        return budget.plan_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class BudgetDetailView(BudgetMixin, View):
    def get(self, request, pk):
        from robinet.billing import budget
        from robinet.billing import budget_plan as rules
        from robinet.billing.choices import BudgetPlanStatus, InstalmentStatus

        plan = self.get_plan()
        centre = plan.account.centre
        can_manage = can(request.user, budget.MANAGE, centre)
        can_settle = can(request.user, budget.SETTLE, centre)
        active = plan.status == BudgetPlanStatus.ACTIVE
        low, high = rules.change_limits(estimate=plan.estimate, count=plan.instalment_count)
        next_plan = budget.BudgetPlan.objects.filter(previous_plan=plan).first()
        context = {
            "plan": plan,
            "schedule": budget.schedule_of(plan),
            "figures": budget.figures_of(plan),
            "next_plan": next_plan,
            "can_manage": can_manage and plan.is_live,
            "can_suspend": can_manage and active,
            "can_resume": can_manage and plan.status == BudgetPlanStatus.SUSPENDED,
            "can_adjust": can_manage and active,
            "can_collect": can_settle and plan.is_live,
            "can_settle": can_settle and plan.is_live,
            "scheduled": InstalmentStatus.SCHEDULED,
            "limits": (low, high),
            "today": clock.today(),
        }
        return render(request, "billing/budget_detail.html", context)


class BudgetPdfView(BudgetMixin, View):
    """The schedule (also the SEPA pre-notification), inline."""

    def get(self, request, pk):
        from robinet.billing import budget

        content, filename = budget.schedule_pdf(self.get_plan())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


class BudgetActionView(BudgetMixin, View):
    """Suspendre / Reprendre / Ajuster / Changer le montant / Prélevée / Solder / Résilier."""

    permission = Perm.CONTRACT_CHANGE
    action = ""

    def post(self, request, pk):
        from robinet.billing import budget

        plan = self.get_plan()
        perm = budget.SETTLE if self.action in ("collect", "settle") else budget.MANAGE
        require_covered(request.user, perm, plan.account.centre)
        post = request.POST
        try:
            if self.action == "suspend":
                budget.plan_suspend(actor=request.user, plan=plan, reason=post.get("reason", ""))
                messages.success(request, _("Prélèvements suspendus."))
            elif self.action == "resume":
                budget.plan_resume(actor=request.user, plan=plan)
                messages.success(request, _("Prélèvements repris."))
            elif self.action == "adjust":
                budget.plan_adjust_next_two(
                    actor=request.user,
                    plan=plan,
                    adjustment=(post.get("adjustment") or "").replace(",", "."),
                    reason=post.get("reason", ""),
                )
                messages.success(request, _("Les deux prochaines échéances sont ajustées."))
            elif self.action == "change":
                budget.plan_change_amount(
                    actor=request.user,
                    plan=plan,
                    amount=(post.get("amount") or "").replace(",", "."),
                )
                messages.success(request, _("Montant des échéances à venir modifié."))
            elif self.action == "collect":
                instalment = plan.instalments.filter(pk=post.get("instalment") or 0).first()
                if instalment is None:
                    raise exceptions.NotFound(_("Échéance introuvable."))
                budget.instalment_collect(
                    actor=request.user,
                    instalment=instalment,
                    collected_on=_form_day(post.get("collected_on")),
                )
                messages.success(request, _("Échéance marquée prélevée."))
            elif self.action == "settle":
                budget.plan_settle(actor=request.user, plan=plan, renew=bool(post.get("renew")))
                plan.refresh_from_db()
                messages.success(
                    request,
                    _("Mensualisation soldée : %(o)s de %(a)s €.")
                    % {
                        "o": plan.get_settlement_outcome_display().lower(),
                        "a": number_format(abs(plan.settled_balance), 2, force_grouping=True),
                    },
                )
            elif self.action == "cancel":
                budget.plan_cancel(actor=request.user, plan=plan, reason=post.get("reason", ""))
                messages.success(request, _("Mensualisation résiliée."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            problems = [m for ms in exc.fields.values() for m in ms]
            messages.error(request, " ".join([exc.message, *problems]))
        return redirect("billing:budget-detail", plan.pk)
