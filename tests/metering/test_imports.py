"""Bulk import of readings (METER-1, METER-2, principle 5): atomic, line-numbered, once."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.metering.imports import import_readings
from robinet.metering.models import AbnormalConsumptionNotice, Reading
from tests.metering.factories import occupied_point, read, regular_history

D = Decimal


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def points(org):
    first = occupied_point(org.centres[0])[1]
    second = occupied_point(org.centres[1])[1]
    return first, second


def csv(*lines: str) -> bytes:
    return (
        "meter_serial;service_point;date;index;source;reader\n" + "\n".join(lines) + "\n"
    ).encode()


def serial(sp):
    return sp.meters.get().serial


def test_import_validates_in_memory_and_writes_meter_1_meter_2(points):
    a, b = points
    data = csv(
        f"{serial(a)};;2024-01-01;100;field;JM",
        f";{b.reference};01/01/2024;50;remote;",
        f"{serial(a)};;2024-04-01;130;field;JM",
        f";{b.reference};2024-04-01;40;field;",  # decrease: held, not an error
        f"{serial(a)};{a.reference};2024-07-01;130;self;",  # zero on occupied premises
    )
    result = import_readings(data, filename="releves.csv")
    assert (result.rows, result.valid, result.held) == (5, 3, 2)
    assert [(o.line, o.anomaly) for o in result.anomalies] == [
        (5, "index_decrease"),
        (6, "zero_consumption"),
    ]
    reading = Reading.objects.get(service_point=a, read_on=dt.date(2024, 4, 1))
    assert (reading.consumption, reading.days, reading.status, reading.reader) == (
        D(30),
        91,
        "valid",
        "JM",
    )
    assert reading.import_file_id == result.import_id
    assert Reading.objects.filter(status="held").count() == 2


def test_import_continues_from_stored_readings_and_replaces_estimates_meter_3(points):
    a, _b = points
    regular_history(a, start=dt.date(2024, 1, 1), periods=2)  # 2024-06-30: 160
    from robinet.metering import services

    [estimate] = services.estimate_readings(actor=None, service_points=[a], at=dt.date(2024, 9, 1))
    result = import_readings(csv(f"{serial(a)};;2024-10-01;185;field;"))
    estimate.refresh_from_db()
    assert estimate.status == "corrected"
    assert result.replaced_estimates == 1
    reading = Reading.objects.get(read_on=dt.date(2024, 10, 1))
    assert (reading.consumption, reading.status) == (D(25), "valid")


def test_errors_refuse_the_whole_file_by_line_and_column(points):
    a, b = points
    read(a, dt.date(2024, 1, 1), 100)
    data = csv(
        f"{serial(a)};;2024-02-30;100;field;",
        "UNKNOWN;;2024-01-01;1;field;",
        ";P999;2024-01-01;1;field;",
        f"{serial(a)};;2024-03-01;-4;field;",
        f"{serial(a)};;2024-03-02;4;guess;",
        f"{serial(b)};;2024-03-02;4;field;",
        f"{serial(b)};;2024-03-02;5;field;",
        f"{serial(a)};;2024-01-01;100;field;",
        f"{serial(a)};{b.reference};2024-05-01;100;field;",
    )
    with pytest.raises(InvalidImportFile) as error:
        import_readings(data)
    assert [(i.line, i.field) for i in error.value.issues] == [
        (2, "date"),
        (3, "meter_serial"),
        (4, "service_point"),
        (5, "index"),
        (6, "source"),
        (8, "date"),
        (10, "meter_serial"),
    ]
    assert Reading.objects.count() == 1  # nothing written


def test_existing_reading_same_day_is_an_error(points):
    a, _b = points
    read(a, dt.date(2024, 1, 1), 100)
    with pytest.raises(InvalidImportFile) as error:
        import_readings(csv(f"{serial(a)};;2024-01-01;100;field;"))
    assert [(i.line, i.field) for i in error.value.issues] == [(2, "date")]


def test_same_file_twice_is_refused(points):
    a, _b = points
    data = csv(f"{serial(a)};;2024-01-01;100;field;")
    import_readings(data)
    with pytest.raises(AlreadyImported):
        import_readings(data)


def test_meter_change_in_file_meter_4(points):
    from robinet.customers import services as customer_services

    a, _b = points
    old = a.meters.get()
    import_readings(csv(f"{old.serial};;2024-01-01;100;field;"))
    customer_services.meter_remove(actor=None, meter=old, removed_on=dt.date(2024, 3, 1))
    new = customer_services.meter_install(
        actor=None,
        service_point=a,
        serial="NEW42",
        diameter_mm=15,
        installed_on=dt.date(2024, 3, 1),
    )
    result = import_readings(
        csv(
            f"{new.serial};;2024-03-01;2;install;",
            f"{old.serial};;2024-03-01;120;removal;",
            f"{new.serial};;2024-05-01;12;field;",
        )
    )
    assert result.held == 0
    volumes = dict(
        Reading.objects.filter(read_on__gte=dt.date(2024, 3, 1)).values_list(
            "source", "consumption"
        )
    )
    assert volumes == {"removal": D(20), "install": D(0), "field": D(10)}


def test_warsmann_notice_from_import_meter_5(points):
    from robinet.metering import services

    a, _b = points
    services.threshold_set(
        actor=None, customer_class="individual", high_factor=10, high_floor_m3=30, zero_min_days=60
    )
    regular_history(a, start=dt.date(2021, 1, 1), periods=12)  # 30 m³ per 91 days
    last = a.readings.order_by("-read_on").first()
    on = last.read_on + dt.timedelta(days=91)
    result = import_readings(csv(f"{serial(a)};;{on.isoformat()};{last.index + 70};field;"))
    assert (result.valid, result.notices) == (1, 1)
    notice = AbnormalConsumptionNotice.objects.get()
    assert (notice.consumption, notice.reference_average, notice.reference_basis) == (
        D(70),
        D(30),
        "own_history",
    )
    assert "écrêtement" in notice.text
    # BILL-9: the notice opened its leak-relief case, due one month later, holding dunning.
    case = notice.case
    assert (case.case_type.code, case.channel, case.opened_by_id) == ("DEGREVEMENT", "letter", None)
    assert case.response_due.date() == dt.date(2025, 7, 30)
    assert case.blocks_dunning
    assert case.dunning_block.reference == case.number
    assert case.account_id == notice.account_id


def test_command_reports_outcome_and_refusal(points, tmp_path, capsys):
    a, _b = points
    good = tmp_path / "good.csv"
    good.write_bytes(
        csv(f"{serial(a)};;2024-01-01;100;field;", f"{serial(a)};;2024-04-01;90;field;")
    )
    call_command("readings", "import", str(good))
    out = capsys.readouterr().out
    assert "ligne 3 : anomalie index_decrease" in out
    assert "1 valides, 1 en anomalie" in out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv("NOPE;;2024-01-01;100;field;"))
    with pytest.raises(CommandError, match="refusé"):
        call_command("readings", "import", str(bad))
    assert "ligne 2, colonne meter_serial" in capsys.readouterr().err


@pytest.mark.parametrize("seed", range(6))
def test_import_gives_the_verdicts_of_one_by_one_entry_meter_2(points, seed):
    """The import's in-memory validation (with its inline usual case) decides like
    ``reading_record``: same status, reason, consumption, days and rollover per reading."""
    import random

    rng = random.Random(seed)
    a, b = points
    for sp in (a, b):  # the same past on both: the first reading opens the history
        read(sp, dt.date(2023, 1, 1), 99_000 if seed % 2 else 100)
    on, index, plan = dt.date(2023, 1, 1), 99_000 if seed % 2 else 100, []
    for _ in range(14):
        on += dt.timedelta(days=rng.choice([0, 1, 30, 61, 91, 91, 91]))
        kind = rng.random()
        if kind < 0.1:
            value = max(0, index - rng.randrange(1, 40))  # a decrease (or a rollover near 10^5)
        elif kind < 0.2:
            value = index  # zero consumption
        elif kind < 0.3:
            value = index + rng.randrange(200, 900)  # far above the usual
        else:
            value = index + rng.randrange(1, 45)
        value %= 100_000
        source = "estimate" if rng.random() < 0.15 else rng.choice(["field", "self", "remote"])
        if on > dt.date(2025, 6, 30) or (on, source) in {(p[0], p[2]) for p in plan}:
            break
        if any(p[0] == on for p in plan):
            continue
        plan.append((on, value, source))
        if source != "estimate":
            index = value
    for on, value, source in plan:
        read(b, on, value, source=source)
    import_readings(csv(*(f"{serial(a)};;{on.isoformat()};{v};{s};" for on, v, s in plan)))

    def outcome(sp):
        return [
            (r.read_on, r.status, r.anomaly, r.consumption, r.days, r.rollover)
            for r in Reading.objects.filter(service_point=sp).order_by("read_on", "id")
        ]

    assert outcome(a) == outcome(b)


def test_a_history_older_than_three_years_still_gives_the_previous_reading(org):
    """Only three years of history are loaded, plus the older last counting reading and the
    estimates after it for service points with no actual reading since."""
    a, b = (occupied_point(org.centres[0], start=dt.date(2020, 1, 20))[1] for _ in range(2))
    for sp in (a, b):  # meters installed on 2020-01-15
        read(sp, dt.date(2020, 2, 1), 100)
        read(sp, dt.date(2020, 6, 1), 150)
        read(sp, dt.date(2020, 9, 1), 170, source="estimate")
    read(b, dt.date(2024, 1, 1), 300)
    result = import_readings(csv(f"{serial(a)};;2024-01-01;300;field;"))
    assert (result.valid, result.replaced_estimates) == (1, 1)

    def outcome(sp):
        return [
            (r.read_on, r.status, r.source, r.consumption, r.days)
            for r in Reading.objects.filter(service_point=sp).order_by("read_on", "id")
        ]

    assert outcome(a) == outcome(b)
    assert outcome(a)[-1] == (dt.date(2024, 1, 1), "valid", "field", D(150), 1309)
    assert outcome(a)[-2][1] == "corrected"


def test_a_reading_is_corrected_once_at_most_a_database_constraint(points):
    """METER-1 audit: a correction points to the reading it replaces, one correction each
    (``reading_corrected_once``, a unique index on the corrections only)."""
    from django.db import IntegrityError, transaction

    a, _b = points
    original = read(a, dt.date(2024, 1, 1), 100)
    first = read(a, dt.date(2024, 2, 1), 110)
    second = read(a, dt.date(2024, 3, 1), 120)
    Reading.objects.filter(pk=first.pk).update(corrects=original)
    assert original.corrected_by == first
    with pytest.raises(IntegrityError), transaction.atomic():
        Reading.objects.filter(pk=second.pk).update(corrects=original)
