"""Bank statements in a real browser (PAY-5): a collection officer imports a camt.053 from the
menu, then works the unallocated worklist — accepts a suggestion and splits a transfer."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.organisation.roles import Role
from robinet.payments.models import EntryStatus, Payment, StatementEntry
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.customers import factories as customer_factories
from tests.e2e.conftest import menu
from tests.metering.factories import read
from tests.payments.statement_setup import camt, credit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 2, 15)
IBAN = "FR7630004000031234567890143"


def test_import_a_statement_accept_a_suggestion_and_split_one(
    new_page, org, make_user, monkeypatch, tmp_path
):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    factories.tariff()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "130")
    factories.run(dt.date(2025, 6, 30))
    account.iban = IBAN
    account.save(update_fields=["iban"])
    invoice = account.invoices.get()
    other = customer_factories.person(org.centres[0], name="MARTIN", first_name="Claire")
    cashier = make_user("encaisseur", Role.COLLECTION_OFFICER, org.centres[0])
    path = tmp_path / "releve-2026-02-12.xml"
    path.write_bytes(
        camt(
            credit(invoice.total_incl_vat, remittance=f"Facture {invoice.number}"),
            credit("7.00", debtor_iban=IBAN, debtor_name="X"),
            credit("30.00", debtor_name="FAMILLE DURAND"),
        )
    )
    page = new_page(user=cashier)

    # 1. From the menu, import the statement: one credit booked, two waiting.
    page.goto("/")
    menu(page, "Relevés bancaires", "Encaissement")
    page.get_by_role("link", name="Importer un relevé").click()
    page.get_by_label("Relevé bancaire (camt.053, CFONB 120 ou MT940)").set_input_files(str(path))
    page.get_by_role("button", name="Importer et rapprocher").click()
    expect(page).to_have_url(re.compile(r"/payments/bank-statements/\d+/$"))
    expect(page.get_by_text("1 virement(s) affecté(s)")).to_be_visible()
    expect(page.locator("#statement-entries tbody tr[data-status=booked]")).to_have_count(1)
    expect(page.locator("#statement-entries tbody tr[data-status=unallocated]")).to_have_count(2)

    # 2. The worklist: the 7,00 € from a known IBAN has a suggestion; accept it.
    menu(page, "Montants en instance", "Encaissement")
    rows = page.locator("#unallocated-list tbody tr")
    expect(rows).to_have_count(2)
    known = rows.filter(has_text="IBAN déjà connu pour ce compte")
    expect(known).to_contain_text(account.number)
    known.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text("7.00 € affectés au compte")).to_be_visible()
    expect(rows).to_have_count(1)

    # 3. Split the 30,00 € between the two accounts.
    rows.first.get_by_role("link", name="Traiter").click()
    page.get_by_label("N° client 1").fill(account.number)
    page.get_by_label("Montant 1").fill("12,50")
    page.get_by_label("N° client 2").fill(other.number)
    page.get_by_label("Montant 2").fill("17,50")
    page.get_by_role("button", name="Répartir").click()
    expect(page.get_by_text("répartis entre 2 comptes")).to_be_visible()
    expect(page.get_by_text("Aucun montant dans cette liste.")).to_be_visible()

    assert not StatementEntry.objects.filter(status=EntryStatus.UNALLOCATED).exists()
    assert sorted(Payment.objects.values_list("amount", flat=True)) == sorted(
        [invoice.total_incl_vat, Decimal("7.00"), Decimal("12.50"), Decimal("17.50")]
    )

    # 4. On a phone, the worklist stays readable (the table scrolls inside its card).
    phone = new_page(width=390, height=844, user=cashier)
    phone.goto("/payments/unallocated/?status=booked")
    expect(phone.locator("#unallocated-list tbody tr")).to_have_count(3)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
