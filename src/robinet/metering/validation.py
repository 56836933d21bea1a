"""Validation of a reading (METER-2). Pure: the caller loads the context.

Rules, checked in this order; the first that applies holds the reading:

1. the reading date is in the future → ``date_in_future``;
2. the reading date is before the previous counting reading's → ``date_before_previous``;
3. the index is below the previous one, outside a meter change or a
   plausible rollover (see :mod:`robinet.metering.consumption`) → ``index_decrease``;
4. the consumption is above ``high_factor`` × the service point's daily
   average over the last 12 months × the period's days, and above
   ``high_floor_m3`` → ``high_consumption``;
5. the consumption is zero over ``zero_min_days`` days or more on an occupied
   premises (an active contract) → ``zero_consumption``.

Rules 4 and 5 do not apply to estimates (we made them) nor to install
readings (the new meter's first index). A reading with no previous one is
valid and has no consumption.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from robinet.metering.choices import AnomalyReason, ReadingSource, ReadingStatus
from robinet.metering.consumption import (
    Index,
    MeterChange,
    consumption_between,
    dial_difference,
)

VOLUME = Decimal("0.001")


@dataclass(frozen=True)
class Thresholds:
    """METER-2 thresholds (one per customer class, these defaults otherwise)."""

    high_factor: Decimal = Decimal(2)
    high_floor_m3: Decimal = Decimal(30)
    zero_min_days: int = 60


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class ReadingInput:
    meter: object
    read_on: dt.date
    index: Decimal
    source: str
    digits: int = 5


@dataclass(frozen=True)
class PreviousReading:
    meter: object
    read_on: dt.date
    index: Decimal
    digits: int = 5


@dataclass(frozen=True)
class Verdict:
    status: str
    anomaly: str = ""
    detail: str = ""
    consumption: Decimal | None = None
    days: int | None = None
    rollover: bool = False

    @property
    def held(self) -> bool:
        return self.status == ReadingStatus.HELD


def _m3(value: Decimal) -> str:
    return f"{value.quantize(VOLUME, rounding=ROUND_HALF_UP).normalize():f}"


def validate_reading(
    reading: ReadingInput,
    previous: PreviousReading | None,
    *,
    today: dt.date,
    daily_average: Decimal | None = None,
    occupied: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    change: MeterChange | None = None,
) -> Verdict:
    """The status of ``reading`` after ``previous`` (METER-2, rules in the module doc).

    ``change`` is required when ``previous`` was read on another meter (METER-4).
    """
    held = ReadingStatus.HELD
    if reading.read_on > today:
        return Verdict(
            held,
            AnomalyReason.DATE_IN_FUTURE,
            _("Date de relève %(date)s postérieure à aujourd'hui.")
            % {"date": reading.read_on.strftime("%d/%m/%Y")},
        )
    if previous is None:
        return Verdict(ReadingStatus.VALID)
    if reading.read_on < previous.read_on:
        return Verdict(
            held,
            AnomalyReason.DATE_BEFORE_PREVIOUS,
            _("Date de relève antérieure au relevé précédent du %(date)s.")
            % {"date": previous.read_on.strftime("%d/%m/%Y")},
        )
    days = (reading.read_on - previous.read_on).days
    if previous.meter == reading.meter and change is None:
        result = dial_difference(previous.index, reading.index, reading.digits)
    else:
        result = consumption_between(
            Index(previous.meter, previous.index, previous.digits),
            Index(reading.meter, reading.index, reading.digits),
            change or MeterChange(previous.index, Decimal(0)),
        )
    if result.volume is None:
        return Verdict(
            held,
            AnomalyReason.INDEX_DECREASE,
            _("Index %(index)s inférieur à l'index précédent %(previous)s.")
            % {"index": _m3(reading.index), "previous": _m3(previous.index)},
            days=days,
        )
    volume = result.volume
    checked = reading.source not in (ReadingSource.ESTIMATE, ReadingSource.INSTALL)
    if checked and daily_average is not None and days > 0:
        expected = daily_average * days
        limit = thresholds.high_factor * expected
        if volume > limit and volume > thresholds.high_floor_m3:
            return Verdict(
                held,
                AnomalyReason.HIGH_CONSUMPTION,
                _(
                    "Consommation de %(volume)s m³ en %(days)s jours, plus de %(factor)s fois "
                    "la consommation habituelle (%(expected)s m³)."
                )
                % {
                    "volume": _m3(volume),
                    "days": days,
                    "factor": _m3(thresholds.high_factor),
                    "expected": _m3(expected),
                },
                volume,
                days,
                result.rollover,
            )
    if checked and occupied and volume == 0 and days >= thresholds.zero_min_days:
        return Verdict(
            held,
            AnomalyReason.ZERO_CONSUMPTION,
            _("Consommation nulle en %(days)s jours sur un local occupé.") % {"days": days},
            volume,
            days,
            result.rollover,
        )
    return Verdict(ReadingStatus.VALID, "", "", volume, days, result.rollover)
