"""Metering JSON API (METER-1, METER-2, METER-6): same rules and permissions as the services."""

import datetime as dt

import pytest
import time_machine

from robinet.metering.models import Reading
from robinet.organisation.services import api_token_create
from tests.customers.api.test_api import ApiClient
from tests.metering.factories import occupied_point, read, regular_history


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def api(officer):
    return ApiClient(api_token_create(user=officer))


@pytest.fixture
def point(org):
    return occupied_point(org.centres[0])[1]


def test_post_reading_and_read_history_meter_1(api, point):
    serial = point.meters.get().serial
    response = api.post(
        "/readings",
        {"meter_serial": serial, "read_on": "2024-01-01", "index": "100", "source": "field"},
    )
    assert response.status_code == 201, response.content
    response = api.post(
        "/readings",
        {
            "service_point": point.reference,
            "read_on": "2024-04-01",
            "index": "90.5",
            "source": "self",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["anomaly"], body["index"]) == ("held", "index_decrease", "90.500")
    history = api.get(f"/service-points/{point.reference}/readings").json()
    assert [r["read_on"] for r in history] == ["2024-04-01", "2024-01-01"]
    anomalies = api.get("/anomalies", reason="index_decrease").json()
    assert [a["id"] for a in anomalies] == [body["id"]]
    assert api.get("/anomalies", reason="zero_consumption").json() == []


def test_post_reading_errors_use_the_common_format(api, point):
    response = api.post(
        "/readings",
        {"service_point": point.reference, "read_on": "2024-01-01", "index": "1", "source": "x"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "source" in response.json()["extra"]["fields"]


def test_batch_is_all_or_nothing_with_errors_by_position(api, point):
    serial = point.meters.get().serial
    items = [
        {"meter_serial": serial, "read_on": "2024-01-01", "index": "100", "source": "field"},
        {"meter_serial": serial, "read_on": "2024-04-01", "index": "130", "source": "oops"},
    ]
    response = api.post("/readings/batch", items)
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["1.source"]
    assert not Reading.objects.exists()
    items[1]["source"] = "field"
    response = api.post("/readings/batch", items)
    assert response.status_code == 201
    assert [r["consumption"] for r in response.json()] == [None, "30.000"]


def test_other_centre_is_not_found(api, org):
    other = occupied_point(org.centres[2])[1]
    response = api.post(
        "/readings",
        {
            "service_point": other.reference,
            "read_on": "2024-01-01",
            "index": "1",
            "source": "field",
        },
    )
    assert response.status_code == 404
    assert api.get(f"/service-points/{other.reference}/readings").status_code == 404


def test_consumption_series_meter_6(api, point):
    regular_history(point, start=dt.date(2023, 1, 1), periods=8)
    series = api.get(f"/service-points/{point.reference}/consumption").json()
    assert len(series) == 8
    assert series[-1]["daily_average"] == "0.330"
    assert series[-1]["last_year_daily_average"] == "0.330"


def test_anomalies_filter_by_centre(api, point, org):
    read(point, dt.date(2024, 1, 1), 100)
    read(point, dt.date(2024, 4, 1), 90)
    assert len(api.get("/anomalies", centre=org.centres[0].code).json()) == 1
    assert api.get("/anomalies", centre=org.centres[1].code).json() == []
    assert api.get("/anomalies", centre="NOPE").status_code == 404


def test_meter_change_then_the_next_reading_adds_both_parts_meter_4(api, point):
    read(point, dt.date(2024, 1, 1), 100)
    response = api.post(
        f"/service-points/{point.reference.lower()}/meter-change",
        {
            "changed_on": "2024-03-01",
            "removal_index": "120",
            "new_serial": "api-new-1",
            "new_diameter_mm": 20,
            "new_digits": 6,
            "install_index": "3",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["removal"]["source"], body["removal"]["consumption"]) == ("removal", "20.000")
    assert (body["install"]["meter"], body["install"]["index"]) == ("API-NEW-1", "3.000")
    new = point.meters.get(removed_on__isnull=True)
    assert (new.serial, new.diameter_mm, new.index_digits) == ("API-NEW-1", 20, 6)
    after = api.post(
        "/readings",
        {
            "service_point": point.reference,
            "read_on": "2024-05-01",
            "index": "13",
            "source": "field",
        },
    ).json()
    assert (after["meter"], after["consumption"], after["status"]) == (
        "API-NEW-1",
        "10.000",
        "valid",
    )
    # over the change: (120 − 100) on the old meter + (13 − 3) on the new one
    assert sum(
        r.consumption for r in Reading.objects.filter(service_point=point, status="valid")
        if r.consumption is not None
    ) == 30  # fmt: skip


def test_meter_change_refusals_name_the_fields(api, point, org):
    read(point, dt.date(2024, 1, 1), 100)
    response = api.post(
        f"/service-points/{point.reference}/meter-change",
        {"changed_on": "2030-01-01", "removal_index": "120", "new_serial": "X1",
         "new_diameter_mm": 15, "new_digits": 12},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    fields = response.json()["extra"]["fields"]
    assert set(fields) == {"changed_on", "new_digits"}
    assert point.meters.filter(removed_on__isnull=True).count() == 1
    elsewhere = occupied_point(org.centres[2])[1]
    response = api.post(
        f"/service-points/{elsewhere.reference}/meter-change",
        {"changed_on": "2024-03-01", "removal_index": "1", "new_serial": "X2",
         "new_diameter_mm": 15},
    )  # fmt: skip
    assert response.status_code == 404


def test_resolve_new_reading_answers_the_case_number_meter_2(api, point):
    regular_history(point)
    held = read(point, dt.date(2025, 3, 1), "300")
    response = api.post(f"/readings/{held.pk}/resolve", {"resolution": "new_reading_requested"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "rejected"
    assert body["case"].startswith("DOS-2025-")
    history = api.get(f"/service-points/{point.reference}/readings").json()
    assert [r["case"] for r in history if r["id"] == held.pk] == [body["case"]]
    # an unknown resolution, a reading no longer held: clear refusals
    again = api.post(f"/readings/{held.pk}/resolve", {"resolution": "validated"})
    assert again.status_code == 409
    other = read(point, dt.date(2025, 3, 5), "250")
    bad = api.post(f"/readings/{other.pk}/resolve", {"resolution": "nonsense"})
    assert bad.status_code == 400
    assert "resolution" in bad.json()["extra"]["fields"]


def test_resolve_outside_the_centres_is_not_found_meter_2(api, org):
    _account, sp = occupied_point(org.centres[2])
    regular_history(sp)
    held = read(sp, dt.date(2025, 3, 1), "300")
    response = api.post(f"/readings/{held.pk}/resolve", {"resolution": "new_reading_requested"})
    assert response.status_code == 404
