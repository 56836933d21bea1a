"""Control reports of customer requests (*rapports de pilotage*, CASE-10, seed 003 §5.3).

Each report is a table of figures per centre, team or user. A figure is one
conditional ``COUNT`` (or ``SUM``) of an aggregated query grouped by that key,
scoped to the entities where the user holds ``case.supervise``; the rows
behind a figure are the same base queryset filtered by the same group and the
same condition, so a drill-down always lists exactly the rows counted.

A report is made of one or more *sources* (a base queryset, the path of its
centre for scoping, the field it groups by) and their *measures*:

* ``count``: the rows matching ``when``;
* ``rate``: the share of the rows matching ``of`` that do NOT match ``when``
  (``when`` describes the missing data: the drill-down lists what to correct);
* ``amount``: ``SUM(amount)`` of the rows matching ``when``, or their count
  times a unit price taken from the price list;
* ``oldest``: the age in days of the oldest row matching ``when``.

The age buckets of unanswered mail are counted in working days on the
national calendar (:func:`age_cutoffs`, a pure rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from robinet.billing.choices import QuoteStatus
from robinet.billing.models import PriceListItem, Quote
from robinet.cases.choices import (
    OPEN_STATUSES,
    WRITTEN_CHANNELS,
    CaseStatus,
    Direction,
    InterventionKind,
    InterventionStatus,
    TaskStatus,
)
from robinet.cases.models import Case, Contact, Intervention, Task, Team
from robinet.core import clock
from robinet.core.calendar import WorkingCalendar, working_calendar
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.core.money import round_money
from robinet.customers.choices import (
    CLASSES_WITH_SIRET,
    AccountStatus,
    ContractStatus,
    CustomerClass,
    MeterAccessibility,
)
from robinet.customers.models import Contract, CustomerAccount, ServicePoint
from robinet.organisation.access import require, scope_for
from robinet.organisation.models import Entity, User
from robinet.organisation.roles import Perm

PERM = Perm.CASE_SUPERVISE
#: the group key of rows without a team or an author
NO_GROUP = "none"
HUNDRED = Decimal(100)

# --- definitions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    when: Q
    kind: str = "count"  # count | rate | amount | oldest
    of: Q | None = None  # rate: the rows the rate is computed on
    amount: object = None  # amount: an expression summed over the rows
    unit: Decimal | None = None  # amount: a price per row (fees)


@dataclass(frozen=True)
class Source:
    queryset: Callable[[], QuerySet]
    scope_field: str  # path to the row's centre
    group_field: str  # path to the group (an Entity, a Team or a User)
    measures: tuple[Measure, ...]
    columns: tuple[Column, ...]  # of the drill-down list


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[object], object]


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    description: str
    group_label: str
    group_model: str  # entity | team | user
    sources: Callable[[], tuple[Source, ...]]
    ordering: tuple[str, ...] = ("pk",)


@dataclass
class Cell:
    """One figure: its value, and the number of rows its drill-down lists."""

    measure: Measure
    value: object = None
    rows: int = 0
    of: int = 0  # rate: the rows the rate is computed on


@dataclass
class Line:
    group: str
    label: str
    cells: list[Cell] = field(default_factory=list)


# --- pure rules ------------------------------------------------------------------------------


#: age buckets of unanswered mail, in working days: (key, label, lowest age, highest age)
AGE_BUCKETS = (
    ("age_0_2", _("0 à 2 j"), 0, 2),
    ("age_3_5", _("3 à 5 j"), 3, 5),
    ("age_6_10", _("6 à 10 j"), 6, 10),
    ("age_11_15", _("11 à 15 j"), 11, 15),
    ("age_16", _("plus de 15 j"), 16, None),
)


def earliest_day_within(today: dt.date, working_days: int, calendar: WorkingCalendar) -> dt.date:
    """The earliest day ``d`` with at most ``working_days`` working days in ``(d, today]``.

    A case opened on a day ``>= d`` is at most ``working_days`` working days old.
    """
    day, count = today, 0
    while True:
        count_before = count + calendar.is_working_day(day)
        if count_before > working_days:
            return day
        day, count = day - dt.timedelta(days=1), count_before


def age_cutoffs(today: dt.date, calendar: WorkingCalendar) -> dict[str, tuple]:
    """For each bucket, the (from, until) days of opening: from inclusive, until exclusive."""
    cutoffs = {}
    for key, _label, low, high in AGE_BUCKETS:
        start = earliest_day_within(today, high, calendar) if high is not None else None
        end = earliest_day_within(today, low - 1, calendar) if low > 0 else None
        cutoffs[key] = (start, end)
    return cutoffs


def rate(present: int, total: int) -> Decimal | None:
    """Percentage with one decimal (``None`` when there is nothing to measure)."""
    if not total:
        return None
    return (Decimal(present) * HUNDRED / Decimal(total)).quantize(Decimal("0.1"))


def price_incl_vat(item: PriceListItem) -> Decimal:
    return round_money(item.unit_price * (HUNDRED + item.vat_rate) / HUNDRED)


# --- formatting helpers of the drill-down columns --------------------------------------------


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _day(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _account(account) -> str:
    return f"{account.number} {account.party.display_name}" if account else ""


def _name(obj) -> str:
    return str(obj) if obj else ""


def _user(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- the reports -----------------------------------------------------------------------------

CASE_COLUMNS = (
    Column(_("N° de dossier"), lambda c: c.number),
    Column(_("Ouvert le"), lambda c: _when(c.opened_at)),
    Column(_("Type"), lambda c: c.case_type.label),
    Column(_("Client"), lambda c: _account(c.account)),
    Column(_("Canal"), lambda c: c.get_channel_display()),
    Column(_("État"), lambda c: c.get_status_display()),
    Column(_("Équipe"), lambda c: _name(c.team)),
    Column(_("Centre"), lambda c: c.centre.name),
    Column(_("Anomalie"), lambda c: c.anomaly),
)


def _cases() -> QuerySet:
    return Case.objects.select_related("case_type", "account__party", "team", "centre")


def _anomaly_sources() -> tuple[Source, ...]:
    open_task = Task.objects.filter(case=OuterRef("pk"), status=TaskStatus.OPEN)
    anomaly = ~Q(anomaly="")
    paused = Q(status=CaseStatus.PAUSED)
    no_task = Q(status=CaseStatus.DEFERRED) & ~Q(Exists(open_task))
    return (
        Source(
            queryset=lambda: _cases().filter(status__in=OPEN_STATUSES),
            scope_field="centre",
            group_field="centre",
            measures=(
                Measure("anomaly", _("En anomalie"), anomaly),
                Measure("paused", _("En pause"), paused),
                Measure("deferred_no_task", _("Différés sans tâche ouverte"), no_task),
                Measure("to_fix", _("Total à corriger"), anomaly | paused | no_task),
            ),
            columns=CASE_COLUMNS,
        ),
    )


def _contact_sources() -> tuple[Source, ...]:
    return (
        Source(
            queryset=lambda: Contact.objects.filter(case__isnull=True).select_related(
                "account__party", "centre", "recorded_by"
            ),
            scope_field="centre",
            group_field="recorded_by",
            measures=(
                Measure("inbound", _("Entrants non rattachés"), Q(direction=Direction.INBOUND)),
                Measure("outbound", _("Sortants non rattachés"), Q(direction=Direction.OUTBOUND)),
                Measure("total", _("Total"), Q()),
            ),
            columns=(
                Column(_("Date du contact"), lambda c: _when(c.occurred_at)),
                Column(_("Sens"), lambda c: c.get_direction_display()),
                Column(_("Canal"), lambda c: c.get_channel_display()),
                Column(_("Client"), lambda c: _account(c.account)),
                Column(_("Objet"), lambda c: c.subject),
                Column(_("Enregistré par"), lambda c: _user(c.recorded_by)),
                Column(_("Centre"), lambda c: c.centre.name),
            ),
        ),
    )


#: fees billed for a field intervention when the price list has the item (seed 003 §5.1.6)
INTERVENTION_FEES = (
    (
        "missed",
        _("RDV manqués"),
        "FRAIS-RDV-MANQUE",
        Q(status=InterventionStatus.MISSED),
    ),
    (
        "opening",
        _("Réouvertures réalisées"),
        "FRAIS-OUVERTURE",
        Q(status=InterventionStatus.DONE, kind=InterventionKind.OPENING),
    ),
    (
        "closing",
        _("Fermetures réalisées"),
        "FRAIS-FERMETURE",
        Q(status=InterventionStatus.DONE, kind=InterventionKind.CLOSING),
    ),
)


def _fee_prices(on: dt.date) -> dict[str, Decimal]:
    """Price incl. VAT of the fee items in force on ``on`` (absent: the fee is not charged)."""
    codes = [code for _k, _l, code, _q in INTERVENTION_FEES]
    items = PriceListItem.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on), code__in=codes, valid_from__lte=on
    )
    return {item.code: price_incl_vat(item) for item in items}


def _unbilled_sources() -> tuple[Source, ...]:
    prices = _fee_prices(clock.today())
    fee_measures: list[Measure] = []
    for key, label, code, when in INTERVENTION_FEES:
        if code not in prices:
            continue
        fee_measures.append(Measure(key, label, when))
        fee_measures.append(
            Measure(
                f"{key}_amount",
                _("Montant TTC (%(label)s)") % {"label": label},
                when,
                kind="amount",
                unit=prices[code],
            )
        )
    remaining = F("total_incl_vat") - F("deposit_incl_vat")
    sources = []
    if fee_measures:
        sources.append(
            Source(
                queryset=lambda: (
                    Intervention.objects.filter(fee_invoice__isnull=True)
                    .exclude(account__isnull=True)
                    .select_related("case", "account__party", "centre")
                ),
                scope_field="centre",
                group_field="centre",
                measures=tuple(fee_measures),
                columns=(
                    Column(_("N° d'intervention"), lambda i: i.number),
                    Column(_("Dossier"), lambda i: i.case.number),
                    Column(_("Type"), lambda i: i.get_kind_display()),
                    Column(_("État"), lambda i: i.get_status_display()),
                    Column(_("Client"), lambda i: _account(i.account)),
                    Column(_("Compte rendu le"), lambda i: _when(i.reported_at)),
                    Column(_("Centre"), lambda i: i.centre.name),
                ),
            )
        )
    sources.append(
        Source(
            queryset=lambda: Quote.objects.filter(status=QuoteStatus.ACCEPTED).select_related(
                "account__party", "account__centre"
            ),
            scope_field="account__centre",
            group_field="account__centre",
            measures=(
                Measure("quotes", _("Devis acceptés non facturés"), Q()),
                Measure(
                    "quotes_amount",
                    _("Reste à facturer TTC (devis)"),
                    Q(),
                    kind="amount",
                    amount=remaining,
                ),
            ),
            columns=(
                Column(_("N° de devis"), lambda q: q.number),
                Column(_("Objet"), lambda q: q.subject),
                Column(_("Client"), lambda q: _account(q.account)),
                Column(_("Accepté le"), lambda q: _day(q.decided_on)),
                Column(_("Travaux réalisés le"), lambda q: _day(q.works_done_on)),
                Column(_("Total TTC"), lambda q: q.total_incl_vat),
                Column(_("Acompte TTC"), lambda q: q.deposit_incl_vat),
                Column(_("Centre"), lambda q: q.account.centre.name),
            ),
        )
    )
    return tuple(sources)


ACCOUNT_COLUMNS = (
    Column(_("N° client"), lambda a: a.number),
    Column(_("Client"), lambda a: a.party.display_name),
    Column(_("Classe"), lambda a: a.get_customer_class_display()),
    Column(_("Portable"), lambda a: a.party.mobile),
    Column(_("E-mail"), lambda a: a.party.email),
    Column(_("Centre"), lambda a: a.centre.name),
)


def _accounts() -> QuerySet:
    return CustomerAccount.objects.filter(status=AccountStatus.ACTIVE).select_related(
        "party", "centre"
    )


def _completion_sources() -> tuple[Source, ...]:
    individual = Q(customer_class=CustomerClass.INDIVIDUAL)
    professional = Q(customer_class__in=CLASSES_WITH_SIRET)
    occupied = Contract.objects.filter(service_point=OuterRef("pk"), status=ContractStatus.ACTIVE)
    return (
        Source(
            queryset=_accounts,
            scope_field="centre",
            group_field="centre",
            measures=(
                Measure("accounts", _("Comptes actifs"), Q()),
                Measure("mobile", _("Portable"), Q(party__mobile=""), "rate", Q()),
                Measure("email", _("E-mail"), Q(party__email=""), "rate", Q()),
                Measure(
                    "contact_method",
                    _("Canal de contact privilégié"),
                    Q(party__preferred_contact_method=""),
                    "rate",
                    Q(),
                ),
                Measure("iban", _("IBAN"), Q(iban=""), "rate", Q()),
                Measure(
                    "birth_date",
                    _("Date de naissance (particuliers)"),
                    individual & Q(party__birth_date__isnull=True),
                    "rate",
                    individual,
                ),
                Measure(
                    "siret",
                    _("SIRET (professionnels)"),
                    professional & Q(party__siret=""),
                    "rate",
                    professional,
                ),
                Measure(
                    "naf",
                    _("Code NAF (professionnels)"),
                    professional & Q(naf_code=""),
                    "rate",
                    professional,
                ),
            ),
            columns=ACCOUNT_COLUMNS,
        ),
        Source(
            queryset=lambda: ServicePoint.objects.filter(Exists(occupied)).select_related("centre"),
            scope_field="centre",
            group_field="centre",
            measures=(
                Measure(
                    "meter_access",
                    _("Accessibilité du compteur"),
                    Q(meter_accessibility=MeterAccessibility.UNKNOWN),
                    "rate",
                    Q(),
                ),
            ),
            columns=(
                Column(_("Point de desserte"), lambda s: s.reference),
                Column(_("Adresse"), lambda s: f"{s.street_number} {s.street} {s.city}".strip()),
                Column(_("Emplacement du compteur"), lambda s: s.meter_location),
                Column(_("Accessibilité"), lambda s: s.get_meter_accessibility_display()),
                Column(_("Centre"), lambda s: s.centre.name),
            ),
        ),
    )


def _task_sources() -> tuple[Source, ...]:
    now = clock.now()
    return (
        Source(
            queryset=lambda: Task.objects.filter(status=TaskStatus.OPEN).select_related(
                "case__centre", "team"
            ),
            scope_field="case__centre",
            group_field="team",
            measures=(
                Measure("open", _("Tâches ouvertes"), Q()),
                Measure("overdue", _("En retard"), Q(due_at__lt=now)),
                Measure(
                    "older_30",
                    _("Ouvertes depuis plus de 30 jours"),
                    Q(created_at__lt=now - dt.timedelta(days=30)),
                ),
                Measure("oldest", _("Ancienneté de la plus ancienne (jours)"), Q(), "oldest"),
            ),
            columns=(
                Column(_("Dossier"), lambda t: t.case.number),
                Column(_("Action"), lambda t: t.action),
                Column(_("Créée le"), lambda t: _when(t.created_at)),
                Column(_("À faire pour le"), lambda t: _when(t.due_at)),
                Column(_("Équipe"), lambda t: t.team.name),
                Column(_("Centre"), lambda t: t.case.centre.name),
            ),
        ),
    )


def _payment_sources() -> tuple[Source, ...]:
    return (
        Source(
            queryset=_accounts,
            scope_field="centre",
            group_field="centre",
            measures=(
                Measure("accounts", _("Comptes actifs"), Q()),
                Measure("direct_debit", _("Prélèvement"), Q(direct_debit=False), "rate", Q()),
                Measure(
                    "monthly_payment", _("Mensualisation"), Q(monthly_payment=False), "rate", Q()
                ),
                Measure("e_invoice", _("E-facture"), Q(e_invoice=False), "rate", Q()),
                Measure("iban", _("IBAN"), Q(iban=""), "rate", Q()),
            ),
            columns=ACCOUNT_COLUMNS,
        ),
    )


def _mail_sources() -> tuple[Source, ...]:
    measures = []
    for key, label, _low, _high in AGE_BUCKETS:
        start, end = age_cutoffs(clock.today(), working_calendar(None))[key]
        when = Q()
        if start is not None:
            when &= Q(opened_at__gte=_start_of(start))
        if end is not None:
            when &= Q(opened_at__lt=_start_of(end))
        measures.append(Measure(key, label, when))
    measures.append(Measure("total", _("Stock"), Q()))
    return (
        Source(
            queryset=lambda: _cases().filter(
                status__in=OPEN_STATUSES,
                channel__in=WRITTEN_CHANNELS,
                answered_at__isnull=True,
            ),
            scope_field="centre",
            group_field="team",
            measures=tuple(measures),
            columns=CASE_COLUMNS,
        ),
    )


REPORTS: dict[str, Report] = {
    r.slug: r
    for r in (
        Report(
            "anomalies",
            _("Dossiers en anomalie ou en pause"),
            _(
                "Dossiers non clôturés à reprendre : en anomalie, en pause ou en traitement "
                "différé sans tâche ouverte. Annulez, clôturez ou faites avancer chaque dossier."
            ),
            _("Centre"),
            "entity",
            _anomaly_sources,
            ("opened_at", "pk"),
        ),
        Report(
            "unattached-contacts",
            _("Contacts non rattachés à un dossier"),
            _("Contacts entrants et sortants sans dossier, par utilisateur qui les a saisis."),
            _("Enregistré par"),
            "user",
            _contact_sources,
            ("occurred_at", "pk"),
        ),
        Report(
            "unbilled",
            _("Montants facturables non facturés"),
            _(
                "Déplacements facturables sans facture (rendez-vous manqués, réouvertures et "
                "fermetures réalisées) lorsque le bordereau de prix prévoit le frais, et devis "
                "de travaux acceptés non encore facturés."
            ),
            _("Centre"),
            "entity",
            _unbilled_sources,
        ),
        Report(
            "data-completion",
            _("Taux de remplissage des données clients"),
            _(
                "Part des comptes actifs dont la donnée est renseignée ; le lien liste les "
                "comptes où elle manque."
            ),
            _("Centre"),
            "entity",
            _completion_sources,
        ),
        Report(
            "tasks",
            _("Tâches à traiter par équipe"),
            _("Tâches ouvertes de chaque équipe : en retard, anciennes, la plus ancienne."),
            _("Équipe"),
            "team",
            _task_sources,
            ("created_at", "pk"),
        ),
        Report(
            "payment-services",
            _("Prélèvement, mensualisation, e-facture et IBAN"),
            _(
                "Taux de souscription des services par centre ; le lien liste les comptes "
                "qui n'en bénéficient pas encore (à proposer au prochain contact)."
            ),
            _("Centre"),
            "entity",
            _payment_sources,
        ),
        Report(
            "unanswered-mail",
            _("Stock et ancienneté des courriers sans réponse"),
            _(
                "Dossiers ouverts par courrier, e-mail ou formulaire web sans réponse écrite, "
                "par ancienneté en jours ouvrés depuis l'ouverture."
            ),
            _("Équipe"),
            "team",
            _mail_sources,
            ("opened_at", "pk"),
        ),
    )
}


# --- selectors -------------------------------------------------------------------------------


def report_list(*, user) -> list[Report]:
    require(user, PERM)
    return list(REPORTS.values())


def report_get(*, user, slug: str) -> Report:
    require(user, PERM)
    try:
        return REPORTS[slug]
    except KeyError:
        raise NotFound(_("Rapport inconnu.")) from None


def _scoped(user, source: Source) -> QuerySet:
    return source.queryset().filter(scope_for(user).entity_filter(PERM, source.scope_field))


def _aggregates(measure: Measure) -> dict[str, object]:
    key = measure.key
    if measure.kind == "rate":
        return {
            f"{key}__rows": Count("pk", filter=measure.when & measure.of),
            f"{key}__of": Count("pk", filter=measure.of),
        }
    if measure.kind == "amount" and measure.amount is not None:
        return {
            f"{key}__rows": Count("pk", filter=measure.when),
            f"{key}__sum": Sum(measure.amount, filter=measure.when),
        }
    if measure.kind == "oldest":
        return {
            f"{key}__rows": Count("pk", filter=measure.when),
            f"{key}__min": Min("created_at", filter=measure.when),
        }
    return {f"{key}__rows": Count("pk", filter=measure.when)}


def _cell(measure: Measure, values: dict) -> Cell:
    key = measure.key
    rows = values.get(f"{key}__rows") or 0
    if measure.kind == "rate":
        total = values.get(f"{key}__of") or 0
        return Cell(measure, rate(total - rows, total), rows, total)
    if measure.kind == "amount":
        if measure.unit is not None:
            return Cell(measure, measure.unit * rows, rows)
        return Cell(measure, values.get(f"{key}__sum") or Decimal("0.00"), rows)
    if measure.kind == "oldest":
        oldest = values.get(f"{key}__min")
        return Cell(measure, (clock.now() - oldest).days if oldest else None, rows)
    return Cell(measure, rows, rows)


def total_cells(measures: list[Measure], lines: list[Line]) -> list[Cell]:
    """The "all groups" line: counts and amounts summed, rates recomputed, oldest the max."""
    cells = []
    for index, measure in enumerate(measures):
        column = [line.cells[index] for line in lines]
        rows = sum(c.rows for c in column)
        if measure.kind == "rate":
            of = sum(c.of for c in column)
            cells.append(Cell(measure, rate(of - rows, of), rows, of))
        elif measure.kind == "oldest":
            ages = [c.value for c in column if c.value is not None]
            cells.append(Cell(measure, max(ages) if ages else None, rows))
        elif measure.kind == "amount":
            cells.append(Cell(measure, sum((c.value for c in column), Decimal("0.00")), rows))
        else:
            cells.append(Cell(measure, rows, rows))
    return cells


def _group_key(value) -> str:
    return NO_GROUP if value is None else str(value)


def _labels(model: str, keys: Iterable[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k != NO_GROUP]
    if model == "entity":
        labels = {str(e.pk): e.name for e in Entity.objects.filter(pk__in=ids)}
        none = _("Sans centre")
    elif model == "team":
        labels = {
            str(t.pk): f"{t.name} ({t.entity.name})"
            for t in Team.objects.filter(pk__in=ids).select_related("entity")
        }
        none = _("Sans équipe")
    else:
        labels = {str(u.pk): _user(u) for u in User.objects.filter(pk__in=ids)}
        none = _("Traitement automatique")
    labels[NO_GROUP] = str(none)
    return labels


def report_measures(report: Report) -> list[Measure]:
    return [m for source in report.sources() for m in source.measures]


def report_figures(*, user, report: Report) -> tuple[list[Measure], list[Line]]:
    """The report's measures and its lines (one per group), one aggregated query per source."""
    require(user, PERM)
    sources = report.sources()
    measures = [m for source in sources for m in source.measures]
    by_group: dict[str, dict] = {}
    for source in sources:
        aggregates: dict[str, object] = {}
        for measure in source.measures:
            aggregates.update(_aggregates(measure))
        grouped = (
            _scoped(user, source)
            .order_by()
            .values(source.group_field)
            .annotate(**aggregates)
            .values(source.group_field, *aggregates)
        )
        for values in grouped:
            group = _group_key(values.pop(source.group_field))
            by_group.setdefault(group, {}).update(values)
    labels = _labels(report.group_model, by_group)
    lines = [
        Line(group, labels.get(group, group), [_cell(m, values) for m in measures])
        for group, values in by_group.items()
    ]
    lines.sort(key=lambda line: (line.group == NO_GROUP, line.label))
    return measures, lines


def report_rows(
    *, user, report: Report, group: str, measure: str
) -> tuple[Measure, Source, QuerySet]:
    """The rows behind one figure: the scoped base rows of ``group`` matching the measure."""
    require(user, PERM)
    for source in report.sources():
        found = next((m for m in source.measures if m.key == measure), None)
        if found is not None:
            break
    else:
        raise ValidationFailed({"measure": [_("Indicateur inconnu pour ce rapport.")]})
    if group == NO_GROUP:
        in_group = Q(**{f"{source.group_field}__isnull": True})
    elif group.isdigit():
        in_group = Q(**{source.group_field: int(group)})
    else:
        raise ValidationFailed({"group": [_("Groupe invalide.")]})
    condition = found.when & found.of if found.kind == "rate" else found.when
    rows = _scoped(user, source).filter(in_group).filter(condition)
    ordering = report.ordering if found.kind != "rate" else ("pk",)
    return found, source, rows.order_by(*ordering)


def group_label(report: Report, group: str) -> str:
    return _labels(report.group_model, [group] if group == NO_GROUP or group.isdigit() else []).get(
        group, group
    )
