"""Vouchers in a real browser: the region's manager creates and signs an agreement with an
administration, hands it vouchers, and the vouchers pay the administration's invoice (PAY-10)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.ledger.models import OpenItem
from robinet.payments.models import Payment, PaymentMeans, VoucherAgreement
from tests.billing import factories
from tests.payments import voucher_setup
from tests.payments.conftest import TODAY
from tests.payments.voucher_setup import SIRETS, administration, stocked

voucher_manager = voucher_setup.voucher_manager

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


def test_create_an_agreement_issue_vouchers_and_redeem_them_against_an_invoice(
    new_page, org, voucher_manager, monkeypatch
):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    factories.tariff()
    prefecture = administration(org.centres[0], "Préfecture du Bas-Rhin", SIRETS[0])
    factories.run(dt.date(2025, 6, 30))
    invoice = prefecture.invoices.get()
    stocked(voucher_manager, org, [(50, 1001, 1100)])
    page = new_page(width=390, height=844, user=voucher_manager)  # a phone

    # 1. From the menu, a new agreement for 20 vouchers of 50 €, then sign it.
    page.goto("/payments/vouchers/")
    expect(page.get_by_role("heading", name="Vignettes", exact=True)).to_be_visible()
    page.get_by_role("link", name="Nouvelle convention").click()
    page.get_by_label("Compte client de l'administration").fill(prefecture.number)
    page.get_by_label("Quantité de 50 €").fill("20")
    page.get_by_role("button", name="Créer la convention").click()
    expect(page).to_have_url(re.compile(r"/payments/vouchers/agreements/\d+/$"))
    expect(page.locator("#agreement-status")).to_have_text("Brouillon")
    page.get_by_role("button", name="Signer la convention").click()
    expect(page.locator("#agreement-status")).to_have_text("Signée")
    agreement = VoucherAgreement.objects.get()
    assert agreement.total_amount == Decimal("1000.00")

    # 2. Hand 10 vouchers of the centre's stock to the administration.
    issue = page.locator("#agreement-issue-form")
    issue.get_by_label("Entité (stock)").select_option(label="Centre 1.1")
    issue.get_by_label("Valeur faciale").select_option("50")
    issue.get_by_label("Du n°").fill("1001")
    issue.get_by_label("Au n°").fill("1010")
    issue.get_by_role("button", name="Remettre").click()
    expect(page.get_by_text("10 vignettes remises à l'administration.")).to_be_visible()
    expect(page.locator("#figures-50")).to_contain_text("10")

    # 3. At the counter, three of them pay the invoice.
    page.get_by_role("link", name="Encaisser des vignettes").first.click()
    expect(page.get_by_label("Compte client de l'administration")).to_have_value(prefecture.number)
    page.get_by_label("Facture réglée (facultatif)").fill(invoice.number)
    page.get_by_label("Valeur (ligne 1)").select_option("50")
    page.get_by_label("Du n° (ligne 1)").fill("1001")
    page.get_by_label("Au n° (ligne 1)").fill("1003")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    expect(page.get_by_text(re.compile(r"Règlement ENC-2026-\d+ de 150"))).to_be_visible()
    payment = Payment.objects.get()
    assert (payment.means, payment.amount) == (PaymentMeans.VOUCHER, Decimal("150.00"))
    item = OpenItem.objects.get(invoice=invoice)
    assert item.open_amount == invoice.total_incl_vat - Decimal("150.00")

    # 4. The same vouchers a second time are refused, naming them.
    page.get_by_label("Valeur (ligne 1)").select_option("50")
    page.get_by_label("Du n° (ligne 1)").fill("1003")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    expect(
        page.get_by_text("Vignettes 50 € n° 1003 : déjà utilisées pour régler une facture.")
    ).to_be_visible()
    assert Payment.objects.count() == 1
