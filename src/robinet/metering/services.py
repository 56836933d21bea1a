"""Writes of metering: readings, corrections, anomalies, estimates, meter changes (METER-1…5).

Every write checks ``Perm.CUSTOMER_CHANGE`` on the service point's centre
(``actor=None`` is a system job), validates with the pure rules and records
an audit event in the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.audit import BULK_ROWS
from robinet.core.bulk import create_instances, in_ids
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.customers import rules
from robinet.customers import services as customer_services
from robinet.customers.choices import CustomerClass
from robinet.customers.models import Meter, ServicePoint
from robinet.metering import case_links, selectors
from robinet.metering.choices import (
    AnomalyReason,
    AnomalyResolution,
    ReadingSource,
    ReadingStatus,
)
from robinet.metering.consumption import MeterChange
from robinet.metering.estimation import (
    History,
    estimate_index,
    own_history_suffices,
    warsmann_check,
)
from robinet.metering.models import AbnormalConsumptionNotice, Reading, ValidationThreshold
from robinet.metering.texts import abnormal_consumption_letter
from robinet.metering.validation import PreviousReading, ReadingInput, Verdict, validate_reading
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

# Anomalies an officer may validate as is: the volume is real, only unusual.
VALIDATABLE = (AnomalyReason.HIGH_CONSUMPTION, AnomalyReason.ZERO_CONSUMPTION)
NOTICE_CHANNELS = ("mail", "email", "bill", "portal")


def _check(actor, service_point: ServicePoint) -> None:
    # ``actor=None`` is a system job (import, run, command) started by an operator.
    if actor is not None:
        require(actor, Perm.CUSTOMER_CHANGE, service_point.centre)


def _among(queryset, column: str, ids):
    """``queryset`` where its table's ``column`` is one of ``ids`` (one array on PostgreSQL)."""
    sql, params = in_ids(f'"{queryset.model._meta.db_table}"."{column}"', ids)
    return queryset.extra(where=[sql], params=params)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


# --- context -------------------------------------------------------------------------------------


def _previous_for_validation(
    service_point: ServicePoint, meter: Meter, source: str, *, exclude_pk: int | None = None
) -> tuple[Reading | None, MeterChange | None]:
    """The reading to measure from (METER-3: an actual reading skips the estimates) and,
    when it was on another meter, the change between them (METER-4)."""
    previous = selectors.previous_counting_reading(
        service_point.pk, actual_only=source != ReadingSource.ESTIMATE, exclude_pk=exclude_pk
    )
    if previous is None:
        previous = selectors.previous_counting_reading(service_point.pk, exclude_pk=exclude_pk)
    if previous is None or previous.meter_id == meter.pk:
        return previous, None
    install = (
        Reading.objects.filter(
            meter=meter,
            service_point=service_point,
            source=ReadingSource.INSTALL,
            status=ReadingStatus.VALID,
        )
        .exclude(pk=exclude_pk)
        .order_by("-read_on", "-id")
        .values_list("index", flat=True)
        .first()
    )
    return previous, MeterChange(previous.index, install if install is not None else Decimal(0))


def _verdict(
    *,
    service_point: ServicePoint,
    meter: Meter,
    read_on: dt.date,
    index: Decimal,
    source: str,
    exclude_pk: int | None = None,
) -> tuple[Verdict, Reading | None]:
    previous, change = _previous_for_validation(service_point, meter, source, exclude_pk=exclude_pk)
    if source == ReadingSource.INSTALL and previous is not None and change is not None:
        change = MeterChange(change.removal_index, index)
    contract = selectors.active_contract(service_point.pk, on=read_on)
    own = selectors.service_point_history(
        service_point.pk, start=read_on - selectors.YEAR, end=read_on
    )
    verdict = validate_reading(
        ReadingInput(meter.pk, read_on, index, source, meter.index_digits),
        PreviousReading(
            previous.meter_id, previous.read_on, previous.index, previous.meter.index_digits
        )
        if previous is not None
        else None,
        today=clock.today(),
        daily_average=own.daily_average,
        occupied=contract is not None,
        thresholds=selectors.thresholds_for(
            contract.account.customer_class if contract is not None else None
        ),
        change=change,
    )
    return verdict, previous


def _parse(read_on: Any, index: Any, source: Any) -> tuple[dt.date, Decimal, str]:
    bag = rules.ErrorBag()
    date = customer_services.parse_date(bag, "read_on", read_on, required=True)
    value = customer_services.parse_index(bag, "index", index)
    origin = customer_services.parse_choice(bag, "source", source, ReadingSource)
    if bag:
        raise ValidationFailed(bag.errors)
    return date, value, origin  # type: ignore[return-value]


def _resolve_meter(
    meter: Meter | None, service_point: ServicePoint | None, read_on: dt.date
) -> tuple[Meter, ServicePoint]:
    if meter is not None:
        if meter.service_point_id is None:
            raise ValidationFailed({"meter": [_("Ce compteur n'est posé sur aucun point.")]})
        if service_point is not None and meter.service_point_id != service_point.pk:
            raise ValidationFailed(
                {"meter": [_("Ce compteur n'est pas posé sur ce point de desserte.")]}
            )
        return meter, service_point or ServicePoint.objects.get(pk=meter.service_point_id)
    if service_point is None:
        raise ValidationFailed({"meter": [_("Indiquez le compteur ou le point de desserte.")]})
    found = selectors.meter_at(service_point, read_on)
    if found is None:
        raise ValidationFailed(
            {"meter": [_("Aucun compteur posé sur ce point de desserte à cette date.")]}
        )
    return found, service_point


# --- after a reading becomes valid ---------------------------------------------------------------


def _replace_estimates(reading: Reading) -> int:
    """METER-3: an actual reading replaces the estimates since the previous actual one."""
    if reading.source == ReadingSource.ESTIMATE:
        return 0
    previous = selectors.previous_counting_reading(reading.service_point_id, exclude_pk=reading.pk)
    estimates = Reading.objects.filter(
        service_point_id=reading.service_point_id,
        status=ReadingStatus.VALID,
        source=ReadingSource.ESTIMATE,
    ).exclude(pk=reading.pk)
    if previous is not None:
        estimates = estimates.filter(read_on__gte=previous.read_on)
    return estimates.update(status=ReadingStatus.CORRECTED)


def _warsmann(reading: Reading, service_point: ServicePoint, meter: Meter):
    """METER-5: create the abnormal-increase notice when the consumption calls for it."""
    if (
        reading.source == ReadingSource.ESTIMATE
        or not reading.consumption
        or not reading.days
        or hasattr(reading, "abnormal_notice")
    ):
        return None
    start = reading.read_on - dt.timedelta(days=reading.days)
    own = selectors.service_point_history(
        service_point.pk, start=start - selectors.THREE_YEARS, end=start
    )
    check = warsmann_check(
        consumption=reading.consumption,
        days=reading.days,
        premises_use=service_point.premises_use,
        own_three_years=own,
        similar_average=selectors.similar_premises_average(service_point, meter, at=start),
    )
    if not check.triggered:
        return None
    contract = selectors.active_contract(service_point.pk, on=reading.read_on)
    if contract is None:
        return None
    notice = AbnormalConsumptionNotice.objects.create(
        reading=reading,
        account=contract.account,
        service_point=service_point,
        period_start=start,
        period_end=reading.read_on,
        consumption=reading.consumption,
        reference_average=check.reference_volume,
        reference_basis=check.basis,
        text=abnormal_consumption_letter(
            service_point_address=service_point.address,
            period_start=start,
            period_end=reading.read_on,
            consumption=reading.consumption,
            reference_volume=check.reference_volume,
            basis=check.basis,
        ),
        created_at=clock.now(),
    )
    case_links.notice_case_open(notice)
    audit.record(
        actor=None,
        verb="abnormal_consumption_notice_created",
        target=notice,
        subject=contract.account,
        data={"reading": reading.pk, "consumption": reading.consumption},
    )
    return notice


def _became_valid(reading: Reading, service_point: ServicePoint, meter: Meter) -> None:
    _replace_estimates(reading)
    _warsmann(reading, service_point, meter)
    # METER-2: the next valid actual reading closes the new-reading request and its case.
    case_links.new_reading_requests_close([reading])


# --- readings ------------------------------------------------------------------------------------


@transaction.atomic
def reading_record(
    *,
    actor,
    read_on: Any,
    index: Any,
    source: Any,
    meter: Meter | None = None,
    service_point: ServicePoint | None = None,
    reader: str = "",
    corrects: Reading | None = None,
) -> Reading:
    """Record a reading (METER-1) validated by METER-2; held when it is an anomaly.

    A valid actual reading replaces the estimates since the previous actual
    reading (METER-3) and may create a loi Warsmann notice (METER-5).
    """
    date, value, origin = _parse(read_on, index, source)
    meter, service_point = _resolve_meter(meter, service_point, date)
    _check(actor, service_point)
    if Reading.objects.filter(
        meter=meter, read_on=date, status__in=[ReadingStatus.VALID, ReadingStatus.HELD]
    ).exists():
        raise ValidationFailed(
            {"read_on": [_("Ce compteur a déjà un relevé à cette date : corrigez-le.")]}
        )
    verdict, previous = _verdict(
        service_point=service_point, meter=meter, read_on=date, index=value, source=origin
    )
    reading = Reading.objects.create(
        meter=meter,
        service_point=service_point,
        read_on=date,
        index=value,
        source=origin,
        status=verdict.status,
        anomaly=verdict.anomaly,
        anomaly_detail=verdict.detail[:255],
        consumption=verdict.consumption,
        days=verdict.days,
        rollover=verdict.rollover,
        corrects=corrects,
        reader=(reader or "")[:80],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    if reading.status == ReadingStatus.VALID:
        _became_valid(reading, service_point, meter)
    audit.record(
        actor=actor,
        verb="reading_recorded",
        target=reading,
        subject=service_point,
        data={
            "serial": meter.serial,
            "read_on": date,
            "index": value,
            "source": origin,
            "status": reading.status,
            "anomaly": reading.anomaly,
            "previous": previous.pk if previous else None,
        },
    )
    return reading


@transaction.atomic
def reading_correct(
    *,
    actor,
    reading: Reading,
    index: Any = None,
    read_on: Any = None,
    source: Any = None,
    reason: str = "",
) -> Reading:
    """Replace a reading by a corrected one; the original stays, marked ``corrected``.

    Only the latest counting reading of a service point can be corrected (a
    later reading was measured from it: correct that one first).
    """
    reading = (
        Reading.objects.select_for_update()
        .select_related("service_point__centre")
        .get(pk=reading.pk)
    )
    service_point = reading.service_point
    _check(actor, service_point)
    if reading.status not in (ReadingStatus.VALID, ReadingStatus.HELD):
        raise InvalidTransition(_("Ce relevé a déjà été remplacé ou rejeté."))
    later = Reading.objects.filter(
        service_point=service_point,
        status=ReadingStatus.VALID,
        read_on__gt=reading.read_on,
    ).exclude(source=ReadingSource.ESTIMATE)
    # A held reading was never measured from; a valid one may have been.
    if reading.status == ReadingStatus.VALID and later.exists():
        raise ApplicationError(
            _("Un relevé plus récent a été mesuré depuis celui-ci : corrigez d'abord ce dernier."),
            code="later_reading_exists",
        )
    before = audit.snapshot(reading, ["status", "resolution"])
    reading.status = ReadingStatus.CORRECTED
    if reading.anomaly:
        reading.resolution = AnomalyResolution.CORRECTED
    reading.save(update_fields=["status", "resolution"])
    meter = reading.meter
    corrected = reading_record(
        actor=actor,
        read_on=read_on if read_on not in (None, "") else reading.read_on,
        index=index if index not in (None, "") else reading.index,
        source=source or reading.source,
        meter=meter,
        service_point=service_point,
        reader=reading.reader,
        corrects=reading,
    )
    audit.record(
        actor=actor,
        verb="reading_corrected",
        target=reading,
        subject=service_point,
        changes=audit.diff(before, audit.snapshot(reading, ["status", "resolution"])),
        data={"corrected_by": corrected.pk, "reason": reason, "index": corrected.index},
    )
    return corrected


@transaction.atomic
def anomaly_resolve(
    *,
    actor,
    reading: Reading,
    resolution: str,
    index: Any = None,
    read_on: Any = None,
    comment: str = "",
) -> Reading:
    """An officer's decision on a held reading (METER-2 worklist).

    ``validated``: the volume is real (high or zero consumption only);
    ``corrected``: a new reading with ``index``/``read_on`` replaces it;
    ``new_reading_requested``: rejected until a new reading comes; an internal case
    (``RELEVE``) goes to the field team and the next valid reading closes it;
    ``meter_not_seen``: rejected and replaced by an estimate (METER-3).
    Returns the reading that now counts (or the rejected one).
    """
    reading = (
        Reading.objects.select_for_update()
        .select_related("service_point__centre", "meter")
        .get(pk=reading.pk)
    )
    service_point = reading.service_point
    _check(actor, service_point)
    if reading.status != ReadingStatus.HELD:
        raise InvalidTransition(_("Ce relevé n'est pas en attente de traitement."))
    if resolution == AnomalyResolution.CORRECTED:
        return reading_correct(
            actor=actor, reading=reading, index=index, read_on=read_on, reason=comment
        )
    if resolution == AnomalyResolution.VALIDATED:
        if reading.anomaly not in VALIDATABLE:
            raise ApplicationError(
                _("Cette anomalie ne peut pas être validée telle quelle : corrigez le relevé."),
                code="not_validatable",
            )
        reading.status = ReadingStatus.VALID
    elif resolution in (
        AnomalyResolution.NEW_READING_REQUESTED,
        AnomalyResolution.METER_NOT_SEEN,
        AnomalyResolution.REJECTED,
    ):
        reading.status = ReadingStatus.REJECTED
    else:
        raise ValidationFailed({"resolution": [_("Traitement inconnu.")]})
    reading.resolution = resolution
    reading.save(update_fields=["status", "resolution"])
    result = reading
    if reading.status == ReadingStatus.VALID:
        _became_valid(reading, service_point, reading.meter)
    elif resolution == AnomalyResolution.NEW_READING_REQUESTED:
        # METER-2: an internal case for the field team, closed by the next valid reading.
        case_links.new_reading_request_open(actor=actor, reading=reading, comment=comment)
    elif resolution == AnomalyResolution.METER_NOT_SEEN:
        estimates = estimate_readings(
            actor=actor, service_points=[service_point], at=min(reading.read_on, clock.today())
        )
        result = estimates[0] if estimates else reading
    audit.record(
        actor=actor,
        verb="reading_anomaly_resolved",
        target=reading,
        subject=service_point,
        data={"anomaly": reading.anomaly, "resolution": resolution, "comment": comment},
    )
    return result


# --- estimates (METER-3) -------------------------------------------------------------------------


@transaction.atomic
def estimate_readings(
    *,
    actor,
    service_points: Iterable[ServicePoint | int],
    at: dt.date,
    basis: selectors.EstimateBasis | None = None,
) -> list[Reading]:
    """Estimated readings at ``at`` for meters not read (METER-3), in a few queries.

    From the service point's daily average over the last 12 months, else the
    average of similar premises (from the readings of ``basis``, when given:
    a billing run's). Skips service points with no counting reading, no meter
    in place or a live reading of their meter on that date.
    """
    ids = [sp if isinstance(sp, int) else sp.pk for sp in service_points]
    # A billing run asks for thousands of points: the ids go as one array (``_among``).
    points_qs = _among(ServicePoint.objects.all(), "id", ids)
    if actor is not None:
        points_qs = points_qs.select_related("centre")
    points = {sp.pk: sp for sp in points_qs}
    for sp in points.values():
        _check(actor, sp)
    meters = {
        m.service_point_id: m
        for m in _among(Meter.objects.filter(removed_on__isnull=True), "service_point_id", ids)
        .filter(installed_on__lte=at)
        .order_by("installed_on")
    }
    last: dict[int, tuple] = {}
    for row in (
        _among(Reading.objects.all(), "service_point_id", ids)
        .filter(status=ReadingStatus.VALID, read_on__lte=at)
        .order_by("read_on", "id")
        .values_list("service_point_id", "meter_id", "read_on", "index")
    ):
        last[row[0]] = row
    taken = set(
        _among(Reading.objects.all(), "meter_id", [m.pk for m in meters.values()])
        .filter(read_on=at, status__in=[ReadingStatus.VALID, ReadingStatus.HELD])
        .values_list("meter_id", flat=True)
    )
    histories = {
        row["service_point_id"]: History(row["volume"], row["days"])
        for row in _among(
            selectors.counting_periods(start=at - selectors.YEAR, end=at), "service_point_id", ids
        )
        .order_by()
        .values("service_point_id")
        .annotate(volume=Sum("consumption"), days=Sum("days"))
    }
    eligible = []
    for sp_id in ids:
        sp, meter, previous = points.get(sp_id), meters.get(sp_id), last.get(sp_id)
        if sp is None or meter is None or previous is None or meter.pk in taken:
            continue
        if previous[1] != meter.pk or previous[2] >= at:
            continue  # no counting index on this meter yet, or already read at that date
        eligible.append((sp, meter, previous, histories.get(sp_id, History())))
    # A year of the communes' readings, grouped once: only for the points whose own
    # history is too short.
    similar = selectors.similar_premises_averages(
        {
            sp.pk: (sp.premises_use, sp.commune_insee, meter.diameter_mm)
            for sp, meter, _previous, own in eligible
            if not own_history_suffices(own)
        },
        at=at,
        basis=basis,
    )
    now = clock.now()
    created: list[Reading] = []
    for sp, meter, previous, own in eligible:
        estimate = estimate_index(
            last_index=previous[3],
            last_read_on=previous[2],
            at=at,
            own=own,
            similar_average=similar.get(sp.pk),
            digits=meter.index_digits,
        )
        created.append(
            Reading(
                meter=meter,
                service_point=sp,
                read_on=at,
                index=estimate.index,
                source=ReadingSource.ESTIMATE,
                status=ReadingStatus.VALID,
                consumption=estimate.consumption,
                days=estimate.days,
                rollover=estimate.rollover,
                anomaly_detail=_("Estimation (%(basis)s, %(average)s m³/jour).")
                % {"basis": estimate.basis, "average": estimate.daily_average},
                created_at=now,
                created_by=_user(actor),
            )
        )
    if len(created) >= BULK_ROWS:
        create_instances(Reading, created)  # COPY (a billing run's estimates)
    else:
        Reading.objects.bulk_create(created)
    audit.record_many(
        actor=actor,
        verb="reading_estimated",
        events=(
            (reading, reading.service_point, {"index": reading.index, "read_on": at})
            for reading in created
        ),
    )
    return created


# --- meter change (METER-4) ----------------------------------------------------------------------


@contextlib.contextmanager
def _renamed(names: dict[str, str]):
    """Field errors of a called service under this service's argument names."""
    try:
        yield
    except ValidationFailed as exc:
        fields = {names.get(k, k): v for k, v in (exc.fields or {}).items()}
        raise ValidationFailed(fields, exc.message) from exc


@transaction.atomic
def meter_change(
    *,
    actor,
    service_point: ServicePoint,
    changed_on: Any,
    removal_index: Any,
    new_serial: str,
    new_diameter_mm: Any,
    install_index: Any = 0,
    new_digits: Any = None,
    reader: str = "",
) -> tuple[Reading, Reading]:
    """Close the old meter on its removal index and open the new one on its install index.

    Records a ``removal`` reading on the old meter and an ``install`` reading
    on the new one, so the consumption across the change is the sum of both
    parts (METER-4); the meter itself moves through the customer services.
    Validates user input: errors are keyed by these argument names.
    ``new_digits``: the new meter's whole-m³ dial digits (default 5).
    """
    _check(actor, service_point)
    if actor is not None:  # the meter moves too (customer services check it again)
        require(actor, Perm.CONTRACT_CHANGE, service_point.centre)
    bag = rules.ErrorBag()
    date = customer_services.parse_date(bag, "changed_on", changed_on, required=True)
    customer_services.parse_index(bag, "removal_index", removal_index)
    customer_services.parse_index(bag, "install_index", install_index)
    digits = 5
    if new_digits not in (None, ""):
        try:
            digits = int(new_digits)
            if not 4 <= digits <= 9:
                raise ValueError
        except (TypeError, ValueError):
            bag.add("new_digits", _("Nombre de chiffres invalide (de 4 à 9)."))
    if not (new_serial or "").strip():
        bag.add("new_serial", _("Ce champ est obligatoire."))
    if date is not None and date > clock.today():
        bag.add("changed_on", _("La date du changement ne peut pas être dans le futur."))
    if bag:
        raise ValidationFailed(bag.errors)
    old = Meter.objects.filter(service_point=service_point, removed_on__isnull=True).first()
    if old is None:
        raise ApplicationError(
            _("Aucun compteur posé sur ce point de desserte."), code="meter_not_installed"
        )
    if old.installed_on is not None and date < old.installed_on:
        raise ValidationFailed({"changed_on": [_("Date antérieure à la pose du compteur actuel.")]})
    with _renamed({"read_on": "changed_on", "index": "removal_index"}):
        removal = reading_record(
            actor=actor,
            read_on=date,
            index=removal_index,
            source=ReadingSource.REMOVAL,
            meter=old,
            service_point=service_point,
            reader=reader,
        )
    customer_services.meter_remove(actor=actor, meter=old, removed_on=date)
    with _renamed({"serial": "new_serial", "diameter_mm": "new_diameter_mm"}):
        new = customer_services.meter_install(
            actor=actor,
            service_point=service_point,
            serial=new_serial,
            diameter_mm=new_diameter_mm,
            installed_on=date,
        )
    if new.index_digits != digits:
        Meter.objects.filter(pk=new.pk).update(index_digits=digits)
        new.index_digits = digits
    install = reading_record(
        actor=actor,
        read_on=date,
        index=install_index,
        source=ReadingSource.INSTALL,
        meter=new,
        service_point=service_point,
        reader=reader,
    )
    audit.record(
        actor=actor,
        verb="meter_changed",
        target=new,
        subject=service_point,
        data={"old": old.serial, "new": new.serial, "removal": removal.pk, "install": install.pk},
    )
    return removal, install


# --- notices (METER-5) and thresholds (METER-2) ---------------------------------------------------


@transaction.atomic
def notice_mark_sent(
    *, actor, notice: AbnormalConsumptionNotice, channel: str = "mail", sent_at=None
) -> AbnormalConsumptionNotice:
    """Record when and how the METER-5 information was sent to the customer."""
    notice = AbnormalConsumptionNotice.objects.select_for_update().get(pk=notice.pk)
    if actor is not None:
        require(actor, Perm.CUSTOMER_CHANGE, notice.account.centre)
    if channel not in NOTICE_CHANNELS:
        raise ValidationFailed({"channel": [_("Canal inconnu.")]})
    if notice.sent_at is not None:
        raise InvalidTransition(_("Cette information a déjà été envoyée."))
    notice.sent_at = sent_at or clock.now()
    notice.sent_channel = channel
    notice.save(update_fields=["sent_at", "sent_channel"])
    audit.record(
        actor=actor,
        verb="abnormal_consumption_notice_sent",
        target=notice,
        subject=notice.account,
        data={"channel": channel, "sent_at": notice.sent_at},
    )
    return notice


@transaction.atomic
def threshold_set(
    *,
    actor,
    customer_class: str,
    high_factor: Any,
    high_floor_m3: Any,
    zero_min_days: Any,
) -> ValidationThreshold:
    """Set the METER-2 thresholds of a customer class (administrators)."""
    if actor is not None:
        require(actor, Perm.ORG_MANAGE)
    bag = rules.ErrorBag()
    klass = customer_services.parse_choice(bag, "customer_class", customer_class, CustomerClass)
    factor = customer_services.parse_index(bag, "high_factor", high_factor)
    floor = customer_services.parse_index(bag, "high_floor_m3", high_floor_m3)
    try:
        days = int(zero_min_days)
        if days < 1:
            raise ValueError
    except (TypeError, ValueError):
        bag.add("zero_min_days", _("Nombre de jours invalide."))
        days = 0
    if factor is not None and factor <= 1:
        bag.add("high_factor", _("Le facteur doit être supérieur à 1."))
    if bag:
        raise ValidationFailed(bag.errors)
    row, _created = ValidationThreshold.objects.update_or_create(
        customer_class=klass,
        defaults={"high_factor": factor, "high_floor_m3": floor, "zero_min_days": days},
    )
    audit.record(
        actor=actor,
        verb="reading_threshold_set",
        target=row,
        data={"high_factor": factor, "high_floor_m3": floor, "zero_min_days": days},
    )
    return row
