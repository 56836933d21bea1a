"""The managers' dashboard (REP-5): key figures and charts of the user's perimeter.

Four tables, each with its chart, all exportable like any report:

* billed and collected per month over the twelve months ending at the date
  (billed = invoices and credit notes posted, incl. VAT; collected = payments
  net of their reversals);
* the unpaid rate per billing month: what is still open today on that
  month's invoices ÷ what they billed;
* the aged balance per entity (the first table of the ``aged-balance`` report);
* the workload per entity: open and overdue cases, accounts on the collection
  worklist and what is at stake.

Each is one aggregate query over the ledger or the work tables, grouped by
month or centre, never a loop over accounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from robinet.cases.choices import OPEN_STATUSES
from robinet.cases.models import Case
from robinet.collections.models_worklist import AccountScore
from robinet.core import clock
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.reporting import registry, scope
from robinet.reporting.params import Params
from robinet.reporting.tables import (
    Column,
    Kind,
    Row,
    Table,
    chart_data,
    money,
    rate,
    total_row,
)

ZERO = Decimal("0.00")
BILLED_KINDS = (OpenItemKind.INVOICE, OpenItemKind.CREDIT_NOTE)
COLLECTED_KINDS = (OpenItemKind.PAYMENT, OpenItemKind.REVERSAL)


def months_ending(on: dt.date, count: int = 12) -> list[dt.date]:
    """The first days of the ``count`` months ending with ``on``'s month, oldest first."""
    first = on.year * 12 + on.month - 1
    return [dt.date(m // 12, m % 12 + 1, 1) for m in range(first - count + 1, first + 1)]


def _month_label(month: dt.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _items(centres: list[int]):
    return OpenItem.objects.filter(account__centre_id__in=centres)


def _monthly_table(
    months: list[dt.date],
    queryset,
    columns: list[Column],
    *,
    ratio: tuple[str, str, str],
    sign: dict[str, int],
    **table,
) -> Table:
    """One row per month of ``months`` from ``queryset`` (sums per ``month``), with totals.

    ``ratio`` is (rate column, part, whole); ``sign`` flips sums stored negative
    (credits). The chart draws the rate when the table is a ``line`` chart, else
    the amounts.
    """
    by_month = {_as_date(r["month"]): r for r in queryset}
    keys = [c.key for c in columns if c.kind == Kind.MONEY]
    rate_key, part, whole = ratio
    rows = []
    for month in months:
        figures = by_month.get(month, {})
        cells = {k: sign.get(k, 1) * money(figures.get(k)) for k in keys}
        cells.update(month=_month_label(month), **{rate_key: rate(cells[part], cells[whole])})
        rows.append(Row(cells))
    footer = total_row(columns, rows, "month", _("Total"), rates={rate_key: (part, whole)})
    plotted = [rate_key] if table["chart"]["type"] == "line" else keys
    table["chart"].update(
        labels=[r.cells["month"] for r in rows],
        datasets=[
            {"label": str(c.label), "data": chart_data(r.cells[c.key] for r in rows)}
            for c in columns
            if c.key in plotted
        ],
    )
    return Table(columns=columns, rows=rows, footer=[footer], **table)


def billed_and_collected(centres: list[int], on: dt.date) -> Table:
    months = months_ending(on)
    sums = (
        _items(centres)
        .filter(posted_on__gte=months[0], posted_on__lte=on)
        .filter(kind__in=(*BILLED_KINDS, *COLLECTED_KINDS))
        .annotate(month=TruncMonth("posted_on"))
        .values("month")
        .annotate(
            billed=Sum("amount", filter=Q(kind__in=BILLED_KINDS), default=ZERO),
            collected=Sum("amount", filter=Q(kind__in=COLLECTED_KINDS), default=ZERO),
        )
    )
    columns = [
        Column("month", _("Mois")),
        Column("billed", _("Facturé TTC"), Kind.MONEY),
        Column("collected", _("Encaissé"), Kind.MONEY),
        Column("ratio", _("Encaissé / facturé"), Kind.RATE),
    ]
    return _monthly_table(
        months,
        sums,
        columns,
        ratio=("ratio", "collected", "billed"),
        sign={"collected": -1},  # payments are credits
        title=_("Facturé et encaissé par mois"),
        key="billed_collected",
        chart={"type": "bar", "y_label": "€"},
        notes=[
            _(
                "Facturé : factures et avoirs comptabilisés dans le mois, TTC. Encaissé : "
                "règlements du mois, nets des rejets et annulations."
            )
        ],
    )


def unpaid_trend(centres: list[int], on: dt.date) -> Table:
    months = months_ending(on)
    sums = (
        _items(centres)
        .filter(kind=OpenItemKind.INVOICE, posted_on__gte=months[0], posted_on__lte=on)
        .annotate(month=TruncMonth("posted_on"))
        .values("month")
        .annotate(billed=Sum("amount", default=ZERO), unpaid=Sum("open_amount", default=ZERO))
    )
    columns = [
        Column("month", _("Mois de facturation")),
        Column("billed", _("Facturé TTC"), Kind.MONEY),
        Column("unpaid", _("Reste dû aujourd'hui"), Kind.MONEY),
        Column("rate", _("Taux d'impayés"), Kind.RATE),
    ]
    return _monthly_table(
        months,
        sums,
        columns,
        ratio=("rate", "unpaid", "billed"),
        sign={},
        title=_("Taux d'impayés par mois de facturation"),
        key="unpaid_trend",
        chart={"type": "line", "y_label": "%"},
        notes=[
            _(
                "Part de chaque mois de facturation encore due aujourd'hui (factures seules, "
                "TTC) : les mois récents ne sont pas encore échus."
            )
        ],
    )


def workload(user, params: Params, centres: list[int]) -> Table:
    now = clock.now()
    cases = (
        Case.objects.filter(centre_id__in=centres, status__in=OPEN_STATUSES)
        .values("centre_id")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(response_due__lt=now)),
        )
    )
    scores = (
        AccountScore.objects.filter(account__centre_id__in=centres)
        .values(centre_id=F("account__centre_id"))
        .annotate(accounts=Count("id"), at_stake=Sum("amount_at_stake", default=ZERO))
    )
    per_centre: dict[int, dict] = {pk: {} for pk in centres}
    for row in cases:
        per_centre[row["centre_id"]].update(open=row["open"], overdue=row["overdue"])
    for row in scores:
        per_centre[row["centre_id"]].update(
            accounts=row["accounts"], at_stake=money(row["at_stake"])
        )
    columns = [
        Column("entity", _("Entité")),
        Column("open", _("Dossiers ouverts"), Kind.INT),
        Column("overdue", _("Dossiers en retard"), Kind.INT),
        Column("accounts", _("Comptes en liste de travail"), Kind.INT),
        Column("at_stake", _("Montant en jeu"), Kind.MONEY),
    ]
    table_rows = []
    for entity, figures in entity_rows(user, params, per_centre):
        cells = {"entity": entity.name, "open": 0, "overdue": 0, "accounts": 0, "at_stake": ZERO}
        cells.update(figures)
        table_rows.append(Row(cells, link=report_link("dashboard", params, entity=entity.code)))
    return Table(
        title=_("Dossiers en retard et liste de travail"),
        key="workload",
        columns=columns,
        rows=table_rows,
        footer=[total_row(columns, table_rows, "entity", _("Total"))] if table_rows else [],
        chart={
            "type": "bar",
            "labels": [r.cells["entity"] for r in table_rows],
            "datasets": [
                {
                    "label": str(_("Dossiers en retard")),
                    "data": [r.cells["overdue"] for r in table_rows],
                },
                {
                    "label": str(_("Comptes en liste de travail")),
                    "data": [r.cells["accounts"] for r in table_rows],
                },
            ],
        },
    )


def entity_rows(user, params: Params, per_centre: dict[int, dict]):
    """Rows one level below the chosen entity; a centre shows itself (no level below)."""
    if params.entity is not None and params.entity.kind == "centre":
        return [(params.entity, per_centre.get(params.entity.pk, {}))]
    return scope.tree_rows(user, params.entity, per_centre)


def report_link(name: str, params: Params, **changes) -> str:
    return registry.report_url(name, params, **changes)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class Tile:
    label: str
    value: Decimal | int
    kind: str
    link: str = ""


def key_figures(user, params: Params) -> list[Tile]:
    """The tiles above the charts: receivables, overdue, last month's billing and collection."""
    centres = scope.centre_ids(user, params.entity)
    on = params.on
    open_items = _items(centres).filter(cleared_on__isnull=True)
    totals = open_items.aggregate(
        receivables=Sum("open_amount", default=ZERO),
        overdue=Sum("open_amount", filter=Q(amount__gt=0, due_date__lt=on), default=ZERO),
    )
    overdue_cases = Case.objects.filter(
        centre_id__in=centres, status__in=OPEN_STATUSES, response_due__lt=clock.now()
    ).count()
    worklist = AccountScore.objects.filter(account__centre_id__in=centres).count()
    return [
        Tile(
            str(_("Solde clients")),
            totals["receivables"],
            Kind.MONEY,
            report_link("aged-balance", params),
        ),
        Tile(
            str(_("Dont échu")), totals["overdue"], Kind.MONEY, report_link("aged-balance", params)
        ),
        Tile(str(_("Dossiers en retard")), overdue_cases, Kind.INT, reverse("cases:overdue")),
        Tile(str(_("Comptes à relancer")), worklist, Kind.INT, reverse("collections:worklist")),
    ]


def build(user, params: Params) -> list[Table]:
    centres = scope.centre_ids(user, params.entity)
    tables = [billed_and_collected(centres, params.on), unpaid_trend(centres, params.on)]
    aged = registry.find("aged-balance")
    if aged is not None:
        charted = [t for t in aged.build(user, params) if t.chart]
        tables.extend(charted[:1])
    tables.append(workload(user, params, centres))
    return tables


registry.register(
    registry.ReportDef(
        name="dashboard",
        title=_("Tableau de bord"),
        rule="REP-5",
        description=_(
            "Facturé et encaissé par mois, taux d'impayés, balance âgée, dossiers en retard et "
            "liste de travail, par entité."
        ),
        build=build,
        order=0,
    )
)
