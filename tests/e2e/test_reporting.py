"""Management reports in a real browser (REP-1, REP-5): dashboard, drill-down, XLSX export."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from robinet.core import clock
from tests.e2e.conftest import menu
from tests.metering.factories import occupied_point
from tests.reporting.conftest import bill

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def debt(org):
    """A household of centre 1.1 owing two bills: one long overdue, one not yet due.

    The live server runs in another thread, on the real date: bills are dated from it.
    """
    today = clock.today()
    household, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    bill(household, issued=today - dt.timedelta(days=100), amount="80.00")
    bill(household, issued=today - dt.timedelta(days=2), amount="40.00")
    return household


def test_rep_5_manager_drills_from_the_dashboard_to_an_account_and_exports_xlsx(
    new_page, manager, debt, tmp_path
):
    page = new_page(user=manager)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    menu(page, "Pilotage")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    expect(page.locator("[data-tile='1']")).to_contain_text("120,00")
    # The chart scripts come last in the page: wait for them, not only for the text above.
    page.wait_for_function("() => window.Chart !== undefined && document.readyState === 'complete'")
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-report-chart]'))"
        ".map(c => !!window.Chart.getChart(c))"
    )
    assert drawn
    assert all(drawn)
    page.get_by_role("link", name="Balance âgée").first.click()
    by_entity = page.locator("[data-report-table='entities']")
    # Region → agency → centre → account → its items.
    by_entity.get_by_role("link", name="Agence 1").click()
    page.locator("[data-report-table='entities']").get_by_role("link", name="Centre 1.1").click()
    accounts = page.locator("[data-report-table='accounts']")
    accounts.get_by_role("link", name=debt.number).click()
    items = page.locator("[data-report-table='items']")
    expect(items).to_contain_text("80,00")
    expect(items).to_contain_text("40,00")
    with page.expect_download() as download:
        page.locator("[data-export='xlsx']").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    book = load_workbook(io.BytesIO(path.read_bytes()))
    sheet = book[book.sheetnames[-1]]
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert 80.0 in values
    assert 40.0 in values
    assert errors == []


def test_rep_5_dashboard_is_usable_on_a_phone(new_page, manager, debt):
    page = new_page(width=390, height=844, user=manager)
    page.goto("/reporting/")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.get_by_label("Périmètre").select_option(label="—— Centre 1.1")
    page.get_by_role("button", name="Afficher", exact=True).click()
    expect(page.locator("[data-tile='1']")).to_contain_text("120,00")


def test_rep_1_snapshot_figures_are_labelled_and_live_ones_one_click_away(
    new_page, manager, debt, settings, tmp_path
):
    """REP-1 at full size reads the reporting snapshot; a later bill shows only live."""
    from robinet.reporting import snapshot

    settings.ROBINET_REPORTING_SNAPSHOT_DIR = tmp_path / "reporting"
    snapshot.take()
    bill(debt, issued=clock.today(), amount="5.00")
    page = new_page(width=390, height=844, user=manager)
    page.goto("/reporting/aged-balance/")
    band = page.locator("[data-source='snapshot']")
    expect(band).to_contain_text("instantané de reporting")
    classes = page.locator("[data-report-table='classes']")
    expect(classes).to_contain_text("120,00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    band.get_by_role("link", name="Calculer en direct").click()
    expect(page.locator("[data-source='live']")).to_be_visible()
    expect(page.locator("[data-report-table='classes']")).to_contain_text("125,00")
    page.get_by_role("link", name="Lire l'instantané").click()
    expect(page.locator("[data-source='snapshot']")).to_be_visible()
