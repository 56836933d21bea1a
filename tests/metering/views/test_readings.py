"""Readings on the customer page: entry, correction, history and consumption chart (METER-1, 5, 6)."""

import datetime as dt
import json

import pytest

from robinet.metering import services
from robinet.metering.models import AbnormalConsumptionNotice, Reading
from tests.metering.factories import read
from tests.metering.views.helpers import held_decrease

pytestmark = pytest.mark.django_db


def contract_of(account):
    return account.contracts.get()


# --- "Saisir un relevé" -------------------------------------------------------------------------


def test_reading_form_renders_as_modal_and_page(web, officer, occupied):
    account, _sp = occupied
    number = contract_of(account).number
    web.login(officer)
    page = web.get("metering:reading-record", account.number, number)
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    modal = web.get("metering:reading-record", account.number, number, htmx=True).content.decode()
    assert 'class="modal-header"' in modal
    assert "Saisir un relevé" in modal
    assert "Auto-relève client" in modal
    assert "Estimation" not in modal  # estimates are made by Robinet, not typed


def test_a_valid_reading_is_recorded_with_its_verdict(web, officer, occupied):
    account, sp = occupied
    data = {"read_on": "2025-03-30", "index": "360,5", "source": "self"}
    response = web.login(officer).post(
        "metering:reading-record", account.number, contract_of(account).number, data=data
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{account.number}/#readings"
    reading = Reading.objects.get(service_point=sp, read_on=dt.date(2025, 3, 30))
    assert (str(reading.index), reading.source, reading.status) == ("360.500", "self", "valid")
    assert reading.created_by == officer
    html = web.get(response["Location"]).content.decode()
    assert "Relevé enregistré et validé." in html


def test_an_anomaly_is_recorded_and_said(web, officer, occupied):
    account, sp = occupied
    data = {"read_on": "2025-03-30", "index": "100", "source": "field"}
    response = web.login(officer).post(
        "metering:reading-record", account.number, contract_of(account).number, htmx=True,
        data=data,
    )  # fmt: skip
    assert response["HX-Redirect"] == f"/customers/{account.number}/"
    html = web.get(response["HX-Redirect"]).content.decode()
    assert "mis en anomalie : Index inférieur au précédent" in html
    assert "alert-warning" in html
    assert Reading.objects.get(service_point=sp, read_on=dt.date(2025, 3, 30)).status == "held"


def test_invalid_input_writes_nothing(web, officer, occupied):
    account, _sp = occupied
    before = Reading.objects.count()
    url = ("metering:reading-record", account.number, contract_of(account).number)
    web.login(officer)
    html = web.post(*url, htmx=True, data={"read_on": "", "index": "abc", "source": "field"})
    html = html.content.decode()
    assert 'id="id_read_on_errors"' in html
    # the service refuses a second reading on the same day: field error, nothing written
    data = {"read_on": "2024-12-29", "index": "341", "source": "field"}
    html = web.post(*url, htmx=True, data=data).content.decode()
    assert "déjà un relevé à cette date" in html
    assert Reading.objects.count() == before


def test_reading_entry_permissions(web, officer, auditor, elsewhere, occupied):
    account, _sp = occupied
    data = {"read_on": "2025-03-30", "index": "360", "source": "field"}
    before = Reading.objects.count()
    url = ("metering:reading-record", account.number, contract_of(account).number)
    assert web.login(auditor).get(*url).status_code == 403
    assert web.post(*url, data=data).status_code == 403
    other = elsewhere[0]
    assert (
        web.login(officer)
        .post("metering:reading-record", other.number, contract_of(other).number, data=data)
        .status_code
        == 404
    )
    # a contract of another account through this account's URL
    assert web.get("metering:reading-record", account.number, "NOPE").status_code == 404
    assert Reading.objects.count() == before


# --- correction ---------------------------------------------------------------------------------


def test_correction_keeps_the_original_visible(web, officer, occupied):
    account, sp = occupied
    held = held_decrease(sp)
    back = f"/customers/{account.number}/"
    web.login(officer)
    modal = web.get("metering:reading-correct", held.pk, htmx=True, data={"next": back})
    assert "comme « corrigé »" in modal.content.decode()
    response = web.post(
        "metering:reading-correct", held.pk, htmx=True,
        data={"read_on": "2025-03-01", "index": "352", "next": back},
    )  # fmt: skip
    assert response["HX-Redirect"] == back
    held.refresh_from_db()
    assert (held.status, held.resolution) == ("corrected", "corrected")
    new = held.corrected_by
    assert (str(new.index), new.status) == ("352.000", "valid")
    html = web.get(
        "metering:service-point-readings", account.number, sp.reference, htmx=True
    ).content.decode()
    assert f'id="reading-{held.pk}" class="text-secondary"' in html
    assert "corrigé" in html


def test_invalid_correction_writes_nothing(web, officer, occupied):
    _account, sp = occupied
    held = held_decrease(sp)
    before = Reading.objects.count()
    web.login(officer)
    html = web.post(
        "metering:reading-correct",
        held.pk,
        htmx=True,
        data={"read_on": "2025-03-01", "index": "-3"},
    ).content.decode()
    assert 'id="id_index_errors"' in html
    held.refresh_from_db()
    assert (held.status, Reading.objects.count()) == ("held", before)


def test_correction_needs_the_change_permission(web, auditor, occupied):
    held = held_decrease(occupied[1])
    assert web.login(auditor).get("metering:reading-correct", held.pk).status_code == 403


# --- the customer page --------------------------------------------------------------------------


def test_customer_page_has_the_readings_section(web, officer, occupied):
    account, sp = occupied
    html = web.login(officer).get("customers:detail", account.number).content.decode()
    assert 'id="readings"' in html
    assert f"/metering/customers/{account.number}/service-points/{sp.reference}/readings/" in html
    assert "Saisir un relevé" in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "Les factures, paiements, relances et demandes apparaîtront ici." in html
    assert "Les relevés, factures" not in html


def test_read_only_user_sees_readings_without_entry(web, auditor, occupied):
    account, _sp = occupied
    html = web.login(auditor).get("customers:detail", account.number).content.decode()
    assert 'id="readings"' in html
    assert "Saisir un relevé" not in html


def test_service_point_readings_history_and_chart(web, officer, occupied):
    account, sp = occupied
    # the last period a year after the first ones: last year's line has a value
    read(sp, dt.date(2025, 3, 30), 370)
    web.login(officer)
    response = web.get("metering:service-point-readings", account.number, sp.reference, htmx=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="consumption-chart-{sp.pk}"' in html
    assert f'id="consumption-table-{sp.pk}"' in html
    assert f'id="reading-history-{sp.pk}"' in html
    data = json.loads(html.split(f'id="consumption-data-{sp.pk}" type="application/json">')[1]
                      .split("</script>")[0])  # fmt: skip
    assert len(data["labels"]) == len(data["current"]) == len(data["previous"]) == 9
    assert data["current"][0] == 330  # 30 m³ / 91 days, in litres a day
    assert data["previous"][0] is None
    assert data["previous"][5] == 330
    assert "330 L" in html
    # without JavaScript: a page of its own
    page = web.get("metering:service-point-readings", account.number, sp.reference)
    assert "<html" in page.content.decode()


def test_service_point_readings_of_another_account_are_not_found(web, officer, occupied, elsewhere):
    account, _sp = occupied
    other_sp = elsewhere[1]
    web.login(officer)
    assert (
        web.get("metering:service-point-readings", account.number, other_sp.reference).status_code
        == 404
    )
    assert (
        web.get(
            "metering:service-point-readings", elsewhere[0].number, other_sp.reference
        ).status_code
        == 404
    )


def test_abnormal_consumption_notice_is_flagged(web, officer, occupied):
    account, sp = occupied
    reading = read(sp, dt.date(2025, 3, 30), 440)  # 100 m³ in 91 days: held (high)
    web.login(officer).post(
        "metering:anomaly-resolve", reading.pk, data={"resolution": "validated"}
    )
    assert AbnormalConsumptionNotice.objects.filter(account=account).exists()
    html = web.get("customers:detail", account.number).content.decode()
    assert 'id="abnormal-consumption-flag"' in html
    assert "loi Warsmann" in html


def test_reading_events_are_in_the_customer_history(web, officer, occupied):
    account, sp = occupied
    held = held_decrease(sp)
    web.login(officer).post(
        "metering:anomaly-resolve", held.pk, data={"resolution": "new_reading_requested"}
    )
    html = web.get("customers:detail", account.number).content.decode()
    assert "Relevé saisi" in html
    assert "Anomalie de relève traitée" in html
    assert "Nouvelle relève demandée" in html
    assert "Index inférieur au précédent" in html


def test_notice_marked_as_sent(web, officer, auditor, occupied):
    account, sp = occupied
    reading = read(sp, dt.date(2025, 3, 30), 440)
    web.login(officer).post(
        "metering:anomaly-resolve", reading.pk, data={"resolution": "validated"}
    )
    notice = AbnormalConsumptionNotice.objects.get(account=account)
    html = web.get("customers:detail", account.number).content.decode()
    assert "Marquer comme envoyée" in html
    assert "écrêtement" in html  # the letter's text
    assert (
        web.login(auditor)
        .post("metering:notice-sent", notice.pk, data={"channel": "mail"})
        .status_code
        == 403
    )
    web.login(officer)
    assert web.post("metering:notice-sent", notice.pk, data={"channel": "fax"}).status_code == 302
    notice.refresh_from_db()
    assert notice.sent_at is None
    response = web.post("metering:notice-sent", notice.pk, data={"channel": "bill"})
    assert response["Location"] == f"/customers/{account.number}/#readings"
    notice.refresh_from_db()
    assert notice.sent_channel == "bill"
    html = web.get("customers:detail", account.number).content.decode()
    assert (
        "Envoi de l&#x27;information enregistré." in html
        or "Envoi de l'information enregistré." in html
    )
    assert "Marquer comme envoyée" not in html


def test_notice_of_another_centre_is_not_found(web, officer, elsewhere):
    account, sp = elsewhere
    reading = read(sp, dt.date(2025, 3, 30), 440)
    services.anomaly_resolve(actor=None, reading=reading, resolution="validated")
    notice = AbnormalConsumptionNotice.objects.get(account=account)
    response = web.login(officer).post("metering:notice-sent", notice.pk, data={"channel": "mail"})
    assert response.status_code == 404


def test_history_offers_correction_only_where_the_service_allows_it(web, officer, occupied):
    account, sp = occupied
    for n in range(4):  # 13 readings in all: one beyond the customer page's twelve
        read(sp, dt.date(2025, 1, 5) + dt.timedelta(days=n + 1), 341 + n)
    held = held_decrease(sp, on=dt.date(2025, 3, 1))
    web.login(officer)
    html = web.get(
        "metering:service-point-readings", account.number, sp.reference, htmx=True
    ).content.decode()
    latest = sp.readings.get(read_on=dt.date(2025, 1, 9))
    older = sp.readings.get(read_on=dt.date(2025, 1, 8))
    assert f"/metering/readings/{held.pk}/correct/" in html
    assert f"/metering/readings/{latest.pk}/correct/" in html
    assert f"/metering/readings/{older.pk}/correct/" not in html
    assert html.count('<tr id="reading-') == 12
    assert "Voir les 2 relevés plus anciens" in html
    page = web.get("metering:service-point-readings", account.number, sp.reference)
    assert page.content.decode().count('<tr id="reading-') == 14
