"""Two years of meter readings for the demo utility (METER-1…5).

For each service point, once it can get no more contracts, the readings of
the meters in place during the last two years (up to the generation date):

* a first reading: the install reading if the meter was fitted in the window,
  else a starting index at the window's start (or the move-in of the first
  holder if the point is newer);
* field readings about every six months (remote-read meters, about one in
  ten: monthly), with the seasons (more in summer — the index curve is the
  one the contracts' start and final indexes were taken on);
* move-in and move-out readings at the contracts' starts and ends, at their
  ``start_index`` / ``end_index``;
* a meter change: the old meter's removal reading and the new one's install
  reading on the same day (METER-4);
* rollovers: old 4-digit meters refitted at a high index pass 9999 → 0;
* leaks on about 1 % of dwellings: one period at 3 to 10 times the usual
  volume, validated after review, with its METER-5 information notice;
* meters not seen (METER-3): an estimate, then the next real reading;
* about 0.5 % of latest readings held as anomalies (index decrease, high
  consumption) for the anomaly worklist.

Consumption, days and rollover are what :mod:`robinet.metering.consumption`
gives when each reading arrives (``chain_consumptions`` of the service point's
chain up to that reading; the tests check every row against it): computed
here with integers, the same rules, because a million customers make some
ten million readings. Draws come from a generator of their own, so the
customers are the same with or without readings.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from robinet.customers.choices import PremisesUse
from robinet.metering.choices import AnomalyReason, AnomalyResolution, ReadingSource, ReadingStatus
from robinet.metering.estimation import Period, estimate_index, history, warsmann_check
from robinet.metering.models import AbnormalConsumptionNotice, Reading

if TYPE_CHECKING:
    from robinet.demo.generator import RowBuilder, _Meter, _Point

# The seasons: a day of consumption weighs 1 + A·cos(2π(d − peak)/365.25) days.
SEASONAL_AMPLITUDE = 0.3
SEASONAL_PEAK_DAY = 196  # mid-July

WINDOW_DAYS = 730
FIELD_PERIOD = 182
REMOTE_SHARE = 0.10
LEAK_SHARE = 0.01
NOT_SEEN_SHARE = 0.03
HELD_SHARE = 0.005
# metering.consumption.ROLLOVER_MAX_SHARE: a fall is a rollover up to a tenth of the dial.
ROLLOVER_DIVISOR = 10
YEAR = 365

COLUMNS: dict[type, tuple[str, ...]] = {
    Reading: (
        "id", "meter_id", "service_point_id", "read_on", "index", "source", "status", "anomaly",
        "anomaly_detail", "resolution", "consumption", "days", "rollover", "reader",
        "created_at",
    ),
    AbnormalConsumptionNotice: (
        "id", "reading_id", "account_id", "service_point_id", "period_start", "period_end",
        "consumption", "reference_average", "reference_basis", "text", "created_at", "sent_at",
        "sent_channel",
    ),
}  # fmt: skip

_FIELD = ReadingSource.FIELD.value
_REMOTE = ReadingSource.REMOTE.value
_ESTIMATE = ReadingSource.ESTIMATE.value
_INSTALL = ReadingSource.INSTALL.value
_REMOVAL = ReadingSource.REMOVAL.value
_MOVE_IN = ReadingSource.MOVE_IN.value
_MOVE_OUT = ReadingSource.MOVE_OUT.value
_VALID = ReadingStatus.VALID.value
_HELD = ReadingStatus.HELD.value
_HOUSEHOLD = (PremisesUse.MAIN_RESIDENCE.value, PremisesUse.SECONDARY_RESIDENCE.value)
_SCHEDULED = (_FIELD, _REMOTE)


class _R:
    """A reading being built."""

    __slots__ = (
        "day", "order", "meter", "source", "index", "status", "anomaly", "detail",
        "resolution", "consumption", "days", "rollover", "start",
    )  # fmt: skip

    def __init__(self, day: int, order: int, meter: _Meter, source: str, index: int) -> None:
        self.day = day
        self.order = order  # same day: removal (0) before install (1) before the others (2)
        self.meter = meter
        self.source = source
        self.index = index
        self.status = _VALID
        self.anomaly = ""
        self.detail = ""
        self.resolution = ""
        self.consumption: int | None = None
        self.days: int | None = None
        self.rollover = False
        self.start = False  # the starting index of the window


def _french(day: str) -> str:
    return f"{day[8:10]}/{day[5:7]}/{day[:4]}"


class ReadingBuilder:
    """Appends the Reading and AbnormalConsumptionNotice rows of a RowBuilder's points."""

    def __init__(self, builder: RowBuilder) -> None:
        self.builder = builder
        self.random = random.Random(builder.seed ^ 0x2EAD1)
        self.today = builder.today
        self.window = builder.today - WINDOW_DAYS
        pools = builder.pools
        r = self.random.random
        self.readers = [
            f"{pools.male_first_names[int(r() * len(pools.male_first_names))]} "
            f"{pools.last_names[int(r() * len(pools.last_names))]}"
            for _ in range(40)
        ]
        self.times: dict[int, list[str]] = {}

    def _moment(self, day: int, hour: int) -> str:
        """A datetime in the three hours from ``hour`` (UTC) of that day, as the database reads it."""
        b = self.builder
        times = self.times.get(hour)
        if times is None:
            times = self.times[hour] = [
                f"{h:02d}:{m:02d}:00{b.datetime_suffix}"
                for h in range(hour, hour + 3)
                for m in range(60)
            ]
        return f"{b.days[day - b.first_day]} {times[int(self.random.random() * 180)]}"

    def point(self, point: _Point) -> None:
        """The readings of one service point (see the module)."""
        b = self.builder
        r = self.random.random
        today = self.today
        effective, first = b.effective, b.first_day
        contracts = point.contracts or []
        if not contracts:
            return
        begin = max(self.window, min(c[2] for c in contracts))
        if begin > today:
            return
        index = point.index
        by_key: dict[tuple[int, int], _R] = {}

        def add(meter: _Meter, day: int, order: int, source: str, value: int) -> _R | None:
            key = (meter.id, day)
            if key in by_key:
                return None
            reading = by_key[key] = _R(day, order, meter, source, value)
            return reading

        meters = point.meters
        for meter in meters:
            if meter.removed is not None and meter.removed < begin:
                continue
            if meter.installed >= begin:
                add(meter, meter.installed, 1, _INSTALL, meter.offset)
            if meter.removed is not None:
                add(
                    meter, meter.removed, 0, _REMOVAL, index(meter, meter.removed, effective, first)
                )
        last_event = 0
        for _cid, _account, start, start_index, end, end_index in contracts:
            if begin <= start <= today:
                add(point.meter_on(start), start, 2, _MOVE_IN, start_index)
                last_event = max(last_event, start)
            if end is not None and begin <= end <= today:
                add(point.meter_on(end), end, 2, _MOVE_OUT, end_index)
                last_event = max(last_event, end)
        meter = point.meter_on(begin)
        starting = add(meter, begin, 2, _FIELD, index(meter, begin, effective, first))
        if starting is not None:
            starting.start = True
        # The rounds: every six months, or every month by remote reading.
        remote = r() < REMOTE_SHARE
        source = _REMOTE if remote else _FIELD
        period = 30.44 if remote else FIELD_PERIOD
        step = 0
        phase = self.window + int(r() * period)
        while True:
            day = phase + int(step * period) + (0 if remote else int(r() * 15) - 7)
            step += 1
            if day > today:
                break
            if day <= begin:
                continue
            meter = point.meter_on(day)
            add(meter, day, 2, source, index(meter, day, effective, first))
        chain = sorted(by_key.values(), key=lambda x: (x.day, x.order))
        household = point.premises in _HOUSEHOLD
        leak = self._leak(point, chain, last_event) if household and r() < LEAK_SHARE else None
        if not remote and r() < NOT_SEEN_SHARE:
            self._consumptions(chain)  # the history the estimate is made from
            self._not_seen(chain, leak)
        if r() < HELD_SHARE:
            self._held(chain, leak)
        self._consumptions(chain)
        self._rows(point, chain, leak, contracts)

    # -- events ---------------------------------------------------------------------------------

    def _leak(self, point: _Point, chain: list[_R], last_event: int) -> _R | None:
        """A leak over one period between two rounds on the same meter, after the last contract
        event (the contracts' indexes stay as they are): every later index of the meter moves."""
        candidates = [
            i
            for i in range(1, len(chain))
            if chain[i].source in _SCHEDULED
            and chain[i - 1].meter is chain[i].meter
            and chain[i - 1].source != _ESTIMATE
            and chain[i - 1].day > last_event
            and chain[i - 1].day > self.window + 400  # a year of history to compare with
            and chain[i].index > chain[i - 1].index
            and chain[i].meter.capacity >= 100_000
        ]
        if not candidates:
            return None
        r = self.random.random
        i = candidates[int(r() * len(candidates))]
        reading, previous = chain[i], chain[i - 1]
        usual = max(reading.index - previous.index, 8)
        extra = int(usual * (2 + r() * 7))  # 3 to 10 times the usual volume
        meter = reading.meter
        later = [x for x in chain[i:] if x.meter is meter]
        if max(x.index for x in later) + extra >= meter.capacity:
            return None
        for x in later:
            x.index += extra
        reading.anomaly = AnomalyReason.HIGH_CONSUMPTION.value
        reading.detail = "Fuite après compteur confirmée par l'abonné"
        reading.resolution = AnomalyResolution.VALIDATED.value
        return reading

    def _not_seen(self, chain: list[_R], leak: _R | None) -> None:
        """METER-3: a round where the meter was not seen, estimated by
        ``metering.estimation.estimate_index`` from the point's last twelve months;
        the next round reads it."""
        candidates = [
            i
            for i in range(2, len(chain) - 1)
            if chain[i].source == _FIELD
            and not chain[i].start
            and chain[i - 1].meter is chain[i].meter is chain[i + 1].meter
            and chain[i + 1].source in _SCHEDULED
            and chain[i - 1].source != _ESTIMATE
            and leak not in (chain[i], chain[i + 1])
        ]
        if not candidates:
            return
        i = candidates[int(self.random.random() * len(candidates))]
        previous, reading = chain[i - 1], chain[i]
        at = dt.date.fromordinal(reading.day)
        periods = [
            Period(dt.date.fromordinal(x.day), Decimal(x.consumption), x.days)
            for x in chain[:i]
            if x.consumption is not None and x.days
        ]
        estimate = estimate_index(
            last_index=Decimal(previous.index),
            last_read_on=dt.date.fromordinal(previous.day),
            at=at,
            own=history(periods, start=at - dt.timedelta(days=YEAR), end=at),
            digits=len(str(reading.meter.capacity)) - 1,
        )
        if estimate.rollover:
            return
        reading.source = _ESTIMATE
        reading.index = int(estimate.index)

    def _held(self, chain: list[_R], leak: _R | None) -> None:
        """The latest round held for review (METER-2): a misread index or a sudden jump."""
        if len(chain) < 2:
            return
        reading, previous = chain[-1], chain[-2]
        if (
            reading.source not in _SCHEDULED
            or reading is leak
            or previous.meter is not reading.meter
            or previous.source == _ESTIMATE
        ):
            return
        r = self.random.random
        capacity = reading.meter.capacity
        b = self.builder
        on = _french(b.days[previous.day - b.first_day])
        if r() < 0.5 and 20 <= previous.index <= capacity * 0.85:
            reading.index = previous.index - 1 - int(r() * min(previous.index - 1, 60))
            reading.anomaly = AnomalyReason.INDEX_DECREASE.value
            reading.detail = (
                f"Index {reading.index} inférieur au précédent ({previous.index} le {on})"
            )
        else:
            jump = max(60, 10 * max(reading.index - previous.index, 1))
            if previous.index + jump >= capacity:
                return
            reading.index = previous.index + jump
            reading.anomaly = AnomalyReason.HIGH_CONSUMPTION.value
            reading.detail = f"Consommation de {jump} m³ depuis le {on}"
        reading.status = _HELD

    # -- consumption ------------------------------------------------------------------------------

    def _consumptions(self, chain: list[_R]) -> None:
        """``metering.consumption.chain_consumptions`` as each reading arrives, in integers."""
        last = last_actual = None
        for reading in chain:
            reading.rollover = False
            if reading.status == _HELD:
                reading.consumption = reading.days = None
                continue
            estimate = reading.source == _ESTIMATE
            base = last if estimate else last_actual
            if base is None:
                base = last
            if base is not None:
                if base.meter is reading.meter:
                    volume = reading.index - base.index
                    if volume < 0:
                        capacity = reading.meter.capacity
                        volume += capacity
                        reading.rollover = True
                        if volume > capacity // ROLLOVER_DIVISOR:
                            raise AssertionError("an implausible rollover in the demo readings")
                else:
                    # METER-4: base is the old meter's removal, this the new one's install.
                    volume = 0
                reading.consumption = volume
                reading.days = reading.day - base.day
            last = reading
            if not estimate:
                last_actual = reading

    # -- rows --------------------------------------------------------------------------------------

    def _rows(self, point: _Point, chain: list[_R], leak: _R | None, contracts: list) -> None:
        b = self.builder
        rows = b.rows[Reading]
        ids = b.ids
        days, first = b.days, b.first_day
        r = self.random.random
        readers = self.readers
        reader = readers[(point.id * 7) % len(readers)]
        reading_id = ids[Reading]
        leak_row = None
        for reading in chain:
            source = reading.source
            manual = source not in (_REMOTE, _ESTIMATE)
            if reading is leak:
                leak_row = reading_id
            rows.append(
                (
                    reading_id, reading.meter.id, point.id, days[reading.day - first],
                    reading.index, source, reading.status, reading.anomaly, reading.detail,
                    reading.resolution, reading.consumption, reading.days, reading.rollover,
                    reader if manual else "",
                    self._moment(reading.day, 8 if manual else 2),
                )
            )  # fmt: skip
            reading_id += 1
        ids[Reading] = reading_id
        if leak is None or leak_row is None or leak.consumption is None:
            return
        # METER-5: the holder on the reading's day is told (with the next bill).
        account = None
        for _cid, account_id, start, _si, end, _ei in contracts:
            if start <= leak.day and (end is None or end >= leak.day):
                account = account_id
        if account is None:
            return
        period_start = leak.day - leak.days
        on = dt.date.fromordinal(period_start)
        periods = [
            Period(dt.date.fromordinal(x.day), Decimal(x.consumption), x.days)
            for x in chain
            if x.consumption is not None and x.days and x.day <= period_start
        ]
        check = warsmann_check(
            consumption=Decimal(leak.consumption),
            days=leak.days,
            premises_use=point.premises,
            own_three_years=history(periods, start=on - dt.timedelta(days=3 * YEAR), end=on),
        )
        if not check.triggered:
            return
        reference = check.reference_volume
        start_day = days[period_start - first]
        end_day = days[leak.day - first]
        text = (
            f"Votre consommation du {_french(start_day)} au {_french(end_day)} "
            f"({leak.consumption} m³) dépasse le double de votre consommation habituelle "
            f"({reference:.0f} m³ sur une période équivalente). Elle peut révéler une fuite "
            "après compteur : si une entreprise de plomberie la répare et l'atteste dans le "
            "mois qui suit, le volume facturé est plafonné au double de votre consommation "
            "moyenne (loi Warsmann)."
        )
        created = self._moment(min(leak.day + 1, self.today), 9)
        ids_notice = ids[AbnormalConsumptionNotice]
        ids[AbnormalConsumptionNotice] = ids_notice + 1
        sent = self._moment(min(leak.day + 2, self.today), 10) if r() < 0.9 else None
        b.rows[AbnormalConsumptionNotice].append(
            (
                ids_notice, leak_row, account, point.id, start_day, end_day, leak.consumption,
                reference, check.basis, text, created, sent, "letter" if sent else "",
            )
        )  # fmt: skip
