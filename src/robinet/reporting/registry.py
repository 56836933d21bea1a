"""The catalogue of management reports (REP-1…5): one definition per report, found by name.

A report module defines a ``build(user, params) -> list[Table]`` and registers
it with :func:`register`. The screen, the API (``/api/v1/reports/{name}``) and
the command (``robinet report NAME``) look reports up here, so that a report
added once is available everywhere, with the same figures and the same scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from robinet.core.exceptions import NotFound
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm
from robinet.reporting.params import Params
from robinet.reporting.tables import Table

PERM = Perm.REPORT_VIEW


@dataclass(frozen=True)
class ReportDef:
    name: str  # URL and command name, e.g. "aged-balance"
    title: str  # French, lazy
    rule: str  # "REP-1"
    description: str
    build: Callable[[object, Params], list[Table]]
    #: which of params.KNOWN the form shows ("date", "entity", "start", "end", "year")
    params: tuple[str, ...] = ("date", "entity")
    #: report-specific query keys kept across drill-downs (e.g. "customer_class")
    extra: tuple[str, ...] = ()
    #: reads the reporting snapshot when there is a recent one (``source`` parameter)
    snapshot: bool = False
    #: hidden from the index (a drill-down level reached from another report)
    listed: bool = True
    order: int = 100


_REPORTS: dict[str, ReportDef] = {}


def register(definition: ReportDef) -> ReportDef:
    if definition.name in _REPORTS:
        raise ValueError(f"report {definition.name!r} registered twice")
    _REPORTS[definition.name] = definition
    return definition


def report_list(*, user) -> list[ReportDef]:
    """The reports ``user`` may run, in catalogue order (REP rule, then order)."""
    if not scope_for(user).allows(PERM):
        return []
    return sorted(
        (r for r in _REPORTS.values() if r.listed), key=lambda r: (r.rule, r.order, r.name)
    )


def report_get(*, user, name: str) -> ReportDef:
    require(user, PERM)
    try:
        return _REPORTS[name]
    except KeyError:
        raise NotFound(_("Rapport inconnu : « %(name)s ».") % {"name": name}) from None


def report_run(*, user, name: str, params: Params) -> tuple[ReportDef, list[Table]]:
    """Build report ``name`` for ``user`` (scoped to the user's entities)."""
    definition = report_get(user=user, name=name)
    if params.entity is not None:
        require(user, PERM, params.entity)
    return definition, definition.build(user, params)


def find(name: str) -> ReportDef | None:
    """A report by name, without permission check (for composing reports)."""
    return _REPORTS.get(name)


def report_url(name: str, params: Params | None = None, **changes) -> str:
    """The screen of report ``name`` with ``params`` (and ``changes``) in its query string."""
    url = reverse("reporting:report", args=[name])
    query = params.query(**changes) if params is not None else {}
    return f"{url}?{urlencode(query)}" if query else url


def all_names() -> list[str]:
    return sorted(_REPORTS)
