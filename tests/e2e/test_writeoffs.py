"""Write-offs in a real browser (COLL-11): a collection officer proposes a write-off, cannot
decide it herself, a manager approves it; the provisions page runs; the screens hold on a
phone."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.collections.models import ProvisionRun, WriteOffRequest
from robinet.organisation.roles import Role
from tests.collections.plan_fixtures import debts
from tests.customers import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collector(org, make_user):
    return make_user("recouvrement", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


@pytest.fixture
def chief(org, make_user):
    return make_user("responsable", Role.MANAGER, org.region, first_name="Isabelle")


@pytest.fixture
def debtor(org):
    account = factories.person(org.centres[0])
    debts(account, "300.00", "150.50", due=dt.date(2023, 6, 15))
    return account


def test_coll_11_propose_then_a_manager_approves(new_page, debtor, collector, chief):
    page = new_page(user=collector)
    page.goto(f"/collections/accounts/{debtor.number}/write-off/new/")
    expect(page.locator("#writeoff-open-items tbody tr")).to_have_count(2)
    page.locator("#writeoff-open-items input[type=checkbox]").first.check()
    page.get_by_label("Motif").select_option("deceased")
    page.get_by_role("button", name="Proposer").click()
    expect(page).to_have_url(re.compile(r"/collections/write-offs/ANV-\d{4}-\d+/$"))
    expect(page.locator("#writeoff-waiting")).to_contain_text("quatre yeux")
    expect(page.locator("#writeoff-decision")).to_have_count(0)
    url = page.url

    boss = new_page(user=chief)
    boss.goto(url)
    boss.get_by_label("Note de décision").fill("Acte de décès reçu")
    boss.get_by_role("button", name="Approuver et comptabiliser").click()
    expect(boss.locator("#writeoff-state")).to_have_text("Comptabilisée")
    expect(boss.locator("#writeoff-entries")).to_contain_text("654000")
    assert WriteOffRequest.objects.get().state == "booked"

    boss.goto("/collections/write-offs/provisions/")
    boss.get_by_role("button", name="Lancer le calcul").click()
    expect(boss.locator("#provision-runs tbody tr")).to_have_count(1)
    assert ProvisionRun.objects.count() == 1


def test_coll_11_write_off_screens_fit_a_phone(new_page, debtor, collector):
    phone = new_page(width=390, height=844, user=collector)
    for url in (
        f"/collections/accounts/{debtor.number}/write-off/new/",
        "/collections/write-offs/",
        "/collections/write-offs/provisions/",
    ):
        phone.goto(url)
        expect(phone.locator("h1")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
