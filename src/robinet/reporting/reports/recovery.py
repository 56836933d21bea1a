"""Recovery rates by billing cohort, DSO and collection effectiveness (REP-2).

Set-based: two aggregate queries grouped by centre (and invoice date), never
one per account, reading neither the whole item history nor the allocations'
credit items; the figures add up the tree through :func:`scope.tree_rows`,
rates being recomputed from the summed parts. Definitions and formulas are in
``docs/domain/recovery.md``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.customers.models import CustomerAccount
from robinet.ledger.models import Allocation, OpenItem, OpenItemKind
from robinet.organisation.models import EntityKind
from robinet.reporting import recovery_rules as rules
from robinet.reporting import registry, snapshot
from robinet.reporting.params import Params
from robinet.reporting.registry import ReportDef, register
from robinet.reporting.scope import centre_ids, sum_figures, tree_rows
from robinet.reporting.sql import dialect, fetchall, in_list, money, plus_days, q
from robinet.reporting.tables import Column, Kind, Row, Table, chart_data

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


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def _items_sql(centres: list[int], start: dt.date, end: dt.date, params: list, engine: str) -> str:
    """Per centre and invoice date in the period (NULL for every other item): item sums.

    Receivables at a date D are the sum of the items posted by D. As every
    allocation moves the same amount off a debit and a credit of the same
    account, the sum of all the items of a centre is the sum of what is open of
    them today, that is of the items not cleared (``cleared_on`` is NULL); so
    receivables at D = Σ open amounts of the items not cleared − Σ amounts of
    the items posted after D. The query reads the items posted from the start
    (or after the end), those not cleared and the debits not due at the end,
    never the whole history.
    """
    item, account = q(OpenItem._meta.db_table), q(CustomerAccount._meta.db_table)
    invoice, credit_note = OpenItemKind.INVOICE.value, OpenItemKind.CREDIT_NOTE.value
    in_period = "i.posted_on >= %s AND i.posted_on <= %s"
    sql = (
        f"SELECT a.centre_id, CASE WHEN i.kind = '{invoice}' AND {in_period} "
        "THEN i.posted_on END AS day, "
        f"SUM(CASE WHEN i.kind = '{invoice}' AND {in_period} THEN i.amount ELSE 0 END), "
        f"SUM(CASE WHEN i.kind IN ('{invoice}', '{credit_note}') AND {in_period} "
        "THEN i.amount ELSE 0 END), "
        "SUM(CASE WHEN i.cleared_on IS NULL THEN i.open_amount ELSE 0 END), "
        "SUM(CASE WHEN i.posted_on >= %s THEN i.amount ELSE 0 END), "
        "SUM(CASE WHEN i.posted_on > %s THEN i.amount ELSE 0 END), "
        "SUM(CASE WHEN i.amount > 0 AND i.due_date > %s AND i.posted_on <= %s "
        "THEN i.amount ELSE 0 END) "
        f"FROM {item} i JOIN {account} a ON a.id = i.account_id "
        "WHERE (i.posted_on >= %s OR i.posted_on > %s OR i.cleared_on IS NULL "
        "OR (i.due_date > %s AND i.posted_on <= %s)) AND "
    )
    params.extend([start, end, start, end, start, end, start, end, end, end, start, end, end, end])
    return sql + in_list("a.centre_id", centres, params, engine) + " GROUP BY 1, 2"


def _allocations_sql(
    centres: list[int], start: dt.date, end: dt.date, on: dt.date, params: list, engine: str
) -> str:
    """Per centre and invoice date: payments collected within N days; and what cleared the
    debits not due at the end (any credit), by the end.

    The credit is a payment unless it is one of the other items (neither invoice nor
    payment: an invoice is never a credit), found through their small partial index.
    """
    item, allocation = q(OpenItem._meta.db_table), q(Allocation._meta.db_table)
    account = q(CustomerAccount._meta.db_table)
    invoice, payment = OpenItemKind.INVOICE.value, OpenItemKind.PAYMENT.value
    cohort = f"d.kind = '{invoice}' AND d.posted_on >= %s AND d.posted_on <= %s"
    collected = ", ".join(
        f"SUM(CASE WHEN {cohort} AND c.id IS NULL "
        f"AND al.allocated_on <= {plus_days('d.posted_on', days, engine)} "
        "THEN al.amount ELSE 0 END)"
        for days in DAYS
    )
    not_due = "d.due_date > %s AND d.posted_on <= %s"
    sql = (
        f"SELECT a.centre_id, CASE WHEN {cohort} THEN d.posted_on END AS day, {collected}, "
        f"SUM(CASE WHEN {not_due} AND al.allocated_on <= %s THEN al.amount ELSE 0 END) "
        f"FROM {allocation} al JOIN {item} d ON d.id = al.debit_id "
        f"JOIN {account} a ON a.id = al.account_id "
        f"LEFT JOIN {item} c ON c.id = al.credit_id AND c.kind NOT IN ('{invoice}', '{payment}') "
        f"WHERE al.allocated_on <= %s AND (({cohort}) OR ({not_due})) AND "
    )
    params.extend([start, end, *[start, end] * len(DAYS), end, end, end, on, start, end, end, end])
    return sql + in_list("a.centre_id", centres, params, engine) + " GROUP BY 1, 2"


def recovery_figures(
    centres: list[int],
    start: dt.date,
    end: dt.date,
    on: dt.date,
    source: snapshot.Snapshot | None = None,
) -> tuple[dict, dict[int, dict]]:
    """The report's figures in two aggregate queries: ``(by_month, balances)``.

    ``by_month`` maps ``(centre_id, month)`` to the cohort's ``billed`` and
    ``c30``… (payments allocated to the month's invoices within N days of their
    date, and by ``on``). Only payments count as collected (credit notes and
    write-offs clear an invoice without money); allocations made after ``on``
    are not yet known; un-allocations (negative rows) count on their own date.

    ``balances`` maps ``centre_id`` to the receivables at the opening
    (``start`` − 1) and closing (``end``) dates, net billing of the period and
    current receivables: debits posted by ``end`` and not yet due then, less
    what was allocated to them by ``end``. ``end`` is cut to ``on``. ``source``: the
    reporting snapshot to read instead of the database.
    """
    end = min(end, on)
    by_month: dict = {}
    balances: dict[int, dict] = {}
    if not centres:
        return by_month, balances

    def blank() -> dict:
        return {"billed": ZERO, **{_c(d): ZERO for d in DAYS}}

    def balance(centre: int) -> dict:
        return balances.setdefault(
            centre, {"opening": ZERO, "closing": ZERO, "net_billed": ZERO, "current": ZERO}
        )

    engine = dialect(source)
    items_params: list = []
    items_sql = _items_sql(centres, start, end, items_params, engine)
    allocations_params: list = []
    allocations_sql = _allocations_sql(centres, start, end, on, allocations_params, engine)
    # PostgreSQL: JIT costs more than it saves on these aggregates; the hash joins (a
    # million accounts, the period's invoices) need room not to spill in batches.
    settings = ("jit = off", "work_mem = '256MB'")
    items = fetchall(items_sql, items_params, snapshot=source, postgresql=settings)
    allocations = fetchall(
        allocations_sql, allocations_params, snapshot=source, postgresql=settings
    )
    for centre, day, billed, net_billed, open_now, from_start, after_end, current in items:
        if day is not None:
            key = (centre, _date(day).replace(day=1))
            target = by_month.setdefault(key, blank())
            target["billed"] += money(billed)
        target = balance(centre)
        open_now = money(open_now)
        target["opening"] += open_now - money(from_start)
        target["closing"] += open_now - money(after_end)
        target["net_billed"] += money(net_billed)
        target["current"] += money(current)
    for centre, day, *sums in allocations:
        *collected, cleared = sums
        if day is not None:
            target = by_month.setdefault((centre, _date(day).replace(day=1)), blank())
            for days, value in zip(DAYS, collected, strict=True):
                target[_c(days)] += money(value)
        if centre in balances:
            balances[centre]["current"] -= money(cleared)
    return by_month, balances


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


def entity_table(
    user, params: Params, centres: list[int], by_month: dict, balances: dict[int, dict]
) -> Table:
    """(a) One row per entity one level below the chosen one, with the whole scope's total.

    ``by_month`` and ``balances``: :func:`recovery_figures`, the cohorts per (centre,
    month) summed here per centre, so that the queries run once for both tables.
    """
    start, end = params.start, min(params.end, params.on)
    days = rules.days_in(start, end)
    per_centre: dict[int, dict] = {}
    for (centre, _month), figures in by_month.items():
        per_centre[centre] = sum_figures([per_centre.get(centre, {}), figures])
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
                "data": chart_data(r.cells[_r(d)] for r in rows),
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
    source = snapshot.for_report(params.extra)
    centres = centre_ids(user, params.entity)
    start, end = params.start, min(params.end, params.on)
    by_month, balances = recovery_figures(centres, start, end, params.on, source)
    tables = [
        entity_table(user, params, centres, by_month, balances),
        cohort_table(params, by_month),
    ]
    if params.entity is not None and params.entity.kind == EntityKind.CENTRE:
        tables.append(detail_table(params, centres))
    if source is not None:
        tables[0].notes.append(source.note())
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
        extra=("source",),
        snapshot=True,
        order=10,
    )
)
