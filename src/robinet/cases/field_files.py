"""Files exchanged with a field-workforce system (CASE-8): intervention export, report import.

Export (CSV ``;``, UTF-8 with BOM, or JSON): one line per intervention the field can
do — live, not sent yet, and either without appointment need or with one booked.
Exported interventions are stamped ``exported_at`` and become DISPATCHED. Columns,
in order (:data:`EXPORT_COLUMNS`):

``number`` intervention number; ``case`` case number; ``kind``/``kind_label``;
``urgency``; ``take_charge_by`` (ISO 8601, urgent/priority only); ``account``;
``customer``; ``phone`` (mobile, checked); ``address``; ``postcode``; ``city``;
``insee``; ``meter_location``; ``meter_accessibility``; ``presence_required``
(``oui``/``non``); ``appointment_day`` (ISO date); ``appointment_from``;
``appointment_to`` (HH:MM); ``team``; ``emergency_kind``; ``leak_volume``;
``phenomenon_duration``; ``exact_location``; ``comment``.

Report import (CSV, ``;`` or ``,``): columns ``intervention`` (number), ``done_at``
(``YYYY-MM-DD HH:MM``, ISO 8601 or ``DD/MM/YYYY HH:MM``, local time), ``outcome``,
``index`` (optional, m³), ``comment`` (optional), ``missed`` (optional: ``oui``/``non``,
``1``/``0``, ``true``/``false``). All or nothing: every error is reported with its
line number and nothing is written; the same file is refused a second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.cases import field, field_selectors
from robinet.cases.choices import InterventionStatus
from robinet.core import audit, clock, imports
from robinet.core.exceptions import ApplicationError
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

EXPORT_COLUMNS = (
    "number",
    "case",
    "kind",
    "kind_label",
    "urgency",
    "take_charge_by",
    "account",
    "customer",
    "phone",
    "address",
    "postcode",
    "city",
    "insee",
    "meter_location",
    "meter_accessibility",
    "presence_required",
    "appointment_day",
    "appointment_from",
    "appointment_to",
    "team",
    "emergency_kind",
    "leak_volume",
    "phenomenon_duration",
    "exact_location",
    "comment",
)
REPORT_REQUIRED = ("intervention", "done_at", "outcome")
REPORT_OPTIONAL = ("index", "comment", "missed")
IMPORT_KIND = "field_reports"
FORMATS = ("csv", "json")
_YES = {"oui", "o", "1", "true", "vrai", "yes", "y", "x"}
_NO = {"", "non", "n", "0", "false", "faux", "no"}


# --- export ----------------------------------------------------------------------------------


def export_row(intervention) -> dict[str, str]:
    point = intervention.service_point
    party = intervention.account.party if intervention.account else None
    appointment = field_selectors.live_appointment(intervention)
    address = (
        " ".join(p for p in (point.street_number, point.street, point.address_complement) if p)
        if point
        else ""
    )
    return {
        "number": intervention.number,
        "case": intervention.case.number,
        "kind": intervention.kind,
        "kind_label": str(intervention.get_kind_display()),
        "urgency": intervention.urgency,
        "take_charge_by": (
            intervention.take_charge_by.isoformat() if intervention.take_charge_by else ""
        ),
        "account": intervention.account.number if intervention.account else "",
        "customer": getattr(party, "display_name", "") if party else "",
        "phone": intervention.contact_phone,
        "address": address,
        "postcode": point.postcode if point else "",
        "city": point.city if point else "",
        "insee": point.commune_insee if point else "",
        "meter_location": point.meter_location if point else "",
        "meter_accessibility": intervention.meter_accessibility,
        "presence_required": "oui" if intervention.presence_required else "non",
        "appointment_day": appointment.day.isoformat() if appointment else "",
        "appointment_from": f"{appointment.starts_at:%H:%M}" if appointment else "",
        "appointment_to": f"{appointment.ends_at:%H:%M}" if appointment else "",
        "team": appointment.team.code if appointment else "",
        "emergency_kind": intervention.emergency_kind,
        "leak_volume": intervention.leak_volume,
        "phenomenon_duration": intervention.phenomenon_duration,
        "exact_location": intervention.exact_location,
        "comment": intervention.comment,
    }


@transaction.atomic
def interventions_export(*, actor, centre: str = "", fmt: str = "csv") -> bytes:
    """Export the interventions ready for the field and mark them DISPATCHED (CASE-8)."""
    if fmt not in FORMATS:
        raise ApplicationError(_("Format inconnu : csv ou json."), fields={"format": [fmt]})
    rows = field_selectors.exportable(centre=centre)
    if actor is not None:
        require(actor, Perm.FIELD_SCHEDULE)
        rows = rows.filter(scope_for(actor).entity_filter(Perm.FIELD_SCHEDULE, "centre"))
    interventions = list(rows.select_for_update(of=("self",)))
    lines = [export_row(i) for i in interventions]
    now = clock.now()
    for intervention in interventions:
        intervention.exported_at = now
        intervention.status = InterventionStatus.DISPATCHED
        intervention.save(update_fields=["exported_at", "status"])
        audit.record(
            actor=actor,
            verb="intervention.dispatched",
            target=intervention,
            data={"format": fmt},
        )
    if fmt == "json":
        return json.dumps(lines, ensure_ascii=False, indent=2).encode("utf-8")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(lines)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_filename(fmt: str = "csv", centre: str = "") -> str:
    suffix = f"-{centre}" if centre else ""
    return f"interventions{suffix}-{clock.today():%Y%m%d}.{fmt}"


# --- report import ---------------------------------------------------------------------------


@dataclass
class ReportsImported:
    reported: list
    filename: str


def _moment(text: str) -> dt.datetime | None:
    text = text.strip()
    for parse in (
        lambda t: dt.datetime.fromisoformat(t),
        lambda t: dt.datetime.strptime(t, "%d/%m/%Y %H:%M"),  # noqa: DTZ007 - made aware below
        lambda t: dt.datetime.strptime(t, "%d/%m/%Y"),  # noqa: DTZ007
    ):
        try:
            value = parse(text)
        except ValueError:
            continue
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_current_timezone())
        return value
    return None


def parse_reports(data: bytes, *, actor) -> list[dict]:
    """Check every line of a report file; raise :class:`InvalidImportFile` listing all errors."""
    errors = imports.ImportErrors()
    reader = imports.read_csv(
        data, required=REPORT_REQUIRED, optional=REPORT_OPTIONAL, errors=errors
    )
    rows, seen = [], {}
    for line, row in reader:
        number = row["intervention"]
        intervention = None
        if not number:
            errors.add(line, "intervention", _("numéro d'intervention manquant."))
        elif number in seen:
            errors.add(
                line, "intervention", _("déjà présente ligne %(line)s.") % {"line": seen[number]}
            )
        else:
            seen[number] = line
            intervention = (
                field_selectors.intervention_list(user=actor, perm=Perm.FIELD_SCHEDULE)
                .filter(number=number)
                .first()
            )
            if intervention is None:
                errors.add(line, "intervention", _("intervention %(n)s inconnue.") % {"n": number})
        done_at = _moment(row["done_at"]) if row["done_at"] else None
        if done_at is None:
            errors.add(line, "done_at", _("date invalide (AAAA-MM-JJ HH:MM)."))
        missed = row["missed"].strip().casefold()
        if missed not in _YES | _NO:
            errors.add(line, "missed", _("valeur attendue : oui ou non."))
        rows.append(
            {
                "line": line,
                "intervention": intervention,
                "done_at": done_at,
                "outcome": row["outcome"],
                "index": row["index"],
                "comment": row["comment"],
                "missed": missed in _YES,
            }
        )
    if not rows and not errors:
        errors.add(None, None, _("aucune ligne de compte rendu."))
    errors.raise_if_any()
    return rows


def reports_import(*, actor, source, filename: str = "") -> ReportsImported:
    """Import a field report file: every line recorded through :func:`field.report_record`,
    or none (CASE-8). Needs ``case.field``; the same file is refused twice."""
    if actor is not None:
        require(actor, Perm.FIELD_SCHEDULE)
    data = imports.read_bytes(source)
    sha = imports.file_sha256(data)
    imports.ensure_not_imported(IMPORT_KIND, sha)
    rows = parse_reports(data, actor=actor)
    with transaction.atomic():
        record = imports.record_import(
            kind=IMPORT_KIND, sha256=sha, filename=filename, rows=len(rows), actor=actor
        )
        errors = imports.ImportErrors()
        reported = []
        for row in rows:
            try:
                with transaction.atomic():
                    reported.append(
                        field.report_record(
                            actor=actor,
                            intervention=row["intervention"],
                            outcome=row["outcome"],
                            comment=row["comment"],
                            done_at=row["done_at"],
                            index=row["index"],
                            missed=row["missed"],
                        )
                    )
            except ApplicationError as exc:
                if exc.fields:
                    for name, messages in exc.fields.items():
                        for message in messages:
                            errors.add(row["line"], name, message)
                else:
                    errors.add(row["line"], None, str(exc.message))
        errors.raise_if_any()  # rolls the whole file back
    return ReportsImported(reported=reported, filename=record.filename)
