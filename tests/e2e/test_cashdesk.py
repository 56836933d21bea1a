"""The counter cash desk in a real browser (PAY-2): an officer takes a cash payment from the
menu, opens its receipt, closes the day with the cash counted; then deposits a cheque on a slip."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.organisation.roles import Role
from robinet.payments import cashdesk
from robinet.payments.models import CashDay, ChequeDepositSlip, Payment
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.e2e.conftest import menu
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 2, 16)


@pytest.fixture
def billed(org, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    factories.tariff()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 12, 20), "160")
    factories.run(dt.date(2025, 12, 31))
    return account


@pytest.fixture
def cashier(org, make_user):
    return make_user("caisse", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


def test_take_a_cash_payment_open_the_receipt_and_close_the_day(new_page, billed, cashier):
    page = new_page(user=cashier)

    # 1. From the menu, the counter of the officer's centre: take 25,40 € in cash.
    page.goto("/")
    menu(page, "Caisse", "Encaissement")
    expect(page).to_have_url(re.compile(r"/payments/cash/$"))
    page.get_by_label("N° de compte client").fill(billed.number)
    page.get_by_label("Moyen de paiement").select_option("cheque")
    expect(page.get_by_label("N° de chèque")).to_be_visible()
    page.get_by_label("Moyen de paiement").select_option("cash")
    expect(page.get_by_label("N° de chèque")).to_be_hidden()
    page.get_by_label("Montant (€)").fill("25,40")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    payment = Payment.objects.get()
    assert payment.amount == Decimal("25.40")
    expect(page.locator(f"#payment-{payment.number}")).to_contain_text("25,40")

    # 2. The receipt is a PDF.
    receipt_url = page.locator(f"#receipt-{payment.number}").get_attribute("href")
    receipt = page.request.get(receipt_url)
    assert receipt.status == 200
    assert receipt.headers["content-type"] == "application/pdf"
    assert receipt.body().startswith(b"%PDF")

    # 3. Close the day: 25,00 € counted, a 0,40 € shortfall shown and recorded.
    page.locator("#cash-day-link").click()
    page.get_by_label("Espèces comptées (€)").fill("25,00")
    page.get_by_role("button", name="Clôturer").click()
    expect(page.locator("#cash-day-status")).to_have_text("Clôturée")
    expect(page.locator("#figure-difference")).to_contain_text("-0,40")
    day = CashDay.objects.get()
    assert day.cash_difference == Decimal("-0.40")
    assert day.closed_by == cashier


def test_create_a_deposit_slip_of_cheques(new_page, billed, cashier, org):
    for number, amount in (("1000001", "30.00"), ("1000002", "12.50")):
        cashdesk.counter_payment_take(
            actor=cashier, centre=org.centres[0], account=billed, means="cheque",
            amount=Decimal(amount), cheque_number=number, cheque_bank="CIC Est", drawer="M. Klein",
        )  # fmt: skip
    page = new_page(width=390, height=844, user=cashier)  # on a phone

    page.goto("/payments/cash/slips/")
    page.get_by_role("link", name="Nouveau bordereau").click()
    expect(page.locator("#pending-cheques tbody tr")).to_have_count(2)
    page.get_by_label("Compte bancaire de remise").fill("CIC Est — 00012345")
    page.get_by_role("button", name="Créer le bordereau").click()
    expect(page).to_have_url(re.compile(r"/payments/cash/slips/\d+/$"))
    expect(page.locator("#slip-total")).to_contain_text("42,50")
    slip = ChequeDepositSlip.objects.get()
    assert slip.cheque_count == 2
    csv_url = page.locator("#slip-csv-link").get_attribute("href")
    exported = page.request.get(csv_url).text()
    assert exported.splitlines()[0] == "slip_number;cheque_number;bank;drawer;amount;date"
    assert len(exported.splitlines()) == 3
