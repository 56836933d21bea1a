"""Refunds in a real browser: a collection officer finds a credit balance from the menu,
approves the refund and downloads the SEPA credit-transfer file (PAY-6)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from robinet.organisation.roles import Role
from robinet.payments import pain001
from robinet.payments.models import PaymentMeans, Refund, RefundStatus
from robinet.payments.services import payment_record
from tests.customers import factories as customers
from tests.e2e.conftest import menu

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collector(org, make_user):
    return make_user("recouvrement", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


def test_approve_a_refund_and_download_the_pain001(new_page, org, collector):
    account = customers.person(org.centres[0])
    account.iban = "FR7630006000011234567890189"
    account.save(update_fields=["iban"])
    # A transfer received with nothing to pay: a credit balance of 42.00.
    payment_record(
        actor=None,
        account=account,
        means=PaymentMeans.TRANSFER,
        amount=Decimal("42.00"),
        check_permission=False,
    )
    page = new_page(user=collector)

    page.goto("/")
    menu(page, "Remboursements", "Encaissement")
    page.get_by_role("button", name="Rechercher les soldes à rembourser").click()
    refund = Refund.objects.get()
    row = page.locator(f"#refund-{refund.number}")
    expect(row).to_contain_text("42,00")
    expect(row).to_contain_text(account.number)
    row.get_by_role("button", name="Approuver").click()
    expect(page.get_by_role("status").or_(page.locator(".alert-success")).first).to_contain_text(
        "approuvé"
    )
    expect(page.locator("#refunds-approved")).to_contain_text(refund.number)

    page.get_by_role("button", name="Créer le fichier de virements (pain.001)").click()
    expect(page.locator("#refund-files tbody tr")).to_have_count(1)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.EXPORTED

    href = page.get_by_role("link", name="Télécharger").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/xml"
    pain001.validate(response.body())
    assert b'<InstdAmt Ccy="EUR">42.00</InstdAmt>' in response.body()


def test_refunds_page_fits_a_phone(new_page, org, collector):
    page = new_page(width=390, height=844, user=collector)
    page.goto("/payments/refunds/")
    expect(page.get_by_role("heading", name="Remboursements des soldes créditeurs")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
