"""Back-office screens of the accounting (PAY-7, PAY-1a): journal, chart, reconciliation,
beneficiaries, FEC download. Thin: parse the filters, call one selector, render.
"""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.views import View

from robinet.backoffice.http import StaffViewMixin
from robinet.core import clock
from robinet.core.exceptions import ApplicationError
from robinet.ledger import beneficiaries, fec, journal, reconciliation
from robinet.ledger.models import Journal, ShareBeneficiary
from robinet.organisation.roles import Perm

LIST_LIMIT = 100


def _date(value: str | None) -> dt.date | None:
    """``AAAA-MM-JJ`` (date inputs) or ``JJ/MM/AAAA``; None when empty or invalid."""
    value = (value or "").strip()
    if "/" in value:
        value = "-".join(reversed(value.split("/")))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


class AccountingView(StaffViewMixin, View):
    permission = Perm.ACCOUNTING_VIEW
    tab = ""

    def render(self, request, template: str, context: dict, status: int = 200):
        return render(request, template, {"tab": self.tab, **context}, status=status)


class EntryListView(AccountingView):
    tab = "entries"

    def get(self, request):
        params = request.GET
        filters = {
            "journal": params.get("journal", "") if params.get("journal") in Journal.values else "",
            "start": _date(params.get("start")),
            "end": _date(params.get("end")),
            "piece": params.get("piece", "")[:40],
            "account": params.get("account", "")[:20],
        }
        entries = list(journal.entry_list(user=request.user, **filters)[:LIST_LIMIT])
        return self.render(
            request,
            "ledger/entry_list.html",
            {"entries": entries, "journals": Journal.choices, "limit": LIST_LIMIT, **filters},
        )


class EntryDetailView(AccountingView):
    tab = "entries"

    def get(self, request, pk):
        entry = journal.entry_get_for_user(user=request.user, pk=pk)
        lines = journal.entry_lines(entry, page=request.GET.get("page") or 1)
        total_debit, total_credit = journal.entry_totals(entry)
        return self.render(
            request,
            "ledger/entry_detail.html",
            {
                "entry": entry,
                "lines": lines,
                "total_debit": total_debit,
                "total_credit": total_credit,
                "number": fec.entry_number(entry.journal, entry.number),
            },
        )


class ChartView(AccountingView):
    tab = "chart"

    def get(self, request):
        return self.render(
            request, "ledger/chart.html", {"accounts": journal.chart_list(user=request.user)}
        )


class ReconciliationView(AccountingView):
    tab = "reconciliation"

    def get(self, request):
        on = _date(request.GET.get("date")) or clock.today()
        result = reconciliation.report(actor=request.user, on=on)
        return self.render(
            request,
            "ledger/reconciliation.html",
            {"report": result, "rows": result.rows(), "on": on},
        )


class BeneficiaryReportView(AccountingView):
    tab = "beneficiaries"

    def get(self, request):
        today = clock.today()
        start = _date(request.GET.get("start")) or today.replace(month=1, day=1)
        end = _date(request.GET.get("end")) or today
        beneficiary = request.GET.get("beneficiary", "")
        service = request.GET.get("service", "")[:16]
        errors: dict = {}
        rows: list = []
        try:
            rows = beneficiaries.report(
                actor=request.user, start=start, end=end, beneficiary=beneficiary, service=service
            )
        except ApplicationError as exc:
            if exc.http_status == 403:
                raise
            errors = exc.fields
        if request.GET.get("format") == "csv" and not errors:
            response = HttpResponse(
                beneficiaries.to_csv(rows).encode("utf-8-sig"), content_type="text/csv"
            )
            response["Content-Disposition"] = (
                f'attachment; filename="beneficiaires-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
            )
            return response
        return self.render(
            request,
            "ledger/beneficiaries.html",
            {
                "rows": rows,
                "total": beneficiaries.totals(rows),
                "start": start,
                "end": end,
                "beneficiary": beneficiary,
                "service": service,
                "beneficiaries": ShareBeneficiary.choices,
                "errors": errors,
            },
            status=422 if errors else 200,
        )


class FecView(AccountingView):
    """The FEC of a year: a form, then the file (written to a temporary file, then streamed)."""

    tab = "fec"

    def get(self, request):
        years = fec.years()
        year = request.GET.get("year", "")
        if not year.isdigit():
            return self.render(
                request,
                "ledger/fec.html",
                {"years": years, "siren": fec.utility_siren(), "separators": fec.SEPARATORS},
            )
        separator = request.GET.get("separator", "tab")
        try:
            fec.require_whole_ledger(request.user)
            siren = fec.resolve_siren(request.GET.get("siren", ""))
            handle = fec.to_temporary_file(year=int(year), separator=separator)
        except ApplicationError as exc:
            if exc.http_status == 403:
                raise
            return self.render(
                request,
                "ledger/fec.html",
                {
                    "years": years,
                    "siren": request.GET.get("siren", ""),
                    "separators": fec.SEPARATORS,
                    "error": exc.message,
                    "errors": exc.fields,
                },
                status=422,
            )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=fec.file_name(siren=siren, year=int(year)),
            content_type="text/plain; charset=utf-8",
        )
