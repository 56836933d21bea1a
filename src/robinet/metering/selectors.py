"""Reads of metering: history, anomaly worklist, consumption series, notices (METER-1…6).

Also the context loaders the services and the import use to validate a
reading (previous counting reading, averages, occupancy, thresholds).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.exceptions import NotFound
from robinet.core.models.imports import ImportFile
from robinet.customers.choices import ContractStatus
from robinet.customers.models import Contract, CustomerAccount, Meter, ServicePoint
from robinet.metering.choices import AnomalyReason, ReadingSource, ReadingStatus
from robinet.metering.estimation import AVERAGE_QUANTUM, History
from robinet.metering.models import AbnormalConsumptionNotice, Reading, ValidationThreshold
from robinet.metering.validation import DEFAULT_THRESHOLDS, Thresholds
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm

YEAR = dt.timedelta(days=365)
THREE_YEARS = dt.timedelta(days=3 * 365)

# --- readings ---------------------------------------------------------------------------------


def reading_list(*, user, perm: str = Perm.CUSTOMER_VIEW) -> QuerySet[Reading]:
    """Readings of the service points in the user's centres."""
    return Reading.objects.filter(scope_for(user).entity_filter(perm, "service_point__centre"))


def reading_get_for_user(*, user, pk: int, perm: str = Perm.CUSTOMER_VIEW) -> Reading:
    reading = (
        reading_list(user=user, perm=perm)
        .select_related("meter", "service_point__centre", "corrects", "new_reading_request__case")
        .filter(pk=pk)
        .first()
    )
    if reading is None:
        raise NotFound(_("Relevé introuvable."))
    return reading


#: the permission to import a readings file (ORG-2 "Importer des données")
IMPORT_PERM = Perm.CUSTOMER_IMPORT
#: ``ImportFile.kind`` of a readings file (``robinet.metering.imports.KIND``)
IMPORT_KIND = "readings"


def import_centres_for(*, user) -> set[int] | None:
    """Ids of the centres where ``user`` may import readings (None: every centre)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    return set(scope.centre_ids(IMPORT_PERM))


def readings_import_get_for_user(*, user, pk: int) -> ImportFile:
    """A readings file imported by ``user`` (any, for a superuser); NotFound otherwise."""
    imports = ImportFile.objects.filter(kind=IMPORT_KIND, pk=pk)
    scope = scope_for(user)
    if not scope.is_superuser:
        imports = imports.filter(imported_by_id=user.pk) if scope.allows(IMPORT_PERM) else None
    found = imports.first() if imports is not None else None
    if found is None:
        raise NotFound(_("Import introuvable."))
    return found


def readings_import_report(record: ImportFile):
    """The per-line outcome of a readings import: ``(line, status, reason, detail)`` per line.

    Every line of the file is valid but those listed as anomalies (held for
    review, METER-2); a refused file imports nothing, so it has no report.
    """
    anomalies = {line: (reason, detail) for line, reason, detail in record.outcome["anomalies"]}
    for first, last in record.outcome.get("lines", []):
        for line in range(first, last + 1):
            held = anomalies.get(line)
            if held is None:
                yield line, ReadingStatus.VALID, "", ""
            else:
                yield line, ReadingStatus.HELD, held[0], held[1]


def reading_history(service_point: ServicePoint) -> QuerySet[Reading]:
    """Every reading of a service point, newest first (corrected ones included: audit)."""
    return (
        Reading.objects.filter(service_point=service_point)
        .select_related("meter", "created_by", "new_reading_request__case")
        .order_by("-read_on", "-id")
    )


def anomaly_worklist(
    *,
    user,
    centre: Entity | None = None,
    reason: str | None = None,
    older_than_days: int | None = None,
) -> QuerySet[Reading]:
    """Held readings awaiting an officer (METER-2), oldest first, in the user's centres."""
    readings = (
        reading_list(user=user)
        .filter(status=ReadingStatus.HELD)
        .select_related("meter", "service_point__centre", "new_reading_request__case")
    )
    if centre is not None:
        readings = readings.filter(service_point__centre=centre)
    if reason:
        readings = readings.filter(anomaly=reason)
    if older_than_days:
        readings = readings.filter(created_at__lte=clock.now() - dt.timedelta(days=older_than_days))
    return readings.order_by("created_at", "id")


def worklist_rows(readings) -> list[Reading]:
    """Held readings with what the officer compares them to, in a fixed number of queries.

    Each row gets ``previous`` (the latest actual valid reading of its service
    point on or before its date, else None), ``account`` (the customer
    occupying the premises on that date, else None) and ``age_days``.
    """
    rows = list(readings)
    if not rows:
        return rows
    previous_ids = (
        Reading.objects.filter(
            service_point_id=OuterRef("service_point_id"),
            status=ReadingStatus.VALID,
            read_on__lte=OuterRef("read_on"),
        )
        .exclude(source=ReadingSource.ESTIMATE)
        .exclude(pk=OuterRef("pk"))
        .order_by("-read_on", "-id")
        .values("pk")[:1]
    )
    occupant_ids = (
        Contract.objects.filter(
            service_point_id=OuterRef("service_point_id"), start_date__lte=OuterRef("read_on")
        )
        .filter(Q(status=ContractStatus.ACTIVE) | Q(end_date__gte=OuterRef("read_on")))
        .order_by("-start_date", "-id")
        .values("account_id")[:1]
    )
    links = dict(
        (pk, (previous_id, account_id))
        for pk, previous_id, account_id in Reading.objects.filter(pk__in=[r.pk for r in rows])
        .annotate(previous_id=Subquery(previous_ids), account_id=Subquery(occupant_ids))
        .values_list("pk", "previous_id", "account_id")
    )
    previous = Reading.objects.in_bulk([p for p, _a in links.values() if p])
    accounts = CustomerAccount.objects.select_related("party").in_bulk(
        [a for _p, a in links.values() if a]
    )
    now = clock.now()
    for row in rows:
        previous_id, account_id = links.get(row.pk, (None, None))
        row.previous = previous.get(previous_id)
        row.account = accounts.get(account_id)
        row.age_days = (now - row.created_at).days
    return rows


def anomaly_counts(*, user, centre: Entity | None = None) -> dict[str, int]:
    """Held readings per reason (worklist header)."""
    counts = dict.fromkeys(AnomalyReason.values, 0)
    for row in (
        anomaly_worklist(user=user, centre=centre)
        .order_by()
        .values("anomaly")
        .annotate(n=Count("id"))
    ):
        counts[row["anomaly"]] = row["n"]
    return counts


def notice_list(account: CustomerAccount) -> QuerySet[AbnormalConsumptionNotice]:
    """METER-5 notices of an account, newest first."""
    return (
        AbnormalConsumptionNotice.objects.filter(account=account)
        .select_related("service_point", "reading", "case")
        .order_by("-period_end", "-id")
    )


def notice_get_for_user(*, user, pk: int, perm: str = Perm.CUSTOMER_VIEW):
    notice = (
        AbnormalConsumptionNotice.objects.filter(
            scope_for(user).entity_filter(perm, "account__centre")
        )
        .select_related("account", "service_point")
        .filter(pk=pk)
        .first()
    )
    if notice is None:
        raise NotFound(_("Information introuvable."))
    return notice


# --- consumption series (METER-6) ---------------------------------------------------------------


def _daily(volume: Decimal, days: int) -> Decimal:
    return (volume / days).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _overlap_average(periods: list[dict[str, Any]], start: dt.date, end: dt.date):
    """Daily average over [start, end) from the periods overlapping it (None: not covered)."""
    volume, days = Decimal(0), 0
    for period in periods:
        lo, hi = max(start, period["start"]), min(end, period["end"])
        overlap = (hi - lo).days
        if overlap > 0:
            volume += period["consumption"] * overlap / period["days"]
            days += overlap
    return _daily(volume, days) if days else None


def consumption_series(service_point: ServicePoint) -> list[dict[str, Any]]:
    """METER-6: the counting periods of a service point, oldest first, as plain data.

    Each period: ``start``, ``end``, ``days``, ``consumption`` (m³),
    ``daily_average`` (m³/day), ``estimated``, ``last_year_daily_average`` (the
    same dates one year earlier, None when not covered) and ``change_percent``.
    """
    rows = (
        counting_periods()
        .filter(service_point=service_point)
        .order_by("read_on", "id")
        .values_list("read_on", "days", "consumption", "source")
    )
    periods = [
        {
            "start": read_on - dt.timedelta(days=days),
            "end": read_on,
            "days": days,
            "consumption": consumption,
            "daily_average": _daily(consumption, days),
            "estimated": source == ReadingSource.ESTIMATE,
        }
        for read_on, days, consumption, source in rows
    ]
    for period in periods:
        last_year = _overlap_average(periods, period["start"] - YEAR, period["end"] - YEAR)
        period["last_year_daily_average"] = last_year
        period["change_percent"] = (
            ((period["daily_average"] - last_year) * 100 / last_year).quantize(Decimal("0.1"))
            if last_year
            else None
        )
    return periods


# --- validation context (used by services and the import) ---------------------------------------


def previous_counting_reading(
    service_point_id: int, *, actual_only: bool = True, exclude_pk: int | None = None
) -> Reading | None:
    """The latest counting (valid) reading of a service point (an actual one by default)."""
    readings = Reading.objects.filter(
        service_point_id=service_point_id, status=ReadingStatus.VALID
    ).select_related("meter")
    if actual_only:
        readings = readings.exclude(source=ReadingSource.ESTIMATE)
    if exclude_pk:
        readings = readings.exclude(pk=exclude_pk)
    return readings.order_by("-read_on", "-id").first()


def counting_periods(
    *, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Reading]:
    """Valid readings that close a measured period (consumption and days), ending in ``(start, end]``."""
    readings = Reading.objects.filter(
        status=ReadingStatus.VALID, consumption__isnull=False, days__gt=0
    )
    if start is not None:
        readings = readings.filter(read_on__gt=start)
    if end is not None:
        readings = readings.filter(read_on__lte=end)
    return readings


def service_point_history(service_point_id: int, *, start: dt.date, end: dt.date) -> History:
    """Volume and days of the counting periods ending in ``(start, end]``."""
    totals = (
        counting_periods(start=start, end=end)
        .filter(service_point_id=service_point_id)
        .aggregate(volume=Sum("consumption"), days=Sum("days"))
    )
    return History(totals["volume"] or Decimal(0), totals["days"] or 0)


def similar_premises_filter(service_point: ServicePoint, meter: Meter | None) -> Q:
    query = Q(
        service_point__premises_use=service_point.premises_use,
        service_point__commune_insee=service_point.commune_insee,
    )
    if meter is not None:
        query &= Q(meter__diameter_mm=meter.diameter_mm)
    return query & ~Q(service_point_id=service_point.pk)


def similar_premises_average(
    service_point: ServicePoint, meter: Meter | None, *, at: dt.date
) -> Decimal | None:
    """METER-3/5: daily average of similar premises (same use, diameter and commune), 12 months."""
    totals = (
        counting_periods(start=at - YEAR, end=at)
        .filter(similar_premises_filter(service_point, meter))
        .order_by()
        .aggregate(volume=Sum("consumption"), days=Sum("days"))
    )
    if not totals["days"]:
        return None
    return (totals["volume"] / totals["days"]).quantize(AVERAGE_QUANTUM, rounding=ROUND_HALF_UP)


#: (premises use, commune, meter diameter): what makes premises similar (METER-3)
SimilarKey = tuple[str, str, int]


def similar_premises_totals(
    *, at: dt.date, keys: set[SimilarKey] | None = None, readings_through: int | None = None
) -> dict[SimilarKey, History]:
    """Volume and days of the year's counting periods by kind of premises, in one grouped query.

    ``keys``: only these kinds (all when None); ``readings_through``: only the
    readings recorded up to that id (see :class:`EstimateBasis`).
    """
    periods = counting_periods(start=at - YEAR, end=at).order_by()
    if keys is not None:
        periods = periods.filter(
            service_point__commune_insee__in={k[1] for k in keys},
            service_point__premises_use__in={k[0] for k in keys},
            meter__diameter_mm__in={k[2] for k in keys},
        )
    if readings_through is not None:
        periods = periods.filter(pk__lte=readings_through)
    kind = ("service_point__premises_use", "service_point__commune_insee", "meter__diameter_mm")
    return {
        (use, commune, diameter): History(volume, days)
        for use, commune, diameter, volume, days in periods.values_list(*kind)
        .annotate(volume=Sum("consumption"), days=Sum("days"))
        .values_list(*kind, "volume", "days")
    }


class EstimateBasis:
    """The readings a batch's estimates average similar premises from (METER-3).

    A billing run estimates its points chunk by chunk, and an estimate is a
    counting reading too: were the next chunk's averages to include the
    estimates the previous one made, the bills would depend on the order the
    chunks ran in (or on how many workers ran them). The basis is the readings
    recorded when the run was proposed (ids up to ``readings_through``); their
    totals by kind of premises are read once per date, on first use.
    """

    def __init__(self, readings_through: int) -> None:
        self.readings_through = readings_through
        self._totals: dict[dt.date, dict[SimilarKey, History]] = {}

    def totals(self, at: dt.date) -> dict[SimilarKey, History]:
        if at not in self._totals:
            self._totals[at] = similar_premises_totals(
                at=at, readings_through=self.readings_through
            )
        return self._totals[at]


def last_reading_id() -> int:
    """The id of the last reading recorded (0 when none): an :class:`EstimateBasis`."""
    return Reading.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def similar_premises_averages(
    points: dict[int, SimilarKey], *, at: dt.date, basis: EstimateBasis | None = None
) -> dict[int, Decimal | None]:
    """:func:`similar_premises_average` of many service points in two grouped queries.

    ``points`` maps a service point to its kind of premises. The totals of each
    kind over the year are read once (or taken from ``basis``); each point's
    own periods on a meter of that diameter are then taken out, so that every
    point gets the average of the *other* premises, exactly as the one-point
    query gives it.
    """
    if not points:
        return {}
    periods = counting_periods(start=at - YEAR, end=at).order_by()
    if basis is None:
        totals = similar_premises_totals(at=at, keys=set(points.values()))
    else:
        totals = basis.totals(at)
        periods = periods.filter(pk__lte=basis.readings_through)
    own = {
        (sp_id, diameter): History(volume, days)
        for sp_id, diameter, volume, days in periods.filter(service_point_id__in=list(points))
        .values_list("service_point_id", "meter__diameter_mm")
        .annotate(volume=Sum("consumption"), days=Sum("days"))
        .values_list("service_point_id", "meter__diameter_mm", "volume", "days")
    }
    averages: dict[int, Decimal | None] = {}
    for sp_id, key in points.items():
        total = totals.get(key, History())
        mine = own.get((sp_id, key[2]), History())
        averages[sp_id] = History(total.volume - mine.volume, total.days - mine.days).daily_average
    return averages


def active_contract(service_point_id: int, *, on: dt.date) -> Contract | None:
    """The contract occupying the premises on a date (None: vacant)."""
    return (
        Contract.objects.filter(service_point_id=service_point_id, start_date__lte=on)
        .filter(Q(status=ContractStatus.ACTIVE) | Q(end_date__gte=on))
        .select_related("account")
        .order_by("-start_date", "-id")
        .first()
    )


def thresholds_by_class() -> dict[str, Thresholds]:
    return {
        row.customer_class: Thresholds(row.high_factor, row.high_floor_m3, row.zero_min_days)
        for row in ValidationThreshold.objects.all()
    }


def thresholds_for(customer_class: str | None) -> Thresholds:
    """METER-2 thresholds of a customer class (defaults without a row)."""
    if customer_class is None:
        return DEFAULT_THRESHOLDS
    return thresholds_by_class().get(customer_class, DEFAULT_THRESHOLDS)


def meter_at(service_point: ServicePoint, on: dt.date) -> Meter | None:
    """The meter in place at a service point on a date."""
    return (
        Meter.objects.filter(service_point=service_point)
        .filter(Q(installed_on__isnull=True) | Q(installed_on__lte=on))
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gte=on))
        .order_by(F("installed_on").desc(nulls_last=True), "-id")
        .first()
    )


def new_reading_case(reading: Reading):
    """METER-2: the case of the new reading asked for ``reading`` (None if none was asked)."""
    request = getattr(reading, "new_reading_request", None)
    return request.case if request is not None else None
