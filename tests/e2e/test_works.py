"""Works for third parties in a real browser: a quote established from the price list,
accepted with the customer's signed copy (deposit invoice), then turned into the works
invoice that deducts the deposit (BILL-7, BILL-6)."""

import re

import pytest
from playwright.sync_api import expect

from robinet.billing.choices import InvoiceKind, QuoteStatus
from robinet.billing.fees import seed_price_list
from robinet.billing.models import Invoice, Quote
from robinet.organisation.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billing_officer(org, make_user):
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0], first_name="Claire")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_quote_to_works_invoice(new_page, billing_officer, company):
    seed_price_list()
    page = new_page(user=billing_officer)

    # 1. From the invoices, the works quotes, then a new quote from the price list.
    page.goto("/billing/invoices/")
    page.get_by_role("link", name="Devis de travaux").click()
    page.get_by_role("link", name="Nouveau devis").click()
    page.get_by_label("N° de compte client (ou tiers)").fill(company.number)
    page.get_by_label("Objet des travaux").fill("Branchement neuf")
    page.get_by_label("Article 1", exact=True).select_option("TRX-BRANCHEMENT")
    page.get_by_label("Article 2", exact=True).select_option("TRX-ML-SUPP")
    page.get_by_label("Quantité 2", exact=True).fill("4")
    page.get_by_role("button", name="Établir le devis").click()
    expect(page).to_have_url(re.compile(r"/billing/quotes/DEV-\d{4}-\d{6}/$"))
    quote = Quote.objects.get()
    expect(page.locator("#quote-title")).to_contain_text(quote.number)
    # 1450 + 4 × 85 = 1790 HT, 10 % VAT
    expect(page.locator("#quote-total")).to_contain_text("1\u202f969,00")

    # 2. Sent, then accepted with the signed copy: the deposit invoice is issued.
    page.get_by_role("button", name="Marquer envoyé").click()
    expect(page.locator("#quote-status")).to_have_text("Envoyé")
    page.get_by_label("Devis signé (PDF ou image)").set_input_files(
        files=[{"name": "devis-signe.pdf", "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4 signe"}]
    )  # fmt: skip
    page.get_by_role("button", name="Enregistrer l'acceptation").click()
    expect(page.locator(".messages")).to_contain_text("facture d'acompte")
    expect(page.locator("#quote-status")).to_have_text("Accepté")
    deposit = Invoice.objects.get(kind=InvoiceKind.WORKS_DEPOSIT)
    expect(page.locator("#deposit-invoice-link")).to_have_text(deposit.number)

    # 3. The works are done: the works invoice deducts the deposit.
    page.get_by_role("button", name="Facturer les travaux").click()
    works = Invoice.objects.get(kind=InvoiceKind.WORKS)
    expect(page.locator("#invoice-title")).to_contain_text(works.number)
    expect(page.locator("#invoice-bill")).to_contain_text("Acompte versé")
    expect(page.locator("#invoice-quote")).to_have_text(quote.number)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.INVOICED
    assert works.total_excl_vat == quote.total_excl_vat - deposit.total_excl_vat

    # 4. The works invoice's PDF.
    pdf_url = page.locator("#invoice-pdf-link").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
