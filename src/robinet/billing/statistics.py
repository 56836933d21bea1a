"""Billing statistics per entity and period (BILL-12).

Every figure is a SQL aggregate (``GROUP BY`` in the database), never a Python
loop over invoices: a region's year is a few million lines and the page must
answer in a second. The period is a range of *issue dates* (inclusive); the
entity is a region, an agency or a centre, always within the user's scope
(``BILLING_VIEW``). Credit notes are counted negative: each figure is given as
*billed* (invoices), *credited* (credit notes) and *net* (billed − credited).

See ``docs/domain/billing-statistics.md`` for what each figure means.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils.translation import gettext as _

from robinet.billing.choices import BILL_KINDS, InvoiceKind
from robinet.billing.models import HeldBill, Invoice, InvoiceLine
from robinet.core.exceptions import ValidationFailed
from robinet.core.money import round_money
from robinet.organisation.access import require
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")
ZERO_VOLUME = Decimal("0.000")
PERM = Perm.BILLING_VIEW
#: a statistics period covers at most this many days (ten years)
MAX_DAYS = 3660

BILLS = Q(kind__in=BILL_KINDS)
# Consumption billing: the credit notes of fees and works invoices are not counted either.
CREDITS = Q(kind=InvoiceKind.CREDIT_NOTE, credited_invoice__kind__in=BILL_KINDS)
LINE_BILLS = Q(invoice__kind__in=BILL_KINDS)
LINE_CREDITS = Q(
    invoice__kind=InvoiceKind.CREDIT_NOTE, invoice__credited_invoice__kind__in=BILL_KINDS
)

SERVICE_LABELS = {
    "water": "Distribution de l'eau",
    "sanitation": "Collecte et traitement des eaux usées",
    "public_bodies": "Organismes publics",
    "other": "Autres prestations",
}
BENEFICIARY_LABELS = {
    "operator": "Exploitant",
    "authority": "Collectivité",
    "water_agency": "Agence de l'eau",
    "other": "Autre",
}

UNIT_LABELS = {"m3": "m³", "year": "an", "day": "jour", "unit": "u"}


@dataclass(frozen=True)
class Split:
    """A figure for invoices (``billed``) and credit notes (``credited``); ``net`` = the difference."""

    billed: Decimal = ZERO
    credited: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.billed - self.credited


@dataclass(frozen=True)
class Row:
    """One line of a breakdown (component — one row per block for block components —,
    beneficiary, service, VAT rate)."""

    key: str
    label: str
    amount: Split
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MonthRow:
    month: dt.date
    invoices: int
    credit_notes: int
    volume: Split
    excl_vat: Split
    vat: Split
    incl_vat: Split
    held: int


@dataclass(frozen=True)
class CentreRow:
    code: str
    name: str
    invoices: int
    credit_notes: int
    volume: Split
    incl_vat: Split


@dataclass(frozen=True)
class EstimateRow:
    """Bills (not credit notes) on an estimated or on a real reading."""

    count: int
    volume: Decimal
    incl_vat: Decimal


@dataclass(frozen=True)
class BillingStatistics:
    entity: Entity | None
    date_from: dt.date
    date_to: dt.date
    invoices: int
    final_bills: int
    credit_notes: int
    volume: Split
    excl_vat: Split
    vat: Split
    incl_vat: Split
    estimated: EstimateRow
    real: EstimateRow
    held: int
    computed: int
    by_component: list[Row]
    by_beneficiary: list[Row]
    by_service: list[Row]
    by_vat_rate: list[Row]
    by_month: list[MonthRow]
    by_centre: list[CentreRow]

    @property
    def outsorted_rate(self) -> Decimal | None:
        """Held bills / bills computed, in % (two places); None when nothing was computed."""
        if not self.computed:
            return None
        return (Decimal(100) * self.held / self.computed).quantize(Decimal("0.01"))

    @property
    def estimated_share(self) -> Decimal | None:
        total = self.estimated.count + self.real.count
        if not total:
            return None
        return (Decimal(100) * self.estimated.count / total).quantize(Decimal("0.01"))


def _money(value) -> Decimal:
    return round_money(value) if value is not None else ZERO


def _volume(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.001")) if value is not None else ZERO_VOLUME


def _split(row: dict, name: str, volume: bool = False) -> Split:
    convert = _volume if volume else _money
    return Split(convert(row.get(f"{name}_billed")), convert(row.get(f"{name}_credited")))


def _sums(name: str, field_name: str, bills: Q = BILLS, credits: Q = CREDITS) -> dict:
    return {
        f"{name}_billed": Sum(field_name, filter=bills),
        f"{name}_credited": Sum(field_name, filter=credits),
    }


def _check_period(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from:
        raise ValidationFailed({"date_to": [_("La fin de période précède son début.")]})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationFailed({"date_to": [_("Une période couvre au plus dix ans.")]})


def scoped_invoices(*, user, entity: Entity | None) -> QuerySet[Invoice]:
    """Invoices and credit notes of the accounts under ``entity`` and in the user's scope.

    ``user=None`` is the operator's command: every invoice. A user must cover
    ``entity`` (refused otherwise); without entity, the user's centres.
    """
    invoices = Invoice.objects.all()
    if user is not None:
        scope = require(user, PERM, entity)
        if not scope.is_superuser:
            invoices = invoices.filter(account__centre_id__in=scope.centre_ids(PERM))
    if entity is not None:
        invoices = invoices.filter(account__centre__path__startswith=entity.path)
    return invoices


def scoped_held_bills(*, user, entity: Entity | None) -> QuerySet[HeldBill]:
    held = HeldBill.objects.all()
    if user is not None:
        scope = require(user, PERM, entity)
        if not scope.is_superuser:
            held = held.filter(centre_id__in=scope.centre_ids(PERM))
    if entity is not None:
        held = held.filter(centre__path__startswith=entity.path)
    return held


def billing_statistics(
    *, user, date_from: dt.date, date_to: dt.date, entity: Entity | None = None
) -> BillingStatistics:
    """The BILL-12 figures of ``entity`` (or the user's whole scope) for invoices issued
    from ``date_from`` to ``date_to`` inclusive. About ten aggregate queries."""
    _check_period(date_from, date_to)
    invoices = scoped_invoices(user=user, entity=entity).filter(
        issue_date__gte=date_from, issue_date__lte=date_to
    )
    lines = InvoiceLine.objects.filter(invoice__in=invoices.values("pk"))

    totals = invoices.aggregate(
        invoices=Count("pk", filter=BILLS),
        final_bills=Count("pk", filter=Q(kind=InvoiceKind.FINAL)),
        credit_notes=Count("pk", filter=CREDITS),
        **_sums("volume", "volume"),
        **_sums("excl", "total_excl_vat"),
        **_sums("vat", "total_vat"),
        **_sums("incl", "total_incl_vat"),
        # released held bills are counted once, as held (see outsorted rate)
        direct=Count("pk", filter=BILLS & Q(held_bill__isnull=True)),
    )
    estimates = {
        row["estimated"]: EstimateRow(row["n"], _volume(row["volume"]), _money(row["incl"]))
        for row in invoices.filter(BILLS)
        .values("estimated")
        .annotate(n=Count("pk"), volume=Sum("volume"), incl=Sum("total_incl_vat"))
        .order_by()
    }
    empty = EstimateRow(0, ZERO_VOLUME, ZERO)

    # a held bill belongs to the issue date of its run (the date its bill would have had)
    held_bills = (
        scoped_held_bills(user=user, entity=entity)
        .annotate(day=Coalesce("run__run_date", TruncDate("created_at")))
        .filter(day__gte=date_from, day__lte=date_to)
    )
    held = held_bills.count()
    held_by_month = {
        _month(row["month"]): row["n"]
        for row in held_bills.annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    }

    line_sums = _sums("amount", "amount_excl_vat", LINE_BILLS, LINE_CREDITS)
    components = [
        Row(
            row["component_code"],
            row["label"],
            _split(row, "amount"),
            {
                "service": row["service"],
                "beneficiary": row["beneficiary"],
                "quantity": _split(row, "quantity", volume=True),
                "unit": row["unit"],
                "unit_label": UNIT_LABELS.get(row["unit"], row["unit"]),
                "beneficiary_label": BENEFICIARY_LABELS.get(row["beneficiary"], row["beneficiary"]),
                "block": row["block"],
            },
        )
        for row in lines.values("component_code", "block")
        .annotate(
            label=Max("label"),
            service=Max("service"),
            beneficiary=Max("beneficiary"),
            unit=Max("unit"),
            **line_sums,
            **_sums("quantity", "quantity", LINE_BILLS, LINE_CREDITS),
        )
        .order_by("component_code", "block")
    ]
    beneficiaries = [
        Row(
            row["beneficiary"],
            BENEFICIARY_LABELS.get(row["beneficiary"], row["beneficiary"]),
            _split(row, "amount"),
        )  # fmt: skip
        for row in lines.values("beneficiary").annotate(**line_sums).order_by("beneficiary")
    ]
    services = [
        Row(
            row["service"],
            SERVICE_LABELS.get(row["service"], row["service"]),
            _split(row, "amount"),
        )  # fmt: skip
        for row in lines.values("service").annotate(**line_sums).order_by("service")
    ]
    rates = []
    for row in lines.values("vat_rate").annotate(**line_sums).order_by("vat_rate"):
        rate = Decimal(row["vat_rate"]).normalize()
        base = _split(row, "amount")
        # VAT at the rate level: the invoices round theirs per invoice, so the sum of the
        # invoices' VAT (the totals) may differ by a few cents.
        vat = Split(round_money(base.billed * rate / 100), round_money(base.credited * rate / 100))
        rates.append(Row(f"{rate}", f"{rate} %".replace(".", ","), base, {"vat": vat}))

    months = [
        MonthRow(
            month=_month(row["month"]),
            invoices=row["invoices"],
            credit_notes=row["credit_notes"],
            volume=_split(row, "volume", volume=True),
            excl_vat=_split(row, "excl"),
            vat=_split(row, "vat"),
            incl_vat=_split(row, "incl"),
            held=held_by_month.pop(_month(row["month"]), 0),
        )
        for row in invoices.annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(
            invoices=Count("pk", filter=BILLS),
            credit_notes=Count("pk", filter=CREDITS),
            **_sums("volume", "volume"),
            **_sums("excl", "total_excl_vat"),
            **_sums("vat", "total_vat"),
            **_sums("incl", "total_incl_vat"),
        )
        .order_by("month")
    ]
    # months with held bills but no invoice issued
    for month, n in held_by_month.items():
        months.append(
            MonthRow(month, 0, 0, Split(ZERO_VOLUME, ZERO_VOLUME), Split(), Split(), Split(), n)
        )
    months.sort(key=lambda m: m.month)

    centres = [
        CentreRow(
            code=row["account__centre__code"],
            name=row["account__centre__name"],
            invoices=row["invoices"],
            credit_notes=row["credit_notes"],
            volume=_split(row, "volume", volume=True),
            incl_vat=_split(row, "incl"),
        )
        for row in invoices.values("account__centre__code", "account__centre__name")
        .annotate(
            invoices=Count("pk", filter=BILLS),
            credit_notes=Count("pk", filter=CREDITS),
            **_sums("volume", "volume"),
            **_sums("incl", "total_incl_vat"),
        )
        .order_by("account__centre__code")
    ]

    return BillingStatistics(
        entity=entity,
        date_from=date_from,
        date_to=date_to,
        invoices=totals["invoices"],
        final_bills=totals["final_bills"],
        credit_notes=totals["credit_notes"],
        volume=_split(totals, "volume", volume=True),
        excl_vat=_split(totals, "excl"),
        vat=_split(totals, "vat"),
        incl_vat=_split(totals, "incl"),
        estimated=estimates.get(True, empty),
        real=estimates.get(False, empty),
        held=held,
        computed=held + totals["direct"],
        by_component=components,
        by_beneficiary=beneficiaries,
        by_service=services,
        by_vat_rate=rates,
        by_month=months,
        by_centre=centres,
    )


def _month(value) -> dt.date:
    """TruncMonth gives a date (DateField) or an aware datetime (DateTimeField)."""
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    return value.replace(day=1)


# --- French CSV (BILL-12) -------------------------------------------------------------------


def french_number(value: Decimal | int | None) -> str:
    """``1234.5`` → ``1234,50``-style: a decimal comma, no thousands separator (Excel-safe)."""
    if value is None:
        return ""
    return str(value).replace(".", ",")


def statistics_table(stats: BillingStatistics) -> list[tuple[str, list[str], list[list]]]:
    """The figures as sections ``(title, header, rows)``, shared by the CSV and the text output."""
    n = french_number
    entity = f"{stats.entity.name} ({stats.entity.code})" if stats.entity else "Tout le périmètre"
    summary = [
        ["Entité", entity],
        ["Du", stats.date_from.strftime("%d/%m/%Y")],
        ["Au", stats.date_to.strftime("%d/%m/%Y")],
        ["Factures", n(stats.invoices)],
        ["dont factures de départ", n(stats.final_bills)],
        ["Avoirs", n(stats.credit_notes)],
        ["Volume facturé (m³)", n(stats.volume.billed)],
        ["Volume des avoirs (m³)", n(stats.volume.credited)],
        ["Volume net (m³)", n(stats.volume.net)],
        ["Montant HT facturé", n(stats.excl_vat.billed)],
        ["Montant HT des avoirs", n(stats.excl_vat.credited)],
        ["Montant HT net", n(stats.excl_vat.net)],
        ["TVA nette", n(stats.vat.net)],
        ["Montant TTC net", n(stats.incl_vat.net)],
        ["Factures sur estimation", n(stats.estimated.count)],
        ["Factures sur relevé réel", n(stats.real.count)],
        ["Part des factures estimées (%)", n(stats.estimated_share)],
        ["Volume estimé (m³)", n(stats.estimated.volume)],
        ["Volume relevé (m³)", n(stats.real.volume)],
        ["Factures bloquées (hors facturation)", n(stats.held)],
        ["Factures calculées", n(stats.computed)],
        ["Taux de hors facturation (%)", n(stats.outsorted_rate)],
    ]
    amount_header = ["HT facturé", "HT avoirs", "HT net"]

    def amounts(split: Split) -> list[str]:
        return [n(split.billed), n(split.credited), n(split.net)]

    return [
        ("Synthèse", ["Indicateur", "Valeur"], summary),
        (
            "Par mois (date d'émission)",
            [
                "Mois",
                "Factures",
                "Avoirs",
                "Volume net (m³)",
                "HT net",
                "TVA nette",
                "TTC net",
                "Factures bloquées",
            ],  # fmt: skip
            [
                [
                    m.month.strftime("%m/%Y"),
                    n(m.invoices),
                    n(m.credit_notes),
                    n(m.volume.net),
                    n(m.excl_vat.net),
                    n(m.vat.net),
                    n(m.incl_vat.net),
                    n(m.held),
                ]  # fmt: skip
                for m in stats.by_month
            ],
        ),
        (
            "Par composante",
            [
                "Code",
                "Libellé",
                "Rubrique",
                "Bénéficiaire",
                "Quantité nette",
                "Unité",
                *amount_header,
            ],  # fmt: skip
            [
                [
                    r.key,
                    r.label,
                    SERVICE_LABELS.get(r.extra["service"], r.extra["service"]),
                    BENEFICIARY_LABELS.get(r.extra["beneficiary"], r.extra["beneficiary"]),
                    n(r.extra["quantity"].net),
                    r.extra["unit"],
                    *amounts(r.amount),
                ]  # fmt: skip
                for r in stats.by_component
            ],
        ),
        (
            "Par bénéficiaire",
            ["Code", "Bénéficiaire", *amount_header],
            [[r.key, r.label, *amounts(r.amount)] for r in stats.by_beneficiary],
        ),
        (
            "Par rubrique",
            ["Code", "Rubrique", *amount_header],
            [[r.key, r.label, *amounts(r.amount)] for r in stats.by_service],
        ),
        (
            "Par taux de TVA",
            ["Taux", *amount_header, "TVA nette (au taux)"],
            [[r.label, *amounts(r.amount), n(r.extra["vat"].net)] for r in stats.by_vat_rate],
        ),
        (
            "Par centre",
            ["Code", "Centre", "Factures", "Avoirs", "Volume net (m³)", "TTC net"],
            [
                [
                    c.code,
                    c.name,
                    n(c.invoices),
                    n(c.credit_notes),
                    n(c.volume.net),
                    n(c.incl_vat.net),
                ]  # fmt: skip
                for c in stats.by_centre
            ],
        ),
    ]


def statistics_csv(stats: BillingStatistics) -> str:
    """The figures as a French CSV: UTF-8 with a BOM (Excel), ``;`` separator, decimal
    comma, CRLF; one section after another, each with a title line and a header line,
    separated by an empty line."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for index, (title, header, rows) in enumerate(statistics_table(stats)):
        if index:
            writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    return buffer.getvalue()


def statistics_text(stats: BillingStatistics) -> str:
    """The figures as aligned text tables (the command's default output)."""
    out = []
    for title, header, rows in statistics_table(stats):
        out.append(f"== {title}")
        table = [header, *rows]
        widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
        for r in table:
            out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        out.append("")
    return "\n".join(out)
