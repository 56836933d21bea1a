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
import queue
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.bulk import (
    ReferenceBatch,
    collector_paused,
    create_instances,
    in_ids,
    insert_rows,
)
from robinet.core.imports import (
    ImportErrors,
    Source,
    ensure_not_imported,
    file_sha256,
    read_csv,
    record_import,
)
from robinet.core.models.imports import ImportFile
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
    ReadingInput,
    validate_reading,
)

KIND = selectors.IMPORT_KIND
COLUMNS = {
    "required": ["date", "index", "source"],
    "optional": ["meter_serial", "service_point", "reader"],
}
ALL_COLUMNS = [*COLUMNS["required"], *COLUMNS["optional"]]
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
    # Filled by validation, used for the write: stored estimates an actual reading of the
    # file replaces, and the METER-5 notices to create.
    replaced_ids: list[int] = field(default_factory=list, repr=False)
    #: seconds per phase (parse, context, write, finish, commit) for benchmarks
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    pending_notices: list[tuple] = field(default_factory=list, repr=False)

    def outcome(self, line_numbers: list[int]) -> dict:
        """What the import file keeps (``ImportFile.outcome``): counts and the per-line report.

        Lines as ranges of line numbers (a file is usually one range), anomalies
        with their line, reason and detail; every other line is valid.
        """
        ranges: list[list[int]] = []
        for number in line_numbers:
            if ranges and ranges[-1][1] == number - 1:
                ranges[-1][1] = number
            else:
                ranges.append([number, number])
        return {
            "valid": self.valid,
            "held": self.held,
            "replaced_estimates": self.replaced_estimates,
            "notices": self.notices,
            "lines": ranges,
            "anomalies": [[o.line, o.anomaly, o.detail] for o in self.anomalies],
        }

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
    if raw.isascii() and raw.isdigit():  # the common case: whole m³, at most 9 digits
        return Decimal(raw) if len(raw) <= 9 else None
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


def _parse_file(reader, errors: ImportErrors, *, centres: set[int] | None = None) -> list[tuple]:
    """The file's lines as ``(line, meter, read_on, index, source, reader)``, every problem in
    ``errors``. ``centres``: the centres the actor may import into (None: all)."""
    raw_lines = []
    serials, references = set(), set()
    # The reader's records as lists, in one loop: a dict per line (what iterating the
    # reader gives) would cost about 4 s per million lines, a generator step 0.3 s more.
    keys = reader._keys  # noqa: SLF001 - core.imports' reader, column names by position
    width = len(keys)
    position = {name: keys.index(name) if name in keys else None for name in ALL_COLUMNS}
    serial_at, reference_at, reader_at = (
        position["meter_serial"],
        position["service_point"],
        position["reader"],
    )
    date_at, index_at, source_at = position["date"], position["index"], position["source"]
    for line, cells in enumerate(reader._records, start=2):  # noqa: SLF001
        if len(cells) != width:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                errors.add(
                    line,
                    None,
                    _("%(cells)s valeurs pour %(columns)s colonnes.")
                    % {"cells": len(cells), "columns": width},
                )
            cells = cells[:width] + [""] * (width - len(cells))
        elif not all(cells) and not any(cell.strip() for cell in cells):
            continue
        serial = cells[serial_at].strip().upper() if serial_at is not None else ""
        reference = cells[reference_at].strip().upper() if reference_at is not None else ""
        name = cells[reader_at].strip()[:80] if reader_at is not None else ""
        read_on = _parse_date(cells[date_at])
        index = _parse_index(cells[index_at].strip())
        source = SOURCES.get(cells[source_at].strip().casefold())
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
        raw_lines.append((line, serial, reference, read_on, index, source, name))
    points, by_serial, by_point = _load_meters(serials, references)
    lines: list[tuple] = []
    seen: dict[tuple, int] = {}
    for line, serial, reference, read_on, index, source, name in raw_lines:
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
        lines.append((line, meter, read_on, index, source, name))
    if centres is not None and lines:
        _check_scope(lines, centres, errors)
    return lines


def _check_scope(lines: list[tuple], centres: set[int], errors: ImportErrors) -> None:
    """A line-numbered error for each line whose service point is outside ``centres``."""
    point_ids = sorted({line[1][1] for line in lines})
    centre_of: dict[int, int] = {}
    for queryset in _filtered(ServicePoint.objects.order_by(), "pk", point_ids):
        centre_of.update(queryset.values_list("pk", "centre_id"))
    for line in lines:
        if centre_of.get(line[1][1]) not in centres:
            errors.add(
                line[0],
                "service_point",
                _("ce point de desserte n'est pas dans vos centres : import refusé."),
            )


# --- context -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    """What validation needs of one service point, updated as the file is validated."""

    last_actual: _Point | None = None
    last_any: _Point | None = None
    estimates: list = field(default_factory=list)  # ids or _Row objects after last actual
    ends: list[dt.date] = field(default_factory=list)  # counting periods, by end date
    volumes: list[Decimal] = field(default_factory=lambda: [Decimal(0)])  # prefix sums
    day_sums: list[int] = field(default_factory=lambda: [0])

    def add_period(self, end: dt.date, volume: Decimal, days: int) -> None:
        self.ends.append(end)
        self.volumes.append(self.volumes[-1] + volume)
        self.day_sums.append(self.day_sums[-1] + days)

    def daily_average(self, start: dt.date, end: dt.date) -> Decimal | None:
        """``self.history(start, end).daily_average``, without the object (once per line)."""
        ends = self.ends
        if not ends or ends[-1] <= start:
            return None
        i, j = bisect_right(ends, start), bisect_right(ends, end)
        days = self.day_sums[j] - self.day_sums[i]
        if days <= 0:
            return None
        volume = self.volumes[j] - self.volumes[i]
        return (volume / days).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)

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


def _live_rows(
    point_ids: list[int],
    *,
    after: dt.date | None = None,
    until: dt.date | None = None,
    whole_table: bool = True,
):
    """Live readings of the service points in date order, as plain tuples (raw SQL: no
    per-value ORM conversion, which dominates loading a large history); ``after`` and
    ``until`` bound the dates, ``whole_table=False`` always filters by service point."""
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
    base = [ReadingStatus.VALID, ReadingStatus.HELD]
    if after is not None:
        select += " AND read_on > %s"
        base.append(after)
    if until is not None:
        select += " AND read_on <= %s"
        base.append(until)
    chunks = [None] if whole_table and len(point_ids) > WHOLE_TABLE else list(_chunks(point_ids))
    with connection.cursor() as cursor:
        for chunk in chunks:
            sql, params = select, list(base)
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


def _load_states(
    point_ids: list[int], digits: dict[int, int], since: dt.date, dates: set[dt.date]
) -> dict[int, _State]:
    """Live readings of the service points: last counting ones, estimates, periods, and the
    (meter, day) pairs already read on the file's ``dates`` (all after ``since``).

    Only the readings after ``since`` (three years before the file) are loaded,
    except for the service points with no actual valid reading since then: their
    older readings are loaded too, for the last counting reading.
    """
    if connection.vendor == "postgresql":
        states = _states_in_sql(point_ids, digits, since, dates)
    else:
        states = _fill({sp: _State() for sp in point_ids}, _live_rows(point_ids, after=since),
                       digits, since, dates)  # fmt: skip
    missing = [sp for sp, state in states.items() if state.last_actual is None]
    if missing:
        rows = _live_rows(missing, until=since, whole_table=False)
        older = _fill({sp: _State() for sp in missing}, rows, digits, since, dates)
        for sp, old in older.items():
            state = states[sp]
            state.last_actual = old.last_actual
            state.last_any = state.last_any or old.last_any
            state.estimates = old.estimates + state.estimates
            state.installs = {**old.installs, **state.installs}
    return states


def _states_in_sql(
    point_ids: list[int], digits: dict[int, int], since: dt.date, dates: set[dt.date]
) -> dict[int, _State]:
    """What :func:`_fill` makes of the readings after ``since``, PostgreSQL doing the walk:
    the counting periods as one array per service point (prefix sums in C), the last valid
    and last actual readings, the estimates after the last actual, the install indexes and
    the (meter, day) pairs already read on the file's days. A few set queries instead of a
    Python step per stored reading (a third of a large import's time)."""
    states = {sp: _State() for sp in point_ids}
    table = connection.ops.quote_name(Reading._meta.db_table)
    where = "status = %s AND read_on > %s"
    base: list = [VALID, since]
    if len(point_ids) <= WHOLE_TABLE:
        sql, params = in_ids("service_point_id", point_ids)
        where, base = f"{where} AND {sql}", [*base, *params]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT service_point_id, array_agg(read_on ORDER BY read_on, id), "
            "array_agg(consumption ORDER BY read_on, id), array_agg(days ORDER BY read_on, id) "
            f"FROM {table} WHERE {where} AND consumption IS NOT NULL AND days <> 0 "
            "GROUP BY service_point_id",
            base,
        )
        for sp, ends, volumes, days in cursor.fetchall():
            state = states.get(sp)
            if state is not None:
                state.ends = ends
                state.volumes = list(accumulate(volumes, initial=ZERO))
                state.day_sums = list(accumulate(days, initial=0))
        last = (
            "SELECT DISTINCT ON (service_point_id) service_point_id, meter_id, read_on, index, id"
        )
        order = "ORDER BY service_point_id, read_on DESC, id DESC"
        actual: dict[int, tuple] = {}
        cursor.execute(f"{last} FROM {table} WHERE {where} AND source <> %s {order}",
                       [*base, ESTIMATE])  # fmt: skip
        for sp, meter_id, read_on, index, pk in cursor.fetchall():
            if sp in states:
                actual[sp] = (read_on, pk)
                states[sp].last_actual = _Point(meter_id, read_on, index, digits.get(meter_id, 5))
        cursor.execute(f"{last} FROM {table} WHERE {where} {order}", base)
        for sp, meter_id, read_on, index, _pk in cursor.fetchall():
            if sp in states:
                states[sp].last_any = _Point(meter_id, read_on, index, digits.get(meter_id, 5))
        cursor.execute(
            f"SELECT service_point_id, read_on, id FROM {table} WHERE {where} AND source = %s "
            "ORDER BY read_on, id",
            [*base, ESTIMATE],
        )
        for sp, read_on, pk in cursor.fetchall():
            state = states.get(sp)
            if state is not None and (sp not in actual or (read_on, pk) > actual[sp]):
                state.estimates.append(pk)
        cursor.execute(
            "SELECT DISTINCT ON (service_point_id, meter_id) service_point_id, meter_id, index "
            f"FROM {table} WHERE {where} AND source = %s "
            "ORDER BY service_point_id, meter_id, read_on DESC, id DESC",
            [*base, INSTALL],
        )
        for sp, meter_id, index in cursor.fetchall():
            if sp in states:
                states[sp].installs[meter_id] = index
        live_where = where.replace("status = %s", "status IN (%s, %s)", 1)
        cursor.execute(
            f"SELECT service_point_id, meter_id, read_on FROM {table} "
            f"WHERE {live_where} AND read_on = ANY(%s)",
            [VALID, HELD, *base[1:], sorted(dates)],
        )
        for sp, meter_id, read_on in cursor.fetchall():
            if sp in states:
                states[sp].live.add((meter_id, read_on))
    return states


def _fill(
    states: dict[int, _State], rows, digits: dict[int, int], since: dt.date, dates: set[dt.date]
) -> dict[int, _State]:
    """``states`` from ``rows`` (live readings in date order)."""
    last: dict[int, tuple] = {}  # sp -> (last valid row, last actual row): objects made once
    valid, estimate, install = ReadingStatus.VALID, ReadingSource.ESTIMATE, ReadingSource.INSTALL
    for row in rows:
        sp, meter_id, read_on, index, source, status, volume, days, pk = row
        state = states.get(sp)
        if state is None:
            continue
        if read_on in dates:
            state.live.add((meter_id, read_on))
        if status != valid:
            continue
        if source == estimate:
            state.estimates.append(pk)
            last[sp] = (row, last.get(sp, (None, None))[1])
        else:
            if state.estimates:
                state.estimates = []
            last[sp] = (row, row)
            if source == install:
                state.installs[meter_id] = index
        if volume is not None and days and read_on > since:
            state.add_period(read_on, volume, days)
    for sp, (any_row, actual_row) in last.items():
        state = states[sp]
        state.last_any = _point(any_row, digits)
        state.last_actual = _point(actual_row, digits) if actual_row is not None else None
    return states


class _Point(NamedTuple):
    """A counting reading, as ``validation.PreviousReading`` (same fields, cheaper to make)."""

    meter: int
    read_on: dt.date
    index: Decimal
    digits: int


def _point(row: tuple, digits: dict[int, int]) -> _Point:
    return _Point(row[1], row[2], row[3], digits.get(row[1], 5))


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
STATUS, READ_ON = 5, 2  # positions in INSERT
#: rows per ``COPY`` statement on PostgreSQL (the foreign keys are checked after each)
COPY_CHUNK = 50_000
DWELLING_USES = ("main_residence", "secondary_residence")
VALID, HELD, CORRECTED = ReadingStatus.VALID, ReadingStatus.HELD, ReadingStatus.CORRECTED
ESTIMATE, INSTALL, REMOVAL = ReadingSource.ESTIMATE, ReadingSource.INSTALL, ReadingSource.REMOVAL
UNCHECKED = (ESTIMATE, INSTALL)  # METER-2 volume rules do not apply (see validation)
ZERO = Decimal(0)


class _Context:
    """Everything validation needs, loaded in a few queries before anything is written."""

    def __init__(self, lines: list[tuple], today: dt.date) -> None:
        self.today = today
        point_ids = sorted({line[1][1] for line in lines})
        digits = {line[1][0]: line[1][2] for line in lines}
        first = min((line[2] for line in lines), default=today)
        self.last = max((line[2] for line in lines), default=today)
        self.point_ids = point_ids
        dates = {line[2] for line in lines}
        self.states = _load_states(point_ids, digits, first - selectors.THREE_YEARS, dates)
        self.contracts = _load_contracts(point_ids)
        self.thresholds = selectors.thresholds_by_class()
        self.uses: dict[int, tuple] = {}
        for queryset in _filtered(ServicePoint.objects.order_by(), "pk", point_ids):
            for pk, use, commune in queryset.values_list("pk", "premises_use", "commune_insee"):
                self.uses[pk] = (use, commune)
        dwellings = any(use in DWELLING_USES for use, _commune in self.uses.values())
        self.profiles = _similar_profiles(self.last) if dwellings and lines else {}

    def already_read(self, lines: list[tuple], errors: ImportErrors) -> None:
        for line in lines:
            if (line[1][0], line[2]) in self.states[line[1][1]].live:
                errors.add(line[0], "date", _("ce compteur a déjà un relevé à cette date."))


def _validate(lines: list[tuple], context: _Context, result: ReadingsImportResult, fixed: tuple):
    """Validate the lines (sorted by service point, date) in memory; yield finished rows.

    A service point's rows are yielded once all its lines are validated (an
    actual reading later in the file may still mark an estimate of the file
    ``corrected``). ``fixed``: the last three columns (import file, time, user).
    Fills ``result`` (counts, anomalies) and returns, through ``result``, the
    ids of stored estimates replaced and the METER-5 notices to create.
    """
    today, states, contracts = context.today, context.states, context.contracts
    thresholds, uses, profiles = context.thresholds, context.uses, context.profiles
    year, three_years = selectors.YEAR, selectors.THREE_YEARS
    valid = held = 0
    anomalies = result.anomalies
    pending: list[list] = []
    current_sp = None
    for line_no, meter, read_on, index, source, reader in lines:
        meter_id, sp, meter_digits, diameter = meter[0], meter[1], meter[2], meter[3]
        if sp != current_sp:
            yield from pending
            pending = []
            current_sp = sp
            state = states[sp]
            sp_contracts = contracts.get(sp, ())
            use, commune = uses[sp]
            dwelling = use in DWELLING_USES
        actual = source != ESTIMATE
        previous = (state.last_actual if actual else state.last_any) or state.last_any
        contract = _contract_on(sp_contracts, read_on) if sp_contracts else None
        limits = thresholds.get(contract[2], DEFAULT_THRESHOLDS) if contract else DEFAULT_THRESHOLDS
        # The usual case, decided without the general function: the same meter, dates in
        # order, the index up, no volume rule triggered. Anything else goes through
        # ``validate_reading``, which gives the same verdict for these cases. The 12-month
        # average is only needed above the floor (most readings are below it).
        verdict = average = None
        if (
            previous is not None
            and previous.meter == meter_id
            and previous.read_on <= read_on <= today
            and index >= previous.index
        ):
            volume = index - previous.index
            days = (read_on - previous.read_on).days
            high = False
            if volume > limits.high_floor_m3 and days > 0 and source not in UNCHECKED:
                average = state.daily_average(read_on - year, read_on)
                high = average is not None and volume > limits.high_factor * (average * days)
            if source in UNCHECKED or not (
                high or (contract is not None and not volume and days >= limits.zero_min_days)
            ):
                status, anomaly, detail, rollover = VALID, "", "", False
                verdict = True
        if verdict is None:
            if average is None:
                average = state.daily_average(read_on - year, read_on)
            change = None
            if previous is not None and previous.meter != meter_id:
                install = index if source == INSTALL else state.installs.get(meter_id, ZERO)
                change = MeterChange(previous.index, install)
            checked = validate_reading(
                ReadingInput(meter_id, read_on, index, source, meter_digits),
                previous,
                today=today,
                daily_average=average,
                occupied=contract is not None,
                thresholds=limits,
                change=change,
            )
            status, anomaly, detail = checked.status, checked.anomaly, checked.detail[:255]
            volume, days, rollover = checked.consumption, checked.days, checked.rollover
        row = [
            meter_id,
            sp,
            read_on,
            index,
            source,
            status,
            anomaly,
            detail,
            "",
            volume,
            days,
            rollover,
            reader,
            *fixed,
        ]
        pending.append(row)
        if status == HELD:
            held += 1
            anomalies.append(LineOutcome(line_no, status, anomaly, detail))
            continue
        valid += 1
        point = _Point(meter_id, read_on, index, meter_digits)
        state.last_any = point
        if source == INSTALL:
            state.installs[meter_id] = index
        if actual:
            for replaced_estimate in state.estimates:
                if isinstance(replaced_estimate, list):
                    replaced_estimate[STATUS] = CORRECTED
                    result.replaced_estimates += 1
                else:
                    result.replaced_ids.append(replaced_estimate)
            state.estimates = []
            state.last_actual = point
        else:
            state.estimates.append(row)
        if volume is not None and days:
            start = read_on - dt.timedelta(days=days)
            if actual and volume and contract is not None and dwelling:
                check = warsmann_check(
                    consumption=volume,
                    days=days,
                    premises_use=use,
                    own_three_years=state.history(start - three_years, start),
                    similar_average=profiles.get((use, commune, diameter)),
                )
                if check.triggered:
                    result.pending_notices.append(
                        (meter_id, contract[3], sp, start, read_on, volume, check)
                    )
            state.add_period(read_on, volume, days)
    yield from pending
    result.valid, result.held = valid, held


def _copy_text(value) -> str:
    """One value in PostgreSQL's ``COPY`` text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _copy_rows(rows, fixed: tuple) -> str:
    """Rows as ``COPY`` text: the free-text columns escaped, the others written as they are."""
    null = "\\N"
    tail = "\t".join(_copy_text(value) for value in fixed)
    out = []
    for row in rows:
        detail, volume, days, reader = row[7], row[9], row[10], row[12]
        out.append(
            "\t".join(
                (
                    str(row[0]),
                    str(row[1]),
                    str(row[2]),
                    str(row[3]),
                    row[4],
                    row[5],
                    row[6],
                    _copy_text(detail) if detail else "",
                    "",
                    null if volume is None else str(volume),
                    null if days is None else str(days),
                    "t" if row[11] else "f",
                    _copy_text(reader) if reader else "",
                    tail,
                )
            )
        )
    out.append("")
    return "\n".join(out)


class _CopyWriter:
    """``COPY`` of text blocks in a thread, on the caller's connection and transaction.

    The database inserts a block while Python validates the next one: on two
    cores the two overlap. The foreign keys are checked per batch at the end
    (:class:`robinet.core.bulk.ReferenceBatch`, one query per key column)
    where the role may do so; otherwise the reading table's deferred keys
    are checked by PostgreSQL after each block (``SET CONSTRAINTS …
    IMMEDIATE`` then ``DEFERRED``) rather than all at the commit, where
    nothing else could overlap them.
    """

    def __init__(self, model, columns: list[str], references: ReferenceBatch) -> None:
        quote = connection.ops.quote_name
        table = model._meta.db_table
        self.sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        self.references = references
        self.checks: list[str] = []
        if not references.active:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'f' AND condeferrable AND condeferred",
                    [quote(table)],
                )
                names = ", ".join(quote(row[0]) for row in cursor.fetchall())
            if names:
                self.checks = [
                    f"SET CONSTRAINTS {names} IMMEDIATE",
                    f"SET CONSTRAINTS {names} DEFERRED",
                ]
        self.raw = connection.connection  # the psycopg connection, thread-safe
        self.blocks: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.copy_seconds = self.check_seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="readings-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.raw.cursor() as cursor:
                self.references.start(cursor)
                while (block := self.blocks.get()) is not None:
                    started = time.perf_counter()
                    with cursor.copy(self.sql) as copy:
                        copy.write(block)
                    copied = time.perf_counter()
                    for statement in self.checks:
                        cursor.execute(statement)
                    self.copy_seconds += copied - started
                    self.check_seconds += time.perf_counter() - copied
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.error = exc
            while self.blocks.get() is not None:  # let the producer finish
                pass

    def write(self, block: str) -> None:
        self.blocks.put(block)

    def close(self) -> None:
        self.blocks.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        started = time.perf_counter()
        with connection.cursor() as cursor:
            self.references.finish(cursor)
        self.check_seconds += time.perf_counter() - started


def _write(rows, fixed: tuple, timings: dict[str, float], lines: list[tuple]) -> None:
    """Insert the validated rows of ``lines`` in the current transaction (``COPY`` in blocks on
    PostgreSQL, the keys checked once: every row's meter and service point is a line's)."""
    if connection.vendor != "postgresql":
        insert_rows(
            Reading,
            INSERT,
            ((*row[:2], row[2].isoformat(), *row[3:]) for row in rows),
        )
        return
    references = ReferenceBatch(Reading, INSERT, len(lines))
    references.add_keys("meter_id", {line[1][0] for line in lines})
    references.add_keys("service_point_id", {line[1][1] for line in lines})
    for column, value in zip(INSERT[-len(fixed) :], fixed, strict=True):
        references.add_keys(column, (value,))
    writer = _CopyWriter(Reading, INSERT, references)
    waited = 0.0
    try:
        block: list = []
        for row in rows:
            block.append(row)
            if len(block) >= COPY_CHUNK:
                text = _copy_rows(block, fixed)
                mark = time.perf_counter()
                writer.write(text)
                waited += time.perf_counter() - mark
                block = []
        if block:
            writer.write(_copy_rows(block, fixed))
        mark = time.perf_counter()
    finally:
        writer.close()
    timings["waited_for_database"] = waited + time.perf_counter() - mark
    timings["database_copy"] = writer.copy_seconds
    timings["database_foreign_keys"] = writer.check_seconds


@collector_paused()
def import_readings(
    source: Source,
    *,
    filename: str | None = None,
    actor=None,
    force: bool = False,
    centres: set[int] | None = None,
) -> ReadingsImportResult:
    """Validate the whole file, then write every reading in bulk (see the module doc).

    ``centres``: the centres the actor may import into; a line for a service
    point elsewhere refuses the file (the back-office page passes the user's
    scope; the command, run by an operator, passes None: every centre).
    """
    filename = filename or str(source if isinstance(source, str | Path) else KIND)
    started = time.perf_counter()
    sha = file_sha256(source)
    if not force:
        ensure_not_imported(KIND, sha)
    errors = ImportErrors()
    reader = read_csv(
        source, required=COLUMNS["required"], optional=COLUMNS["optional"], errors=errors
    )
    lines = _parse_file(reader, errors, centres=centres)
    errors.raise_if_any()
    parsed = time.perf_counter()

    context = _Context(lines, clock.today())
    context.already_read(lines, errors)
    errors.raise_if_any()
    lines.sort(key=lambda ln: (ln[1][1], ln[2], ln[4] != REMOVAL, ln[0]))

    result = ReadingsImportResult(rows=len(lines))
    timings = result.timings
    timings["parse"] = parsed - started
    timings["context"] = time.perf_counter() - parsed
    with transaction.atomic():
        record = record_import(
            kind=KIND, sha256=sha, filename=filename, rows=len(lines), actor=actor, force=force
        )
        result.import_id = record.pk
        now = Reading._meta.get_field("created_at").get_db_prep_save(clock.now(), connection)
        fixed = (record.pk, now, actor.pk if getattr(actor, "pk", None) else None)
        mark = time.perf_counter()
        _write(_validate(lines, context, result, fixed), fixed, timings, lines)
        timings["validate_write"] = time.perf_counter() - mark
        mark = time.perf_counter()
        for chunk in _chunks(result.replaced_ids):
            result.replaced_estimates += Reading.objects.filter(pk__in=chunk, status=VALID).update(
                status=CORRECTED
            )
        if result.pending_notices:
            result.notices = _create_notices(result.pending_notices, record.pk)
        _cases_after_import(record.pk, {line[1][1] for line in lines})
        result.anomalies.sort(key=lambda outcome: outcome.line)
        ImportFile.objects.filter(pk=record.pk).update(
            outcome=result.outcome(sorted(line[0] for line in lines))
        )
        timings["finish"] = time.perf_counter() - mark
        mark = time.perf_counter()
    timings["commit"] = time.perf_counter() - mark
    return result


def _cases_after_import(import_id: int, point_ids: set[int]) -> None:
    """A valid reading closes the new-reading request of its point (METER-2). (The leak-relief
    cases of the METER-5 notices are opened with the notices.)"""
    from robinet.metering import case_links
    from robinet.metering.models import NewReadingRequest

    # Open requests are few (a partial index): intersect them with the file's points.
    waiting = set(
        NewReadingRequest.objects.filter(closed_at__isnull=True).values_list(
            "service_point_id", flat=True
        )
    ).intersection(point_ids)
    if waiting:
        case_links.new_reading_requests_close(
            list(
                Reading.objects.filter(
                    import_file_id=import_id, service_point_id__in=waiting, status=VALID
                )
            )
        )


def _create_notices(pending: list[tuple], import_id: int) -> int:
    """METER-5 notices of the imported readings that trigger one (ids looked up by meter, day),
    each with its leak-relief case."""
    from robinet.metering import case_links

    ids: dict[tuple, int] = {}
    meter_ids = sorted({n[0] for n in pending})
    for chunk in _chunks(meter_ids):
        for meter_id, read_on, pk in Reading.objects.filter(
            meter_id__in=chunk, status=VALID, import_file_id=import_id
        ).values_list("meter_id", "read_on", "pk"):
            ids[(meter_id, read_on)] = pk
    addresses = {
        sp.pk: sp.address for sp in ServicePoint.objects.filter(pk__in={n[2] for n in pending})
    }
    created_at = clock.now()
    notices = [
        AbnormalConsumptionNotice(
            reading_id=ids[(meter_id, end)],
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
        for meter_id, account, sp, start, end, volume, check in pending
    ]
    # Each notice opens its leak-relief case (BILL-9), in bulk: a file may bring thousands.
    case_links.notice_cases_open(notices)
    create_instances(AbnormalConsumptionNotice, notices)
    return len(notices)
