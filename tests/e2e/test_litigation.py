"""Litigation in a real browser (COLL-9): a collection officer opens an order-for-payment
file for an eligible debtor, records a stage and downloads the bundle; the screens hold on a
phone."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.collections.models import LitigationFile
from robinet.collections.services import procedures_seed
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.collections import notice_factories
from tests.collections.conftest import bill
from tests.customers import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collector(org, make_user):
    return make_user("contentieux", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


@pytest.fixture
def debtor(org):
    procedures_seed()
    account = factories.person(
        org.centres[0], birth_date=dt.date(1975, 2, 3), birth_place="Quimper"
    )
    today = clock.today()
    bill(account, issued=today - dt.timedelta(days=120), amount="300.00")
    bill(account, issued=today - dt.timedelta(days=90), amount="250.00")
    notice_factories.notice(account, level=2, on=today - dt.timedelta(days=20))
    return account


def test_coll_9_open_an_order_for_payment_file_and_download_the_bundle(new_page, debtor, collector):
    page = new_page(user=collector)
    page.goto(f"/collections/accounts/{debtor.number}/litigation/new/")
    expect(page.locator("#eligibility-result")).to_have_text("Recevable")
    expect(page.locator("#eligibility [data-ok='1']")).to_have_count(7)
    page.get_by_label("Juridiction").fill("Tribunal judiciaire de Quimper")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    expect(page).to_have_url(re.compile(r"/collections/litigation/CTX-\d{4}-\d+/$"))
    file = LitigationFile.objects.get()
    expect(page.locator("#litigation-stage")).to_have_text("En préparation")

    page.locator("#stage-form").get_by_role("button", name="Requête déposée").click()
    expect(page.locator("#litigation-stage")).to_have_text("Requête déposée")

    href = page.locator("#litigation-bundle-link").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert file.number in response.headers["content-disposition"]


def test_coll_9_litigation_screens_fit_a_phone(new_page, debtor, collector):
    phone = new_page(width=390, height=844, user=collector)
    phone.goto(f"/collections/accounts/{debtor.number}/litigation/new/")
    expect(phone.get_by_role("button", name="Ouvrir le dossier")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("button", name="Ouvrir le dossier").click()
    expect(phone.locator("#litigation-bundle-link")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto("/collections/litigation/")
    expect(phone.locator("#litigation-table tbody tr")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
