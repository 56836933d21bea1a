"""Anomaly worklist (metering:anomalies): filters, per-row actions, permissions (METER-2)."""

import datetime as dt

import pytest
import time_machine

from robinet.metering.models import Reading
from tests.metering.views.conftest import NOW
from tests.metering.views.helpers import held_decrease, held_high

pytestmark = pytest.mark.django_db


def test_worklist_lists_the_held_readings_of_my_centres(web, officer, occupied, elsewhere):
    account, sp = occupied
    mine = held_high(sp)
    other = held_high(elsewhere[1])
    response = web.login(officer).get("metering:anomalies")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="anomaly-{mine.pk}"' in html
    assert f'id="anomaly-{other.pk}"' not in html
    # customer, service point, meter, index, previous index, consumption, reason and detail
    assert account.number in html
    assert sp.reference in html
    assert mine.meter.serial in html
    assert "840 m³" in html  # 340 + 500
    assert "340 m³" in html
    assert "Consommation anormalement élevée" in html
    assert "plus de 2 fois" in html
    assert "1 relevé en anomalie" in html


def test_worklist_is_in_the_menu(web, officer):
    html = web.login(officer).get("backoffice:home").content.decode()
    assert 'href="/metering/anomalies/"' in html
    assert "Anomalies de relève" in html


def test_worklist_filters_by_reason_centre_and_age(web, org, make_user, occupied, elsewhere):
    manager = make_user("boss", "manager", org.region)
    high = held_high(occupied[1])
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        old = held_decrease(elsewhere[1], on=dt.date(2025, 5, 1))
    web.login(manager)

    def shown(**filters):
        html = web.get("metering:anomalies", data=filters, htmx=True).content.decode()
        return {pk for pk in (high.pk, old.pk) if f'id="anomaly-{pk}"' in html}

    assert shown() == {high.pk, old.pk}
    assert shown(reason="index_decrease") == {old.pk}
    assert shown(reason="high_consumption") == {high.pk}
    assert shown(centre=org.centres[0].pk) == {high.pk}
    assert shown(age="30") == {old.pk}
    assert shown(age="7", reason="high_consumption") == set()
    # an unknown filter value is ignored, not an error
    assert shown(reason="nonsense") == {high.pk, old.pk}


def test_worklist_htmx_answers_the_table_only(web, officer, occupied):
    held_high(occupied[1])
    html = web.login(officer).get("metering:anomalies", htmx=True).content.decode()
    assert "<html" not in html
    assert 'id="anomaly-table"' in html


def test_worklist_is_empty_without_anomalies(web, officer, occupied):
    html = web.login(officer).get("metering:anomalies").content.decode()
    assert "Aucun relevé en anomalie" in html


def test_worklist_access(web, officer, auditor, agency_user, occupied):
    held_high(occupied[1])
    assert web.get("metering:anomalies").status_code == 302  # anonymous: login
    assert web.login(agency_user).get("metering:anomalies").status_code == 403
    html = web.login(auditor).get("metering:anomalies").content.decode()
    assert 'id="anomaly-table"' in html
    assert "Valider" not in html  # read only


# --- per-row actions ----------------------------------------------------------------------------


def test_validate_resolves_the_anomaly_in_place(web, officer, occupied):
    reading = held_high(occupied[1])
    response = web.login(officer).post(
        "metering:anomaly-resolve", reading.pk, htmx=True, data={"resolution": "validated"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<tr id="anomaly-{reading.pk}" class="table-success">' in html
    assert "Relevé validé." in html
    reading.refresh_from_db()
    assert (reading.status, reading.resolution) == ("valid", "validated")


@pytest.mark.parametrize(
    ("resolution", "message"),
    [
        ("new_reading_requested", "Nouvelle relève demandée : dossier DOS-"),
        ("meter_not_seen", "Compteur non vu"),
    ],
)
def test_other_row_actions(web, officer, occupied, resolution, message):
    reading = held_decrease(occupied[1])
    html = (
        web.login(officer)
        .post("metering:anomaly-resolve", reading.pk, htmx=True, data={"resolution": resolution})
        .content.decode()
    )
    assert message in html
    reading.refresh_from_db()
    assert (reading.status, reading.resolution) == ("rejected", resolution)


def test_meter_not_seen_estimates_the_consumption(web, officer, occupied):
    reading = held_decrease(occupied[1])
    web.login(officer).post(
        "metering:anomaly-resolve", reading.pk, data={"resolution": "meter_not_seen"}
    )
    assert Reading.objects.filter(service_point=occupied[1], source="estimate").exists()


def test_a_refused_action_is_shown_on_the_row_and_nothing_changes(web, officer, occupied):
    reading = held_decrease(occupied[1])  # an index decrease cannot be validated as is
    html = (
        web.login(officer)
        .post("metering:anomaly-resolve", reading.pk, htmx=True, data={"resolution": "validated"})
        .content.decode()
    )
    assert "ne peut pas être validée" in html
    assert 'role="alert"' in html
    reading.refresh_from_db()
    assert (reading.status, reading.resolution) == ("held", "")


def test_an_unknown_action_writes_nothing(web, officer, occupied):
    reading = held_high(occupied[1])
    before = Reading.objects.count()
    response = web.login(officer).post(
        "metering:anomaly-resolve", reading.pk, data={"resolution": "corrected"}
    )
    assert response.status_code == 302
    reading.refresh_from_db()
    assert (reading.status, Reading.objects.count()) == ("held", before)


def test_without_javascript_the_action_redirects_back_to_the_filtered_list(web, officer, occupied):
    reading = held_high(occupied[1])
    back = "/metering/anomalies/?reason=high_consumption"
    response = web.login(officer).post(
        "metering:anomaly-resolve", reading.pk, data={"resolution": "validated", "next": back}
    )
    assert (response.status_code, response["Location"]) == (302, back)
    evil = web.post(
        "metering:anomaly-resolve", reading.pk,
        data={"resolution": "validated", "next": "https://evil.example/"},
    )  # fmt: skip
    assert evil["Location"] == "/metering/anomalies/"


def test_row_actions_need_the_change_permission(web, auditor, occupied):
    reading = held_high(occupied[1])
    response = web.login(auditor).post(
        "metering:anomaly-resolve", reading.pk, data={"resolution": "validated"}
    )
    assert response.status_code == 403
    reading.refresh_from_db()
    assert reading.status == "held"


def test_row_actions_on_another_centre_are_not_found(web, officer, elsewhere):
    reading = held_high(elsewhere[1])
    response = web.login(officer).post(
        "metering:anomaly-resolve", reading.pk, data={"resolution": "validated"}
    )
    assert response.status_code == 404
    assert web.get("metering:reading-correct", reading.pk).status_code == 404
    reading.refresh_from_db()
    assert reading.status == "held"


def test_only_unusual_volumes_can_be_validated_as_is(web, officer, occupied, org):
    decrease = held_decrease(occupied[1])
    html = web.login(officer).get("metering:anomalies").content.decode()
    row = html.split(f'id="anomaly-{decrease.pk}"')[1].split("</tr>")[0]
    assert 'value="validated"' not in row
    assert "Corriger" in row
    assert "Compteur non vu" in row


def test_worklist_query_count_does_not_grow_with_rows(
    web, org, officer, occupied, django_assert_max_num_queries
):
    """The previous index and the customer of every row come in a fixed number of queries."""
    from tests.metering.factories import occupied_point, regular_history

    held_high(occupied[1])
    web.login(officer).get("metering:anomalies")  # warm the session and the scope
    with django_assert_max_num_queries(20) as one_row:
        web.get("metering:anomalies")
    for _ in range(4):
        _account, sp = occupied_point(org.centres[0])
        regular_history(sp)
        held_high(sp)
    with django_assert_max_num_queries(len(one_row)):
        response = web.get("metering:anomalies")
    assert "5 relevés en anomalie" in response.content.decode()


def test_new_reading_links_the_case_in_the_row_and_the_history_meter_2(web, officer, occupied):
    from robinet.metering.models import NewReadingRequest

    account, sp = occupied
    reading = held_decrease(sp)
    client = web.login(officer)
    html = client.post(
        "metering:anomaly-resolve",
        reading.pk,
        htmx=True,
        data={"resolution": "new_reading_requested"},
    ).content.decode()
    case = NewReadingRequest.objects.get(reading=reading).case
    assert f'id="anomaly-{reading.pk}-case"' in html
    assert f"/cases/{case.pk}/" in html
    history = client.get(
        "metering:service-point-readings", account.number, sp.reference, htmx=True
    ).content.decode()
    assert f'id="reading-{reading.pk}-case"' in history
    assert case.number in history
    assert "relève en attente" in history
