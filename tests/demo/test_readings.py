"""Demo readings (METER-1…5): two years for every meter, consistent with the contracts and
with what ``robinet.metering.consumption`` computes.

Runs on SQLite and on PostgreSQL (set ``ROBINET_TEST_DATABASE_URL``).
"""

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.test import TestCase

from robinet.customers.choices import PremisesUse
from robinet.customers.models import Contract, Meter, ServicePoint
from robinet.demo.generator import MODELS, READING_MODELS, Pools, RowBuilder, Starts, generate
from robinet.demo.readings import WINDOW_DAYS
from robinet.metering.choices import AnomalyReason, AnomalyResolution, ReadingSource, ReadingStatus
from robinet.metering.consumption import ChainPoint, chain_consumptions
from robinet.metering.models import AbnormalConsumptionNotice, Reading

TODAY = dt.date(2026, 3, 2)
WINDOW_START = TODAY - dt.timedelta(days=WINDOW_DAYS)
CUSTOMERS = 3000
CENTRES = {code: i for i, code in enumerate(("CT-STR", "CT-COL", "CT-MTZ", "CT-THI"), 1)}


def _rows(seed: int, customers: int, readings: bool) -> dict:
    builder = RowBuilder(
        pools=Pools(seed),
        seed=seed,
        today=TODAY,
        centres=CENTRES,
        starts=Starts(
            ids=dict.fromkeys(MODELS + READING_MODELS, 1), account=1, contract=1, service_point=1
        ),
        readings=readings,
    )
    rows: dict = defaultdict(list)
    for chunk in builder.chunks(customers, chunk_size=150):
        for model, chunk_rows in chunk.items():
            rows[model] += chunk_rows
    return rows


def test_customers_are_the_same_with_or_without_readings():
    with_readings = _rows(11, 400, readings=True)
    without = _rows(11, 400, readings=False)
    for model in MODELS:
        assert with_readings[model] == without[model], model.__name__
    assert with_readings[Reading]
    assert not without[Reading]


def test_same_seed_same_readings():
    assert _rows(12, 300, readings=True)[Reading] == _rows(12, 300, readings=True)[Reading]


def test_consumption_follows_the_seasons():
    rows = _rows(13, 1500, readings=True)
    by_month: Counter = Counter()
    for row in rows[Reading]:
        # Monthly remote readings: volume of the month before.
        if row[5] == ReadingSource.REMOTE and row[10] is not None and row[6] == "valid":
            by_month[int(row[3][5:7])] += row[10] / max(row[11], 1)
    summer = by_month[7] + by_month[8] + by_month[9]
    winter = by_month[1] + by_month[2] + by_month[3]
    assert summer > 1.3 * winter, (summer, winter)


class GeneratedReadingsTests(TestCase):
    """One generated utility with readings, checked reading by reading."""

    @classmethod
    def setUpTestData(cls):
        cls.summary = generate(
            customers=CUSTOMERS, seed=77, today=TODAY, chunk_size=700, readings=True
        )
        cls.readings = list(Reading.objects.order_by("service_point_id", "read_on", "pk"))
        cls.meters = {m.pk: m for m in Meter.objects.all()}

    def test_counts(self):
        assert self.summary.counts["metering.Reading"] == len(self.readings)
        notices = self.summary.counts["metering.AbnormalConsumptionNotice"]
        assert notices == AbnormalConsumptionNotice.objects.count()

    def test_every_meter_in_place_has_two_years_of_readings(self):
        by_meter = defaultdict(list)
        for reading in self.readings:
            by_meter[reading.meter_id].append(reading)
        points_with_contract = set(Contract.objects.values_list("service_point_id", flat=True))
        first_start = {}
        for sp, start in Contract.objects.values_list("service_point_id", "start_date"):
            first_start[sp] = min(start, first_start.get(sp, start))
        for meter in self.meters.values():
            if meter.service_point_id not in points_with_contract:
                continue
            if meter.removed_on is not None and meter.removed_on < WINDOW_START:
                continue
            begin = max(WINDOW_START, first_start[meter.service_point_id])
            if meter.removed_on is not None and meter.removed_on < begin:
                continue
            days = [r.read_on for r in by_meter[meter.pk]]
            assert days, meter.serial
            assert days[0] == max(begin, meter.installed_on), meter.serial
            last = meter.removed_on or TODAY
            gaps = [(b - a).days for a, b in zip(days, [*days[1:], last], strict=True)]
            assert max(gaps) <= 200, (meter.serial, days)
            assert days[-1] <= TODAY
            if meter.removed_on is not None:
                assert days[-1] == meter.removed_on
        assert Reading.objects.filter(read_on__lt=WINDOW_START).count() == 0

    def test_readings_are_field_rounds_with_some_remote_meters(self):
        sources = Counter(r.source for r in self.readings)
        assert set(sources) == set(ReadingSource.values) - {ReadingSource.SELF}
        remote_meters = {r.meter_id for r in self.readings if r.source == ReadingSource.REMOTE}
        share = len(remote_meters) / len({r.meter_id for r in self.readings})
        assert 0.06 < share < 0.14, share

    def test_consumption_never_negative_and_household_volumes(self):
        yearly = defaultdict(Decimal)
        for reading in self.readings:
            assert reading.index >= 0
            if reading.consumption is not None:
                assert reading.consumption >= 0
                assert reading.days is not None
                if reading.read_on > TODAY - dt.timedelta(days=365):
                    yearly[reading.service_point_id] += reading.consumption
        homes = set(
            ServicePoint.objects.filter(premises_use=PremisesUse.MAIN_RESIDENCE).values_list(
                "pk", flat=True
            )
        )
        volumes = sorted(v for sp, v in yearly.items() if sp in homes)
        median = volumes[len(volumes) // 2]
        assert 80 <= median <= 160, median

    def test_move_in_and_move_out_readings_match_the_contracts(self):
        live = {
            (r.meter_id, r.read_on): r
            for r in self.readings
            if r.status in (ReadingStatus.VALID, ReadingStatus.HELD)
        }
        meters_of = defaultdict(list)
        for meter in self.meters.values():
            meters_of[meter.service_point_id].append(meter)
        checked = 0
        for contract in Contract.objects.all():
            events = [(contract.start_date, contract.start_index)]
            if contract.end_date is not None:
                events.append((contract.end_date, contract.end_index))
            for day, index in events:
                if day < WINDOW_START:
                    continue
                matches = [
                    live[(m.pk, day)]
                    for m in meters_of[contract.service_point_id]
                    if (m.pk, day) in live
                ]
                assert matches, (contract.number, day)
                # Two on a meter change day (removal, install): the contract is on the new one.
                reading = max(matches, key=lambda r: r.pk)
                assert reading.index == index, (contract.number, day, reading.index, index)
                assert reading.status == ReadingStatus.VALID
                checked += 1
            if contract.start_date >= WINDOW_START:
                assert live[(contract.start_meter_id, contract.start_date)].index == (
                    contract.start_index
                )
        assert checked > 100

    def test_every_consumption_is_what_metering_consumption_computes(self):
        by_point = defaultdict(list)
        for reading in self.readings:
            by_point[reading.service_point_id].append(reading)
        checked = 0
        for readings in by_point.values():
            chain, rows = [], []
            for reading in readings:
                if reading.status != ReadingStatus.VALID:
                    assert reading.consumption is None
                    continue
                chain.append(
                    ChainPoint(
                        meter=reading.meter_id,
                        index=reading.index,
                        digits=self.meters[reading.meter_id].index_digits,
                        estimate=reading.source == ReadingSource.ESTIMATE,
                        read_on=reading.read_on,
                    )
                )
                rows.append(reading)
            for i, reading in enumerate(rows):
                # What the services compute when this reading arrives.
                result = chain_consumptions(chain[: i + 1])[i]
                if result is None:
                    assert reading.consumption is None, reading
                    assert i == 0
                else:
                    assert result.volume == reading.consumption, (reading, result)
                    assert result.rollover == reading.rollover, reading
                    base = next(
                        j
                        for j in range(i - 1, -1, -1)
                        if reading.source == ReadingSource.ESTIMATE
                        or rows[j].source != ReadingSource.ESTIMATE
                    )
                    assert reading.days == (reading.read_on - rows[base].read_on).days
                checked += 1
        assert checked == sum(1 for r in self.readings if r.status == ReadingStatus.VALID)

    def test_rollovers_on_four_digit_meters(self):
        rollovers = [r for r in self.readings if r.rollover]
        assert rollovers
        four = [r for r in rollovers if self.meters[r.meter_id].index_digits == 4]
        assert four
        for reading in four:
            assert reading.index < 1000

    def test_meter_changes_removal_and_install_the_same_day(self):
        removals = [r for r in self.readings if r.source == ReadingSource.REMOVAL]
        assert len(removals) > 10
        installs = {
            (r.service_point_id, r.read_on): r for r in self.readings if r.source == "install"
        }
        for removal in removals:
            meter = self.meters[removal.meter_id]
            assert meter.removed_on == removal.read_on
            install = installs[(removal.service_point_id, removal.read_on)]
            assert install.meter_id != removal.meter_id
            assert self.meters[install.meter_id].installed_on == removal.read_on
            assert install.consumption == 0
            assert install.pk > removal.pk

    def test_estimates_are_followed_by_a_real_reading(self):
        estimates = [i for i, r in enumerate(self.readings) if r.source == ReadingSource.ESTIMATE]
        assert len(estimates) > 10
        for i in estimates:
            estimate, following = self.readings[i], self.readings[i + 1]
            assert following.service_point_id == estimate.service_point_id
            assert following.source in (ReadingSource.FIELD, ReadingSource.REMOTE)
            assert estimate.status == ReadingStatus.VALID
            assert estimate.consumption is not None

    def test_leaks_are_validated_with_their_notice(self):
        leaks = [
            r
            for r in self.readings
            if r.status == ReadingStatus.VALID and r.anomaly == AnomalyReason.HIGH_CONSUMPTION
        ]
        assert len(leaks) > 5
        assert all(r.resolution == AnomalyResolution.VALIDATED for r in leaks)
        notices = list(AbnormalConsumptionNotice.objects.select_related("reading", "account"))
        assert notices
        for notice in notices:
            reading = notice.reading
            assert reading.anomaly == AnomalyReason.HIGH_CONSUMPTION
            assert notice.consumption == reading.consumption
            assert notice.period_end == reading.read_on
            assert notice.period_start == reading.read_on - dt.timedelta(days=reading.days)
            assert notice.consumption > 2 * notice.reference_average
            assert notice.service_point_id == reading.service_point_id
            assert Contract.objects.filter(
                account=notice.account, service_point_id=reading.service_point_id
            ).exists()

    def test_some_latest_readings_are_held_anomalies(self):
        held = [r for r in self.readings if r.status == ReadingStatus.HELD]
        assert held
        assert {r.anomaly for r in held} == {
            AnomalyReason.INDEX_DECREASE,
            AnomalyReason.HIGH_CONSUMPTION,
        }
        latest = {}
        for reading in self.readings:
            latest[reading.service_point_id] = reading
        for reading in held:
            assert latest[reading.service_point_id] == reading
            assert reading.consumption is None
            assert reading.anomaly_detail
        assert len(held) < 0.02 * len(latest)


@pytest.mark.django_db
def test_no_readings_on_request():
    summary = generate(customers=40, seed=3, today=TODAY)
    assert "metering.Reading" not in summary.counts
    assert Reading.objects.count() == 0
    assert Meter.objects.count() > 0
