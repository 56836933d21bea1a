"""Bulk import of readings (METER-1, ARCHITECTURE principle 5): ``robinet readings import``.

Columns (documented in ``docs/import-formats.md``): ``meter_serial`` and/or
``service_point``, ``date``, ``index``, ``source``, optional ``reader``.

1. The whole file is parsed and checked first: an unknown meter or service
   point, a bad date, index or source, two lines for the same meter and day,
   or a reading that already exists refuse the file, every problem listed by
   line and column; nothing is written.
2. The context of every service point of the file is loaded in a few
   queries (live readings, contracts, thresholds, similar-premises profiles)
   and each line is validated in memory by the pure METER-2 rules, in date
   order per service point. Anomalies are **not** errors: those readings are
   stored held and listed in the outcome report.
3. Everything is written in one transaction with :func:`robinet.core.bulk.insert_rows`
   (``COPY`` on PostgreSQL).

Averages are taken over the 12 months before each reading from the
service point's counting periods (those already stored plus those of the
file, as they are validated). The similar-premises profile (METER-5 fallback)
is the 12 months before the file's latest date.
"""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.bulk import allocate_ids, insert_rows
from robinet.core.imports import (
    ImportErrors,
    Source,
    ensure_not_imported,
    file_sha256,
    read_csv,
    record_import,
)
from robinet.customers.choices import ContractStatus
from robinet.customers.models import Contract, Meter, ServicePoint
from robinet.metering import selectors
from robinet.metering.choices import ReadingSource, ReadingStatus
from robinet.metering.consumption import MeterChange
from robinet.metering.estimation import AVERAGE_QUANTUM, History, warsmann_check
from robinet.metering.models import AbnormalConsumptionNotice, Reading
from robinet.metering.texts import abnormal_consumption_letter
from robinet.metering.validation import (
    DEFAULT_THRESHOLDS,
    PreviousReading,
    ReadingInput,
    validate_reading,
)

KIND = "readings"
COLUMNS = {
    "required": ["date", "index", "source"],
    "optional": ["meter_serial", "service_point", "reader"],
}
# Beyond this many ids, load whole tables rather than long ``IN`` lists.
WHOLE_TABLE = 20_000
IN_CHUNK = 5_000
MAX_INDEX = Decimal("1000000000")
LIVE = (ReadingStatus.VALID, ReadingStatus.HELD)
SOURCES = {value.casefold(): value for value in ReadingSource.values}


@dataclass(frozen=True)
class LineOutcome:
    line: int
    status: str
    anomaly: str = ""
    detail: str = ""


@dataclass
class ReadingsImportResult:
    rows: int
    valid: int = 0
    held: int = 0
    replaced_estimates: int = 0
    notices: int = 0
    anomalies: list[LineOutcome] = field(default_factory=list)
    import_id: int | None = None

    @property
    def created(self) -> dict[str, int]:
        return {"valides": self.valid, "en anomalie": self.held}


@dataclass
class _Line:
    line: int
    meter: tuple  # (id, sp_id, digits, diameter, serial)
    read_on: dt.date
    index: Decimal
    source: str
    reader: str


@functools.lru_cache(maxsize=8192)  # a file has few distinct dates
def _parse_date(raw: str) -> dt.date | None:
    raw = raw.strip()
    try:
        if "/" in raw:
            day, month, year = raw.split("/")
            return dt.date(int(year), int(month), int(day))
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _parse_index(raw: str) -> Decimal | None:
    if not raw.isdigit():
        raw = raw.replace(",", ".").replace(" ", "").replace("\u202f", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value >= MAX_INDEX:
        return None
    quantized = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return quantized if quantized == value else None


def _chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_meters(serials: set[str], references: set[str]):
    """Meters by serial and by service point (id, sp, digits, diameter, serial, installed, removed)."""
    columns = (
        "pk",
        "service_point_id",
        "index_digits",
        "diameter_mm",
        "serial",
        "installed_on",
        "removed_on",
    )
    points: dict[str, int] = {}
    if len(references) > WHOLE_TABLE:
        points = dict(ServicePoint.objects.values_list("reference", "pk"))
    else:
        for chunk in _chunks(sorted(references)):
            points.update(
                ServicePoint.objects.filter(reference__in=chunk).values_list("reference", "pk")
            )
    rows: list[tuple] = []
    if len(serials) + len(points) > WHOLE_TABLE:
        rows = list(Meter.objects.values_list(*columns))
    else:
        for chunk in _chunks(sorted(serials)):
            rows.extend(Meter.objects.filter(serial__in=chunk).values_list(*columns))
        for chunk in _chunks(sorted(points.values())):
            rows.extend(Meter.objects.filter(service_point_id__in=chunk).values_list(*columns))
    by_serial = {row[4]: row for row in rows}
    by_point: dict[int, list[tuple]] = defaultdict(list)
    for row in by_serial.values():
        if row[1] is not None:
            by_point[row[1]].append(row)
    return points, by_serial, by_point


def _meter_on(candidates: list[tuple], on: dt.date) -> tuple | None:
    fitting = [
        m for m in candidates if (m[5] is None or m[5] <= on) and (m[6] is None or m[6] >= on)
    ]
    fitting.sort(key=lambda m: (m[5] or dt.date.min, m[0]), reverse=True)
    return fitting[0] if fitting else None


def _parse_file(reader, errors: ImportErrors) -> list[_Line]:
    raw_lines = []
    serials, references = set(), set()
    for line, row in reader:
        serial = row["meter_serial"].strip().upper()
        reference = row["service_point"].strip().upper()
        read_on = _parse_date(row["date"])
        index = _parse_index(row["index"])
        source = SOURCES.get(row["source"].strip().casefold())
        if not serial and not reference:
            errors.add(line, "meter_serial", _("indiquez le compteur ou le point de desserte."))
        if read_on is None:
            errors.add(line, "date", _("date invalide (AAAA-MM-JJ ou JJ/MM/AAAA)."))
        if index is None:
            errors.add(line, "index", _("index invalide (nombre positif, 3 décimales au plus)."))
        if source is None:
            errors.add(
                line,
                "source",
                _("origine inconnue (attendu : %(values)s).")
                % {"values": ", ".join(ReadingSource.values)},
            )
        if serial:
            serials.add(serial)
        if reference:
            references.add(reference)
        raw_lines.append((line, serial, reference, read_on, index, source, row["reader"][:80]))
    points, by_serial, by_point = _load_meters(serials, references)
    lines: list[_Line] = []
    seen: dict[tuple, int] = {}
    for line, serial, reference, read_on, index, source, reader in raw_lines:
        meter = None
        point_id = None
        if reference:
            point_id = points.get(reference)
            if point_id is None:
                errors.add(
                    line,
                    "service_point",
                    _("point de desserte inconnu : %(ref)s.") % {"ref": reference},
                )
                continue
        if serial:
            meter = by_serial.get(serial)
            if meter is None:
                errors.add(
                    line, "meter_serial", _("compteur inconnu : %(serial)s.") % {"serial": serial}
                )
                continue
            if meter[1] is None:
                errors.add(line, "meter_serial", _("ce compteur n'est posé sur aucun point."))
                continue
            if point_id is not None and meter[1] != point_id:
                errors.add(
                    line, "meter_serial", _("ce compteur n'est pas posé sur ce point de desserte.")
                )
                continue
        elif read_on is not None:
            meter = _meter_on(by_point.get(point_id, []), read_on)
            if meter is None:
                errors.add(
                    line, "service_point", _("aucun compteur posé sur ce point à cette date.")
                )
                continue
        if read_on is None or index is None or source is None or meter is None:
            continue
        key = (meter[0], read_on)
        if key in seen:
            errors.add(
                line,
                "date",
                _("même compteur et même date que la ligne %(line)s.") % {"line": seen[key]},
            )
            continue
        seen[key] = line
        lines.append(_Line(line, meter, read_on, index, source, reader))
    return lines


# --- context -------------------------------------------------------------------------------------


@dataclass
class _State:
    """What validation needs of one service point, updated as the file is validated."""

    last_actual: PreviousReading | None = None
    last_any: PreviousReading | None = None
    estimates: list = field(default_factory=list)  # ids or _Row objects after last actual
    ends: list[dt.date] = field(default_factory=list)  # counting periods, by end date
    volumes: list[Decimal] = field(default_factory=lambda: [Decimal(0)])  # prefix sums
    day_sums: list[int] = field(default_factory=lambda: [0])

    def add_period(self, end: dt.date, volume: Decimal, days: int) -> None:
        self.ends.append(end)
        self.volumes.append(self.volumes[-1] + volume)
        self.day_sums.append(self.day_sums[-1] + days)

    def history(self, start: dt.date, end: dt.date) -> History:
        """Volume and days of the periods ending in ``(start, end]``."""
        i, j = bisect_right(self.ends, start), bisect_right(self.ends, end)
        return History(self.volumes[j] - self.volumes[i], self.day_sums[j] - self.day_sums[i])

    installs: dict[int, Decimal] = field(default_factory=dict)
    live: set = field(default_factory=set)  # (meter_id, read_on)


def _filtered(queryset, field_name: str, ids: list[int]):
    if len(ids) > WHOLE_TABLE:
        yield queryset
        return
    for chunk in _chunks(ids):
        yield queryset.filter(**{f"{field_name}__in": chunk})


def _live_rows(point_ids: list[int]):
    """Live readings of the service points in date order, as plain tuples (raw SQL: no
    per-value ORM conversion, which dominates loading a large history)."""
    table = Reading._meta.db_table
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"

    def col(name: str) -> str:
        return f"CAST({quote(name)} AS TEXT)" if sqlite else quote(name)

    select = (
        f"SELECT service_point_id, meter_id, read_on, {col('index')}, source, status, "
        f"{col('consumption')}, days, id FROM {quote(table)} WHERE status IN (%s, %s)"
    )
    order = " ORDER BY read_on, id"
    chunks = [None] if len(point_ids) > WHOLE_TABLE else list(_chunks(point_ids))
    with connection.cursor() as cursor:
        for chunk in chunks:
            sql, params = select, [ReadingStatus.VALID, ReadingStatus.HELD]
            if chunk is not None:
                sql += f" AND service_point_id IN ({', '.join(['%s'] * len(chunk))})"
                params += chunk
            cursor.execute(sql + order, params)
            while batch := cursor.fetchmany(20_000):
                if not sqlite:
                    yield from batch
                    continue
                for sp, meter, read_on, index, source, status, volume, days, pk in batch:
                    yield (
                        sp,
                        meter,
                        read_on if isinstance(read_on, dt.date) else dt.date.fromisoformat(read_on),
                        Decimal(index),
                        source,
                        status,
                        None if volume is None else Decimal(volume),
                        days,
                        pk,
                    )


def _load_states(point_ids: list[int], digits: dict[int, int], since: dt.date) -> dict[int, _State]:
    """Live readings of the service points: last counting ones, estimates, periods, days taken."""
    states = {sp: _State() for sp in point_ids}
    for sp, meter_id, read_on, index, source, status, volume, days, pk in _live_rows(point_ids):
        state = states.get(sp)
        if state is None:
            continue
        state.live.add((meter_id, read_on))
        if status != ReadingStatus.VALID:
            continue
        point = PreviousReading(meter_id, read_on, index, digits.get(meter_id, 5))
        state.last_any = point
        if source == ReadingSource.ESTIMATE:
            state.estimates.append(pk)
        else:
            state.last_actual = point
            state.estimates = []
        if source == ReadingSource.INSTALL:
            state.installs[meter_id] = index
        if volume is not None and days and read_on > since:
            state.add_period(read_on, volume, days)
    return states


def _load_contracts(point_ids: list[int]) -> dict[int, list[tuple]]:
    """(start, end or None, customer class, account id) per service point."""
    contracts: dict[int, list[tuple]] = defaultdict(list)
    base = Contract.objects.order_by("start_date", "id")
    for queryset in _filtered(base, "service_point_id", point_ids):
        for sp, start, end, status, klass, account in queryset.values_list(
            "service_point_id",
            "start_date",
            "end_date",
            "status",
            "account__customer_class",
            "account_id",
        ):
            contracts[sp].append(
                (start, None if status == ContractStatus.ACTIVE else end, klass, account)
            )
    return contracts


def _contract_on(contracts: list[tuple], on: dt.date) -> tuple | None:
    for contract in reversed(contracts):
        if contract[0] <= on and (contract[1] is None or contract[1] >= on):
            return contract
    return None


def _similar_profiles(at: dt.date) -> dict[tuple, Decimal]:
    """Daily average per (use, commune, diameter) over the 12 months before ``at`` (one query)."""
    rows = (
        selectors.counting_periods(start=at - selectors.YEAR, end=at)
        .order_by()
        .values("service_point__premises_use", "service_point__commune_insee", "meter__diameter_mm")
        .annotate(volume=Sum("consumption"), days=Sum("days"))
    )
    return {
        (
            r["service_point__premises_use"],
            r["service_point__commune_insee"],
            r["meter__diameter_mm"],
        ): (r["volume"] / r["days"]).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)
        for r in rows
        if r["days"]
    }


# --- import --------------------------------------------------------------------------------------

INSERT = [
    "id",
    "meter_id",
    "service_point_id",
    "read_on",
    "index",
    "source",
    "status",
    "anomaly",
    "anomaly_detail",
    "resolution",
    "consumption",
    "days",
    "rollover",
    "reader",
    "import_file_id",
    "created_at",
    "created_by_id",
]


def import_readings(
    source: Source, *, filename: str | None = None, actor=None, force: bool = False
) -> ReadingsImportResult:
    """Validate the whole file, then write every reading in bulk (see the module doc)."""
    filename = filename or str(source if isinstance(source, str | Path) else KIND)
    sha = file_sha256(source)
    if not force:
        ensure_not_imported(KIND, sha)
    errors = ImportErrors()
    reader = read_csv(
        source, required=COLUMNS["required"], optional=COLUMNS["optional"], errors=errors
    )
    lines = _parse_file(reader, errors)
    errors.raise_if_any()

    today = clock.today()
    point_ids = sorted({line.meter[1] for line in lines})
    digits = {line.meter[0]: line.meter[2] for line in lines}
    first = min((line.read_on for line in lines), default=today)
    last = max((line.read_on for line in lines), default=today)
    states = _load_states(point_ids, digits, first - selectors.THREE_YEARS)
    for line in lines:
        if (line.meter[0], line.read_on) in states[line.meter[1]].live:
            errors.add(line.line, "date", _("ce compteur a déjà un relevé à cette date."))
    errors.raise_if_any()
    contracts = _load_contracts(point_ids)
    thresholds = selectors.thresholds_by_class()
    dwellings = {}
    for queryset in _filtered(ServicePoint.objects.order_by(), "pk", point_ids):
        for pk, use, commune, address in queryset.values_list(
            "pk", "premises_use", "commune_insee", "street"
        ):
            dwellings[pk] = (use, commune, address)
    profiles: dict[tuple, Decimal] | None = None

    result = ReadingsImportResult(rows=len(lines))
    ids = iter(allocate_ids(Reading, len(lines)) if lines else [])
    rows: list[list] = []
    replaced: list[int] = []
    notices: list[tuple] = []
    lines.sort(
        key=lambda ln: (ln.meter[1], ln.read_on, ln.source != ReadingSource.REMOVAL, ln.line)
    )
    for line in lines:
        meter_id, sp, meter_digits, diameter, _serial = line.meter[:5]
        state = states[sp]
        actual = line.source != ReadingSource.ESTIMATE
        previous = (state.last_actual if actual else state.last_any) or state.last_any
        change = None
        if previous is not None and previous.meter != meter_id:
            install = (
                line.index
                if line.source == ReadingSource.INSTALL
                else state.installs.get(meter_id, Decimal(0))
            )
            change = MeterChange(previous.index, install)
        contract = _contract_on(contracts.get(sp, []), line.read_on)
        own = state.history(line.read_on - selectors.YEAR, line.read_on)
        verdict = validate_reading(
            ReadingInput(meter_id, line.read_on, line.index, line.source, meter_digits),
            previous,
            today=today,
            daily_average=own.daily_average,
            occupied=contract is not None,
            thresholds=thresholds.get(contract[2], DEFAULT_THRESHOLDS)
            if contract
            else DEFAULT_THRESHOLDS,
            change=change,
        )
        pk = next(ids)
        row = [
            pk,
            meter_id,
            sp,
            line.read_on,
            line.index,
            line.source,
            verdict.status,
            verdict.anomaly,
            verdict.detail[:255],
            "",
            verdict.consumption,
            verdict.days,
            verdict.rollover,
            line.reader,
            None,
            None,
            actor.pk if getattr(actor, "pk", None) else None,
        ]
        rows.append(row)
        state.live.add((meter_id, line.read_on))
        if verdict.held:
            result.held += 1
            result.anomalies.append(
                LineOutcome(line.line, verdict.status, verdict.anomaly, verdict.detail)
            )
            continue
        result.valid += 1
        point = PreviousReading(meter_id, line.read_on, line.index, meter_digits)
        state.last_any = point
        if line.source == ReadingSource.INSTALL:
            state.installs[meter_id] = line.index
        if actual:
            for replaced_estimate in state.estimates:
                if isinstance(replaced_estimate, list):
                    replaced_estimate[6] = ReadingStatus.CORRECTED
                else:
                    replaced.append(replaced_estimate)
            state.estimates = []
            state.last_actual = point
        else:
            state.estimates.append(row)
        if verdict.consumption is not None and verdict.days:
            start = line.read_on - dt.timedelta(days=verdict.days)
            use, commune, _street = dwellings[sp]
            if (
                actual
                and verdict.consumption
                and contract is not None
                and use in ("main_residence", "secondary_residence")
            ):
                history = state.history(start - selectors.THREE_YEARS, start)
                if profiles is None:
                    profiles = _similar_profiles(last)
                check = warsmann_check(
                    consumption=verdict.consumption,
                    days=verdict.days,
                    premises_use=use,
                    own_three_years=history,
                    similar_average=profiles.get((use, commune, diameter)),
                )
                if check.triggered:
                    notices.append(
                        (pk, contract[3], sp, start, line.read_on, verdict.consumption, check)
                    )
            state.add_period(line.read_on, verdict.consumption, verdict.days)

    with transaction.atomic():
        record = record_import(
            kind=KIND,
            sha256=sha,
            filename=filename,
            rows=len(lines),
            actor=actor,
            outcome={"valid": result.valid, "held": result.held},
        )
        result.import_id = record.pk
        now = Reading._meta.get_field("created_at").get_db_prep_save(clock.now(), connection)
        for row in rows:
            row[3] = row[3].isoformat()
            row[14] = record.pk
            row[15] = now
        insert_rows(Reading, INSERT, (tuple(row) for row in rows))
        for chunk in _chunks(replaced):
            result.replaced_estimates += Reading.objects.filter(
                pk__in=chunk, status=ReadingStatus.VALID
            ).update(status=ReadingStatus.CORRECTED)
        result.replaced_estimates += sum(1 for row in rows if row[6] == ReadingStatus.CORRECTED)
        if notices:
            addresses = {
                sp.pk: sp.address
                for sp in ServicePoint.objects.filter(pk__in={n[2] for n in notices})
            }
            created_at = clock.now()
            AbnormalConsumptionNotice.objects.bulk_create(
                AbnormalConsumptionNotice(
                    reading_id=pk,
                    account_id=account,
                    service_point_id=sp,
                    period_start=start,
                    period_end=end,
                    consumption=volume,
                    reference_average=check.reference_volume,
                    reference_basis=check.basis,
                    text=abnormal_consumption_letter(
                        service_point_address=addresses[sp],
                        period_start=start,
                        period_end=end,
                        consumption=volume,
                        reference_volume=check.reference_volume,
                        basis=check.basis,
                    ),
                    created_at=created_at,
                )
                for pk, account, sp, start, end, volume, check in notices
            )
            result.notices = len(notices)
    result.anomalies.sort(key=lambda outcome: outcome.line)
    return result
