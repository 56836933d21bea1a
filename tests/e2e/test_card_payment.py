"""Card payment in a real browser (PAY-2): a cashier starts a card payment for an invoice, the
customer pays on the test provider's page, whose signed notification books the payment; the
invoice is paid."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments.models import CardStatus, CardTransaction, Payment
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 2, 15)


def test_pay_an_invoice_by_card_on_the_test_provider_page(new_page, org, make_user, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    factories.tariff()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 12, 20), "160")
    factories.run(dt.date(2025, 12, 31))
    invoice = account.invoices.order_by("due_date", "pk").first()
    cashier = make_user("encaisseur", Role.COLLECTION_OFFICER, org.centres[0])
    page = new_page(width=390, height=844, user=cashier)  # a phone

    page.goto("/payments/cards/")
    page.get_by_role("link", name="Nouveau paiement par carte").click()
    page.get_by_label("N° de compte client").fill(account.number)
    page.get_by_label("Montant (€)").fill(str(invoice.total_incl_vat))
    page.get_by_label("N° de facture (facultatif)").fill(invoice.number)
    page.get_by_role("button", name="Aller au paiement").click()

    expect(page).to_have_url(re.compile(r"/payments/card/test-provider/TEST-[0-9A-F]+/$"))
    amount = f"{invoice.total_incl_vat:.2f}".replace(".", ",")
    expect(page.locator("#provider-amount")).to_contain_text(amount)
    page.get_by_role("button", name="Payer").click()

    expect(page).to_have_url(re.compile(r"/payments/cards/\d+/$"))
    expect(page.locator("#card-status")).to_have_text("Payée")
    expect(page.locator("#card-invoice-due")).to_contain_text("0,00")
    expect(page.locator("#card-invoice-cleared")).to_have_text("15/02/2026")
    card = CardTransaction.objects.get()
    assert card.status == CardStatus.PAID
    assert Payment.objects.get().external_reference == card.provider_reference
    assert OpenItem.objects.get(invoice=invoice).open_amount == 0
