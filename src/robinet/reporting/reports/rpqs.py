"""RPQS service-performance indicators (REP-3) for the annual report on price and quality.

The formulas are in :mod:`robinet.reporting.rpqs_rules`; this module reads the
figures set-based (one aggregate query per figure, over the centres in scope):

* billing: invoices and their lines by service (``InvoiceLine.service``),
  consumption and fees invoices only (works, works deposits and contribution
  agreements are excluded);
* the ledger *as of 31 December of N*: what remained open on N−1 invoices then
  is today's open amount plus what was allocated to them after that date
  (un-allocation rows are negative, so they cancel), plus what a write-off
  cleared (a write-off is not a payment);
* cases (written claims), contracts (customers), booked write-offs, field
  interventions (openings);
* the pricing engine for the price of 120 m³ (BILL-11: the same engine as the
  portal's calculator).

``docs/domain/rpqs.md`` gives each indicator's definition and source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from robinet.billing.choices import BILL_KINDS, InvoiceKind
from robinet.billing.models import Invoice, InvoiceLine
from robinet.cases.choices import (
    WRITTEN_CHANNELS,
    CaseStatus,
    InterventionKind,
    InterventionStatus,
    Nature,
)
from robinet.cases.models import Case
from robinet.cases.models_field import Intervention
from robinet.collections.models_writeoffs import WriteOffReason, WriteOffState
from robinet.customers.models import Contract, CustomerAccount
from robinet.ledger.models import Allocation, AllocationShare, OpenItem, OpenItemKind, ShareSource
from robinet.reporting import rpqs_rules as rules
from robinet.reporting.params import Params
from robinet.reporting.registry import ReportDef, register
from robinet.reporting.scope import centre_ids
from robinet.reporting.tables import Column, Kind, Row, Table, total_row
from robinet.tariffs import pricing
from robinet.tariffs.models import TariffVersion
from robinet.tariffs.selectors import priced

ZERO = Decimal("0.00")

#: Invoices of the service's sales counted by P154.0 / P257.0 ("hors travaux").
COUNTED_KINDS = (*BILL_KINDS, InvoiceKind.FEES)

#: Write-off reasons of a social nature (P109.0 / P207.0): the debt is erased because of
#: the customer's situation, not because it could not be collected.
SOCIAL_WRITE_OFF_REASONS = (WriteOffReason.OVER_INDEBTEDNESS,)

#: The meter of the reference household of D102.0 (SISPEA: the most common diameter).
REFERENCE_DIAMETER_MM = 15

SERVICE_LABELS = {rules.WATER: _("Eau potable"), rules.SANITATION: _("Assainissement collectif")}

CODES = {
    # indicator: (water code, sanitation code)
    "price": ("D102.0", "D204.0"),
    "solidarity": ("P109.0", "P207.0"),
    "opening": ("P152.1", None),
    "unpaid": ("P154.0", "P257.0"),
    "claims": ("P155.1", "P258.1"),
}


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _sum(queryset, field: str = "amount") -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or ZERO


# --- P154.0 / P257.0 --------------------------------------------------------------------------


def previous_year_invoices(centres: list[int], year: int, service: str):
    """The invoices issued for year N−1 (``year`` is N) carrying a line of ``service``."""
    start, end = _year_bounds(year - 1)
    has_line = InvoiceLine.objects.filter(invoice=OuterRef("pk"), service=service)
    return Invoice.objects.filter(
        Exists(has_line),
        account__centre_id__in=centres,
        kind__in=COUNTED_KINDS,
        issue_date__gte=start,
        issue_date__lte=end,
    )


def unpaid_figures(centres: list[int], year: int, service: str) -> tuple[Decimal, Decimal]:
    """(unpaid at 31/12/N, billed incl. VAT for N−1 net of its credit notes) for ``service``."""
    _start, year_end = _year_bounds(year)
    invoices = previous_year_invoices(centres, year, service)
    billed = _sum(invoices, "total_incl_vat")
    credited = _sum(
        Invoice.objects.filter(
            kind=InvoiceKind.CREDIT_NOTE, credited_invoice__in=invoices, issue_date__lte=year_end
        ),
        "total_incl_vat",
    )
    items = OpenItem.objects.filter(invoice__in=invoices)
    open_now = _sum(items, "open_amount")
    allocations = Allocation.objects.filter(debit__in=items)
    # Cleared after 31/12/N: still unpaid at that date (reversal rows are negative).
    cleared_later = _sum(allocations.filter(allocated_on__gt=year_end))
    # Cleared by a write-off by then: not paid either.
    written_off = _sum(
        allocations.filter(allocated_on__lte=year_end, credit__kind=OpenItemKind.WRITE_OFF)
    )
    unpaid = rules.unpaid_at(open_now + cleared_later, ZERO, written_off)
    return unpaid, billed - credited


# --- P155.1 / P258.1 --------------------------------------------------------------------------


def written_claims(centres: list[int], year: int) -> int:
    """Claims opened in year N through a written channel (letter, e-mail, web form)."""
    start, end = _year_bounds(year)
    return (
        Case.objects.filter(
            centre_id__in=centres,
            nature=Nature.CLAIM,
            channel__in=WRITTEN_CHANNELS,
            opened_at__date__gte=start,
            opened_at__date__lte=end,
        )
        .exclude(status=CaseStatus.CANCELLED)
        .count()
    )


def customers(centres: list[int], year: int, service: str) -> int:
    """Customers (subscribers) of ``service`` at 31 December of N: contracts in force that day."""
    _start, end = _year_bounds(year)
    return (
        Contract.objects.filter(
            account__centre_id__in=centres,
            start_date__lte=end,
            **{service: True},
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=end))
        .count()
    )


# --- P109.0 / P207.0 --------------------------------------------------------------------------


def social_write_offs(centres: list[int], year: int, service: str) -> Decimal:
    """Social write-offs booked in year N on ``service``'s lines, VAT excluded (PAY-1a shares)."""
    start, end = _year_bounds(year)
    return _sum(
        AllocationShare.objects.filter(
            source=ShareSource.WRITE_OFF,
            service=service,
            on__gte=start,
            on__lte=end,
            invoice__account__centre_id__in=centres,
            allocation__credit__write_off_request__reason__in=SOCIAL_WRITE_OFF_REASONS,
            allocation__credit__write_off_request__state=WriteOffState.BOOKED,
        ).exclude(beneficiary="vat")
    )


def volume_billed(centres: list[int], year: int, service: str) -> Decimal:
    """m³ billed in year N on ``service``'s lines, net of the m³ credited by credit notes."""
    start, end = _year_bounds(year)
    lines = InvoiceLine.objects.filter(
        invoice__account__centre_id__in=centres,
        invoice__issue_date__gte=start,
        invoice__issue_date__lte=end,
        service=service,
        unit=pricing.UNIT_M3,
    )
    billed = _sum(lines.filter(invoice__kind__in=COUNTED_KINDS), "quantity")
    credited = _sum(lines.filter(invoice__kind=InvoiceKind.CREDIT_NOTE), "quantity")
    return (billed - credited).quantize(Decimal("0.001"))


# --- P152.1 -----------------------------------------------------------------------------------


def openings(centres: list[int], year: int) -> tuple[int, int]:
    """(openings within the committed delay, openings) done in year N.

    The committed delay of an opening is the intervention's take-in-charge
    deadline; an opening without one is not counted (no commitment to measure).
    """
    start, end = _year_bounds(year)
    done = Intervention.objects.filter(
        centre_id__in=centres,
        kind=InterventionKind.OPENING,
        status=InterventionStatus.DONE,
        reported_at__date__gte=start,
        reported_at__date__lte=end,
        take_charge_by__isnull=False,
    )
    return done.filter(reported_at__lte=F("take_charge_by")).count(), done.count()


# --- D102.0 / D204.0 --------------------------------------------------------------------------


def _part(component: pricing.Component) -> str | None:
    """Which service's price a tariff component belongs to (levies follow the service they need)."""
    if component.service == rules.SANITATION or component.requires_service == rules.SANITATION:
        return rules.SANITATION
    if component.service in (rules.WATER, "public_bodies"):
        return rules.WATER
    return None


def price_of_120_m3(version: pricing.TariffVersion, year: int, service: str) -> pricing.Bill:
    """The bill of 120 m³ over year N at the prices of ``version`` (in force at 1 January of N).

    The price at 1 January is kept for the whole year (a later version is not
    applied): the version is extended over the year and restricted to the
    components of ``service``.
    """
    start, end = _year_bounds(year)
    components = tuple(c for c in version.components if _part(c) == service)
    frozen = replace(version, valid_from=start, valid_to=None, components=components)
    request = pricing.BillRequest(
        period_start=start,
        period_end=end,
        volume=rules.REFERENCE_VOLUME,
        diameter_mm=REFERENCE_DIAMETER_MM,
    )
    return pricing.price([frozen], request)


def zone_prices(year: int) -> list[dict]:
    """Per tariff zone (a version in force at 1 January of N), the 120 m³ price of each service."""
    jan1 = dt.date(year, 1, 1)
    versions = (
        TariffVersion.objects.filter(valid_from__lte=jan1)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=jan1))
        .prefetch_related("zones")
        .order_by("code")
    )
    result = []
    for version in versions:
        parsed = priced(version)
        row = {"code": version.code, "label": version.label}
        row["communes"] = ", ".join(sorted(z.commune_insee for z in version.zones.all()))
        for service in (rules.WATER, rules.SANITATION):
            if not any(_part(c) == service for c in parsed.components):
                row[service] = None
                continue
            try:
                row[service] = price_of_120_m3(parsed, year, service).total_incl_vat
            except pricing.PricingError:
                # e.g. no subscription price for the reference meter: no price to publish
                row[service] = None
        result.append(row)
    return result


# --- the report -------------------------------------------------------------------------------


COLUMNS = [
    Column("code", _("Indicateur")),
    Column("label", _("Libellé")),
    Column("service", _("Service")),
    Column("numerator", _("Numérateur"), Kind.DECIMAL),
    Column("denominator", _("Dénominateur"), Kind.DECIMAL),
    Column("value", _("Valeur"), Kind.DECIMAL),
    Column("unit", _("Unité")),
]

PRICE_COLUMNS = [
    Column("code", _("Tarif")),
    Column("label", _("Zone tarifaire")),
    Column("communes", _("Communes (INSEE)")),
    Column("water_bill", _("Facture eau 120 m³ TTC"), Kind.MONEY),
    Column("water_price", _("D102.0 — €/m³ TTC"), Kind.DECIMAL),
    Column("sanitation_bill", _("Facture assainissement 120 m³ TTC"), Kind.MONEY),
    Column("sanitation_price", _("D204.0 — €/m³ TTC"), Kind.DECIMAL),
    Column("total_price", _("Eau + assainissement — €/m³ TTC"), Kind.DECIMAL),
]


def indicators(centres: list[int], year: int, zones: list[dict]) -> list[rules.Indicator]:
    """Every indicator of year ``year`` over ``centres``, in the order of the report."""
    out: list[rules.Indicator] = []
    for index, service in enumerate((rules.WATER, rules.SANITATION)):
        code = CODES["unpaid"][index]
        unpaid, billed = unpaid_figures(centres, year, service)
        out.append(
            rules.Indicator(
                code,
                _("Taux d'impayés sur les factures de l'année précédente"),
                service,
                unpaid,
                billed,
                rules.unpaid_rate(unpaid, billed),
                "%",
            )
        )
    claims = written_claims(centres, year)
    for index, service in enumerate((rules.WATER, rules.SANITATION)):
        subscribers = customers(centres, year, service)
        out.append(
            rules.Indicator(
                CODES["claims"][index],
                _("Taux de réclamations écrites"),
                service,
                claims,
                subscribers,
                rules.claims_rate(claims, subscribers),
                _("pour 1 000 abonnés"),
            )
        )
    for index, service in enumerate((rules.WATER, rules.SANITATION)):
        written_off = social_write_offs(centres, year, service)
        volume = volume_billed(centres, year, service)
        out.append(
            rules.Indicator(
                CODES["solidarity"][index],
                _("Abandons de créances et versements à un fonds de solidarité"),
                service,
                written_off,
                volume,
                rules.solidarity_per_m3(written_off, ZERO, volume),
                _("€/m³ facturé (HT)"),
            )
        )
    within, done = openings(centres, year)
    out.append(
        rules.Indicator(
            "P152.1",
            _("Respect du délai d'ouverture des branchements"),
            rules.WATER,
            within,
            done,
            rules.opening_delay_rate(within, done),
            "%",
        )
    )
    for index, service in enumerate((rules.WATER, rules.SANITATION)):
        bills = [z[service] for z in zones if z[service] is not None]
        # One zone: its price; several: see the table per zone (no weighted mean is defined).
        value = rules.price_per_m3(bills[0]) if len(bills) == 1 else None
        out.append(
            rules.Indicator(
                CODES["price"][index],
                _("Prix TTC du service au m³ pour 120 m³ au 1er janvier"),
                service,
                bills[0] if len(bills) == 1 else None,
                rules.REFERENCE_VOLUME if len(bills) == 1 else None,
                value,
                _("€/m³ TTC"),
            )
        )
    return out


def _unpaid_link(params: Params, service: str) -> str:
    return (
        reverse("reporting:report", args=["rpqs-unpaid"])
        + "?"
        + urlencode(params.query(service=service))
    )


def build(user, params: Params) -> list[Table]:
    year = params.year
    centres = centre_ids(user, params.entity)
    zones = zone_prices(year)
    rows = []
    for indicator in indicators(centres, year, zones):
        link = _unpaid_link(params, indicator.service) if indicator.code in CODES["unpaid"] else ""
        rows.append(
            Row(
                {
                    "code": indicator.code,
                    "label": str(indicator.label),
                    "service": str(SERVICE_LABELS[indicator.service]),
                    "numerator": indicator.numerator,
                    "denominator": indicator.denominator,
                    "value": indicator.value,
                    "unit": str(indicator.unit),
                },
                link=link,
            )
        )
    table = Table(
        title=_("Indicateurs RPQS %(year)s") % {"year": year},
        columns=COLUMNS,
        rows=rows,
        key="rpqs",
        notes=[
            str(n)
            for n in (
                _(
                    "Sources : décret n° 2007-675 et arrêté du 2 mai 2007 (annexes V et VI), "
                    "fiches indicateurs SISPEA. Détail des formules : docs/domain/rpqs.md."
                ),
                _(
                    "P154.0 / P257.0 = montant restant impayé au 31/12/%(n)s sur les factures "
                    "émises en %(p)s ÷ montant TTC facturé en %(p)s (avoirs déduits, travaux "
                    "exclus) × 100. Le reste dû est reconstitué à la date du 31/12/%(n)s ; une "
                    "admission en non-valeur reste un impayé. Une facture commune eau et "
                    "assainissement compte pour les deux services."
                )
                % {"n": year, "p": year - 1},
                _(
                    "P155.1 / P258.1 = réclamations écrites (courrier, e-mail, formulaire web) "
                    "reçues en %(n)s ÷ abonnés au 31/12/%(n)s × 1 000. Les réclamations ne "
                    "précisant pas le service, le même nombre vaut pour les deux."
                )
                % {"n": year},
                _(
                    "P109.0 / P207.0 = abandons de créances à caractère social (effacement "
                    "pour surendettement) HT + versements à un fonds de solidarité, ÷ m³ "
                    "facturés en %(n)s. Robinet n'enregistre pas de versement à un fonds de "
                    "solidarité (FSL) : ils sont comptés 0."
                )
                % {"n": year},
                _(
                    "P152.1 = ouvertures de branchement réalisées dans le délai de prise en "
                    "charge ÷ ouvertures réalisées en %(n)s × 100."
                )
                % {"n": year},
                _(
                    "D102.0 / D204.0 = facture TTC de 120 m³ (compteur %(d)s mm) aux tarifs en "
                    "vigueur au 1er janvier %(n)s ÷ 120 ; avec plusieurs zones tarifaires, voir "
                    "le tableau par zone."
                )
                % {"n": year, "d": REFERENCE_DIAMETER_MM},
            )
        ],
    )
    price_rows = []
    for zone in zones:
        water, sanitation = zone[rules.WATER], zone[rules.SANITATION]
        both = None
        if water is not None or sanitation is not None:
            both = rules.price_per_m3((water or ZERO) + (sanitation or ZERO))
        price_rows.append(
            Row(
                {
                    "code": zone["code"],
                    "label": zone["label"],
                    "communes": zone["communes"],
                    "water_bill": water,
                    "water_price": rules.price_per_m3(water) if water is not None else None,
                    "sanitation_bill": sanitation,
                    "sanitation_price": (
                        rules.price_per_m3(sanitation) if sanitation is not None else None
                    ),
                    "total_price": both,
                }
            )
        )
    prices = Table(
        title=_("Prix du service pour 120 m³ au 1er janvier %(year)s") % {"year": year},
        columns=PRICE_COLUMNS,
        rows=price_rows,
        key="prix-120m3",
        notes=[
            str(
                _(
                    "Facture annuelle de 120 m³ calculée par le moteur de tarification (le même "
                    "que le simulateur du portail), compteur de %(d)s mm, un logement, tarif en "
                    "vigueur au 1er janvier %(n)s maintenu sur l'année. Eau : distribution et "
                    "redevances des organismes publics liées à l'eau ; assainissement : "
                    "collecte, traitement et redevances liées à l'assainissement. TVA comprise."
                )
                % {"d": REFERENCE_DIAMETER_MM, "n": year}
            )
        ],
    )
    return [table, prices]


# --- drill-down: the N−1 invoices unpaid at 31/12/N, by account -------------------------------

UNPAID_COLUMNS = [
    Column("account", _("Compte")),
    Column("name", _("Client")),
    Column("invoices", _("Factures N−1"), Kind.INT),
    Column("billed", _("Facturé TTC"), Kind.MONEY),
    Column("unpaid", _("Impayé au 31/12/N"), Kind.MONEY),
]


def build_unpaid(user, params: Params) -> list[Table]:
    """The accounts behind P154.0 / P257.0: N−1 invoices and what was unpaid at 31/12/N."""
    year = params.year
    service = params.extra.get("service", rules.WATER)
    if service not in SERVICE_LABELS:
        service = rules.WATER
    _start, year_end = _year_bounds(year)
    centres = centre_ids(user, params.entity)
    invoices = previous_year_invoices(centres, year, service)
    items = OpenItem.objects.filter(invoice__in=invoices)
    per_account: dict[int, dict] = {}
    billed_rows = items.values("account_id").annotate(
        billed=Sum("amount"), open_now=Sum("open_amount")
    )
    for row in billed_rows:
        per_account[row["account_id"]] = {
            "billed": row["billed"] or ZERO,
            "unpaid": row["open_now"] or ZERO,
            "invoices": 0,
        }
    for row in invoices.values("account_id").annotate(n=Count("pk")):
        per_account.setdefault(row["account_id"], {"billed": ZERO, "unpaid": ZERO})
        per_account[row["account_id"]]["invoices"] = row["n"]
    allocations = Allocation.objects.filter(debit__in=items)
    later = allocations.filter(
        Q(allocated_on__gt=year_end)
        | Q(allocated_on__lte=year_end, credit__kind=OpenItemKind.WRITE_OFF)
    )
    for row in later.values("debit__account_id").annotate(total=Sum("amount")):
        per_account[row["debit__account_id"]]["unpaid"] += row["total"] or ZERO
    accounts = {
        a.pk: a
        for a in CustomerAccount.objects.filter(
            pk__in=[pk for pk, f in per_account.items() if f["unpaid"]]
        ).select_related("party")
    }
    rows = []
    for pk, account in sorted(accounts.items(), key=lambda kv: -per_account[kv[0]]["unpaid"]):
        figures = per_account[pk]
        rows.append(
            Row(
                {
                    "account": account.number,
                    "name": str(account.party),
                    "invoices": figures["invoices"],
                    "billed": figures["billed"],
                    "unpaid": figures["unpaid"],
                },
                link=reverse("ledger:account-statement", args=[account.number]),
            )
        )
    return [
        Table(
            title=_("Factures %(p)s impayées au 31/12/%(n)s — %(s)s")
            % {"p": year - 1, "n": year, "s": SERVICE_LABELS[service]},
            columns=UNPAID_COLUMNS,
            rows=rows,
            footer=[total_row(UNPAID_COLUMNS, rows, "account", str(_("Total")))] if rows else [],
            key="impayes",
            notes=[
                str(
                    _(
                        "Comptes ayant un reste dû au 31/12/%(n)s sur des factures émises en "
                        "%(p)s (%(code)s)."
                    )
                    % {
                        "n": year,
                        "p": year - 1,
                        "code": CODES["unpaid"][0 if service == rules.WATER else 1],
                    }
                )
            ],
        )
    ]


register(
    ReportDef(
        name="rpqs",
        title=_("Indicateurs RPQS"),
        rule="REP-3",
        description=_(
            "Indicateurs de performance du rapport annuel sur le prix et la qualité du service "
            "(arrêté du 2 mai 2007) : impayés, réclamations, solidarité, prix de 120 m³."
        ),
        build=build,
        params=("year", "entity"),
        order=10,
    )
)

register(
    ReportDef(
        name="rpqs-unpaid",
        title=_("RPQS — factures de l'année précédente impayées"),
        rule="REP-3",
        description=_("Les comptes derrière le taux d'impayés P154.0 / P257.0."),
        build=build_unpaid,
        params=("year", "entity"),
        extra=("service",),
        listed=False,
        order=11,
    )
)
