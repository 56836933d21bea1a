"""Billing statistics screen, its CSV, and the run's print file download (BILL-12)."""

import datetime as dt

import pytest

from robinet.billing import services
from robinet.billing.models import Invoice
from robinet.core.models import BatchRun
from robinet.organisation.roles import Role
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": "2025-01-01", "date_to": "2025-12-31"}


@pytest.fixture
def two_centres(org, tariff):
    """60 m³ billed in centre 1.1, 30 m³ in centre 1.2, one run issued on 5 July 2025."""
    for centre, index in ((org.centres[0], "160"), (org.centres[1], "130")):
        _account, sp = occupied_point(centre, start=dt.date(2025, 1, 1), index="100")
        read(sp, dt.date(2025, 6, 20), index)
    return factories.run(dt.date(2025, 6, 30))


def test_bill_12_statistics_page_with_charts_for_a_manager(web, manager, two_centres):
    web.login(manager)
    response = web.get("billing:statistics", data=PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Statistiques de facturation" in page
    assert 'id="stat-invoices">2<' in page
    assert ">90 m³<" in page  # 60 + 30
    assert 'id="chart-months"' in page
    assert 'id="chart-beneficiaries"' in page
    assert 'id="statistics-charts"' in page
    assert "chart.umd.min.js" in page
    assert "Centre 1.2" in page
    assert "/billing/statistics/export.csv?" in page
    # the menu entry
    assert 'href="/billing/statistics/"' in page


def test_bill_12_default_period_is_the_current_year(web, manager, two_centres):
    web.login(manager)
    response = web.get("billing:statistics")
    assert response.status_code == 200
    assert "Émises du" in response.content.decode()


def test_bill_12_a_centre_officer_sees_only_their_centre(web, billing_officer, two_centres, org):
    web.login(billing_officer)
    page = web.get("billing:statistics", data=PERIOD).content.decode()
    assert 'id="stat-invoices">1<' in page
    assert ">60 m³<" in page
    assert "Centre 1.2" not in page  # neither in the figures nor in the entity filter
    # another centre's code is not a valid choice: the form refuses it, no figures
    response = web.get("billing:statistics", data={**PERIOD, "entity": org.centres[1].code})
    assert response.status_code == 422
    assert 'id="stat-invoices"' not in response.content.decode()


def test_bill_12_statistics_csv_download(web, manager, two_centres, org):
    web.login(manager)
    response = web.get("billing:statistics-csv", data={**PERIOD, "entity": "CT11"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        "statistiques-facturation-CT11-2025-01-01-2025-12-31.csv"
        in (response["Content-Disposition"])
    )
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    text = body.decode("utf-8-sig")
    assert "Entité;Centre 1.1 (CT11)\r\n" in text
    assert "Volume net (m³);60,000\r\n" in text
    assert "Factures;1\r\n" in text


def test_bill_12_bad_period_shows_the_error(web, manager, two_centres):
    web.login(manager)
    response = web.get(
        "billing:statistics", data={"date_from": "2025-12-31", "date_to": "2025-01-01"}
    )
    assert response.status_code == 422
    assert "précède son début" in response.content.decode()


def test_bill_12_statistics_refused_without_billing_view(web, agency_user):
    web.login(agency_user)
    assert web.get("billing:statistics").status_code == 403
    assert web.get("billing:statistics-csv").status_code == 403


def test_bill_12_print_file_download_from_the_run_page(web, manager, two_centres):
    web.login(manager)  # the run covers the whole utility: its page is for the region
    page = web.get("billing:run-detail", two_centres.pk).content.decode()
    assert f"/billing/runs/{two_centres.pk}/print-export.csv" in page
    response = web.get("billing:run-print-export", two_centres.pk)
    assert response.status_code == 200
    assert f"edition-factures-{two_centres.pk}.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffsequence;sort_key;")
    assert len(text.strip().split("\r\n")) == 1 + Invoice.objects.filter(run=two_centres).count()


def test_bill_12_print_file_of_a_running_run_is_refused(web, billing_officer, org, tariff):
    run = services.billing_run_create(
        actor=None,
        period_end=dt.date(2025, 6, 30),
        issue_date=dt.date(2025, 7, 5),
        entity_code=org.centres[0].code,
    )
    BatchRun.objects.filter(pk=run.pk).update(state="running")
    web.login(billing_officer)
    page = web.get("billing:run-detail", run.pk).content.decode()
    assert "print-export.csv" not in page
    response = web.get("billing:run-print-export", run.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/billing/runs/{run.pk}/"
    page = web.client.get(response["Location"]).content.decode()
    assert "n&#x27;est pas terminée" in page


def test_bill_12_print_file_of_another_entitys_run_is_not_found(web, make_user, org, two_centres):
    # the run covers the whole utility: an officer of one centre does not see it
    officer = make_user("fact-ct12", Role.BILLING_OFFICER, org.centres[1])
    web.login(officer)
    assert web.get("billing:run-print-export", two_centres.pk).status_code == 404
