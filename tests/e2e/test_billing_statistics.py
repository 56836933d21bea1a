"""Billing statistics in a real browser: the charts are drawn, the CSV is downloaded (BILL-12)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from robinet.organisation.roles import Role
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.e2e.conftest import menu
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billed(org):
    factories.tariff()
    for end_index in ("160", "190"):
        _account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
        read(sp, dt.date(2025, 6, 20), end_index)
    factories.run(dt.date(2025, 6, 30), entity_code=org.centres[0].code)


def test_bill_12_statistics_page_draws_its_charts_and_downloads_the_csv(
    new_page, org, make_user, billed
):
    officer = make_user("facturation", Role.BILLING_OFFICER, org.centres[0])
    page = new_page(user=officer)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    menu(page, "Statistiques de facturation", "Facturation")
    page.get_by_label("Émises du").fill("2025-01-01")
    page.get_by_label("Jusqu’au").fill("2025-12-31")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#stat-invoices")).to_have_text("2")
    # Chart.js drew both charts (a canvas it owns has a chart instance), once its script has run
    page.wait_for_function("() => window.Chart !== undefined && document.readyState === 'complete'")
    drawn = page.evaluate(
        "['chart-months', 'chart-beneficiaries'].map(id => !!window.Chart.getChart(id))"
    )
    assert drawn == [True, True]
    page.screenshot(path="/tmp/robinet-statistics.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger (CSV)").click()
    assert download.value.suggested_filename.startswith("statistiques-facturation-")
    assert errors == []
