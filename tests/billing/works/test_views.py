"""Screens of fees and works quotes (BILL-7, COLL-1, BILL-6)."""

import pytest

from robinet.billing import works
from robinet.billing.choices import InvoiceKind, QuoteStatus
from robinet.billing.models import Invoice, Quote
from tests.billing.works.conftest import signed
from tests.customers import factories as customers

pytestmark = pytest.mark.django_db


def test_fees_form_issues_an_invoice(web, org, price_list, billing_officer):
    account = customers.person(org.centres[0])
    web.login(billing_officer)
    page = web.get("billing:invoices").content.decode()
    assert "Facturer des frais" in page
    assert web.get("billing:fees-create").status_code == 200
    response = web.post(
        "billing:fees-create",
        data={"account": account.number, "item_1": "FRAIS-ACCES", "quantity_1": "1"},
    )
    invoice = Invoice.objects.get(kind=InvoiceKind.FEES)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/billing/invoices/{invoice.number}/")
    page = web.get("billing:invoice-detail", invoice.number).content.decode()
    assert "Autres prestations" in page
    assert "Émettre un avoir" in page  # credited as any invoice
    assert web.get("billing:invoice-pdf", invoice.number).content.startswith(b"%PDF")


def test_fees_form_shows_the_coll1_refusal(web, org, price_list, billing_officer):
    account = customers.person(org.centres[0])
    web.login(billing_officer)
    response = web.post(
        "billing:fees-create",
        data={"account": account.number, "item_1": "FRAIS-REJET", "quantity_1": "1"},
    )
    assert response.status_code == 422
    assert "COLL-1" in response.content.decode()
    assert not Invoice.objects.exists()


def test_an_auditor_cannot_bill_fees_nor_quote(web, org, price_list, auditor):
    web.login(auditor)
    assert "Facturer des frais" not in web.get("billing:invoices").content.decode()
    assert web.get("billing:fees-create").status_code == 403
    assert web.get("billing:quote-create").status_code == 403
    assert web.get("billing:quotes").status_code == 200


def test_quote_flow_on_screens(web, org, price_list, billing_officer):
    account = customers.company(org.centres[0])
    web.login(billing_officer)
    response = web.post(
        "billing:quote-create",
        data={
            "account": account.number,
            "subject": "Branchement neuf",
            "item_1": "TRX-BRANCHEMENT",
            "quantity_1": "1",
        },
    )
    quote = Quote.objects.get()
    assert response["Location"].endswith(f"/billing/quotes/{quote.number}/")
    page = web.get("billing:quote-detail", quote.number).content.decode()
    assert 'id="quote-accept-form"' in page
    assert quote.number in web.get("billing:quotes").content.decode()
    assert web.get("billing:quote-pdf", quote.number).content.startswith(b"%PDF")
    web.post("billing:quote-send", quote.number)
    web.client.post(f"/billing/quotes/{quote.number}/accept/", {"signed_document": signed()})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert works.deposit_invoice_of(quote) is not None
    assert web.get("billing:quote-signed", quote.number).status_code == 200
    response = web.post("billing:quote-invoice", quote.number)
    invoice = works.works_invoice_of(quote)
    assert response["Location"].endswith(f"/billing/invoices/{invoice.number}/")
    page = web.get("billing:invoice-detail", invoice.number).content.decode()
    assert "Acompte versé" in page
    assert quote.number in page
