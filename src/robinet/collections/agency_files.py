"""The files exchanged with an agency (COLL-8; formats in ``docs/domain/agencies.md``).

* :func:`assignment_export` — the debts assigned to an agency, CSV UTF-8 with
  ``;``, one line per account, only what the agency needs to collect (GDPR
  minimisation, ORG-4);
* :func:`reports_import` — what the agency reports back (contacts, promises,
  collections, commission): the whole file is checked before anything is
  written, errors name the line and the column, the same file twice is refused
  by its hash, and a line whose reference the agency already sent is skipped
  (idempotent). Money the agency collected is booked through its PAY-8
  operator statement, not by this import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.collections import agencies
from robinet.collections.agency_selectors import agency_of_user
from robinet.collections.models import (
    AgencyAssignment,
    AgencyReport,
    AssignmentState,
    CollectionAgency,
    ReportKind,
)
from robinet.core import audit, clock, imports
from robinet.core.money import is_rounded, to_decimal
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

IMPORT_KIND = "agency_reports"
EXPORT_COLUMNS = (
    "assignment",
    "account",
    "debtor",
    "address",
    "postcode",
    "city",
    "phone",
    "email",
    "birth_date",
    "amount",
    "items",
)
REQUIRED_COLUMNS = ("reference", "assignment", "date", "kind")
OPTIONAL_COLUMNS = ("account", "amount", "promised_on", "commission", "note")
#: accepted spellings of a report kind (the codes, and French words)
KIND_WORDS = {
    "contact": ReportKind.CONTACT,
    "promise": ReportKind.PROMISE,
    "promesse": ReportKind.PROMISE,
    "payment": ReportKind.PAYMENT,
    "encaissement": ReportKind.PAYMENT,
    "dispute": ReportKind.DISPUTE,
    "contestation": ReportKind.DISPUTE,
    "unreachable": ReportKind.UNREACHABLE,
    "injoignable": ReportKind.UNREACHABLE,
}
_MAX_AMOUNT = Decimal("10000000")


# --- export ------------------------------------------------------------------------------------


def export_rows(assignments) -> list[dict[str, str]]:
    """One dict per assignment, with exactly the :data:`EXPORT_COLUMNS`."""
    rows = []
    for assignment in assignments:
        party = assignment.account.party
        items = sorted(assignment.items.all(), key=lambda i: (i.open_item.due_date, i.open_item.pk))
        rows.append(
            {
                "assignment": assignment.reference,
                "account": assignment.account.number,
                "debtor": party.display_name,
                "address": " ".join(p for p in (party.address_line, party.address_complement) if p),
                "postcode": party.postcode,
                "city": party.city,
                "phone": party.mobile or party.landline,
                "email": party.email,
                "birth_date": party.birth_date.isoformat() if party.birth_date else "",
                "amount": f"{assignment.amount:.2f}",
                "items": "|".join(
                    f"{i.open_item.document_number}:{i.open_item.due_date.isoformat()}:"
                    f"{i.amount_at_assignment:.2f}"
                    for i in items
                ),
            }
        )
    return rows


def live_assignments(agency: CollectionAgency):
    return (
        AgencyAssignment.objects.filter(agency=agency, state=AssignmentState.ASSIGNED)
        .select_related("account__party")
        .prefetch_related("items__open_item")
        .order_by("assigned_on", "pk")
    )


def assignment_export(*, actor, agency: CollectionAgency) -> bytes:
    """The agency's live assignments as CSV (UTF-8 with BOM for spreadsheets, ``;``)."""
    scope = scope_for(actor) if actor is not None else None
    assignments = live_assignments(agency)
    if scope is not None and not scope.is_superuser:
        if agency_of_user(actor) == agency and scope.allows(Perm.AGENCY_WORK):
            pass
        else:
            require(actor, Perm.AGENCY_MANAGE)
            assignments = assignments.filter(
                scope.entity_filter(Perm.AGENCY_MANAGE, "account__centre")
            )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(export_rows(assignments))
    audit.record(
        actor=actor,
        verb="agency.exported",
        target=agency,
        data={"lines": buffer.getvalue().count("\r\n") - 1},
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_filename(agency: CollectionAgency) -> str:
    return f"dettes-confiees-{agency.code}-{clock.today():%Y%m%d}.csv"


# --- report import -----------------------------------------------------------------------------


@dataclass
class ReportImport:
    created: list[AgencyReport]
    skipped: int
    filename: str


def _day(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _amount(errors, line: int, column: str, text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = to_decimal(text)
    except (TypeError, ValueError, ArithmeticError):
        errors.add(line, column, _("montant illisible : « %(v)s ».") % {"v": text})
        return None
    if value < 0 or (value == 0 and column == "amount"):
        errors.add(line, column, _("le montant doit être positif."))
    elif not is_rounded(value):
        errors.add(line, column, _("le montant s'exprime au centime près."))
    elif value >= _MAX_AMOUNT:
        errors.add(line, column, _("montant trop élevé."))
    else:
        return value
    return None


def _actor_is_agency(actor, agency) -> bool:
    return (
        actor is not None
        and not scope_for(actor).allows(Perm.AGENCY_MANAGE)
        and agency_of_user(actor) == agency
        and scope_for(actor).allows(Perm.AGENCY_WORK)
    )


def parse_reports(data: bytes, *, agency: CollectionAgency, actor=None) -> list[dict]:
    """Every line checked against the agency's assignments; raises ``InvalidImportFile``."""
    reader = imports.read_csv(data, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    return check_reports(reader, errors=reader.errors, agency=agency, actor=actor)


def check_reports(lines, *, errors, agency: CollectionAgency, actor=None) -> list[dict]:
    """``lines`` yields ``(line, row)`` with every column as a string (file or API)."""
    today = clock.today()
    rows: list[dict] = []
    for line, row in lines:
        row = {**dict.fromkeys((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS), ""), **row}
        parsed = {"line": line, "reference": row["reference"], "note": row["note"][:255]}
        if not row["reference"]:
            errors.add(line, "reference", _("référence de l'agence absente."))
        elif len(row["reference"]) > 60:
            errors.add(line, "reference", _("60 caractères au plus."))
        kind = KIND_WORDS.get(row["kind"].strip().casefold())
        if kind is None:
            errors.add(
                line,
                "kind",
                _(
                    "nature inconnue : « %(v)s » (contact, promesse, encaissement, "
                    "contestation, injoignable)."
                )
                % {"v": row["kind"]},
            )
        parsed["kind"] = kind
        day = _day(row["date"])
        if day is None:
            errors.add(
                line,
                "date",
                _("date illisible : « %(v)s » (AAAA-MM-JJ ou JJ/MM/AAAA).") % {"v": row["date"]},
            )
        elif day > today:
            errors.add(line, "date", _("date dans le futur."))
        parsed["reported_on"] = day
        parsed["amount"] = _amount(errors, line, "amount", row["amount"])
        if kind in (ReportKind.PROMISE, ReportKind.PAYMENT) and not row["amount"]:
            errors.add(
                line, "amount", _("montant obligatoire pour une promesse ou un encaissement.")
            )
        parsed["commission"] = _amount(errors, line, "commission", row["commission"])
        promised_on = None
        if row["promised_on"]:
            promised_on = _day(row["promised_on"])
            if promised_on is None:
                errors.add(
                    line,
                    "promised_on",
                    _("date illisible : « %(v)s ».") % {"v": row["promised_on"]},
                )
        elif kind == ReportKind.PROMISE:
            errors.add(line, "promised_on", _("date promise obligatoire pour une promesse."))
        parsed["promised_on"] = promised_on
        parsed["assignment_ref"] = row["assignment"]
        parsed["account"] = row["account"]
        rows.append(parsed)
    if not rows:
        errors.add(None, None, _("le fichier ne contient aucune ligne."))

    # The assignments named, which must be this agency's.
    ids = {}
    for parsed in rows:
        ref = parsed["assignment_ref"].upper()
        if ref.startswith("AGC-") and ref[4:].isdigit():
            ids[parsed["line"]] = int(ref[4:])
    found = {
        a.pk: a
        for a in AgencyAssignment.objects.filter(pk__in=set(ids.values())).select_related(
            "account__centre", "agency"
        )
    }
    agency_user = _actor_is_agency(actor, agency)
    seen: dict[str, int] = {}
    for parsed in rows:
        line = parsed["line"]
        assignment = found.get(ids.get(line))
        if assignment is None or assignment.agency_id != agency.pk:
            errors.add(
                line,
                "assignment",
                _("dette confiée inconnue pour cette agence : « %(v)s ».")
                % {"v": parsed["assignment_ref"]},
            )
        elif parsed["account"] and parsed["account"] != assignment.account.number:
            errors.add(
                line,
                "account",
                _("ce compte n'est pas celui de la dette %(r)s.") % {"r": assignment.reference},
            )
        elif agency_user and assignment.state != AssignmentState.ASSIGNED:
            errors.add(line, "assignment", _("cette dette n'est plus confiée à l'agence."))
        parsed["assignment"] = assignment
        reference = parsed["reference"]
        if reference in seen:
            errors.add(
                line,
                "reference",
                _("référence déjà présente ligne %(l)s.") % {"l": seen[reference]},
            )
        seen.setdefault(reference, line)
    errors.raise_if_any()
    return rows


def _require_import(actor, agency) -> None:
    if actor is not None and not _actor_is_agency(actor, agency):
        require(actor, Perm.AGENCY_MANAGE)


def _check_centres(actor, agency, rows) -> None:
    """An officer reports only on the accounts of its centres."""
    if actor is None or _actor_is_agency(actor, agency):
        return
    scope = scope_for(actor)
    issues = [
        imports.ImportIssue(row["line"], "assignment", _("compte hors de vos centres."))
        for row in rows
        if not scope.covers(Perm.AGENCY_MANAGE, row["assignment"].account.centre)
    ]
    if issues:
        raise imports.InvalidImportFile(issues)


def reports_import(*, actor, agency: CollectionAgency, source, filename: str) -> ReportImport:
    """Import an agency's report file (all or nothing; same file refused; known references
    skipped). Officers need ``Perm.AGENCY_MANAGE``; an agency user may send its own file."""
    _require_import(actor, agency)
    data = imports.read_bytes(source)
    sha = imports.file_sha256(data)
    imports.ensure_not_imported(IMPORT_KIND, sha)
    rows = parse_reports(data, agency=agency, actor=actor)
    _check_centres(actor, agency, rows)
    return _write(actor=actor, agency=agency, rows=rows, sha=sha, filename=filename)


def _write(*, actor, agency, rows, sha=None, filename="") -> ReportImport:
    known = set(
        AgencyReport.objects.filter(
            agency=agency, external_reference__in=[r["reference"] for r in rows]
        ).values_list("external_reference", flat=True)
    )
    fresh = [r for r in rows if r["reference"] not in known]
    with transaction.atomic(durable=True):
        record = None
        if sha is not None:
            record = imports.record_import(
                kind=IMPORT_KIND,
                sha256=sha,
                filename=filename,
                rows=len(rows),
                actor=actor,
                outcome={"created": len(fresh), "skipped": len(rows) - len(fresh)},
            )
        created = [
            agencies.report_write(
                actor=actor, assignment=row["assignment"], row=row, import_file=record
            )
            for row in fresh
        ]
        audit.record(
            actor=actor,
            verb="agency.reports_imported",
            target=agency,
            data={
                "file": record.pk if record else None,
                "created": len(created),
                "skipped": len(rows) - len(fresh),
            },
        )
    return ReportImport(
        created=created,
        skipped=len(rows) - len(fresh),
        filename=record.filename if record else "",
    )


def reports_record(*, actor, agency: CollectionAgency, lines: list[dict]) -> ReportImport:
    """Report lines sent through the API: the same checks as the file (``line`` is the
    position in the list, from 1), all or nothing, known references skipped."""
    _require_import(actor, agency)
    errors = imports.ImportErrors()
    numbered = (
        (position, {k: "" if v is None else str(v).strip() for k, v in line.items()})
        for position, line in enumerate(lines, start=1)
    )
    rows = check_reports(numbered, errors=errors, agency=agency, actor=actor)
    _check_centres(actor, agency, rows)
    return _write(actor=actor, agency=agency, rows=rows)
