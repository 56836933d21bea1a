"""``/api/v1/reports``: the management reports as JSON (REP, API-1), same scope as the screens."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from robinet.reporting import exports, params, registry

router = Router(tags=["reports"])


class ReportOut(Schema):
    name: str
    title: str
    rule: str
    description: str
    params: list[str]


class ReportDataOut(Schema):
    report: str
    title: str
    params: dict[str, str]
    tables: list[dict[str, Any]]


@router.get("/reports", response=list[ReportOut], summary="Rapports de pilotage disponibles")
def report_list(request):
    return [
        {
            "name": r.name,
            "title": str(r.title),
            "rule": r.rule,
            "description": str(r.description),
            "params": list(r.params) + list(r.extra),
        }
        for r in registry.report_list(user=request.auth)
    ]


@router.get(
    "/reports/{name}",
    response=ReportDataOut,
    summary="Un rapport (date, entity, start, end, year, critères propres) ; format=csv|xlsx pour un fichier",
)
def report_get(request, name: str, format: str = "json"):
    definition = registry.report_get(user=request.auth, name=name)
    chosen = params.parse(request.GET, extra_keys=definition.extra)
    definition, tables = registry.report_run(user=request.auth, name=name, params=chosen)
    if format in ("csv", "xlsx"):
        content, content_type, filename = exports.render(definition, chosen, tables, format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return {
        "report": definition.name,
        "title": str(definition.title),
        "params": chosen.query(),
        "tables": exports.to_data(tables),
    }
