"""Reading services: record, validate, correct, resolve, estimate, meter change (METER-1…5)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from robinet.core.exceptions import (
    ApplicationError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from robinet.core.models import AuditEvent
from robinet.metering import selectors, services
from robinet.metering.choices import AnomalyReason, AnomalyResolution, ReadingSource, ReadingStatus
from robinet.metering.models import AbnormalConsumptionNotice, Reading
from tests.metering.factories import occupied_point, read, regular_history

D = Decimal


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def point(org):
    return occupied_point(org.centres[0])[1]


def test_first_reading_valid_and_audited_meter_1(point, officer):
    reading = read(point, dt.date(2023, 1, 1), 100, actor=officer, reader="J. Martin")
    assert (reading.status, reading.consumption, reading.meter.service_point_id) == (
        ReadingStatus.VALID,
        None,
        point.pk,
    )
    assert AuditEvent.objects.filter(verb="reading_recorded", target_id=str(reading.pk)).exists()


def test_reading_sets_consumption_and_days_meter_1(point):
    read(point, dt.date(2023, 1, 1), 100)
    reading = read(point, dt.date(2023, 4, 2), 130)
    assert (reading.consumption, reading.days, reading.status) == (D(30), 91, "valid")


def test_reading_needs_change_permission_on_the_centre(org, officer, make_user):
    _account, other = occupied_point(org.centres[2])
    with pytest.raises(PermissionDenied):
        read(other, dt.date(2023, 1, 1), 100, actor=officer)
    assert not Reading.objects.exists()


def test_bad_input_is_refused_by_field(db):
    with pytest.raises(ValidationFailed) as error:
        services.reading_record(actor=None, read_on="32/13/2024", index="-1", source="guess")
    assert set(error.value.fields) == {"read_on", "index", "source"}


def test_one_live_reading_per_meter_and_day(point):
    read(point, dt.date(2023, 1, 1), 100)
    with pytest.raises(ValidationFailed):
        read(point, dt.date(2023, 1, 1), 101)


def test_index_decrease_is_held_in_worklist_meter_2(point, officer):
    read(point, dt.date(2023, 1, 1), 100)
    held = read(point, dt.date(2023, 4, 1), 90)
    assert (held.status, held.anomaly) == (ReadingStatus.HELD, AnomalyReason.INDEX_DECREASE)
    assert list(selectors.anomaly_worklist(user=officer)) == [held]
    assert list(selectors.anomaly_worklist(user=officer, reason="zero_consumption")) == []
    assert list(selectors.anomaly_worklist(user=officer, older_than_days=3)) == []


def test_high_consumption_uses_twelve_month_average_and_class_thresholds_meter_2(point):
    regular_history(point, periods=4)  # 30 m³ per 91 days
    last = point.readings.order_by("-read_on").first()
    held = read(point, last.read_on + dt.timedelta(days=91), last.index + 100)
    assert held.anomaly == AnomalyReason.HIGH_CONSUMPTION
    assert held.consumption == D(100)
    services.threshold_set(
        actor=None,
        customer_class="individual",
        high_factor="5",
        high_floor_m3="30",
        zero_min_days=60,
    )
    ok = services.reading_correct(actor=None, reading=held, index=last.index + 100)
    assert ok.status == ReadingStatus.VALID


def test_zero_consumption_on_occupied_premises_meter_2(point):
    read(point, dt.date(2023, 1, 1), 100)
    held = read(point, dt.date(2023, 4, 1), 100)
    assert held.anomaly == AnomalyReason.ZERO_CONSUMPTION


def test_correction_keeps_the_original_meter_2(point, officer):
    read(point, dt.date(2023, 1, 1), 100)
    wrong = read(point, dt.date(2023, 4, 1), 90)
    fixed = services.anomaly_resolve(
        actor=officer, reading=wrong, resolution=AnomalyResolution.CORRECTED, index="190"
    )
    wrong.refresh_from_db()
    assert (wrong.status, wrong.resolution) == (ReadingStatus.CORRECTED, "corrected")
    assert (fixed.corrects, fixed.consumption, fixed.status) == (wrong, D(90), "valid")
    assert [r.pk for r in selectors.reading_history(point)] == [fixed.pk, wrong.pk, fixed.pk - 2]


def test_valid_reading_with_later_readings_cannot_be_corrected(point):
    first = read(point, dt.date(2023, 1, 1), 100)
    read(point, dt.date(2023, 4, 1), 130)
    with pytest.raises(ApplicationError):
        services.reading_correct(actor=None, reading=first, index="101")


def test_validate_as_is_only_for_volume_anomalies_meter_2(point):
    read(point, dt.date(2023, 1, 1), 100)
    decrease = read(point, dt.date(2023, 4, 1), 90)
    with pytest.raises(ApplicationError):
        services.anomaly_resolve(actor=None, reading=decrease, resolution="validated")
    zero = services.reading_correct(actor=None, reading=decrease, index="100")
    assert zero.anomaly == AnomalyReason.ZERO_CONSUMPTION
    valid = services.anomaly_resolve(actor=None, reading=zero, resolution="validated")
    assert (valid.status, valid.resolution, valid.consumption) == ("valid", "validated", D(0))


def test_new_reading_requested_rejects(point):
    read(point, dt.date(2023, 1, 1), 100)
    held = read(point, dt.date(2023, 4, 1), 90)
    result = services.anomaly_resolve(
        actor=None, reading=held, resolution=AnomalyResolution.NEW_READING_REQUESTED
    )
    assert (result.status, result.resolution) == ("rejected", "new_reading_requested")


def test_meter_not_seen_estimates_from_own_history_meter_3(point):
    regular_history(point, start=dt.date(2024, 1, 1), periods=4)  # last: 2024-12-31, 220
    held = read(point, dt.date(2025, 4, 1), 150)
    estimate = services.anomaly_resolve(
        actor=None, reading=held, resolution=AnomalyResolution.METER_NOT_SEEN
    )
    assert estimate.source == ReadingSource.ESTIMATE
    # 120 m³ over 364 days (last reading 2024-12-30), 92 days → 30.3 → 30 m³.
    assert (estimate.index, estimate.consumption, estimate.days) == (D(250), D(30), 92)


@pytest.mark.parametrize("bulk", [False, True], ids=["orm", "copy"])
def test_real_reading_replaces_estimates_meter_3(point, bulk, monkeypatch):
    """Also through the COPY path of a billing run's thousands of estimates."""
    if bulk:
        monkeypatch.setattr(services, "BULK_ROWS", 1)
    regular_history(point, start=dt.date(2024, 1, 1), periods=4)
    [estimate] = services.estimate_readings(
        actor=None, service_points=[point], at=dt.date(2025, 4, 1)
    )
    real = read(point, dt.date(2025, 5, 1), 240)  # below the estimate: not a decrease
    estimate.refresh_from_db()
    assert estimate.status == ReadingStatus.CORRECTED
    assert (real.status, real.consumption, real.days) == ("valid", D(20), 122)


def test_estimate_falls_back_to_similar_premises_meter_3(org):
    centre = org.centres[0]
    _a, neighbour = occupied_point(centre)
    read(neighbour, dt.date(2024, 1, 1), 0)
    read(neighbour, dt.date(2024, 12, 31), 182)  # 0.5 m³/day
    _b, newcomer = occupied_point(centre)
    read(newcomer, dt.date(2025, 1, 1), 10)
    [estimate] = services.estimate_readings(
        actor=None, service_points=[newcomer.pk], at=dt.date(2025, 3, 2)
    )
    assert estimate.consumption == D(30)
    assert "similar_premises" in estimate.anomaly_detail


def test_estimate_from_own_history_reads_no_similar_premises_meter_3(point, monkeypatch):
    """METER-3: the similar premises' average (a year of the commune's readings) is only
    computed for a point whose own history is too short; a billing run's estimates of
    points with a history need none of it."""
    regular_history(point, start=dt.date(2024, 1, 1), periods=4)
    calls = []
    real = services.selectors.similar_premises_averages
    monkeypatch.setattr(
        services.selectors,
        "similar_premises_averages",
        lambda points, **kwargs: calls.append(points) or real(points, **kwargs),
    )
    [estimate] = services.estimate_readings(
        actor=None, service_points=[point], at=dt.date(2025, 4, 1)
    )
    assert "own_history" in estimate.anomaly_detail
    assert calls == [{}]


def test_similar_premises_of_many_points_match_one_by_one_meter_3(org):
    """METER-3: the grouped averages (one query for a run's estimates) give each point the
    average of the *other* similar premises, as the one-point query does — a point's own
    short history is left out of its own average, not out of its neighbours'."""
    centre = org.centres[0]
    points = []
    for n, (use, days, volume) in enumerate(
        [
            ("main_residence", 366, 182),
            ("main_residence", 200, 150),
            ("main_residence", 20, 9),  # too short to estimate from: needs the others
            ("main_residence", 10, 0),
            ("business", 300, 900),
            ("business", 15, 40),
        ]
    ):
        _account, sp = occupied_point(centre, use=use)
        start = dt.date(2024, 12, 31) - dt.timedelta(days=days)
        read(sp, start, 1000 + n)
        read(sp, dt.date(2024, 12, 31), 1000 + n + volume)
        points.append(sp)
    at = dt.date(2025, 3, 2)
    meters = {sp.pk: selectors.meter_at(sp, at) for sp in points}
    grouped = selectors.similar_premises_averages(
        {sp.pk: (sp.premises_use, sp.commune_insee, meters[sp.pk].diameter_mm) for sp in points},
        at=at,
    )
    one_by_one = {
        sp.pk: selectors.similar_premises_average(sp, meters[sp.pk], at=at) for sp in points
    }
    assert grouped == one_by_one
    assert grouped[points[2].pk] is not None


def test_meter_change_sums_both_parts_meter_4(point, officer):
    read(point, dt.date(2024, 1, 1), 100)
    removal, install = services.meter_change(
        actor=officer,
        service_point=point,
        changed_on=dt.date(2024, 3, 1),
        removal_index="120",
        new_serial="NEW0001",
        new_diameter_mm=15,
        install_index="3",
    )
    assert (removal.consumption, install.consumption) == (D(20), D(0))
    after = read(point, dt.date(2024, 5, 1), 13)
    assert (after.meter.serial, after.consumption, after.status) == ("NEW0001", D(10), "valid")


def test_warsmann_notice_on_dwelling_meter_5(point, officer):
    regular_history(point, start=dt.date(2022, 1, 1), periods=12)  # ~0.33 m³/day for 3 years
    last = point.readings.order_by("-read_on").first()
    held = read(point, last.read_on + dt.timedelta(days=91), last.index + 90)
    assert held.anomaly == AnomalyReason.HIGH_CONSUMPTION
    assert not AbnormalConsumptionNotice.objects.exists()  # held: not billed yet
    valid = services.anomaly_resolve(actor=officer, reading=held, resolution="validated")
    notice = AbnormalConsumptionNotice.objects.get()
    assert (notice.reading, notice.consumption, notice.reference_basis) == (
        valid,
        D(90),
        "own_history",
    )
    assert notice.reference_average == D(30)
    assert "plombier" in notice.text or "plomberie" in notice.text
    assert "un mois" in notice.text
    assert list(selectors.notice_list(notice.account)) == [notice]
    services.notice_mark_sent(actor=officer, notice=notice, channel="mail")
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert notice.sent_channel == "mail"


def test_no_warsmann_notice_on_business_premises_meter_5(org):
    _a, shop = occupied_point(org.centres[0], use="business")
    regular_history(shop, start=dt.date(2022, 1, 1), periods=12)
    last = shop.readings.order_by("-read_on").first()
    held = read(shop, last.read_on + dt.timedelta(days=91), last.index + 90)
    services.anomaly_resolve(actor=None, reading=held, resolution="validated")
    assert not AbnormalConsumptionNotice.objects.exists()


def test_consumption_series_with_last_year_meter_6(point):
    regular_history(point, start=dt.date(2023, 1, 1), periods=8)
    series = selectors.consumption_series(point)
    assert len(series) == 8
    assert series[0]["last_year_daily_average"] is None
    assert series[-1]["daily_average"] == D("0.330")
    assert series[-1]["last_year_daily_average"] == D("0.330")
    assert series[-1]["change_percent"] == D("0.0")


def test_worklist_counts_and_scoping_meter_2(org, point, officer, make_user):
    read(point, dt.date(2023, 1, 1), 100)
    held = read(point, dt.date(2023, 4, 1), 90)
    counts = selectors.anomaly_counts(user=officer)
    assert counts["index_decrease"] == 1
    assert counts["high_consumption"] == 0
    assert selectors.reading_get_for_user(user=officer, pk=held.pk) == held
    stranger = make_user("stranger", "customer_officer", org.centres[3])
    assert list(selectors.anomaly_worklist(user=stranger)) == []
    with pytest.raises(NotFound):
        selectors.reading_get_for_user(user=stranger, pk=held.pk)


def test_estimate_skips_points_without_a_reading_meter_3(point):
    assert (
        services.estimate_readings(actor=None, service_points=[point], at=dt.date(2025, 1, 1)) == []
    )


def test_resolving_twice_is_refused(point):
    read(point, dt.date(2023, 1, 1), 100)
    held = read(point, dt.date(2023, 4, 1), 90)
    services.anomaly_resolve(actor=None, reading=held, resolution="new_reading_requested")
    with pytest.raises(InvalidTransition):
        services.anomaly_resolve(actor=None, reading=held, resolution="meter_not_seen")
