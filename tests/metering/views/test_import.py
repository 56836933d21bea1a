"""The readings file import page (METER-1, principle 5): atomic, line-numbered, once, in scope."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.backoffice.navigation import menu_for
from robinet.core.models.imports import ImportFile
from robinet.metering.models import Reading
from robinet.organisation.roles import Role

pytestmark = pytest.mark.django_db

HEADER = "meter_serial;service_point;date;index;source;reader\n"


@pytest.fixture
def importer(org, make_user):
    """An administrator of the first centre: may import readings there only."""
    return make_user("importer", Role.ADMINISTRATOR, org.centres[0])


def last_index(sp):
    return sp.readings.filter(status="valid").order_by("-read_on").first().index


def upload(web, text: str, name: str = "releves.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return web.client.post(web.url("metering:readings-import"), {"file": file})


def good_file(sp) -> str:
    serial = sp.meters.get().serial
    index = last_index(sp)
    return (
        HEADER
        + f"{serial};;2025-04-30;{index + 10};field;JM\n"
        + f"{serial};;2025-05-30;{index + 600};field;JM\n"  # far above the usual: held
    )


def test_the_page_is_in_the_menu_of_importers_only(web, importer, officer):
    assert "metering:readings-import" in [i["url_name"] for i in menu_for(importer)]
    assert "metering:readings-import" not in [i["url_name"] for i in menu_for(officer)]
    assert web.login(officer).get("metering:readings-import").status_code == 403
    page = web.login(importer).get("metering:readings-import")
    assert page.status_code == 200
    assert "Importer des relevés" in page.content.decode()


def test_a_good_file_is_imported_with_its_report(web, importer, occupied):
    _account, sp = occupied
    before = Reading.objects.count()
    response = upload(web.login(importer), good_file(sp))
    assert response.status_code == 302
    assert Reading.objects.count() == before + 2
    record = ImportFile.objects.get(kind="readings")
    assert response["Location"] == f"/metering/readings/imports/{record.pk}/"
    assert record.imported_by == importer
    assert Reading.objects.filter(import_file_id=record.pk, created_by=importer).count() == 2

    page = web.get(response["Location"]).content.decode()
    assert "Import terminé : 2 relevés, 1 valide, 1 en anomalie." in page
    assert "Consommation anormalement élevée" in page
    report = web.get("metering:readings-import-report", record.pk)
    assert report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig")),
                           delimiter=";"))  # fmt: skip
    assert rows[0] == ["ligne", "résultat", "motif", "détail"]
    assert [row[:3] for row in rows[1:]] == [
        ["2", "Valide", ""],
        ["3", "Anomalie en attente", "Consommation anormalement élevée"],
    ]


def test_a_bad_file_lists_its_lines_and_writes_nothing(web, importer, occupied):
    _account, sp = occupied
    serial = sp.meters.get().serial
    before = Reading.objects.count()
    text = (
        HEADER
        + f"{serial};;2025-04-30;{last_index(sp) + 10};field;\n"
        + f"{serial};;31/02/2025;{last_index(sp) + 20};field;\n"
        + "INCONNU;;2025-05-30;12;field;\n"
    )
    response = upload(web.login(importer), text)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Fichier refusé : rien n&#x27;a été importé." in html
    assert "2 problèmes dans le fichier" in html
    assert "<td>3</td>" in html
    assert "date invalide" in html
    assert "<td>4</td>" in html
    assert "compteur inconnu : INCONNU." in html
    assert Reading.objects.count() == before
    assert not ImportFile.objects.exists()


def test_a_line_outside_the_users_centres_refuses_the_file(web, importer, occupied, elsewhere):
    _account, sp = occupied
    _other, outside = elsewhere
    before = Reading.objects.count()
    text = (
        HEADER
        + f"{sp.meters.get().serial};;2025-04-30;{last_index(sp) + 10};field;\n"
        + f";{outside.reference};2025-04-30;{last_index(outside) + 10};field;\n"
    )
    response = upload(web.login(importer), text)
    assert response.status_code == 422
    html = response.content.decode()
    assert "<td>3</td>" in html
    assert "ce point de desserte n&#x27;est pas dans vos centres" in html
    assert Reading.objects.count() == before


def test_the_same_file_twice_is_refused(web, importer, occupied):
    _account, sp = occupied
    text = good_file(sp)
    assert upload(web.login(importer), text).status_code == 302
    count = Reading.objects.count()
    response = upload(web, text, name="encore.csv")
    assert response.status_code == 409
    assert "Ce fichier a déjà été importé le" in response.content.decode()
    assert Reading.objects.count() == count


def test_someone_elses_import_is_not_found(web, importer, make_user, org, occupied):
    _account, sp = occupied
    response = upload(web.login(importer), good_file(sp))
    record = ImportFile.objects.get()
    other = make_user("other-admin", Role.ADMINISTRATOR, org.centres[0])
    assert web.login(other).get(response["Location"]).status_code == 404
    assert web.get("metering:readings-import-report", record.pk).status_code == 404


def test_an_empty_form_asks_for_the_file(web, importer):
    response = web.login(importer).post("metering:readings-import")
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in response.content.decode()


def test_dates_after_today_are_held_not_refused(web, importer, occupied):
    _account, sp = occupied
    text = HEADER + f"{sp.meters.get().serial};;2025-07-30;{last_index(sp) + 10};field;\n"
    assert upload(web.login(importer), text).status_code == 302
    reading = Reading.objects.get(read_on=dt.date(2025, 7, 30))
    assert (reading.status, reading.anomaly) == ("held", "date_in_future")
