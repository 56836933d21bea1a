"""Billing and collection consolidation across centres, and the monthly collection statement (REP-4).

Figures are read set-based, grouped by centre (or by account at a centre's
level), then summed up the tree by :func:`robinet.reporting.scope.tree_rows`:
region → agencies → centres → accounts. ``docs/domain/consolidation.md``
defines each column.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from robinet.billing.choices import InvoiceKind
from robinet.billing.models import Invoice
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import Allocation, OpenItem
from robinet.organisation.models import Entity, EntityKind
from robinet.payments.models import Payment, PaymentMeans, PaymentReversal
from robinet.payments.sepa_selectors import pending_payments
from robinet.reporting.params import Params
from robinet.reporting.registry import ReportDef, register, report_url
from robinet.reporting.scope import centre_ids, sum_figures, tree_rows
from robinet.reporting.tables import Column, Kind, Row, Table, chart_data, total_row

ZERO = Decimal("0.00")
CENTRE = "account__centre_id"
ACCOUNT = "account_id"

FIGURES = ("invoices", "billed", "credit_notes", "net_billed", "collected", "reversed", "unpaid")


def _statement_url(account_number: str) -> str:
    return reverse("ledger:account-statement", args=[account_number])


def figures(centres: list[int], start: dt.date, end: dt.date, by: str) -> dict[int, dict]:
    """Per centre (``by=CENTRE``) or per account (``by=ACCOUNT``), the period's figures.

    * billed: invoices (all kinds but credit notes) issued in the period, incl. VAT;
    * credit_notes: credit notes issued in the period, incl. VAT;
    * collected: payments received in the period; reversed: payments reversed in it;
    * unpaid: what debit items posted by ``end`` still owed at ``end`` (today's open
      amount plus what was allocated to them after ``end``).
    """
    result: dict[int, dict] = {}

    def slot(key: int) -> dict:
        return result.setdefault(key, {f: (0 if f == "invoices" else ZERO) for f in FIGURES})

    invoices = Invoice.objects.filter(
        account__centre_id__in=centres, issue_date__gte=start, issue_date__lte=end
    )
    is_credit = Q(kind=InvoiceKind.CREDIT_NOTE)
    for row in invoices.values(by).annotate(
        n=Count("pk", filter=~is_credit),
        billed=Sum("total_incl_vat", filter=~is_credit),
        credited=Sum("total_incl_vat", filter=is_credit),
    ):
        figures_of = slot(row[by])
        figures_of["invoices"] = row["n"]
        figures_of["billed"] = row["billed"] or ZERO
        figures_of["credit_notes"] = row["credited"] or ZERO

    payments = Payment.objects.filter(
        account__centre_id__in=centres, received_on__gte=start, received_on__lte=end
    )
    for row in payments.values(by).annotate(total=Sum("amount")):
        slot(row[by])["collected"] = row["total"] or ZERO
    reversal_key = f"payment__{by}"
    reversals = PaymentReversal.objects.filter(
        payment__account__centre_id__in=centres, reversed_on__gte=start, reversed_on__lte=end
    )
    for row in reversals.values(reversal_key).annotate(total=Sum("payment__amount")):
        slot(row[reversal_key])["reversed"] = row["total"] or ZERO

    debits = OpenItem.objects.filter(
        account__centre_id__in=centres, posted_on__lte=end, amount__gt=0
    )
    for row in debits.filter(open_amount__gt=0).values(by).annotate(total=Sum("open_amount")):
        slot(row[by])["unpaid"] += row["total"] or ZERO
    later_key = f"debit__{by}"
    later = Allocation.objects.filter(debit__in=debits, allocated_on__gt=end)
    for row in later.values(later_key).annotate(total=Sum("amount")):
        slot(row[later_key])["unpaid"] += row["total"] or ZERO

    for figures_of in result.values():
        figures_of["net_billed"] = figures_of["billed"] - figures_of["credit_notes"]
    return result


COLUMNS = [
    Column("entity", _("Entité / compte")),
    Column("invoices", _("Factures"), Kind.INT),
    Column("billed", _("Facturé TTC"), Kind.MONEY),
    Column("credit_notes", _("Avoirs TTC"), Kind.MONEY),
    Column("net_billed", _("Facturé net TTC"), Kind.MONEY),
    Column("collected", _("Encaissé"), Kind.MONEY),
    Column("reversed", _("Rejets / annulations"), Kind.MONEY),
    Column("unpaid", _("Impayé en fin de période"), Kind.MONEY),
]


def _cells(label: str, values: dict) -> dict:
    cells = {"entity": label}
    for key in FIGURES:
        cells[key] = values.get(key, 0 if key == "invoices" else ZERO)
    return cells


def build(user, params: Params) -> list[Table]:
    start, end = params.start, params.end
    centres = centre_ids(user, params.entity)
    rows: list[Row] = []
    if params.entity is not None and params.entity.kind == EntityKind.CENTRE:
        per_account = figures(centres, start, end, ACCOUNT)
        accounts = CustomerAccount.objects.filter(pk__in=list(per_account)).select_related("party")
        for account in sorted(accounts, key=lambda a: a.number):
            rows.append(
                Row(
                    _cells(f"{account.number} — {account.party}", per_account[account.pk]),
                    link=_statement_url(account.number),
                )
            )
        total = sum_figures(per_account.values())
    else:
        per_centre = figures(centres, start, end, CENTRE)
        level = 0 if params.entity is None else len(params.entity.path.strip("/").split("/"))
        for child, values in tree_rows(user, params.entity, per_centre):
            rows.append(
                Row(
                    _cells(f"{child.code} — {child.name}", values),
                    link=report_url("consolidation", params, entity=child.code),
                    level=level,
                )
            )
        total = sum_figures(per_centre.values())
    label = str(_("Total %(entity)s")) % {
        "entity": params.entity.name if params.entity else str(_("périmètre"))
    }
    footer = Row(_cells(label, total), total=True)
    table = Table(
        title=_("Facturation et encaissements du %(start)s au %(end)s")
        % {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")},
        columns=COLUMNS,
        rows=rows,
        footer=[footer],
        key="consolidation",
        chart={
            "type": "bar",
            "labels": [r.cells["entity"] for r in rows][:30],
            "datasets": [
                {
                    "label": str(_("Facturé net TTC")),
                    "data": chart_data(r.cells["net_billed"] for r in rows[:30]),
                },
                {
                    "label": str(_("Encaissé")),
                    "data": chart_data(r.cells["collected"] for r in rows[:30]),
                },
            ],
            "stacked": False,
            "y_label": "€",
        }
        if rows
        else None,
        notes=[
            str(
                _(
                    "Facturé : factures émises sur la période (toutes natures hors avoirs), TTC. "
                    "Encaissé : règlements reçus sur la période ; rejets : règlements annulés sur "
                    "la période. Impayé : reste dû au %(end)s des postes débiteurs comptabilisés "
                    "à cette date (reconstitué à la date). Les comptes sont rattachés à leur centre."
                )
                % {"end": end.strftime("%d/%m/%Y")}
            ),
        ],
    )
    return [table, reconciliation_links(params)]


#: the reconciliation reports of the ledger and payments apps (PAY-7, PAY-2…8)
RECONCILIATIONS = (
    ("ledger:reconciliation", _("Rapprochement comptabilité auxiliaire / générale"), "date"),
    ("ledger:beneficiaries", _("Encaissements par bénéficiaire"), "period"),
    ("payments:bank-statements", _("Relevés bancaires et rapprochement"), ""),
    ("payments:unallocated", _("Encaissements non affectés"), ""),
    ("payments:operator-statements", _("Relevés des opérateurs d'encaissement"), ""),
    ("payments:cash-days", _("Journées de caisse"), ""),
)


def reconciliation_links(params: Params) -> Table:
    rows = []
    for url_name, label, query in RECONCILIATIONS:
        url = reverse(url_name)
        if query == "date":
            url += "?" + urlencode({"date": params.end.isoformat()})
        elif query == "period":
            url += "?" + urlencode(
                {"start": params.start.isoformat(), "end": params.end.isoformat()}
            )
        rows.append(Row({"report": str(label)}, link=url))
    return Table(
        title=_("Rapports de rapprochement"),
        columns=[Column("report", _("Rapport"))],
        rows=rows,
        key="rapprochements",
    )


# --- the monthly collection statement ---------------------------------------------------------

MEANS = list(PaymentMeans)


def statement_figures(centres: list[int], start: dt.date, end: dt.date) -> dict[tuple, dict]:
    """Per (centre where received, month): payments by means, reversals, net."""
    result: dict[tuple, dict] = {}

    def slot(key: tuple) -> dict:
        if key not in result:
            result[key] = {m.value: ZERO for m in MEANS} | {"reversed": ZERO, "count": 0}
        return result[key]

    # A direct debit is money collected once its remittance is settled (PAY-3), not before.
    payments = Payment.objects.filter(
        centre_id__in=centres, received_on__gte=start, received_on__lte=end
    ).exclude(pk__in=pending_payments().values("pk"))
    for row in (
        payments.annotate(month=TruncMonth("received_on"))
        .values("centre_id", "month", "means")
        .annotate(total=Sum("amount"), n=Count("pk"))
    ):
        figures_of = slot((row["centre_id"], _month(row["month"])))
        figures_of[row["means"]] += row["total"] or ZERO
        figures_of["count"] += row["n"]
    reversals = PaymentReversal.objects.filter(
        payment__centre_id__in=centres, reversed_on__gte=start, reversed_on__lte=end
    )
    for row in (
        reversals.annotate(month=TruncMonth("reversed_on"))
        .values("payment__centre_id", "month")
        .annotate(total=Sum("payment__amount"))
    ):
        slot((row["payment__centre_id"], _month(row["month"])))["reversed"] += row["total"] or ZERO
    return result


def _month(value) -> dt.date:
    """TruncMonth gives a date (or a datetime on some backends): the first of the month."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def _month_end(first: dt.date) -> dt.date:
    nxt = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return nxt - dt.timedelta(days=1)


STATEMENT_COLUMNS = [
    Column("centre", _("Centre")),
    Column("month", _("Mois")),
    Column("count", _("Règlements"), Kind.INT),
    *[Column(m.value, m.label, Kind.MONEY) for m in MEANS],
    Column("gross", _("Total encaissé"), Kind.MONEY),
    Column("reversed", _("Rejets / annulations"), Kind.MONEY),
    Column("net", _("Net"), Kind.MONEY),
]


def build_statement(user, params: Params) -> list[Table]:
    start, end = params.start, params.end
    centres = centre_ids(user, params.entity)
    per_key = statement_figures(centres, start, end)
    entities = {e.pk: e for e in Entity.objects.filter(pk__in={c for c, _m in per_key})}
    rows = []
    for centre_id, month in sorted(per_key, key=lambda k: (entities[k[0]].path, k[1])):
        values = per_key[(centre_id, month)]
        gross = sum((values[m.value] for m in MEANS), ZERO)
        centre = entities[centre_id]
        cells = {
            "centre": f"{centre.code} — {centre.name}",
            "month": month.strftime("%m/%Y"),
            "count": values["count"],
            **{m.value: values[m.value] for m in MEANS},
            "gross": gross,
            "reversed": values["reversed"],
            "net": gross - values["reversed"],
        }
        link = report_url(
            "consolidation",
            params,
            entity=centre.code,
            start=max(month, start).isoformat(),
            end=min(_month_end(month), end).isoformat(),
        )
        rows.append(Row(cells, link=link))
    footer = [total_row(STATEMENT_COLUMNS, rows, "centre", str(_("Total")))] if rows else []
    months = sorted({r.cells["month"] for r in rows}, key=lambda m: (m[3:], m[:2]))
    chart = None
    if rows:
        chart = {
            "type": "bar",
            "labels": months,
            "datasets": [
                {
                    "label": str(m.label),
                    "data": chart_data(
                        sum((r.cells[m.value] for r in rows if r.cells["month"] == month), ZERO)
                        for month in months
                    ),
                    "stack": "means",
                }
                for m in MEANS
            ],
            "stacked": True,
            "y_label": "€",
        }
    return [
        Table(
            title=_("État mensuel des encaissements du %(start)s au %(end)s")
            % {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")},
            columns=STATEMENT_COLUMNS,
            rows=rows,
            footer=footer,
            chart=chart,
            key="encaissements",
            notes=[
                str(
                    _(
                        "Règlements reçus par centre d'encaissement et par mois, selon le moyen "
                        "de paiement ; rejets et annulations au mois de l'annulation. Chaque ligne "
                        "ouvre les comptes du centre pour le mois."
                    )
                )
            ],
        )
    ]


register(
    ReportDef(
        name="consolidation",
        title=_("Consolidation facturation et encaissements"),
        rule="REP-4",
        description=_(
            "Facturé, encaissé et impayé par entité avec totaux et détail jusqu'au compte ; "
            "liens vers les rapprochements."
        ),
        build=build,
        params=("start", "end", "entity"),
        order=10,
    )
)

register(
    ReportDef(
        name="collection-statement",
        title=_("État mensuel des encaissements"),
        rule="REP-4",
        description=_("Encaissements par centre et par mois, par moyen de paiement, rejets, net."),
        build=build_statement,
        params=("start", "end", "entity"),
        order=20,
    )
)
