"""Collection outcomes (REP-2): dunning levels, plans and promises, agencies, litigation.

Aggregates grouped by centre, level, agency or stage; plans and promises add
up the tree through :func:`scope.tree_rows` with keep rates recomputed from the
summed counts. Definitions are in ``docs/domain/recovery.md``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DateField, ExpressionWrapper, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.collections.choices import InstalmentState, PromiseState
from robinet.collections.models import (
    DunningNotice,
    Instalment,
    NoticeItem,
    PaymentPlan,
    PaymentPromise,
)
from robinet.collections.models_agencies import AgencyAssignment, AgencyReport, ReportKind
from robinet.collections.models_litigation import (
    CLOSED_STAGES,
    LitigationFile,
    LitigationItem,
    LitigationStage,
)
from robinet.ledger.models import OpenItemKind
from robinet.reporting import recovery_rules as rules
from robinet.reporting import registry
from robinet.reporting.params import Params
from robinet.reporting.registry import ReportDef, register
from robinet.reporting.scope import centre_ids, sum_figures, tree_rows
from robinet.reporting.tables import Column, Kind, Row, Table, rate, total_row

NAME = "collection-outcomes"
ZERO = Decimal("0.00")
#: days after a notice within which a payment counts as its outcome
OUTCOME_DAYS = 30


def _period(params: Params) -> tuple[dt.date, dt.date]:
    return params.start, min(params.end, params.on)


# --- (a) dunning levels -------------------------------------------------------------------------


def dunning_outcomes(centres: list[int], start: dt.date, end: dt.date, on: dt.date) -> dict:
    """Per (procedure, level): notices, amount dunned, paid in full / in part / nothing, recovered.

    A notice's outcome is what payments cleared of the items it listed within
    ``OUTCOME_DAYS`` after it was issued (and by ``on``), against what was open
    on those items when it was issued.
    """
    notices = DunningNotice.objects.filter(
        account__centre_id__in=centres, issued_on__gte=start, issued_on__lte=end
    )
    levels = {
        row["pk"]: row
        for row in notices.values(
            "pk", "procedure__label", "level__sequence", "level__label"
        ).order_by()
    }
    items = NoticeItem.objects.filter(notice__in=notices)
    dunned = {
        row["notice_id"]: row["due"]
        for row in items.values("notice_id").annotate(due=Sum("open_amount")).order_by()
    }
    window_end = ExpressionWrapper(
        F("notice__issued_on") + dt.timedelta(days=OUTCOME_DAYS), output_field=DateField()
    )
    paid = {
        row["notice_id"]: row["paid"] or ZERO
        for row in items.values("notice_id")
        .annotate(
            paid=Sum(
                "open_item__debit_allocations__amount",
                filter=Q(
                    open_item__debit_allocations__credit__kind=OpenItemKind.PAYMENT,
                    open_item__debit_allocations__allocated_on__gte=F("notice__issued_on"),
                    open_item__debit_allocations__allocated_on__lte=window_end,
                )
                & Q(open_item__debit_allocations__allocated_on__lte=on),
            )
        )
        .order_by()
    }
    result: dict = {}
    for pk, level in levels.items():
        key = (level["procedure__label"], level["level__sequence"], level["level__label"])
        figures = result.setdefault(
            key, {"notices": 0, "dunned": ZERO, "full": 0, "part": 0, "none": 0, "paid": ZERO}
        )
        due = dunned.get(pk, ZERO)
        recovered = min(paid.get(pk, ZERO), due)
        figures["notices"] += 1
        figures["dunned"] += due
        figures["paid"] += recovered
        if recovered <= 0:
            figures["none"] += 1
        elif recovered >= due:
            figures["full"] += 1
        else:
            figures["part"] += 1
    return result


def dunning_table(params: Params, centres: list[int]) -> Table:
    start, end = _period(params)
    figures = dunning_outcomes(centres, start, end, params.on)
    columns = [
        Column("procedure", _("Procédure")),
        Column("level", _("Niveau")),
        Column("notices", _("Relances émises"), Kind.INT),
        Column("dunned", _("Montant relancé"), Kind.MONEY),
        Column("full", _("Soldées"), Kind.INT),
        Column("part", _("Réglées en partie"), Kind.INT),
        Column("none", _("Sans paiement"), Kind.INT),
        Column("paid", _("Recouvré"), Kind.MONEY),
        Column("rate", _("Taux"), Kind.RATE),
    ]
    rows = [
        Row(
            {
                "procedure": procedure,
                "level": f"{sequence}. {label}",
                **values,
                "rate": rate(values["paid"], values["dunned"]),
            }
        )
        for (procedure, sequence, label), values in sorted(figures.items())
    ]
    footer = total_row(columns, rows, "procedure", _("Total"), rates={"rate": ("paid", "dunned")})
    return Table(
        title=_("Résultats par niveau de relance"),
        columns=columns,
        rows=rows,
        footer=[footer],
        notes=[
            _(
                "Relances émises dans la période ; résultat : règlements lettrés sur les "
                "factures relancées dans les %(n)s jours suivant la relance, rapportés au reste "
                "dû relancé."
            )
            % {"n": OUTCOME_DAYS}
        ],
        key="dunning-levels",
    )


# --- (b) plans and promises ---------------------------------------------------------------------


PLAN_KEYS = (
    "plans",
    "instalments_kept",
    "instalments_broken",
    "promises",
    "promises_kept",
    "promises_broken",
)


def commitment_figures(
    centres: list[int], start: dt.date, end: dt.date
) -> dict[int, dict[str, int]]:
    """Per centre: plans agreed, instalments and promises falling due in the period, kept or broken."""
    figures = {pk: dict.fromkeys(PLAN_KEYS, 0) for pk in centres}
    for row in (
        PaymentPlan.objects.filter(
            account__centre_id__in=centres, agreed_on__gte=start, agreed_on__lte=end
        )
        .values("account__centre_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        figures[row["account__centre_id"]]["plans"] = row["n"]
    for row in (
        Instalment.objects.filter(
            plan__account__centre_id__in=centres, due_on__gte=start, due_on__lte=end
        )
        .values("plan__account__centre_id")
        .annotate(
            kept=Count("pk", filter=Q(state=InstalmentState.PAID)),
            broken=Count("pk", filter=Q(state=InstalmentState.MISSED)),
        )
        .order_by()
    ):
        target = figures[row["plan__account__centre_id"]]
        target["instalments_kept"], target["instalments_broken"] = row["kept"], row["broken"]
    for row in (
        PaymentPromise.objects.filter(account__centre_id__in=centres)
        .values("account__centre_id")
        .annotate(
            made=Count("pk", filter=Q(made_on__gte=start, made_on__lte=end)),
            kept=Count("pk", filter=Q(due_on__gte=start, due_on__lte=end, state=PromiseState.KEPT)),
            broken=Count(
                "pk", filter=Q(due_on__gte=start, due_on__lte=end, state=PromiseState.BROKEN)
            ),
        )
        .order_by()
    ):
        target = figures[row["account__centre_id"]]
        target["promises"] = row["made"]
        target["promises_kept"], target["promises_broken"] = row["kept"], row["broken"]
    return figures


def keep_rates(parts: list[dict]) -> dict:
    total = {k: 0 for k in PLAN_KEYS} | sum_figures(parts)
    total["instalments_due"] = total["instalments_kept"] + total["instalments_broken"]
    total["instalments_rate"] = rules.keep_rate(total["instalments_kept"], total["instalments_due"])
    total["promises_due"] = total["promises_kept"] + total["promises_broken"]
    total["promises_rate"] = rules.keep_rate(total["promises_kept"], total["promises_due"])
    return total


def _url(params: Params, **changes) -> str:
    return registry.report_url(NAME, params, **changes)


def commitments_table(user, params: Params, centres: list[int]) -> Table:
    start, end = _period(params)
    per_centre = commitment_figures(centres, start, end)
    columns = [
        Column("entity", _("Entité")),
        Column("plans", _("Échéanciers accordés"), Kind.INT),
        Column("instalments_due", _("Échéances dues"), Kind.INT),
        Column("instalments_kept", _("Payées"), Kind.INT),
        Column("instalments_broken", _("Impayées"), Kind.INT),
        Column("instalments_rate", _("Taux de respect"), Kind.RATE),
        Column("promises", _("Promesses faites"), Kind.INT),
        Column("promises_due", _("Promesses échues"), Kind.INT),
        Column("promises_kept", _("Tenues"), Kind.INT),
        Column("promises_broken", _("Non tenues"), Kind.INT),
        Column("promises_rate", _("Taux de tenue"), Kind.RATE),
    ]
    keys = [c.key for c in columns[1:]]
    rows = [
        Row(
            {"entity": f"{child.code} {child.name}", **{k: figures[k] for k in keys}},
            link=_url(params, entity=child.code),
        )
        for child, figures in tree_rows(user, params.entity, per_centre, combine=keep_rates)
    ]
    total = keep_rates(list(per_centre.values()))
    footer = Row({"entity": _("Total"), **{k: total[k] for k in keys}}, total=True)
    return Table(
        title=_("Échéanciers et promesses de paiement"),
        columns=columns,
        rows=rows,
        footer=[footer],
        notes=[
            _(
                "Échéances et promesses dont la date tombe dans la période ; dues = payées + "
                "impayées (celles encore dans leur délai de grâce ne sont pas encore jugées). "
                "Taux = tenues ÷ dues."
            )
        ],
        key="plans-promises",
    )


# --- (c) agencies -------------------------------------------------------------------------------


def agencies_table(params: Params, centres: list[int]) -> Table:
    start, end = _period(params)
    assignments = AgencyAssignment.objects.filter(
        account__centre_id__in=centres, assigned_on__gte=start, assigned_on__lte=end
    )
    figures: dict = {}
    for row in (
        assignments.values("agency__code", "agency__name")
        .annotate(n=Count("pk"), assigned=Sum("amount"))
        .order_by()
    ):
        figures[(row["agency__code"], row["agency__name"])] = {
            "assignments": row["n"],
            "assigned": row["assigned"] or ZERO,
            "recovered": ZERO,
            "commission": ZERO,
        }
    for row in (
        AgencyReport.objects.filter(assignment__in=assignments, reported_on__lte=params.on)
        .values("agency__code", "agency__name")
        .annotate(
            recovered=Sum("amount", filter=Q(kind=ReportKind.PAYMENT)),
            commission=Sum("commission"),
        )
        .order_by()
    ):
        target = figures.get((row["agency__code"], row["agency__name"]))
        if target is not None:
            target["recovered"] = row["recovered"] or ZERO
            target["commission"] = row["commission"] or ZERO
    columns = [
        Column("agency", _("Agence")),
        Column("assignments", _("Dettes confiées"), Kind.INT),
        Column("assigned", _("Montant confié"), Kind.MONEY),
        Column("recovered", _("Recouvré"), Kind.MONEY),
        Column("rate", _("Taux"), Kind.RATE),
        Column("commission", _("Commission"), Kind.MONEY),
    ]
    rows = [
        Row(
            {
                "agency": f"{code} {name}",
                **values,
                "rate": rate(values["recovered"], values["assigned"]),
            }
        )
        for (code, name), values in sorted(figures.items())
    ]
    footer = total_row(
        columns, rows, "agency", _("Total"), rates={"rate": ("recovered", "assigned")}
    )
    return Table(
        title=_("Agences de recouvrement"),
        columns=columns,
        rows=rows,
        footer=[footer],
        notes=[
            _(
                "Dettes confiées dans la période ; recouvré et commission : encaissements "
                "déclarés par l'agence sur ces dettes jusqu'à la date du rapport."
            )
        ],
        key="agencies",
    )


# --- (d) litigation -----------------------------------------------------------------------------


def litigation_table(params: Params, centres: list[int]) -> Table:
    start, end = _period(params)
    opened = LitigationFile.objects.filter(
        account__centre_id__in=centres, opened_on__gte=start, opened_on__lte=end
    )
    figures = {
        stage: {"files": 0, "claimed": ZERO, "recovered": ZERO, "closed": 0}
        for stage in LitigationStage.values
    }
    for row in opened.values("stage").annotate(n=Count("pk"), claimed=Sum("principal")).order_by():
        figures[row["stage"]].update(files=row["n"], claimed=row["claimed"] or ZERO)
    for row in (
        LitigationItem.objects.filter(file__in=opened)
        .values("file__stage")
        .annotate(
            recovered=Sum(
                "open_item__debit_allocations__amount",
                filter=Q(
                    open_item__debit_allocations__credit__kind=OpenItemKind.PAYMENT,
                    open_item__debit_allocations__allocated_on__gte=F("file__opened_on"),
                    open_item__debit_allocations__allocated_on__lte=params.on,
                ),
            )
        )
        .order_by()
    ):
        figures[row["file__stage"]]["recovered"] = row["recovered"] or ZERO
    for row in (
        LitigationFile.objects.filter(
            account__centre_id__in=centres,
            stage__in=CLOSED_STAGES,
            closed_on__gte=start,
            closed_on__lte=end,
        )
        .values("stage")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        figures[row["stage"]]["closed"] = row["n"]
    columns = [
        Column("stage", _("Étape actuelle")),
        Column("files", _("Dossiers ouverts"), Kind.INT),
        Column("claimed", _("Principal réclamé"), Kind.MONEY),
        Column("recovered", _("Recouvré"), Kind.MONEY),
        Column("rate", _("Taux"), Kind.RATE),
        Column("closed", _("Clos dans la période"), Kind.INT),
    ]
    rows = [
        Row(
            {
                "stage": str(LitigationStage(stage).label),
                **values,
                "rate": rate(values["recovered"], values["claimed"]),
            }
        )
        for stage, values in figures.items()
        if values["files"] or values["closed"]
    ]
    footer = total_row(columns, rows, "stage", _("Total"), rates={"rate": ("recovered", "claimed")})
    return Table(
        title=_("Contentieux"),
        columns=columns,
        rows=rows,
        footer=[footer],
        notes=[
            _(
                "Dossiers ouverts dans la période, par étape actuelle ; recouvré : règlements "
                "lettrés sur les postes du dossier depuis son ouverture. Clos : dossiers payés "
                "ou abandonnés dans la période, quelle que soit leur date d'ouverture."
            )
        ],
        key="litigation",
    )


def build(user, params: Params) -> list[Table]:
    centres = centre_ids(user, params.entity)
    return [
        dunning_table(params, centres),
        commitments_table(user, params, centres),
        agencies_table(params, centres),
        litigation_table(params, centres),
    ]


register(
    ReportDef(
        name=NAME,
        title=gettext_lazy("Résultats du recouvrement"),
        rule="REP-2",
        description=gettext_lazy(
            "Résultats par niveau de relance, respect des échéanciers et des promesses, "
            "agences de recouvrement et contentieux."
        ),
        build=build,
        params=("date", "entity", "start", "end"),
        order=20,
    )
)
