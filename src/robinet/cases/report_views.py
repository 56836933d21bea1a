"""Screens of the control reports (CASE-10): index, figures, drill-down rows, CSV exports.

Thin views over :mod:`robinet.cases.reports`; ``?format=csv`` streams the same
table as a French spreadsheet file (``;`` separator, UTF-8 with a BOM, CRLF,
decimal comma), like the other CSV exports of the back office.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.http import StaffViewMixin
from robinet.cases import reports
from robinet.cases.models import Case, Contact, Intervention, Task
from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.customers.models import CustomerAccount

PER_PAGE = 50


def csv_cell(value) -> str:
    """A value as a French spreadsheet reads it (decimal comma, empty for none)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    return str(value)


def stream_csv(header: Iterable, rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download: ``;``, UTF-8 with BOM, CRLF, flushed by blocks of 64 kB."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        buffer.write("\ufeff")
        writer.writerow([str(h) for h in header])
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReportMixin(StaffViewMixin):
    permission = reports.PERM


class ReportIndexView(ReportMixin, View):
    def get(self, request):
        context = {"reports": reports.report_list(user=request.user)}
        return render(request, "cases/reports/index.html", context)


class ReportView(ReportMixin, View):
    def get(self, request, slug):
        report = reports.report_get(user=request.user, slug=slug)
        measures, lines = reports.report_figures(user=request.user, report=report)
        if request.GET.get("format") == "csv":
            header = [report.group_label, *[m.label for m in measures]]
            total = [_("Total"), *[c.value for c in reports.total_cells(measures, lines)]]
            rows = [*([line.label, *[c.value for c in line.cells]] for line in lines), total]
            name = f"{report.slug}-{clock.today():%Y%m%d}.csv"
            return stream_csv(header, rows, name)
        context = {
            "report": report,
            "measures": measures,
            "lines": lines,
            "total": reports.total_cells(measures, lines) if len(lines) > 1 else None,
        }
        return render(request, "cases/reports/report.html", context)


def _link(obj) -> str:
    """Where a drill-down row leads: the case (of a task or contact), the intervention, the account."""
    if isinstance(obj, Case):
        return reverse("cases:case-detail", args=[obj.pk])
    if isinstance(obj, Task | Contact) and obj.case_id:
        return reverse("cases:case-detail", args=[obj.case_id])
    if isinstance(obj, Intervention):
        return reverse("cases:intervention-detail", args=[obj.pk])
    if isinstance(obj, CustomerAccount):
        return reverse("customers:detail", args=[obj.number])
    return ""


class ReportRowsView(ReportMixin, View):
    def get(self, request, slug):
        report = reports.report_get(user=request.user, slug=slug)
        group = request.GET.get("group", "")
        key = request.GET.get("measure", "")
        try:
            measure, source, rows = reports.report_rows(
                user=request.user, report=report, group=group, measure=key
            )
        except ValidationFailed as exc:
            context = {"report": report, "errors": exc.fields}
            return render(request, "cases/reports/rows.html", context, status=400)
        header = [c.label for c in source.columns]
        if request.GET.get("format") == "csv":
            values = ([c.value(obj) for c in source.columns] for obj in rows.iterator(2000))
            name = f"{report.slug}-{key}-{group}-{clock.today():%Y%m%d}.csv"
            return stream_csv(header, values, name)
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
        context = {
            "report": report,
            "measure": measure,
            "group_label": reports.group_label(report, group),
            "header": header,
            "page": page,
            "table": [
                ([c.value(obj) for c in source.columns], _link(obj)) for obj in page.object_list
            ],
            "query": urlencode({"group": group, "measure": key}),
        }
        return render(request, "cases/reports/rows.html", context)
