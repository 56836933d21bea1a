"""Leak relief in a real browser (BILL-9, METER-5): from the worklist, the officer opens a
request whose plumber's certificate was received, approves it, and opens the credit note
that credits each capped component."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.billing import leaks
from robinet.billing.models import Invoice
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.billing.leaks.conftest import TODAY, certificate, leak_bill
from tests.e2e.conftest import menu

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billing_officer(org, make_user):
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0], first_name="Claire")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def test_approve_a_leak_relief_from_the_worklist(new_page, org, billing_officer):
    # given a bill of 1,195 m³ with its METER-5 notice and a received plumber's certificate
    bill = leak_bill(org.centres[0])
    leak = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    leaks.leak_relief_record_certificate(
        actor=billing_officer,
        request=leak,
        certificate=certificate(),
        repair_date=dt.date(2026, 3, 1),
        received_on=dt.date(2026, 3, 5),
        leak_location="Canalisation enterrée après le compteur",
        leak_after_meter=True,
        appliance_leak=False,
    )
    page = new_page(user=billing_officer)

    # 1. The worklist, filtered on received certificates, then the request.
    page.goto("/billing/")
    menu(page, "Écrêtements pour fuite", "Facturation")
    page.get_by_label("État").select_option("received")
    page.get_by_role("button", name="Filtrer").click()
    page.locator(f"#leak-{leak.pk}").get_by_role("link", name=f"n° {leak.pk}").click()
    expect(page).to_have_url(re.compile(rf"/billing/leaks/{leak.pk}/$"))
    expect(page.locator("#leak-relief")).to_contain_text("669,33")

    # 2. Approval issues the credit note; the letter is shown.
    page.get_by_role("button", name="Accorder l'écrêtement").click()
    expect(page.locator("#leak-status")).to_have_text("Écrêtement accordé")
    note = Invoice.objects.get(kind="credit_note")
    expect(page.locator("#leak-letter")).to_contain_text(note.number)

    # 3. The credit note: one line per capped component, referencing the bill.
    page.locator("#leak-credit-note-link").click()
    expect(page.locator("#invoice-title")).to_contain_text(note.number)
    expect(page.locator("#invoice-bill")).to_contain_text("Consommation eau potable")
    expect(page.locator("#invoice-bill")).to_contain_text("Assainissement collectif")
    expect(page.locator("body")).to_contain_text("Écrêtement pour fuite (loi Warsmann)")
    assert note.lines.count() == 3
    assert note.credited_invoice == bill
