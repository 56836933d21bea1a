"""JSON API of external agencies (COLL-8, ORG-4).

* ``GET /collections/agencies``: the agencies with their figures (an agency
  token: its own agency only);
* ``POST /collections/agencies/{code}/assignments``: assign accounts (201);
  400 naming ``accounts`` when one is held otherwise or has nothing overdue;
* ``GET /collections/agencies/{code}/assignments``: the live assignments, the
  export file as JSON (an agency token: its own agency, else 404);
* ``POST /collections/agencies/{code}/reports``: report lines in (the columns
  of the report file); 422 listing every problem by line and field, nothing
  written; a known reference is skipped;
* ``POST /collections/assignments/{id}/recall``: recall a debt (``reason``).

Amounts are strings. ``collection.view`` to read, ``collection.agencies`` on
the account's centre to assign and recall; ``collection.agency_work`` (an
agency's own users) to read its assignments and send its reports.
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.collections import agencies, agency_files
from robinet.collections import agency_selectors as selectors
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.core.imports import InvalidImportFile
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

router = Router(tags=["recouvrement"])


class AgencyOut(Schema):
    code: str
    name: str
    email: str
    commission_rate: Decimal
    active: bool
    live_count: int
    live_amount: Decimal
    assigned_amount: Decimal
    collected: Decimal
    commission: Decimal
    recovery_rate: Decimal | None = Field(description="encaissé / total confié, en %")


class AssignIn(Schema):
    accounts: list[str] = Field(description="numéros de compte client")


class AssignmentOut(Schema):
    id: int
    reference: str
    agency: str = Field(alias="agency.code")
    account: str = Field(alias="account.number")
    assigned_on: dt.date
    amount: Decimal
    state: str = Field(description="assigned | recalled | closed")
    recalled_on: dt.date | None
    closed_on: dt.date | None
    reason: str


class ExportItemOut(Schema):
    document: str
    due_date: dt.date
    amount: Decimal


class ExportOut(Schema):
    assignment: str
    account: str
    debtor: str
    address: str
    postcode: str
    city: str
    phone: str
    email: str
    birth_date: str
    amount: Decimal
    items: list[ExportItemOut]


class ReportLineIn(Schema):
    reference: str
    assignment: str = Field(description="référence de la dette confiée (AGC-…)")
    account: str = ""
    date: str = Field(description="AAAA-MM-JJ ou JJ/MM/AAAA")
    kind: str = Field(description="contact | promise | payment | dispute | unreachable")
    amount: str = ""
    promised_on: str = ""
    commission: str = ""
    note: str = ""


class ReportsIn(Schema):
    lines: list[ReportLineIn]


class ReportsOut(Schema):
    created: int
    skipped: int


class RecallIn(Schema):
    reason: str


def _agency_for(request, code: str):
    """An officer reads any agency; an agency token only its own (else 404)."""
    return selectors.agency_get_for_user(user=request.user, code=code)


@router.get("/collections/agencies", response=list[AgencyOut], summary="Agences de recouvrement")
def agency_list(request):
    scope = scope_for(request.user)
    if scope.allows(Perm.COLLECTION_VIEW):
        rows = selectors.agency_list(user=request.user)
    else:
        require(request.user, Perm.AGENCY_WORK)
        own = selectors.agency_of_user(request.user)
        rows = [] if own is None else [own]
        figures = selectors.agency_figures(user=request.user, agencies=rows)
        for agency in rows:
            agency.figures = figures[agency.pk]
    return [
        {
            "code": a.code,
            "name": a.name,
            "email": a.email,
            "commission_rate": a.commission_rate,
            "active": a.active,
            "live_count": a.figures.live_count,
            "live_amount": a.figures.live_amount,
            "assigned_amount": a.figures.assigned_amount,
            "collected": a.figures.collected,
            "commission": a.figures.commission,
            "recovery_rate": a.figures.recovery_rate,
        }
        for a in rows
    ]


@router.post(
    "/collections/agencies/{code}/assignments",
    response={201: list[AssignmentOut]},
    summary="Confier des dettes à une agence",
)
def assignment_create(request, code: str, payload: AssignIn):
    require(request.user, Perm.AGENCY_MANAGE)
    agency = selectors.agency_get(code=code)
    accounts = list(CustomerAccount.objects.filter(number__in=payload.accounts))
    unknown = set(payload.accounts) - {a.number for a in accounts}
    if unknown:
        raise ValidationFailed(
            {"accounts": [_("Compte inconnu : %(n)s") % {"n": n} for n in sorted(unknown)]}
        )
    result = agencies.debts_assign(actor=request.user, agency=agency, accounts=accounts)
    return Status(201, result)


@router.get(
    "/collections/agencies/{code}/assignments",
    response=list[ExportOut],
    summary="Dettes confiées en cours (le fichier d'export en JSON)",
)
def assignment_export(request, code: str):
    agency = _agency_for(request, code)
    assignments = agency_files.live_assignments(agency)
    scope = scope_for(request.user)
    if selectors.agency_of_user(request.user) != agency:
        require(request.user, Perm.AGENCY_MANAGE)
        assignments = assignments.filter(scope.entity_filter(Perm.AGENCY_MANAGE, "account__centre"))
    assignments = list(assignments)
    rows = agency_files.export_rows(assignments)
    for row, assignment in zip(rows, assignments, strict=True):
        row["items"] = [
            {
                "document": i.open_item.document_number,
                "due_date": i.open_item.due_date,
                "amount": i.amount_at_assignment,
            }
            for i in sorted(assignment.items.all(), key=lambda i: (i.open_item.due_date, i.pk))
        ]
    return rows


@router.post(
    "/collections/agencies/{code}/reports",
    response={201: ReportsOut},
    summary="Transmettre des comptes rendus d'agence",
)
def reports_create(request, code: str, payload: ReportsIn):
    agency = _agency_for(request, code)
    try:
        outcome = agency_files.reports_record(
            actor=request.user,
            agency=agency,
            lines=[line.model_dump() for line in payload.lines],
        )
    except InvalidImportFile as exc:
        # Fields as ninja names them: ``lines.<index from 0>.<field>``.
        fields: dict[str, list[str]] = {}
        for issue in exc.issues:
            key = "lines" if issue.line is None else f"lines.{issue.line - 1}.{issue.field or ''}"
            fields.setdefault(key.rstrip("."), []).append(issue.message)
        raise ApplicationError(exc.message, code=exc.code, fields=fields, http_status=422) from exc
    return Status(201, {"created": len(outcome.created), "skipped": outcome.skipped})


@router.post(
    "/collections/assignments/{assignment_id}/recall",
    response=AssignmentOut,
    summary="Rappeler une dette confiée",
)
def assignment_recall(request, assignment_id: int, payload: RecallIn):
    require(request.user, Perm.AGENCY_MANAGE)
    assignment = selectors.assignment_get_for_user(user=request.user, pk=assignment_id)
    return agencies.assignment_recall(
        actor=request.user, assignment=assignment, reason=payload.reason
    )
