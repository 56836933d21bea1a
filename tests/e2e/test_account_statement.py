"""The account page in a real browser: an officer un-allocates a payment, allocates it by hand
to another invoice, and opens the statement PDF (PAY-1), on a laptop and on a phone."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments.services import payment_record
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 2, 15)


@pytest.fixture
def cashier(org, make_user):
    return make_user("recouvrement", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


def test_allocate_a_payment_by_hand_and_open_the_statement(new_page, org, cashier, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    factories.tariff()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "130")
    factories.run(dt.date(2025, 6, 30))
    read(sp, dt.date(2025, 12, 20), "160")
    factories.run(dt.date(2025, 12, 31))
    older, newer = account.invoices.order_by("due_date")
    payment = payment_record(actor=cashier, account=account, means="transfer", amount=Decimal("20"))
    page = new_page(user=cashier)

    # 1. From the customer page to the account.
    page.goto(f"/customers/{account.number}/")
    page.get_by_role("link", name="Relevé de compte et lettrage").click()
    expect(page.locator("#statement-title")).to_contain_text(account.number)
    expect(page.locator("#statement-table")).to_contain_text(payment.number)

    # 2. The payment went to the oldest invoice; move it to the newer one.
    row = page.locator("#allocations-table tbody tr").first
    row.get_by_placeholder("Motif").fill("Le client paie la dernière facture")
    row.get_by_role("button", name="Délettrer").click()
    expect(page.locator(".alert-success")).to_contain_text("Lettrage annulé")
    page.get_by_label("Poste à solder").select_option(
        label=f"{newer.number} — {newer.total_incl_vat} €"
    )
    page.get_by_label("Montant (€)").fill("20")
    page.get_by_role("button", name="Lettrer", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Lettrage enregistré")
    assert OpenItem.objects.get(invoice=newer).open_amount == newer.total_incl_vat - 20
    assert OpenItem.objects.get(invoice=older).open_amount == older.total_incl_vat

    # 3. The statement PDF.
    response = page.request.get(page.locator("#statement-pdf-link").get_attribute("href"))
    assert response.status == 200
    assert response.body().startswith(b"%PDF")

    # 4. On a phone the statement scrolls inside its card, the page does not.
    phone = new_page(width=390, height=844, user=cashier)
    phone.goto(f"/accounting/accounts/{account.number}/")
    expect(phone.locator("#statement-balance")).to_be_visible()
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
