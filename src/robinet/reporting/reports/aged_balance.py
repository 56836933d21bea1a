"""The aged balance (*balance âgée*, REP-1), at any date, from the customer sub-ledger.

An item counts at date D when it was posted on or before D; what was open of
it at D is today's ``open_amount`` plus the allocations dated after D (an
un-allocation is a negative allocation row, so it is undone the same way).
Items cleared on or before D are skipped in the first part (nothing of them
is open today); their allocations dated after D are still put back.

Debits are aged by due date (:mod:`robinet.reporting.aging`); credits still
unallocated at D (payments, credit notes, negative opening balances) are their
own column, so that a row's net balance is what the customers owe.

One aggregate query per table, grouped by centre × class (or by account, or by
item), with the buckets as conditional sums; per-centre figures are consolidated
up the tree by :func:`robinet.reporting.scope.tree_rows`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from robinet.core.exceptions import NotFound
from robinet.customers.choices import CustomerClass
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import Allocation, JournalLine, OpenItem, OpenItemKind
from robinet.ledger.reconciliation import customer_accounts_q
from robinet.organisation.models import EntityKind
from robinet.reporting import aging, scope, snapshot
from robinet.reporting.params import Params
from robinet.reporting.registry import ReportDef, register, report_url
from robinet.reporting.sql import dialect, fetchall, in_list, money, q
from robinet.reporting.tables import Column, Kind, Row, Table, chart_data, total_row

NAME = "aged-balance"
CREDITS = "credits"
#: the classes reported apart as "impayés État et collectivités" (public debtors)
PUBLIC_CLASSES = (CustomerClass.ADMINISTRATION, CustomerClass.LOCAL_AUTHORITY)
#: the accounts table lists the largest debtors only, past this many
ACCOUNTS_LIMIT = 500
FIGURES = (*aging.KEYS, CREDITS)


# --- the query ---------------------------------------------------------------------------------


def _bucket_case(on: dt.date, params: list) -> str:
    """``CASE`` giving each movement its bucket key (``credits`` for credit items)."""
    parts = [f"CASE WHEN m.amount <= 0 THEN '{CREDITS}'"]
    for key, cut in aging.cutoffs(on):
        if cut is None:
            parts.append(f"ELSE '{key}' END")
        else:
            parts.append(f"WHEN m.due_date >= %s THEN '{key}'")
            params.append(cut)
    return " ".join(parts)


def _movements() -> tuple[str, str]:
    """What was open of each item at ``on``, as movements to sum (several rows per item).

    Returns the ``candidates`` common table (the items posted by ``on`` and not
    cleared by ``on``) and the movements over it: today's open part of each
    candidate, plus the allocations dated after ``on`` put back (+ on the debit
    side, − on the credit side). An item cleared by ``on`` has no allocation
    dated after ``on`` (the ledger keeps ``cleared_on`` at the item's latest
    allocation date, ``ledger.services.clearing_dates_settle``), so its open
    part at ``on`` is 0 and it is left out. The candidates are read once; the
    allocations after ``on`` come from the date index, once per side.
    """
    item = q(OpenItem._meta.db_table)
    allocation = q(Allocation._meta.db_table)
    candidates = (
        f"SELECT id, account_id, due_date, amount, open_amount FROM {item} "
        f"WHERE posted_on <= %s AND (cleared_on IS NULL OR cleared_on > %s)"
    )
    # Both sides of the allocations after ``on`` (from the date index) probe one hash of
    # the candidates, which are few: what was open at D.
    sides = (
        f"SELECT debit_id AS item_id, amount AS v FROM {allocation} WHERE allocated_on > %s "
        f"UNION ALL "
        f"SELECT credit_id, -amount FROM {allocation} WHERE allocated_on > %s"
    )
    return candidates, (
        "SELECT c.id AS item_id, c.account_id, c.due_date, c.amount, c.open_amount AS v "
        "FROM candidates c UNION ALL "
        "SELECT c.id, c.account_id, c.due_date, c.amount, x.v "
        f"FROM ({sides}) x JOIN candidates c ON c.id = x.item_id"
    )


def aged_figures(
    on: dt.date,
    *,
    centres: list[int],
    group: tuple[str, ...],
    customer_class: str = "",
    account_id: int | None = None,
    order_by_debits: int | None = None,
    source: snapshot.Snapshot | None = None,
) -> list[dict]:
    """Open amounts at ``on`` per bucket (and ``credits``), grouped by ``group``.

    ``group`` names columns among ``centre_id``, ``customer_class``, ``account_id``,
    ``item_id``. ``order_by_debits`` keeps that many groups, largest debits first.
    ``source``: the reporting snapshot to read instead of the database.
    """
    if not centres:
        return []
    # Parameters in statement order: the candidates (WITH), the buckets, the movements.
    params: list = [on, on]
    case = _bucket_case(on, params)
    params.extend([on, on])
    candidates, movements = _movements()
    account = q(CustomerAccount._meta.db_table)
    where = [in_list("a.centre_id", centres, params, dialect(source))]
    if customer_class:
        where.append("a.customer_class = %s")
        params.append(customer_class)
    if account_id is not None:
        where.append("a.id = %s")
        params.append(account_id)
    columns = {
        "centre_id": "a.centre_id",
        "customer_class": "a.customer_class",
        "account_id": "a.id",
        "item_id": "p.item_id",
    }
    # Movements summed per account (and item) and bucket first: the accounts are joined
    # to far fewer rows.
    by_item = "item_id" in group
    per_account = (
        f"SELECT m.account_id, {'m.item_id' if by_item else 'NULL'} AS item_id, "
        f"{case} AS bucket, SUM(m.v) AS v FROM ({movements}) m GROUP BY 1, 2, 3"
    )
    sums = ", ".join(f"SUM(CASE WHEN b.bucket = '{k}' THEN b.v ELSE 0 END)" for k in FIGURES)
    inner = (
        f"SELECT {', '.join(f'{columns[g]} AS {g}' for g in group)}, p.v, p.bucket "
        f"FROM ({per_account}) p JOIN {account} a ON a.id = p.account_id "
        f"WHERE {' AND '.join(where)}"
    )
    sql = (
        f"WITH candidates AS MATERIALIZED ({candidates}) "
        f"SELECT {', '.join(f'b.{g}' for g in group)}, {sums} FROM ({inner}) b "
        f"GROUP BY {', '.join(f'b.{g}' for g in group)} "
        f"HAVING SUM(CASE WHEN b.v <> 0 THEN 1 ELSE 0 END) > 0"
    )
    if order_by_debits is not None:
        sql += f" ORDER BY SUM(CASE WHEN b.bucket <> '{CREDITS}' THEN b.v ELSE 0 END) DESC"
        sql += f" LIMIT {int(order_by_debits)}"
    # PostgreSQL: JIT compiling this one big aggregate costs more than it saves (seconds
    # at 10M items), and the hash joins need room not to spill in batches. The planner
    # cannot know how few items were open at D (posting and clearing dates are
    # correlated) and would sort millions of allocation sides for a merge join; hashing
    # the candidates is what pays.
    rows = fetchall(
        sql,
        params,
        snapshot=source,
        postgresql=("jit = off", "work_mem = '256MB'", "enable_mergejoin = off"),
    )
    result = []
    for row in rows:
        figures = dict(zip(group, row[: len(group)], strict=True))
        for key, value in zip(FIGURES, row[len(group) :], strict=True):
            figures[key] = money(value)
        result.append(figures)
    return result


def customers_ledger_balance(
    on: dt.date, *, centres: list[int], source: snapshot.Snapshot | None = None
) -> Decimal:
    """Debit − credit of the general ledger's customers accounts (411, and 416 doubtful) at ``on``.

    Lines carrying a customer sub-account, entries dated on or before ``on``,
    for the accounts of ``centres``: the figure the aged balance must equal
    (from ``source``, the reporting snapshot, when given).
    """
    if source is not None:
        if not centres:
            return Decimal("0.00")
        params: list = [on]
        where = in_list("centre_id", centres, params, dialect(source))
        ((debit, credit),) = source.fetchall(
            f"SELECT SUM(debit), SUM(credit) FROM {snapshot.LEDGER_VIEW} "
            f"WHERE entry_date <= %s AND {where}",
            params,
        )
        return money(debit) - money(credit)
    totals = JournalLine.objects.filter(
        customer_accounts_q(),
        customer_account__isnull=False,
        customer_account__centre_id__in=centres,
        entry__entry_date__lte=on,
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return money(totals["debit"]) - money(totals["credit"])


# --- the tables --------------------------------------------------------------------------------


def _figure_columns() -> list[Column]:
    return [
        *(Column(b.key, str(b.label), Kind.MONEY) for b in aging.BUCKETS),
        Column("debits", _("Total créances"), Kind.MONEY),
        Column(CREDITS, _("Crédits non lettrés"), Kind.MONEY),
        Column("net", _("Solde net"), Kind.MONEY),
    ]


def _cells(figures: dict) -> dict:
    zero = Decimal("0.00")
    debits = sum((figures.get(k, zero) for k in aging.KEYS), zero)
    cells = {k: figures.get(k, zero) for k in aging.KEYS}
    credits = figures.get(CREDITS, zero)
    cells.update(debits=debits, credits=credits, net=debits + credits)
    return cells


def _url(params: Params, **changes) -> str:
    return report_url(NAME, params, **changes)


def _class_label(value: str) -> str:
    try:
        return str(CustomerClass(value).label)
    except ValueError:
        return value


def _chart(labels: list[str], rows: list[dict]) -> dict:
    return {
        "type": "bar",
        "labels": labels,
        "datasets": [
            {"label": str(b.label), "data": chart_data(r[b.key] for r in rows), "stack": "age"}
            for b in aging.BUCKETS
        ],
        "stacked": True,
        "y_label": "€",
    }


def _entity_table(user, params: Params, centres: list[int], per_class: list[dict]) -> Table | None:
    if params.entity is not None and params.entity.kind == EntityKind.CENTRE:
        return None
    per_centre: dict[int, dict] = {pk: {} for pk in centres}
    for figures in per_class:
        target = per_centre.setdefault(figures["centre_id"], {})
        for key in FIGURES:
            target[key] = target.get(key, Decimal("0.00")) + figures[key]
    columns = [Column("entity", _("Entité")), *_figure_columns()]
    rows, cells_list, labels = [], [], []
    for child, figures in scope.tree_rows(user, params.entity, per_centre):
        cells = _cells(figures)
        cells_list.append(cells)
        labels.append(child.name)
        rows.append(
            Row({"entity": child.name, **cells}, link=_url(params, entity=child.code, account=None))
        )
    return Table(
        title=_("Balance âgée par entité"),
        columns=columns,
        rows=rows,
        footer=[total_row(columns, rows, "entity", _("Total"))],
        chart=_chart(labels, cells_list) if rows else None,
        key="entities",
        notes=[
            _(
                "Âge = date d'arrêté − date d'échéance ; « non échu » quand l'échéance est "
                "postérieure à la date d'arrêté. Les crédits non lettrés (règlements, avoirs) "
                "sont déduits dans le solde net."
            )
        ],
    )


def _class_table(params: Params, per_class: list[dict]) -> Table:
    by_class: dict[str, dict] = {}
    for figures in per_class:
        target = by_class.setdefault(figures["customer_class"], {})
        for key in FIGURES:
            target[key] = target.get(key, Decimal("0.00")) + figures[key]
    columns = [Column("customer_class", _("Catégorie de clients")), *_figure_columns()]
    public = [c for c in PUBLIC_CLASSES if c in by_class]
    others = [c for c in CustomerClass.values if c in by_class and c not in PUBLIC_CLASSES]
    others += sorted(c for c in by_class if c not in CustomerClass.values)
    rows: list[Row] = []
    for group, label in (
        (public, _("Sous-total impayés État et collectivités")),
        (others, _("Sous-total autres clients")),
    ):
        group_rows = [
            Row(
                {"customer_class": _class_label(c), **_cells(by_class[c])},
                link=_url(params, customer_class=c, account=None),
                level=1,
            )
            for c in group
        ]
        if group_rows:
            rows.extend(group_rows)
            rows.append(total_row(columns, group_rows, "customer_class", label))
    return Table(
        title=_("Balance âgée par catégorie de clients"),
        columns=columns,
        rows=rows,
        footer=[total_row(columns, rows, "customer_class", _("Total"))],
        key="classes",
        notes=[
            _(
                "Les administrations de l'État et les collectivités (« impayés État ») "
                "sont présentées à part."
            )
        ],
    )


def _accounts_table(
    params: Params, centres: list[int], customer_class: str, source: snapshot.Snapshot | None
) -> Table:
    figures = aged_figures(
        params.on,
        centres=centres,
        group=("account_id",),
        customer_class=customer_class,
        order_by_debits=ACCOUNTS_LIMIT,
        source=source,
    )
    accounts = {
        a.pk: a
        for a in CustomerAccount.objects.select_related("party").filter(
            pk__in=[f["account_id"] for f in figures]
        )
    }
    columns = [
        Column("number", _("Compte")),
        Column("name", _("Client")),
        Column("customer_class", _("Catégorie")),
        *_figure_columns(),
    ]
    rows = []
    for f in figures:
        account = accounts[f["account_id"]]
        rows.append(
            Row(
                {
                    "number": account.number,
                    "name": str(account.party.name),
                    "customer_class": _class_label(account.customer_class),
                    **_cells(f),
                },
                link=_url(params, account=account.number),
            )
        )
    notes = []
    if len(rows) == ACCOUNTS_LIMIT:
        notes.append(_("Les %(n)s comptes les plus débiteurs sont listés.") % {"n": ACCOUNTS_LIMIT})
    return Table(
        title=_("Balance âgée par compte"),
        columns=columns,
        rows=rows,
        footer=[total_row(columns, rows, "number", _("Total"))],
        key="accounts",
        notes=notes,
    )


def _items_table(user, params: Params, number: str, source: snapshot.Snapshot | None) -> Table:
    account = CustomerAccount.objects.select_related("party").filter(number=number).first()
    if account is None or account.centre_id not in scope.centre_ids(user, None):
        raise NotFound(_("Compte introuvable : « %(number)s ».") % {"number": number})
    figures = aged_figures(
        params.on,
        centres=[account.centre_id],
        group=("item_id",),
        account_id=account.pk,
        source=source,
    )
    items = {i.pk: i for i in OpenItem.objects.filter(pk__in=[f["item_id"] for f in figures])}
    labels = {b.key: str(b.label) for b in aging.BUCKETS}
    labels[CREDITS] = _("Crédit non lettré")
    kinds = dict(OpenItemKind.choices)
    columns = [
        Column("document", _("Pièce")),
        Column("kind", _("Nature")),
        Column("posted_on", _("Comptabilisé le"), Kind.DATE),
        Column("due_date", _("Échéance"), Kind.DATE),
        Column("amount", _("Montant"), Kind.MONEY),
        Column("open", _("Reste dû à la date"), Kind.MONEY),
        Column("bucket", _("Tranche")),
    ]
    link = reverse("customers:detail", args=[account.number])
    rows = []
    for f in sorted(figures, key=lambda f: (items[f["item_id"]].due_date, f["item_id"])):
        item = items[f["item_id"]]
        bucket = next(k for k in FIGURES if f[k])
        rows.append(
            Row(
                {
                    "document": item.document_number,
                    "kind": str(kinds.get(item.kind, item.kind)),
                    "posted_on": item.posted_on,
                    "due_date": item.due_date,
                    "amount": item.amount,
                    "open": f[bucket],
                    "bucket": labels[bucket],
                },
                link=link,
            )
        )
    return Table(
        title=_("Postes ouverts de %(number)s — %(name)s au %(date)s")
        % {
            "number": account.number,
            "name": account.party.name,
            "date": params.on.strftime("%d/%m/%Y"),
        },
        columns=columns,
        rows=rows,
        footer=[total_row(columns, rows, "document", _("Total"))],
        key="items",
    )


def build(user, params: Params) -> list[Table]:
    """REP-1: the aged balance at ``params.on`` under ``params.entity``, with its drill-downs."""
    source = snapshot.for_report(params.extra)
    if number := params.extra.get("account"):
        tables = [_items_table(user, params, number, source)]
    else:
        tables = _tables(user, params, source)
    if source is not None:
        tables[0].notes.append(source.note())
    return tables


def _tables(user, params: Params, source: snapshot.Snapshot | None) -> list[Table]:
    centres = scope.centre_ids(user, params.entity)
    customer_class = params.extra.get("customer_class", "")
    per_class = aged_figures(
        params.on,
        centres=centres,
        group=("centre_id", "customer_class"),
        customer_class=customer_class,
        source=source,
    )
    tables = []
    if entity_table := _entity_table(user, params, centres, per_class):
        tables.append(entity_table)
    tables.append(_class_table(params, per_class))
    if customer_class or (params.entity is not None and params.entity.kind == EntityKind.CENTRE):
        tables.append(_accounts_table(params, centres, customer_class, source))
    ledger = customers_ledger_balance(params.on, centres=centres, source=source)
    tables[-1].notes.append(
        _("Solde des comptes clients (411 et 416) au grand livre à cette date : %(amount)s €.")
        % {"amount": number_format(ledger, 2, force_grouping=True)}
    )
    return tables


register(
    ReportDef(
        name=NAME,
        title=_l("Balance âgée"),
        rule="REP-1",
        description=_l(
            "Créances clients par ancienneté à une date donnée, par entité et par catégorie "
            "de clients (État et collectivités à part), jusqu'aux comptes et à leurs postes."
        ),
        build=build,
        extra=("customer_class", "account", "source"),
        snapshot=True,
        order=10,
    )
)
