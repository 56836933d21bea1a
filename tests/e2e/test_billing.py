"""Billing in a real browser: a run started from the UI with live progress, a held bill
released from the worklist, an invoice's PDF, a credit note, the invoice on a phone (BILL-4…8)."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.billing.models import HeldBill, Invoice
from robinet.core.models import BatchRun
from robinet.organisation.roles import Role
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.e2e.conftest import menu
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billing_officer(org, make_user):
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0], first_name="Claire")


@pytest.fixture
def customers(org):
    """The test commune's tariff; three customers read in June 2025, one of them far above
    the volume threshold (its bill will be held, BILL-5)."""
    factories.tariff()
    accounts = []
    for end_index in ("160", "190", "5100"):
        account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
        read(sp, dt.date(2025, 6, 20), end_index)
        accounts.append(account)
    return accounts


def test_run_from_the_ui_release_held_bill_pdf_and_credit_note(
    new_page, billing_officer, customers
):
    big = customers[2]
    page = new_page(user=billing_officer)

    # 1. Start a billing run from the menu and watch its progress reach "terminé".
    page.goto("/")
    menu(page, "Facturation", "Facturation")
    page.get_by_role("link", name="Nouvelle facturation").click()
    page.get_by_label("Fin de période facturée").fill("2025-06-30")
    page.get_by_label("Date d'émission").fill("2025-07-05")
    # a centre's officer bills their centre (the whole service is for those who cover it all)
    expect(page.get_by_label("Entité")).to_have_value("CT11")
    page.get_by_role("button", name="Lancer la facturation").click()
    expect(page).to_have_url(re.compile(r"/billing/runs/\d+/$"))
    expect(page.locator("#run-progress .run-state")).to_have_text("terminé", timeout=30_000)
    expect(page.locator("#count-total")).to_have_text("3")
    expect(page.locator("#count-billed")).to_have_text("2")
    expect(page.locator("#count-held")).to_have_text("1")
    expect(page.locator("#run-invoices tbody tr")).to_have_count(2)
    run = BatchRun.objects.get()
    assert (run.state, run.succeeded) == ("done", 2)

    # 1b. Its PDFs, rendered by a run of their own (on the workers when there are some).
    page.get_by_role("button", name="Rendre les PDF").click()
    expect(page.locator("[data-render-state]")).to_have_attribute(
        "data-render-state", "done", timeout=30_000
    )
    expect(page.locator("#run-render")).to_contain_text("2 / 2")

    # 2. The held bill, from the worklist: its reason, its simulation, then Libérer.
    held = HeldBill.objects.get(account=big)
    menu(page, "Factures bloquées", "Facturation")
    row = page.locator(f"#held-{held.pk}")
    expect(row).to_contain_text("Consommation au-delà du seuil")
    row.get_by_role("link", name="Examiner").click()
    expect(page.locator("#held-reasons")).to_contain_text("Consommation au-delà du seuil")
    expect(page.locator("#held-bill")).to_contain_text("Distribution de l'eau")
    page.locator("#release-note").fill("Fuite après compteur réparée, volume confirmé")
    page.get_by_role("button", name="Libérer").click()
    expect(page.locator(".messages")).to_contain_text("Facture bloquée libérée")
    held.refresh_from_db()
    assert held.status == "released"
    invoice = held.invoice
    expect(page.locator("#invoice-title")).to_contain_text(invoice.number)

    # 3. The PDF the customer receives, served inline.
    pdf_url = page.locator("#invoice-pdf-link").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # 4. A credit note: the reason is required, then the full credit is issued.
    page.get_by_role("link", name="Émettre un avoir").click()
    page.get_by_role("button", name="Émettre l'avoir").click()
    expect(page.locator("#credit-note-form")).to_contain_text("Ce champ est obligatoire")
    assert not Invoice.objects.filter(kind="credit_note").exists()
    page.get_by_label("Motif de l'avoir").fill("Relevé erroné")
    page.get_by_role("button", name="Émettre l'avoir").click()
    expect(page.locator(".messages")).to_contain_text("Avoir")
    note = Invoice.objects.get(kind="credit_note")
    assert note.credited_invoice_id == invoice.pk
    assert note.total_incl_vat == invoice.total_incl_vat
    expect(page.locator("#credit-notes")).to_contain_text(note.number)
    expect(page.locator("#fully-credited")).to_be_visible()
    expect(page.get_by_role("button", name="Refacturer")).to_be_visible()


def test_invoice_page_on_a_phone(new_page, billing_officer, customers):
    factories.run(dt.date(2025, 6, 30))
    invoice = Invoice.objects.filter(account=customers[0]).get()
    page = new_page(width=390, height=844, user=billing_officer)
    page.goto(f"/billing/invoices/{invoice.number}/")
    expect(page.locator("#invoice-title")).to_contain_text(invoice.number)
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.locator("#invoice-pdf-link")).to_be_visible()
    expect(page.locator("#invoice-bill-total-incl")).to_be_visible()
    # the page itself does not scroll sideways (wide tables scroll inside their card)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
