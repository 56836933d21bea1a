"""Import of the customer file from a legacy system (CSV), ARCHITECTURE principle 5.

Three kinds, imported in this order: ``customers`` (a party and its account
per line), ``service_points`` (with their meter), ``contracts``. Columns are
documented in ``docs/import-formats.md``. Each file is parsed and validated
whole with the same rules as the screens (CUST-2…9); any error refuses the
file with every problem listed by line and column, and nothing is written.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from robinet.core import clock, numbering
from robinet.core.bulk import allocate_ids, collector_paused, insert_rows
from robinet.core.imports import (
    ImportErrors,
    Source,
    ensure_not_imported,
    file_sha256,
    read_csv,
    record_import,
)
from robinet.customers import rules, services
from robinet.customers.choices import (
    AccountStatus,
    ContractEndReason,
    ContractStatus,
)
from robinet.customers.models import Contract, CustomerAccount, Meter, Party, ServicePoint
from robinet.customers.numbers import (
    ACCOUNT_SERIES,
    CONTRACT_SERIES,
    SERVICE_POINT_SERIES,
    account_number,
    contract_number,
    service_point_reference,
)
from robinet.customers.search import account_search_text
from robinet.customers.search_index import search_index_deferred
from robinet.metering.consumption import dial_difference
from robinet.organisation.models import Entity, EntityKind

BATCH = 2000
TRUE = {"1", "oui", "o", "true", "vrai", "x", "yes", "y"}
FALSE = {"", "0", "non", "n", "false", "faux", "no"}

CUSTOMER_COLUMNS = {
    "required": ["centre", "kind", "name", "customer_class"],
    "optional": [
        "number",
        *(name for name in services.PARTY_FIELDS if name not in ("kind", "name")),
        "site_type",
        "naf_code",
        "iban",
        "bic",
        "direct_debit",
        "monthly_payment",
        "e_invoice",
        "opened_on",
        "closed_on",
    ],
}
SERVICE_POINT_COLUMNS = {
    "required": ["centre", "street", "postcode", "commune_insee", "premises_use"],
    "optional": [
        "reference",
        "street_number",
        "address_complement",
        "city",
        "dwellings",
        "drinking_water",
        "collective_sanitation",
        "non_collective_sanitation",
        "meter_location",
        "meter_accessibility",
        "meter_serial",
        "meter_diameter_mm",
        "meter_installed_on",
    ],
}
CONTRACT_COLUMNS = {
    "required": ["customer_number", "service_point", "start_date"],
    "optional": [
        "number",
        "meter_serial",
        "start_index",
        "end_date",
        "end_index",
        "end_reason",
        "water",
        "sanitation",
    ],
}


@dataclass
class ImportResult:
    kind: str
    rows: int
    created: dict[str, int] = field(default_factory=dict)


class _Line:
    """Adapts the services' field-error bag to the import's line-numbered errors."""

    def __init__(self, errors: ImportErrors, line: int) -> None:
        self.bag = rules.ErrorBag()
        self.errors, self.line = errors, line

    def flush(self) -> bool:
        for name, messages in self.bag.errors.items():
            for message in messages:
                self.errors.add(self.line, name, message)
        return not self.bag


def _bool(line: _Line, name: str, raw: str, default: bool = False) -> bool:
    value = (raw or "").strip().lower()
    if value == "":
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    line.bag.add(name, _("Valeur oui/non attendue."))
    return default


def _too_long(line: _Line, name: str, value: str, model, field_name: str) -> bool:
    """A legacy number longer than its column is refused naming the column (never cut)."""
    limit = model._meta.get_field(field_name).max_length
    if len(value) <= limit:
        return False
    line.bag.add(name, _("%(limit)s caractères au plus.") % {"limit": limit})
    return True


def _centres() -> dict[str, Entity]:
    return {e.code: e for e in Entity.objects.filter(kind=EntityKind.CENTRE)}


def _centre(line: _Line, centres: dict[str, Entity], code: str) -> Entity | None:
    centre = centres.get(code)
    if centre is None:
        line.bag.add("centre", _("Centre inconnu : %(code)s.") % {"code": code})
    return centre


def _numbers(
    series: str, given: list[str], count_missing: int, fmt: Callable[[int], str]
) -> list[str]:
    """Take ``count_missing`` new numbers after every numeric legacy number given."""
    # ASCII digits only: "²" or "٣" pass str.isdigit() but are no part of a sequence number.
    digits = [int("".join(ch for ch in n if ch in "0123456789") or 0) for n in given if n]
    if digits:
        numbering.set_sequence_at_least(series, 0, max(digits))
    if not count_missing:
        return []
    return [fmt(n) for n in numbering.next_numbers(series, count_missing)]


def _default_name(source: Source, kind: str) -> str:
    return str(source) if isinstance(source, str | Path) else kind


def _read(kind: str, source: Source, columns: dict, *, force: bool):
    sha = file_sha256(source)
    if not force:
        ensure_not_imported(kind, sha)
    errors = ImportErrors()
    reader = read_csv(
        source, required=columns["required"], optional=columns["optional"], errors=errors
    )
    return sha, errors, reader


# --- customers -------------------------------------------------------------------------------


@collector_paused()
def import_customers(
    source: Source, *, filename: str | None = None, actor=None, force: bool = False
) -> ImportResult:
    """One line per customer account, with its party (CUST-1…6)."""
    kind = "customers"
    filename = filename or _default_name(source, kind)
    sha, errors, reader = _read(kind, source, CUSTOMER_COLUMNS, force=force)
    centres = _centres()
    existing_numbers = set(CustomerAccount.objects.values_list("number", flat=True))
    seen_numbers: dict[str, int] = {}
    rows: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    for line_no, row in reader:
        line = _Line(errors, line_no)
        party = services.clean_party(row, line.bag)
        account = services.clean_account(row, line.bag)
        services.add_consistency_errors(line.bag, party, account)
        extra: dict[str, Any] = {"centre": _centre(line, centres, row["centre"])}
        extra["number"] = row["number"]
        if row["number"] and not _too_long(
            line, "number", row["number"], CustomerAccount, "number"
        ):
            if row["number"] in existing_numbers:
                line.bag.add("number", _("Ce numéro client existe déjà."))
            elif row["number"] in seen_numbers:
                line.bag.add(
                    "number",
                    _("Numéro client en double (déjà ligne %(line)s).")
                    % {"line": seen_numbers[row["number"]]},
                )
            seen_numbers[row["number"]] = line_no
        extra["iban"] = services.normalise_field(
            line.bag, "iban", rules.normalize_iban, row["iban"]
        )
        extra["bic"] = (
            services.normalise_field(
                line.bag, "bic", rules.normalize_bic, row["bic"], iban=extra["iban"]
            )
            if extra["iban"] or row["bic"]
            else ""
        )
        for name in ("direct_debit", "monthly_payment", "e_invoice"):
            extra[name] = _bool(line, name, row[name])
        if extra["direct_debit"] and not extra["iban"]:
            line.bag.add("direct_debit", _("Prélèvement sans IBAN."))
        extra["opened_on"] = (
            services.parse_date(line.bag, "opened_on", row["opened_on"]) or clock.today()
        )
        extra["closed_on"] = services.parse_date(line.bag, "closed_on", row["closed_on"])
        if extra["closed_on"] and extra["closed_on"] < extra["opened_on"]:
            line.bag.add("closed_on", _("La date de clôture précède la date d'ouverture."))
        account["e_invoice"] = extra.pop("e_invoice")
        if line.flush():
            rows.append((line_no, party, account, extra))
    errors.raise_if_any()

    with transaction.atomic():
        record_import(
            kind=kind, sha256=sha, filename=filename, rows=len(rows), actor=actor, force=force
        )
        with search_index_deferred():
            _write_customers(rows)
    return ImportResult(kind, len(rows), {"parties": len(rows), "accounts": len(rows)})


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _write_customers(rows: list) -> None:
    """Insert parties and accounts as prepared tuples (10× faster than bulk_create)."""
    numbers = iter(
        _numbers(
            ACCOUNT_SERIES,
            [r[3]["number"] for r in rows],
            sum(1 for r in rows if not r[3]["number"]),
            account_number,
        )
    )
    party_ids = allocate_ids(Party, len(rows))
    account_ids = allocate_ids(CustomerAccount, len(rows))
    now = Party._meta.get_field("created_at").get_db_prep_save(clock.now(), connection)
    party_rows, account_rows = [], []
    for party_id, account_id, (_line, party, account, extra) in zip(
        party_ids, account_ids, rows, strict=True
    ):
        party_rows.append(
            (
                party_id,
                *(_iso(party[c]) if c == "birth_date" else party[c] for c in PARTY_INSERT),
                now,
                now,
                "FR",
            )
        )
        number = extra["number"] or next(numbers)
        account_rows.append(
            (
                account_id,
                party_id,
                number,
                account["customer_class"],
                extra["centre"].pk,
                account["site_type"],
                account["naf_code"],
                extra["iban"],
                extra["bic"],
                extra["direct_debit"],
                extra["monthly_payment"],
                account["e_invoice"],
                AccountStatus.CLOSED if extra["closed_on"] else AccountStatus.ACTIVE,
                _iso(extra["opened_on"]),
                _iso(extra["closed_on"]),
                account_search_text(party),
            )
        )
    insert_rows(Party, ["id", *PARTY_INSERT, "created_at", "updated_at", "country"], party_rows)
    insert_rows(CustomerAccount, ACCOUNT_INSERT, account_rows)


PARTY_INSERT = list(services.PARTY_FIELDS)
ACCOUNT_INSERT = [
    "id",
    "party_id",
    "number",
    "customer_class",
    "centre_id",
    "site_type",
    "naf_code",
    "iban",
    "bic",
    "direct_debit",
    "monthly_payment",
    "e_invoice",
    "status",
    "opened_on",
    "closed_on",
    "search_text",
]


# --- service points --------------------------------------------------------------------------


@collector_paused()
def import_service_points(
    source: Source, *, filename: str | None = None, actor=None, force: bool = False
) -> ImportResult:
    """One line per service point, with the meter installed there (CUST-9)."""
    kind = "service_points"
    filename = filename or _default_name(source, kind)
    sha, errors, reader = _read(kind, source, SERVICE_POINT_COLUMNS, force=force)
    centres = _centres()
    existing_refs = set(ServicePoint.objects.values_list("reference", flat=True))
    existing_serials = set(Meter.objects.values_list("serial", flat=True))
    seen_refs: dict[str, int] = {}
    seen_serials: dict[str, int] = {}
    rows = []
    for line_no, row in reader:
        line = _Line(errors, line_no)
        flags = {
            "drinking_water": _bool(line, "drinking_water", row["drinking_water"], default=True),
            "collective_sanitation": _bool(
                line, "collective_sanitation", row["collective_sanitation"]
            ),
            "non_collective_sanitation": _bool(
                line, "non_collective_sanitation", row["non_collective_sanitation"]
            ),
        }
        values = services.clean_service_point({**row, **flags}, line.bag)
        values["centre"] = _centre(line, centres, row["centre"])
        values["reference"] = row["reference"]
        ref = row["reference"]
        if ref and not _too_long(line, "reference", ref, ServicePoint, "reference"):
            if ref in existing_refs:
                line.bag.add("reference", _("Ce point de desserte existe déjà."))
            elif ref in seen_refs:
                line.bag.add(
                    "reference",
                    _("Référence en double (déjà ligne %(line)s).") % {"line": seen_refs[ref]},
                )
            seen_refs[ref] = line_no
        serial = row["meter_serial"].upper()
        meter = None
        if serial:
            if _too_long(line, "meter_serial", serial, Meter, "serial"):
                pass
            elif serial in existing_serials:
                line.bag.add("meter_serial", _("Ce compteur existe déjà."))
            elif serial in seen_serials:
                line.bag.add(
                    "meter_serial",
                    _("Matricule en double (déjà ligne %(line)s).")
                    % {"line": seen_serials[serial]},
                )
            seen_serials[serial] = line_no
            diameter = services.parse_diameter(
                line.bag, "meter_diameter_mm", row["meter_diameter_mm"] or 15
            )
            meter = {
                "serial": serial,
                "diameter_mm": diameter,
                "installed_on": services.parse_date(
                    line.bag, "meter_installed_on", row["meter_installed_on"]
                ),
            }
        if line.flush():
            rows.append((values, meter))
    errors.raise_if_any()

    with transaction.atomic():
        record_import(
            kind=kind, sha256=sha, filename=filename, rows=len(rows), actor=actor, force=force
        )
        new_refs = iter(
            _numbers(
                SERVICE_POINT_SERIES,
                [v["reference"] for v, _m in rows],
                sum(1 for v, _m in rows if not v["reference"]),
                service_point_reference,
            )
        )
        meters = 0
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            points = ServicePoint.objects.bulk_create(
                [
                    ServicePoint(**{**values, "reference": values["reference"] or next(new_refs)})
                    for values, _m in chunk
                ]
            )
            new_meters = [
                Meter(service_point=point, **meter)
                for point, (_v, meter) in zip(points, chunk, strict=True)
                if meter
            ]
            Meter.objects.bulk_create(new_meters)
            meters += len(new_meters)
    return ImportResult(kind, len(rows), {"service_points": len(rows), "meters": meters})


# --- contracts -------------------------------------------------------------------------------


@collector_paused()
def import_contracts(
    source: Source, *, filename: str | None = None, actor=None, force: bool = False
) -> ImportResult:
    """One line per contract, active or closed (CUST-10: one active per service point)."""
    kind = "contracts"
    filename = filename or _default_name(source, kind)
    sha, errors, reader = _read(kind, source, CONTRACT_COLUMNS, force=force)
    lines = list(reader)
    accounts = dict(
        CustomerAccount.objects.filter(
            number__in={r["customer_number"] for _l, r in lines}
        ).values_list("number", "pk")
    )
    points = {
        sp.reference: sp
        for sp in ServicePoint.objects.filter(reference__in={r["service_point"] for _l, r in lines})
    }
    active_meters = dict(
        Meter.objects.filter(
            service_point__in=points.values(), removed_on__isnull=True
        ).values_list("service_point_id", "pk")
    )
    meter_serials, meter_digits = {}, {}
    for pk, serial, digits in Meter.objects.filter(pk__in=active_meters.values()).values_list(
        "pk", "serial", "index_digits"
    ):
        meter_serials[pk], meter_digits[pk] = serial, digits
    occupied = set(
        Contract.objects.filter(
            service_point__in=points.values(), status=ContractStatus.ACTIVE
        ).values_list("service_point_id", flat=True)
    )
    existing_numbers = set(
        Contract.objects.filter(
            number__in={r["number"] for _l, r in lines if r["number"]}
        ).values_list("number", flat=True)
    )
    active_in_file: dict[int, int] = {}
    rows = []
    for line_no, row in lines:
        line = _Line(errors, line_no)
        account_id = accounts.get(row["customer_number"])
        if account_id is None:
            line.bag.add(
                "customer_number",
                _("Compte client inconnu : %(n)s.") % {"n": row["customer_number"]},
            )
        point = points.get(row["service_point"])
        if point is None:
            line.bag.add(
                "service_point",
                _("Point de desserte inconnu : %(r)s.") % {"r": row["service_point"]},
            )
        start = services.parse_date(line.bag, "start_date", row["start_date"], required=True)
        end = services.parse_date(line.bag, "end_date", row["end_date"])
        start_index = services.parse_index(
            line.bag, "start_index", row["start_index"], required=False
        )
        end_index = services.parse_index(line.bag, "end_index", row["end_index"], required=False)
        reason = row["end_reason"] or (ContractEndReason.MOVE_OUT if end else "")
        if end and reason not in ContractEndReason.values:
            line.bag.add("end_reason", _("Motif inconnu."))
        if reason and not end:
            line.bag.add("end_date", _("Un motif de fin sans date de fin."))
        if start and end and end < start:
            line.bag.add("end_date", _("La date de fin précède la date de début."))
        meter_id = active_meters.get(point.pk) if point else None
        # A lower end index is possible only after the dial went through zero. A meter
        # change during the contract is not known here: leave its end index empty.
        if (
            start_index is not None
            and end_index is not None
            and dial_difference(start_index, end_index, meter_digits.get(meter_id, 5)).volume
            is None
        ):
            line.bag.add("end_index", _("L'index de fin est inférieur à l'index de début."))
        water = _bool(line, "water", row["water"], default=True)
        sanitation = _bool(
            line,
            "sanitation",
            row["sanitation"],
            default=bool(point and point.collective_sanitation),
        )
        if not water and not sanitation:
            line.bag.add("water", _("Un abonnement porte sur l'eau, l'assainissement ou les deux."))
        if (
            row["meter_serial"]
            and point is not None
            and meter_serials.get(meter_id) != row["meter_serial"].upper()
        ):
            line.bag.add("meter_serial", _("Le matricule ne correspond pas au compteur posé."))
        if _too_long(line, "number", row["number"], Contract, "number"):
            pass
        elif row["number"] in existing_numbers:
            line.bag.add("number", _("Cet abonnement existe déjà."))
        if point is not None and not end:
            if point.pk in occupied:
                line.bag.add(
                    "service_point", _("Ce point de desserte a déjà un abonnement en cours.")
                )
            elif point.pk in active_in_file:
                line.bag.add(
                    "service_point",
                    _("Deux abonnements en cours sur ce point (déjà ligne %(line)s).")
                    % {"line": active_in_file[point.pk]},
                )
            active_in_file[point.pk] = line_no
        if line.flush():
            rows.append(
                Contract(
                    number=row["number"],
                    account_id=account_id,
                    service_point=point,
                    water=water,
                    sanitation=sanitation,
                    start_date=start,
                    end_date=end,
                    end_reason=reason if end else "",
                    status=ContractStatus.CLOSED if end else ContractStatus.ACTIVE,
                    start_meter_id=meter_id,
                    start_index=start_index,
                    end_index=end_index,
                )
            )
    errors.raise_if_any()

    with transaction.atomic():
        record_import(
            kind=kind, sha256=sha, filename=filename, rows=len(rows), actor=actor, force=force
        )
        new_numbers = iter(
            _numbers(
                CONTRACT_SERIES,
                [c.number for c in rows],
                sum(1 for c in rows if not c.number),
                contract_number,
            )
        )
        for contract in rows:
            contract.number = contract.number or next(new_numbers)
        Contract.objects.bulk_create(rows, batch_size=BATCH)
        services.account_search_text_refresh({c.account_id for c in rows})
    return ImportResult(kind, len(rows), {"contracts": len(rows)})


IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "customers": import_customers,
    "service_points": import_service_points,
    "contracts": import_contracts,
}
