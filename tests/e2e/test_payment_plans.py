"""Payment plans in a real browser (COLL-5): a collection officer agrees a plan for a debtor
from the create screen, opens the agreement to sign, signs and cancels it; the screens hold
on a phone."""

import re

import pytest
from playwright.sync_api import expect

from robinet.collections.models import PaymentPlan
from robinet.organisation.roles import Role
from tests.collections.plan_fixtures import debts
from tests.customers import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collector(org, make_user):
    return make_user("recouvrement", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


@pytest.fixture
def debtor(org):
    account = factories.person(org.centres[0])
    debts(account, "300.00", "150.50")
    return account


def test_coll_5_agree_a_plan_open_the_agreement_then_cancel(new_page, debtor, collector):
    page = new_page(user=collector)

    # 1. The create screen lists the open items and previews a schedule.
    page.goto(f"/collections/accounts/{debtor.number}/plans/new/")
    expect(page.locator("#plan-open-items tbody tr")).to_have_count(2)
    expect(page.locator("#plan-open-total")).to_contain_text("450,50")
    page.get_by_label("Acompte (€)").fill("50,00")
    page.get_by_label("Nombre d'échéances mensuelles").fill("4")
    page.get_by_role("button", name="Prévisualiser").click()
    expect(page.locator("#plan-preview tbody tr")).to_have_count(5)

    # 2. Agree the plan: the detail shows the instalments.
    page.get_by_role("button", name="Accorder l'échéancier").click()
    expect(page).to_have_url(re.compile(r"/collections/plans/\d+/$"))
    plan = PaymentPlan.objects.get()
    expect(page.locator("#plan-state")).to_have_text("En cours")
    expect(page.locator("#plan-schedule tbody tr")).to_have_count(5)
    expect(page.locator("#plan-remaining")).to_contain_text("450,50")
    assert sum(i.amount for i in plan.instalments.all()) == plan.total

    # 3. The agreement to sign is a PDF.
    pdf_url = page.locator("#plan-agreement-link").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # 4. Signed, then cancelled with a reason.
    page.get_by_role("button", name="Accord signé").click()
    expect(page.locator("#plan-signed")).to_be_visible()
    page.get_by_label("Motif").fill("Le client règle tout par virement")
    page.locator("#plan-cancel-form").get_by_role("button", name="Annuler l'échéancier").click()
    expect(page.locator("#plan-state")).to_have_text("Annulé")
    plan.refresh_from_db()
    assert plan.state == "cancelled"


def test_coll_5_plan_screens_fit_a_phone(new_page, debtor, collector):
    phone = new_page(width=390, height=844, user=collector)
    phone.goto(f"/collections/accounts/{debtor.number}/plans/new/")
    expect(phone.get_by_role("button", name="Accorder l'échéancier")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("button", name="Accorder l'échéancier").click()
    expect(phone).to_have_url(re.compile(r"/collections/plans/\d+/$"))
    expect(phone.locator("#plan-agreement-link")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto("/collections/plans/")
    expect(phone.locator("#plan-table tbody tr")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
