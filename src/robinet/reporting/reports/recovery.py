"""Recovery rates by billing cohort, DSO and collection effectiveness (REP-2).

Set-based: three aggregate queries grouped by centre (and cohort month), never
one per account; the figures add up the tree through :func:`scope.tree_rows`,
rates being recomputed from the summed parts. Definitions and formulas are in
``docs/domain/recovery.md``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Case, DateField, ExpressionWrapper, F, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.ledger.models import Allocation, OpenItem, OpenItemKind
from robinet.organisation.models import EntityKind
from robinet.reporting import recovery_rules as rules
from robinet.reporting import registry
from robinet.reporting.params import Params
from robinet.reporting.registry import ReportDef, register
from robinet.reporting.scope import centre_ids, sum_figures, tree_rows
from robinet.reporting.tables import Column, Kind, Row, Table

NAME = "recovery"
ZERO = Decimal("0.00")
DAYS = rules.COHORT_DAYS
#: the rates drawn on the cohort chart
CHART_DAYS = (30, 90, 365)
#: accounts listed at centre level (largest unpaid first)
DETAIL_LIMIT = 200


def _c(days: int) -> str:
    return f"c{days}"


def _r(days: int) -> str:
    return f"r{days}"


# --- reads ---------------------------------------------------------------------------------------


def _collected_sums() -> dict:
    """``c30``… : payments allocated to the invoice within N days of its date (REP-2)."""
    sums = {}
    for days in DAYS:
        limit = ExpressionWrapper(
            F("debit__posted_on") + dt.timedelta(days=days), output_field=DateField()
        )
        sums[_c(days)] = Sum(Case(When(allocated_on__lte=limit, then=F("amount"))))
    return sums


def cohort_figures(centres: list[int], start: dt.date, end: dt.date, on: dt.date, *, by_month):
    """Billed and collected-within-N-days per centre (and per cohort month when ``by_month``).

    Keys are ``centre_id`` or ``(centre_id, month)``. Only payments count as
    collected (credit notes and write-offs clear an invoice without money);
    allocations made after ``on`` are not yet known; un-allocations (negative
    rows) count on their own date.
    """
    end = min(end, on)
    invoices = OpenItem.objects.filter(
        kind=OpenItemKind.INVOICE,
        posted_on__gte=start,
        posted_on__lte=end,
        account__centre_id__in=centres,
    )
    allocations = Allocation.objects.filter(
        account__centre_id__in=centres,
        debit__kind=OpenItemKind.INVOICE,
        debit__posted_on__gte=start,
        debit__posted_on__lte=end,
        credit__kind=OpenItemKind.PAYMENT,
        allocated_on__lte=on,
    )
    billed_keys = ["account__centre_id"]
    paid_keys = ["account__centre_id"]
    if by_month:
        invoices = invoices.annotate(month=TruncMonth("posted_on"))
        allocations = allocations.annotate(month=TruncMonth("debit__posted_on"))
        billed_keys.append("month")
        paid_keys.append("month")

    def key(row):
        if by_month:
            month = row["month"]
            if isinstance(month, dt.datetime):
                month = month.date()
            return (row["account__centre_id"], month)
        return row["account__centre_id"]

    figures: dict = {}

    def blank() -> dict:
        return {"billed": ZERO, **{_c(d): ZERO for d in DAYS}}

    for row in invoices.values(*billed_keys).annotate(billed=Sum("amount")).order_by():
        figures.setdefault(key(row), blank())["billed"] = row["billed"] or ZERO
    for row in allocations.values(*paid_keys).annotate(**_collected_sums()).order_by():
        target = figures.setdefault(key(row), blank())
        for days in DAYS:
            target[_c(days)] = row[_c(days)] or ZERO
    return figures


def balance_figures(centres: list[int], start: dt.date, end: dt.date) -> dict[int, dict]:
    """Per centre: receivables at the opening and closing dates, net billing, current receivables.

    Receivables at a date are the signed sum of the items posted by then (the
    customers' balances); *current* receivables are debits posted by ``end``
    and not yet due then, less what was allocated to them by ``end``.
    """
    opening_day = start - dt.timedelta(days=1)
    billing = (OpenItemKind.INVOICE, OpenItemKind.CREDIT_NOTE)
    rows = (
        OpenItem.objects.filter(account__centre_id__in=centres, posted_on__lte=end)
        .values("account__centre_id")
        .annotate(
            opening=Sum(Case(When(posted_on__lte=opening_day, then=F("amount")))),
            closing=Sum("amount"),
            net_billed=Sum(Case(When(Q(posted_on__gte=start, kind__in=billing), then=F("amount")))),
            current=Sum(Case(When(Q(due_date__gt=end, amount__gt=0), then=F("amount")))),
        )
        .order_by()
    )
    figures: dict[int, dict] = {}
    for row in rows:
        figures[row["account__centre_id"]] = {
            k: row[k] or ZERO for k in ("opening", "closing", "net_billed", "current")
        }
    cleared = (
        Allocation.objects.filter(
            account__centre_id__in=centres,
            allocated_on__lte=end,
            debit__posted_on__lte=end,
            debit__due_date__gt=end,
        )
        .values("account__centre_id")
        .annotate(cleared=Sum("amount"))
        .order_by()
    )
    for row in cleared:
        target = figures.get(row["account__centre_id"])
        if target is not None:
            target["current"] -= row["cleared"] or ZERO
    return figures


# --- figures -------------------------------------------------------------------------------------


def indicators(parts: dict, days: int) -> dict:
    """Rates, DSO and CEI recomputed from summed parts (REP-2)."""
    billed = parts.get("billed", ZERO)
    out = dict(parts)
    for d in DAYS:
        out[_r(d)] = rules.cohort_rate(parts.get(_c(d), ZERO), billed)
    out["dso"] = rules.dso(parts.get("closing", ZERO), parts.get("net_billed", ZERO), days)
    out["cei"] = rules.cei(
        parts.get("opening", ZERO),
        parts.get("net_billed", ZERO),
        parts.get("closing", ZERO),
        parts.get("current", ZERO),
    )
    return out


def _entity_columns() -> list[Column]:
    return [
        Column("entity", _("Entité")),
        Column("billed", _("Facturé TTC"), Kind.MONEY),
        *[Column(_r(d), _("Recouvré à %(d)s j") % {"d": d}, Kind.RATE) for d in DAYS],
        Column("closing", _("Créances à la fin"), Kind.MONEY),
        Column("dso", _("DSO (jours)"), Kind.DECIMAL),
        Column("cei", _("CEI"), Kind.RATE),
    ]


def _cells(label: str, figures: dict) -> dict:
    cells = {"entity": label, "billed": figures.get("billed", ZERO)}
    cells.update({_r(d): figures.get(_r(d)) for d in DAYS})
    cells.update(
        closing=figures.get("closing", ZERO), dso=figures.get("dso"), cei=figures.get("cei")
    )
    return cells


def _url(params: Params, **changes) -> str:
    return registry.report_url(NAME, params, **changes)


def _notes() -> list[str]:
    return [
        _(
            "Taux de recouvrement à N jours : règlements lettrés sur les factures de la période "
            "dans les N jours suivant leur date ÷ montant TTC facturé. Les avoirs et les "
            "admissions en non-valeur ne sont pas des encaissements."
        ),
        _(
            "DSO (méthode standard) : créances clients à la fin ÷ facturation nette (factures "
            "et avoirs) de la période × nombre de jours de la période."
        ),
        _(
            "CEI : (créances au début + facturé − créances à la fin) ÷ (créances au début + "
            "facturé − créances non échues à la fin) × 100."
        ),
    ]


def entity_table(user, params: Params, centres: list[int], by_month: dict) -> Table:
    """(a) One row per entity one level below the chosen one, with the whole scope's total.

    ``by_month``: :func:`cohort_figures` per (centre, month), summed here per centre
    so that the cohort query runs once for both tables.
    """
    start, end = params.start, min(params.end, params.on)
    days = rules.days_in(start, end)
    per_centre: dict[int, dict] = {}
    for (centre, _month), figures in by_month.items():
        per_centre[centre] = sum_figures([per_centre.get(centre, {}), figures])
    balances = balance_figures(centres, start, end)
    merged: dict[int, dict] = {}
    for pk in centres:
        merged[pk] = {
            "billed": ZERO,
            **{_c(d): ZERO for d in DAYS},
            "opening": ZERO,
            "closing": ZERO,
            "net_billed": ZERO,
            "current": ZERO,
        }
        merged[pk].update(per_centre.get(pk, {}))
        merged[pk].update(balances.get(pk, {}))

    def combine(parts):
        return indicators(sum_figures(parts), days)

    columns = _entity_columns()
    rows = [
        Row(_cells(f"{child.code} {child.name}", figures), link=_url(params, entity=child.code))
        for child, figures in tree_rows(user, params.entity, merged, combine=combine)
    ]
    total = combine(list(merged.values()))
    footer = [Row(_cells(_("Total"), total), total=True)]
    return Table(
        title=_("Recouvrement par entité, du %(start)s au %(end)s")
        % {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")},
        columns=columns,
        rows=rows,
        footer=footer,
        notes=_notes(),
        key="by-entity",
    )


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def cohort_table(params: Params, per_key: dict) -> Table:
    """(b) One row per billing cohort month; a rate is blank until the whole cohort is N days old."""
    start, end = params.start, min(params.end, params.on)
    by_month: dict[dt.date, dict] = {}
    for (_centre, month), figures in per_key.items():
        by_month[month] = sum_figures([by_month.get(month, {}), figures])
    columns = [
        Column("month", _("Mois de facturation")),
        Column("billed", _("Facturé TTC"), Kind.MONEY),
        *[Column(_r(d), _("Recouvré à %(d)s j") % {"d": d}, Kind.RATE) for d in DAYS],
    ]
    rows = []
    for month in _months(start, end):
        figures = by_month.get(month, {})
        billed = figures.get("billed", ZERO)
        cells = {"month": month.strftime("%m/%Y"), "billed": billed}
        for d in DAYS:
            mature = _month_end(month) + dt.timedelta(days=d) <= params.on
            cells[_r(d)] = rules.cohort_rate(figures.get(_c(d), ZERO), billed) if mature else None
        rows.append(Row(cells))
    chart = {
        "type": "line",
        "labels": [r.cells["month"] for r in rows],
        "datasets": [
            {
                "label": _("Recouvré à %(d)s j") % {"d": d},
                "data": [
                    float(r.cells[_r(d)]) if r.cells[_r(d)] is not None else None for r in rows
                ],
            }
            for d in CHART_DAYS
        ],
        "stacked": False,
        "y_label": "%",
    }
    return Table(
        title=_("Recouvrement par mois de facturation"),
        columns=columns,
        rows=rows,
        notes=[
            _(
                "Un taux n'est affiché que lorsque toutes les factures du mois ont au moins N "
                "jours à la date du rapport."
            )
        ],
        chart=chart,
        key="by-cohort",
    )


def detail_table(params: Params, centres: list[int]) -> Table:
    """(c) At centre level: the invoices of the period, largest unpaid first, to the account."""
    start, end = params.start, min(params.end, params.on)
    items = (
        OpenItem.objects.filter(
            kind=OpenItemKind.INVOICE,
            posted_on__gte=start,
            posted_on__lte=end,
            account__centre_id__in=centres,
        )
        .annotate(
            paid=Sum(
                "debit_allocations__amount",
                filter=Q(
                    debit_allocations__credit__kind=OpenItemKind.PAYMENT,
                    debit_allocations__allocated_on__lte=params.on,
                ),
            )
        )
        .values(
            "account__number",
            "account__party__name",
            "document_number",
            "posted_on",
            "due_date",
            "amount",
            "open_amount",
            "paid",
        )
        .order_by("-open_amount", "posted_on", "document_number")[:DETAIL_LIMIT]
    )
    columns = [
        Column("account", _("Compte")),
        Column("name", _("Client")),
        Column("document", _("Facture")),
        Column("posted_on", _("Date"), Kind.DATE),
        Column("due_date", _("Échéance"), Kind.DATE),
        Column("amount", _("Montant TTC"), Kind.MONEY),
        Column("paid", _("Encaissé"), Kind.MONEY),
        Column("open", _("Reste dû"), Kind.MONEY),
    ]
    rows = [
        Row(
            {
                "account": item["account__number"],
                "name": item["account__party__name"],
                "document": item["document_number"],
                "posted_on": item["posted_on"],
                "due_date": item["due_date"],
                "amount": item["amount"],
                "paid": item["paid"] or ZERO,
                "open": item["open_amount"],
            },
            link=reverse("customers:detail", args=[item["account__number"]]),
        )
        for item in items
    ]
    return Table(
        title=_("Factures de la période, plus gros restes dus d'abord"),
        columns=columns,
        rows=rows,
        notes=[
            _("Au plus %(n)s factures ; le reste dû est celui d'aujourd'hui.") % {"n": DETAIL_LIMIT}
        ],
        key="invoices",
    )


def build(user, params: Params) -> list[Table]:
    centres = centre_ids(user, params.entity)
    start, end = params.start, min(params.end, params.on)
    by_month = cohort_figures(centres, start, end, params.on, by_month=True)
    tables = [entity_table(user, params, centres, by_month), cohort_table(params, by_month)]
    if params.entity is not None and params.entity.kind == EntityKind.CENTRE:
        tables.append(detail_table(params, centres))
    return tables


register(
    ReportDef(
        name=NAME,
        title=gettext_lazy("Taux de recouvrement"),
        rule="REP-2",
        description=gettext_lazy(
            "Taux de recouvrement par cohorte de facturation à 30, 60, 90, 180 et 365 jours, "
            "DSO et indice d'efficacité du recouvrement (CEI), par entité."
        ),
        build=build,
        params=("date", "entity", "start", "end"),
        order=10,
    )
)
