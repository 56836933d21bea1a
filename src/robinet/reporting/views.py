"""Screens of the management reports (REP-1…5): the dashboard, each report, its exports.

Thin views over :mod:`robinet.reporting.registry`; ``?format=csv|xlsx|json``
downloads the very tables shown.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.views import View

from robinet.backoffice.http import StaffViewMixin
from robinet.core.exceptions import ValidationFailed
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity
from robinet.reporting import exports, params, registry, snapshot
from robinet.reporting.reports import dashboard


class ReportingMixin(StaffViewMixin):
    permission = registry.PERM


def entity_choices(user) -> list[Entity]:
    """The entities the user may pick: every entity of the user's subtrees, in tree order."""
    return list(
        Entity.objects.filter(scope_for(user).entity_filter(registry.PERM)).order_by("path")
    )


class ReportView(ReportingMixin, View):
    def get(self, request, name):
        definition = registry.report_get(user=request.user, name=name)
        context = {
            "definition": definition,
            "entities": entity_choices(request.user),
            "form": request.GET,
        }
        try:
            chosen = params.parse(request.GET, extra_keys=definition.extra)
            definition, tables = registry.report_run(user=request.user, name=name, params=chosen)
        except ValidationFailed as exc:
            context.update(errors=exc.fields, params=params.parse({}))
            return render(request, "reporting/report.html", context, status=400)
        fmt = request.GET.get("format", "")
        if fmt in exports.FORMATS:
            content, content_type, filename = exports.render(definition, chosen, tables, fmt)
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context.update(
            params=chosen,
            tables=tables,
            query=chosen.query(),
            charts=[t for t in tables if t.chart],
        )
        if definition.snapshot:
            context.update(_source_context(chosen))
        return render(request, "reporting/report.html", context)


def _source_context(chosen: params.Params) -> dict:
    """Which figures the page shows (the reporting snapshot or live), and the other choice."""
    used = snapshot.for_report(chosen.extra)
    latest = used or snapshot.current()
    return {
        "source": used,
        "latest_snapshot": latest,
        "live_url": "?" + urlencode(chosen.query(source=snapshot.LIVE)),
        "snapshot_url": "?" + urlencode(chosen.query(source=None)),
    }


class DashboardView(ReportingMixin, View):
    """The managers' home (REP-5): key figures, charts, and the catalogue of reports."""

    def get(self, request):
        context = {
            "reports": [
                r for r in registry.report_list(user=request.user) if r.name != "dashboard"
            ],
            "entities": entity_choices(request.user),
            "form": request.GET,
        }
        try:
            chosen = params.parse(request.GET)
            _definition, tables = registry.report_run(
                user=request.user, name="dashboard", params=chosen
            )
        except ValidationFailed as exc:
            context.update(errors=exc.fields, params=params.parse({}))
            return render(request, "reporting/index.html", context, status=400)
        context.update(
            params=chosen,
            tables=tables,
            tiles=dashboard.key_figures(request.user, chosen),
            query=chosen.query(),
            charts=[t for t in tables if t.chart],
        )
        return render(request, "reporting/index.html", context)
