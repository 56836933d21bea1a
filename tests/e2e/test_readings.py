"""Readings in a real browser: import, anomaly worklist, reading entry, consumption chart (METER)."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.metering.models import AbnormalConsumptionNotice, Reading
from robinet.organisation.roles import Role
from tests.e2e.conftest import menu
from tests.metering.factories import occupied_point, read, regular_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = "meter_serial;service_point;date;index;source;reader\n"


@pytest.fixture
def history(org):
    """A customer of the first centre: eight quarters of 30 m³, the last one 30 days ago."""
    today = clock.today()
    account, sp = occupied_point(org.centres[0], start=today - dt.timedelta(days=91 * 8 + 400))
    regular_history(sp, start=today - dt.timedelta(days=91 * 8 + 30))
    return account, sp


@pytest.fixture
def importer(org, make_user):
    """An administrator of the first centre: may import readings files there."""
    return make_user("importer", Role.ADMINISTRATOR, org.centres[0])


def test_import_then_resolve_an_anomaly_and_see_the_chart(
    new_page, tmp_path, officer, importer, history
):
    account, sp = history
    serial = sp.meters.get().serial
    last = sp.readings.order_by("-read_on").first()
    yesterday = clock.today() - dt.timedelta(days=1)
    before = Reading.objects.count()

    # 1. From the menu, a file with one bad line is refused with its line and column;
    #    nothing is imported.
    bad = tmp_path / "releves-errone.csv"
    bad.write_text(
        HEADER + f"{serial};;{yesterday:%Y-%m-%d};{last.index + 20};field;JM\n"
        f"{serial};;31/02/2025;{last.index + 25};field;JM\n",
        encoding="utf-8",
    )
    importing = new_page(user=importer)
    importing.goto("/")
    menu(importing, "Import de relevés", "Clients")
    expect(importing.get_by_role("heading", name="Importer des relevés")).to_be_visible()
    importing.get_by_label("Fichier de relevés (CSV)").set_input_files(str(bad))
    importing.get_by_role("button", name="Importer le fichier").click()
    expect(importing.locator("#import-error")).to_contain_text("rien n'a été importé")
    issues = importing.locator("#import-issues")
    expect(issues).to_contain_text("1 problème dans le fichier")
    expect(issues.locator("tbody tr")).to_have_count(1)
    expect(issues.locator("tbody tr").first).to_contain_text("3")
    expect(issues.locator("tbody tr").first).to_contain_text("date invalide")
    assert Reading.objects.count() == before

    # 2. A good file: its reading far above the usual consumption is held for review (METER-2),
    #    and the result page says so and offers the per-line report.
    good = tmp_path / "releves.csv"
    good.write_text(HEADER + f"{serial};;{yesterday:%Y-%m-%d};{last.index + 500};field;JM\n")
    importing.get_by_label("Fichier de relevés (CSV)").set_input_files(str(good))
    importing.get_by_role("button", name="Importer le fichier").click()
    expect(
        importing.get_by_text("Import terminé : 1 relevé, 0 valides, 1 en anomalie.")
    ).to_be_visible()
    expect(importing.locator("#import-anomalies")).to_contain_text(
        "Consommation anormalement élevée"
    )
    with importing.expect_download() as download:
        importing.locator("#import-report").click()
    report = download.value.path().read_text(encoding="utf-8-sig")
    assert report.splitlines()[1].startswith("2;Anomalie en attente;Consommation anormalement")
    held = Reading.objects.get(service_point=sp, read_on=yesterday)
    assert (held.status, held.anomaly) == ("held", "high_consumption")

    # 3. The officer opens the worklist from the menu, filters by reason, validates it.
    page = new_page(user=officer)
    page.goto("/")
    menu(page, "Anomalies de relève", "Clients")
    row = page.locator(f"#anomaly-{held.pk}")
    expect(row).to_contain_text(account.number)
    expect(row).to_contain_text("Consommation anormalement élevée")
    page.get_by_label("Motif").select_option("index_decrease")
    expect(page.locator("#anomaly-empty")).to_be_visible()
    expect(page).to_have_url(re.compile(r"reason=index_decrease"))
    page.get_by_label("Motif").select_option("high_consumption")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Valider").click()
    expect(row).to_contain_text("Relevé validé.")
    held.refresh_from_db()
    assert (held.status, held.resolution) == ("valid", "validated")
    # twice the three-year average on a dwelling: the customer must be told (METER-5)
    assert AbnormalConsumptionNotice.objects.filter(account=account).exists()

    # 4. The customer page: Warsmann flag, readings history, chart with its table fallback.
    row.get_by_role("link", name=re.compile("Hélène Lefèvre")).click()
    expect(page.locator("#abnormal-consumption-flag")).to_be_visible()
    history_table = page.locator(f"#reading-history-{sp.pk}")
    expect(history_table).to_contain_text(f"{yesterday:%d/%m/%Y}")
    canvas = page.locator(f"#consumption-chart-{sp.pk}")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("data-drawn", "1")  # Chart.js drew it (vendored, no CDN)
    assert page.evaluate("() => typeof window.Chart") == "function"
    fallback = page.locator(f"#consumption-table-{sp.pk}")
    expect(fallback).to_contain_text("330 L")
    expect(fallback).to_contain_text("500 m³")

    # 5. "Saisir un relevé" in the modal: an index below the previous one is held and said.
    page.get_by_role("link", name="Saisir un relevé").click()
    modal = page.locator("#action-modal")
    expect(modal.get_by_role("heading", name="Saisir un relevé")).to_be_visible()
    modal.get_by_label("Date de relève").fill(f"{clock.today():%Y-%m-%d}")
    modal.get_by_label("Index (m³)").fill("12")
    modal.get_by_role("button", name="Enregistrer le relevé").click()
    expect(page.get_by_text("mis en anomalie : Index inférieur au précédent")).to_be_visible()
    assert Reading.objects.get(service_point=sp, read_on=clock.today()).status == "held"


def test_worklist_and_readings_fit_a_phone(new_page, officer, history):
    account, sp = history
    last = sp.readings.order_by("-read_on").first()
    read(sp, clock.today(), last.index - 5)  # held: index decrease
    page = new_page(width=390, height=844, user=officer)

    def assert_no_horizontal_overflow():
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0

    page.goto("/metering/anomalies/")
    expect(page.get_by_role("button", name="Compteur non vu")).to_be_visible()
    assert_no_horizontal_overflow()
    page.goto(f"/customers/{account.number}/")
    expect(page.locator(f"#consumption-chart-{sp.pk}")).to_be_visible()
    assert_no_horizontal_overflow()
