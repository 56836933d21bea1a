"""Monthly payment in a real browser: a customer officer enrols a contract from the menu and
opens the schedule, which is also the SEPA pre-notification (BILL-10)."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.billing.models import BudgetPlan
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.billing import factories
from tests.billing.budget.conftest import TODAY, with_iban
from tests.billing.conftest import occupied_point
from tests.e2e.conftest import menu
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(org, make_user):
    return make_user("gestion", Role.CUSTOMER_OFFICER, org.centres[0], first_name="Luc")


def test_enrol_in_monthly_payment_and_open_the_schedule(new_page, org, officer, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    factories.tariff()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 3, 10), "130")
    read(sp, dt.date(2026, 3, 10), "250")
    account = with_iban(account)
    contract = account.contracts.get()
    page = new_page(user=officer)

    # 1. From the menu, enrol the contract: 10 debits on the 5th.
    page.goto("/")
    menu(page, "Mensualisations", "Facturation")
    page.get_by_role("link", name="Mensualiser un abonnement").click()
    page.get_by_label("N° d'abonnement (ou de compte client)").fill(contract.number)
    page.get_by_label("Nombre de prélèvements").select_option("10")
    page.get_by_label("Jour de prélèvement").select_option("5")
    page.get_by_role("button", name="Mensualiser").click()
    expect(page).to_have_url(re.compile(r"/billing/budget/\d+/$"))
    plan = BudgetPlan.objects.get()
    expect(page.locator("#budget-status")).to_have_text("Active")
    expect(page.locator("#budget-schedule tbody tr")).to_have_count(10)
    expect(page.locator("#instalment-1")).to_contain_text("05/04/2026")
    assert sum(i.amount for i in plan.instalments.all()) == plan.estimate

    # 2. The schedule PDF (SEPA pre-notification).
    pdf_url = page.locator("#budget-pdf-link").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
