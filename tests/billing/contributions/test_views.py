"""Screens of municipal contributions (BILL-7)."""

import re
from decimal import Decimal

import pytest

from robinet.billing.choices import AgreementStatus, InvoiceKind
from robinet.billing.models import ContributionAgreement, Invoice
from robinet.ledger.models import OpenItem
from tests.billing.contributions.conftest import signed
from tests.customers import factories as customers

pytestmark = pytest.mark.django_db


def test_bill_7_agreement_flow_on_screens(web, municipality, billing_officer):
    web.login(billing_officer)
    assert "Conventions de participation" in web.get("billing:invoices").content.decode()
    assert web.get("billing:contribution-create").status_code == 200
    # a schedule that does not add up is refused on the form, nothing written
    response = web.post(
        "billing:contribution-create",
        data={
            "account": municipality.number,
            "project": "Station d'épuration",
            "service": "sanitation",
            "total_excl_vat": "12000",
            "vat_rate": "0",
            "due_1": "2026-01-15",
            "amount_1": "5000",
            "due_2": "2026-09-15",
            "amount_2": "5000",
        },
    )
    assert response.status_code == 422
    assert "12000" in response.content.decode()
    assert not ContributionAgreement.objects.exists()
    # equal instalments
    response = web.post(
        "billing:contribution-create",
        data={
            "account": municipality.number,
            "project": "Station d'épuration",
            "service": "sanitation",
            "total_excl_vat": "12000",
            "vat_rate": "0",
            "due_1": "2026-01-15",
            "due_2": "2026-09-15",
        },
    )
    agreement = ContributionAgreement.objects.get()
    assert response["Location"].endswith(f"/billing/contributions/{agreement.number}/")
    page = web.get("billing:contribution-detail", agreement.number).content.decode()
    assert 'id="agreement-sign-form"' in page
    web.post(
        "billing:contribution-sign",
        agreement.number,
        data={"signed_on": "2026-01-10", "deliberation": "DCM 2025-112"},
    )
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SIGNED
    web.post("billing:contribution-invoice", agreement.number, data={"up_to": "2026-03-10"})
    invoice = Invoice.objects.get(kind=InvoiceKind.CONTRIBUTION)
    assert invoice.total_incl_vat == Decimal("6000.00")
    OpenItem.objects.filter(invoice=invoice).update(open_amount=Decimal("1000.00"))
    page = web.get("billing:contribution-detail", agreement.number).content.decode()
    assert invoice.number in page
    listing = web.get("billing:contributions").content.decode()
    assert agreement.number in listing
    assert re.search(r"5\s000,00", listing)  # paid: 6,000 invoiced − 1,000 still due
    assert web.get("billing:invoice-detail", invoice.number).status_code == 200
    assert web.get("billing:invoice-pdf", invoice.number).content.startswith(b"%PDF")


def test_bill_7_screens_refuse_a_company_and_an_auditor(web, org, municipality, auditor):
    web.login(auditor)
    assert web.get("billing:contributions").status_code == 200
    assert web.get("billing:contribution-create").status_code == 403
    current = signed(municipality)
    assert web.get("billing:contribution-detail", current.number).status_code == 200
    assert web.post("billing:contribution-invoice", current.number).status_code == 403
    assert not Invoice.objects.exists()


def test_bill_7_form_names_the_account_of_a_non_municipality(web, org, billing_officer):
    company = customers.company(org.centres[0])
    web.login(billing_officer)
    response = web.post(
        "billing:contribution-create",
        data={
            "account": company.number,
            "project": "Extension du réseau",
            "service": "water",
            "total_excl_vat": "1000",
            "vat_rate": "0",
            "due_1": "2026-04-01",
        },
    )
    assert response.status_code == 422
    assert "collectivité" in response.content.decode()
