"""PORTAL-1: bills and payments of the signed-in customer (PDF, Factur-X, receipts)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from robinet.customers.models import CustomerAccount
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record
from tests.billing import factories as billing_factories
from tests.customers import factories as customer_factories
from tests.metering.factories import read
from tests.portal import test_home
from tests.portal.conftest import logged_in, make_portal_user

billed = test_home.billed
service_point = test_home.service_point
sign_in_pages = test_home.sign_in_pages


def _pay(account, amount, invoice=None):
    return payment_record(
        actor=None,
        account=account,
        means=PaymentMeans.CARD,
        amount=Decimal(amount),
        invoice=invoice,
        external_reference=f"REF-{amount}",
        check_permission=False,
    )


def _invoices(account):
    return list(account.invoices.order_by("issue_date", "id"))


def test_portal_1_bills_list_amounts_due_dates_open_amounts_and_status(billed, portal):
    first, second = _invoices(billed)
    _pay(billed, "19.10", first)
    response = portal.get(reverse("portal:bills"))
    assert response.status_code == 200
    html = response.content.decode()
    row_first = html.split(f'id="bill-{first.number}"')[1].split("</tr>")[0]
    row_second = html.split(f'id="bill-{second.number}"')[1].split("</tr>")[0]
    assert "19,10 €" in row_first
    assert "0,00 €" in row_first
    assert "Payée" in row_first
    assert "20/07/2025" in row_first
    assert "66,57 €" in row_second
    assert "En retard" in row_second
    assert "20/01/2026" in row_second
    assert "Payer 66,57 €" in row_second
    assert "Payer" not in row_first
    assert "66,57 € à payer" in html
    # the payment and its receipt
    payment = billed.payments.get()
    assert reverse("portal:receipt", args=[payment.pk]) in html
    assert "Carte bancaire" in html or payment.get_means_display() in html


def test_portal_1_a_partly_paid_bill_not_yet_due(household, portal):
    invoice = test_home.bill_not_yet_due(household)
    _pay(household, "10.00", invoice)
    html = portal.get(reverse("portal:bills")).content.decode()
    row = html.split(f'id="bill-{invoice.number}"')[1].split("</tr>")[0]
    left = f"{invoice.total_incl_vat - Decimal('10.00'):.2f}".replace(".", ",")
    assert "Partiellement payée" in row
    assert f"{left} €" in row


def test_portal_1_bill_pdf_is_the_billing_document(billed, portal):
    first, _second = _invoices(billed)
    response = portal.get(reverse("portal:bill-pdf", args=[first.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="{first.number}.pdf"' in response["Content-Disposition"]


def test_portal_1_an_individual_gets_no_facturx(billed, portal):
    first, _second = _invoices(billed)
    html = portal.get(reverse("portal:bills")).content.decode()
    assert "Factur-X" not in html
    assert portal.get(reverse("portal:bill-facturx", args=[first.number])).status_code == 404


@pytest.fixture
def company_billed(org):
    account = customer_factories.company(org.centres[0])
    sp = customer_factories.service_point(org.centres[0])
    customer_factories.moved_in(account, sp, start=dt.date(2025, 1, 1), index="100")
    billing_factories.tariff()
    read(sp, dt.date(2025, 12, 20), "400")
    billing_factories.run(dt.date(2025, 12, 31))
    return CustomerAccount.objects.get(pk=account.pk)


def test_portal_1_a_professional_downloads_the_facturx_xml(company_billed):
    client = logged_in(make_portal_user("compta@example.fr", company_billed))
    invoice = company_billed.invoices.order_by("-id").first()
    html = client.get(reverse("portal:bills")).content.decode()
    url = reverse("portal:bill-facturx", args=[invoice.number])
    assert url in html
    response = client.get(url)
    assert response.status_code == 200
    assert b"CrossIndustryInvoice" in response.content
    assert invoice.number.encode() in response.content
    pdf = client.get(reverse("portal:bill-pdf", args=[invoice.number]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_portal_1_receipt_pdf_of_a_payment(billed, portal):
    payment = _pay(billed, "19.10")
    response = portal.get(reverse("portal:receipt", args=[payment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_portal_1_another_customers_documents_are_404(billed, stranger, portal):
    first, _second = _invoices(billed)
    payment = _pay(billed, "19.10", first)
    other = logged_in(stranger)
    assert other.get(reverse("portal:bill-pdf", args=[first.number])).status_code == 404
    assert other.get(reverse("portal:bill-facturx", args=[first.number])).status_code == 404
    assert other.get(reverse("portal:receipt", args=[payment.pk])).status_code == 404
    assert other.get(reverse("portal:bill-pdf", args=["FAC-9999-0000001"])).status_code == 404
    html = other.get(reverse("portal:bills")).content.decode()
    assert first.number not in html


def test_portal_1_anonymous_documents_go_to_login(billed, client):
    first, _second = _invoices(billed)
    payment = _pay(billed, "19.10", first)
    for url in (
        reverse("portal:bills"),
        reverse("portal:bill-pdf", args=[first.number]),
        reverse("portal:bill-facturx", args=[first.number]),
        reverse("portal:receipt", args=[payment.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("portal:login"))


def test_portal_1_a_credit_note_is_listed_and_settles_its_invoice(billed, portal):
    from robinet.billing.services import credit_note_issue

    first, _second = _invoices(billed)
    note = credit_note_issue(actor=None, invoice=first, reason="Index erroné")
    html = portal.get(reverse("portal:bills")).content.decode()
    row = html.split(f'id="bill-{note.number}"')[1].split("</tr>")[0]
    assert "Avoir" in row
    assert "-19,10 €" in row
    assert "66,57 € à payer" in html  # 85,67 − 19,10
    assert portal.get(reverse("portal:bill-pdf", args=[note.number])).status_code == 200
