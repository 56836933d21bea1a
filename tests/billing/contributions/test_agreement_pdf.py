"""The municipal contribution agreement's document (BILL-7, seed 002): parties, amounts, schedule."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from robinet.billing import contributions
from robinet.organisation.services import api_token_create
from tests.billing.contributions.conftest import agreement, signed
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")


def test_bill_7_agreement_pdf_gives_parties_amounts_and_schedule(municipality, billing_officer):
    deal = signed(municipality, billing_officer, vat_rate="20")
    invoices = contributions.agreement_invoice_due(
        actor=billing_officer, agreement=deal, up_to=dt.date(2026, 1, 31)
    )
    content, filename = contributions.agreement_pdf(deal)
    assert content.startswith(b"%PDF")
    assert filename == f"convention-{deal.number}.pdf"
    text = pdf_text(content)
    # the parties
    assert "Régie des Eaux Robinet" in text
    assert "Commune de Strasbourg" in text
    assert municipality.number in text
    assert deal.number in text
    assert "Renouvellement de la conduite rue du Moulin" in text
    # the amounts: 30,000 € excl. VAT, 20 % VAT on each instalment
    assert "30 000,00 €" in text
    assert "6 000,00 €" in text
    assert "36 000,00 €" in text
    # the schedule: three equal instalments, the first invoiced
    for day in ("15/01/2026", "01/03/2026", "01/06/2026"):
        assert day in text
    assert text.count("10 000,00 €") >= 3
    assert invoices[0].number in text
    assert "à facturer" in text
    # the signature and the payment follow-up
    assert "DCM 2025-112" in text
    assert "Payé" in text


def test_bill_7_draft_agreement_pdf_says_it_is_to_sign(municipality):
    content, _filename = contributions.agreement_pdf(agreement(municipality))
    text = pdf_text(content)
    assert "hors champ de TVA" in text
    assert "à signer" in text


def test_bill_7_agreement_pdf_from_its_screen_and_the_api(web, municipality, billing_officer):
    deal = signed(municipality, billing_officer)
    web.login(billing_officer)
    page = web.get("billing:contribution-detail", deal.number).content.decode()
    assert f"/contributions/{deal.number}/pdf/" in page
    response = web.get("billing:contribution-pdf", deal.number)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert deal.number in pdf_text(response.content)
    api = ApiClient(api_token_create(user=billing_officer))
    response = api.get(f"/billing/contributions/{deal.number}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Commune de Strasbourg" in pdf_text(response.content)
    assert api.get("/billing/contributions/CONV-2026-99999/pdf").status_code == 404
