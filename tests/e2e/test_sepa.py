"""SEPA direct debit in a real browser (PAY-3): a collection officer records a mandate on an
account, creates the direct-debit run of a collection date and downloads its pain.008."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.organisation.roles import Role
from robinet.payments import pain008
from robinet.payments.models import DirectDebitRun, Mandate
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 2, 15)


def test_record_a_mandate_then_download_a_pain_008(new_page, org, make_user, monkeypatch, tmp_path):
    factories.tariff()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "130")
    factories.run(dt.date(2025, 6, 30))
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    collector = make_user("prelevements", Role.COLLECTION_OFFICER, org.region)
    page = new_page(width=390, height=844, user=collector)  # a phone
    page.set_default_timeout(30_000)  # a shared two-core machine

    # 1. The mandate, from the menu.
    page.goto("/payments/sepa/runs/")
    page.get_by_role("link", name="Mandats d'un compte").click()
    page.get_by_label("Numéro de compte client").fill(account.number)
    page.get_by_role("button", name="Afficher", exact=True).click()
    page.get_by_label("Signé le").fill("2025-01-10")
    page.get_by_label("IBAN").fill("FR14 2004 1010 0505 0001 3M02 606")
    page.get_by_role("button", name="Enregistrer le mandat").click()
    expect(page.locator("#sepa-mandate-table")).to_contain_text(f"RUM-{account.number}-01")
    assert Mandate.objects.get().iban == "FR1420041010050500013M02606"

    # 2. The run of Tuesday 17 February 2026, then its file.
    page.get_by_role("link", name="Remises de prélèvements").click()
    page.get_by_label("Date de prélèvement").fill("2026-02-17")
    page.get_by_role("button", name="Créer la remise").click()
    expect(page).to_have_url(re.compile(r"/payments/sepa/runs/\d+/$"))
    expect(page.locator("#sepa-item-table tbody tr")).to_have_count(1)
    expect(page.locator("#sepa-item-table")).to_contain_text("FRST")
    with page.expect_download() as download:
        page.locator("#sepa-run-download").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "prelevements-2026-02-17.pain.008.001.08.xml"
    pain008.validate(target.read_bytes(), "001.08")
    assert bytes(DirectDebitRun.objects.get().file_content) == target.read_bytes()
