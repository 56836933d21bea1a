"""JSON API of metering (METER-1, METER-2, METER-6): the same services and selectors as the screens."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.core.exceptions import ApplicationError, NotFound, ValidationFailed
from robinet.customers import selectors as customer_selectors
from robinet.metering import selectors, services
from robinet.organisation.models import Entity, EntityKind

router = Router(tags=["relevés"])
MAX_BATCH = 1000


class ReadingIn(Schema):
    meter_serial: str = Field("", description="Meter serial (or give the service point)")
    service_point: str = Field("", description="Service point reference (meter in place)")
    read_on: dt.date
    index: Decimal = Field(description="Index in m³ (up to 3 decimals)")
    source: str = Field(description="field | self | remote | estimate | move_in | move_out | …")
    reader: str = ""


class ReadingOut(Schema):
    id: int
    meter: str = Field(alias="meter.serial")
    service_point: str = Field(alias="service_point.reference")
    read_on: dt.date
    index: Decimal
    source: str
    status: str
    anomaly: str
    anomaly_detail: str
    resolution: str
    consumption: Decimal | None
    days: int | None
    rollover: bool
    corrects: int | None = Field(None, alias="corrects_id")
    reader: str
    created_at: dt.datetime
    case: str | None = Field(
        None, description="METER-2: number of the case of the new reading asked for it"
    )

    @staticmethod
    def resolve_case(obj) -> str | None:
        case = selectors.new_reading_case(obj)
        return case.number if case is not None else None


class ResolveIn(Schema):
    resolution: str = Field(
        description="validated | corrected | new_reading_requested | meter_not_seen | rejected"
    )
    index: Decimal | None = Field(None, description="corrected: the right index (m³)")
    read_on: dt.date | None = Field(None, description="corrected: the right date")
    comment: str = Field("", max_length=500)


class PeriodOut(Schema):
    start: dt.date
    end: dt.date
    days: int
    consumption: Decimal
    daily_average: Decimal
    estimated: bool
    last_year_daily_average: Decimal | None
    change_percent: Decimal | None


def _record(request, payload: ReadingIn):
    meter = service_point = None
    if payload.meter_serial:
        meter = customer_selectors.meter_get_for_user(
            user=request.user, serial=payload.meter_serial
        )
    if payload.service_point:
        service_point = customer_selectors.service_point_get_for_user(
            user=request.user, reference=payload.service_point.upper()
        )
    if meter is None and service_point is None:
        raise ValidationFailed(
            {"meter_serial": [_("Indiquez le compteur ou le point de desserte.")]}
        )
    return services.reading_record(
        actor=request.user,
        meter=meter,
        service_point=service_point,
        read_on=payload.read_on,
        index=payload.index,
        source=payload.source,
        reader=payload.reader,
    )


def _reload(request, reading):
    return selectors.reading_get_for_user(user=request.user, pk=reading.pk)


@router.post("/readings", response={201: ReadingOut}, summary="Saisir un relevé")
def reading_create(request, payload: ReadingIn):
    """Record one reading (METER-1); an anomaly is stored held (METER-2), not refused."""
    return Status(201, _reload(request, _record(request, payload)))


@router.post(
    "/readings/batch", response={201: list[ReadingOut]}, summary="Saisir des relevés (lot)"
)
def reading_batch(request, payload: list[ReadingIn]):
    """All or nothing: any refused item refuses the batch, errors keyed ``<position>.<field>``."""
    if len(payload) > MAX_BATCH:
        raise ValidationFailed(
            {"__all__": [_("Au plus %(n)s relevés par lot.") % {"n": MAX_BATCH}]}
        )
    fields: dict[str, list[str]] = {}
    created = []
    with transaction.atomic():
        for position, item in enumerate(payload):
            try:
                created.append(_record(request, item))
            except ApplicationError as exc:
                problems = exc.fields or {"__all__": [str(exc.message)]}
                for name, messages in problems.items():
                    fields.setdefault(f"{position}.{name}", []).extend(messages)
        if fields:
            transaction.set_rollback(True)
    if fields:
        raise ValidationFailed(fields, _("Lot refusé : aucun relevé n'a été enregistré."))
    return Status(201, [_reload(request, reading) for reading in created])


class MeterChangeIn(Schema):
    changed_on: dt.date
    removal_index: Decimal = Field(description="Old meter's index at removal (m³)")
    new_serial: str = Field(description="New meter's serial")
    new_diameter_mm: int = Field(description="New meter's diameter (mm, 10-500)")
    new_digits: int = Field(5, description="New meter's whole-m³ dial digits (4-9)")
    install_index: Decimal = Field(Decimal(0), description="New meter's index at install (m³)")
    reader: str = ""


class MeterChangeOut(Schema):
    removal: ReadingOut
    install: ReadingOut


@router.post(
    "/service-points/{reference}/meter-change",
    response={201: MeterChangeOut},
    summary="Changer le compteur (METER-4)",
)
def meter_change(request, reference: str, payload: MeterChangeIn):
    """Removal reading on the old meter, new meter installed, install reading on it (METER-4).

    The next reading's consumption adds the old meter's part and the new one's.
    """
    service_point = customer_selectors.service_point_get_for_user(
        user=request.user, reference=reference.upper()
    )
    removal, install = services.meter_change(
        actor=request.user,
        service_point=service_point,
        changed_on=payload.changed_on,
        removal_index=payload.removal_index,
        new_serial=payload.new_serial,
        new_diameter_mm=payload.new_diameter_mm,
        new_digits=payload.new_digits,
        install_index=payload.install_index,
        reader=payload.reader,
    )
    return Status(201, {"removal": _reload(request, removal), "install": _reload(request, install)})


@router.get(
    "/service-points/{reference}/readings",
    response=list[ReadingOut],
    summary="Historique des relevés",
)
def reading_history(request, reference: str, limit: int = 200):
    service_point = customer_selectors.service_point_get_for_user(
        user=request.user, reference=reference.upper()
    )
    return list(
        selectors.reading_history(service_point).select_related("service_point")[
            : max(1, min(limit, 1000))
        ]
    )


@router.get(
    "/service-points/{reference}/consumption",
    response=list[PeriodOut],
    summary="Série de consommation (METER-6)",
)
def consumption_series(request, reference: str):
    service_point = customer_selectors.service_point_get_for_user(
        user=request.user, reference=reference.upper()
    )
    return selectors.consumption_series(service_point)


@router.post("/readings/{pk}/resolve", response=ReadingOut, summary="Traiter un relevé en anomalie")
def reading_resolve(request, pk: int, payload: ResolveIn):
    """METER-2 worklist decision on a held reading. Answers the reading that now counts (the
    corrected one, the estimate) or the rejected one; ``new_reading_requested`` answers the
    rejected reading with ``case``, the number of the internal case sent to the field."""
    from robinet.organisation.roles import Perm

    reading = selectors.reading_get_for_user(user=request.user, pk=pk, perm=Perm.CUSTOMER_CHANGE)
    result = services.anomaly_resolve(
        actor=request.user,
        reading=reading,
        resolution=payload.resolution,
        index=payload.index,
        read_on=payload.read_on,
        comment=payload.comment,
    )
    return _reload(request, result)


@router.get("/anomalies", response=list[ReadingOut], summary="Relevés en anomalie (METER-2)")
def anomalies(
    request,
    centre: str = "",
    reason: str = "",
    older_than_days: int | None = None,
    limit: int = 200,
):
    entity = None
    if centre:
        entity = Entity.objects.filter(code=centre, kind=EntityKind.CENTRE).first()
        if entity is None:
            raise NotFound(_("Centre inconnu : %(code)s.") % {"code": centre})
    worklist = selectors.anomaly_worklist(
        user=request.user, centre=entity, reason=reason or None, older_than_days=older_than_days
    )
    return list(worklist[: max(1, min(limit, 1000))])
