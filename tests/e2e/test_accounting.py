"""Accounting in a real browser: an auditor of the region opens Comptabilité from the menu,
follows an invoice's entry (the run's entry, one customer line per invoice: decision
0014), checks the reconciliation and downloads the FEC (PAY-7),
then the beneficiary report on a phone (PAY-1a)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from robinet.core import clock
from robinet.ledger import fec
from robinet.organisation.roles import Role
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 2, 15)


def test_accounting_journal_reconciliation_fec_and_beneficiaries(
    new_page, org, make_user, monkeypatch
):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    factories.tariff()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "130")
    neighbour, neighbour_sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="7")
    read(neighbour_sp, dt.date(2025, 6, 20), "40")
    factories.run(dt.date(2025, 6, 30))
    invoice = account.invoices.get()
    cashier = make_user("encaisseur", Role.COLLECTION_OFFICER, org.centres[0])
    payment_record(actor=cashier, account=account, means=PaymentMeans.CASH, amount=Decimal("20.00"))
    auditor = make_user("comptable", Role.AUDITOR, org.region)
    page = new_page(user=auditor)

    # 1. From the menu, the journal; filter on the invoice's piece and open its entry.
    page.goto("/")
    page.get_by_role("link", name="Comptabilité").first.click()
    expect(page).to_have_url(re.compile(r"/accounting/$"))
    page.get_by_label("Pièce").fill(invoice.number)
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#entry-table tbody tr")).to_have_count(1)
    page.locator("#entry-table tbody a").first.click()
    expect(page.locator("#entry-title")).to_contain_text("VE")
    expect(page.locator("#entry-lines")).to_contain_text(account.number)
    expect(page.locator("#entry-lines")).to_contain_text(invoice.number)  # its line's piece
    expect(page.locator("#entry-lines")).to_contain_text(neighbour.invoices.get().number)
    expect(page.locator("#entry-total-debit")).to_have_text(
        page.locator("#entry-total-credit").inner_text()
    )

    # 2. Back to the journal, then the reconciliation: no difference.
    page.get_by_role("link", name="Journal").first.click()
    page.get_by_role("link", name="Rapprochement des soldes").click()
    expect(page.locator("#reconciliation-status")).to_contain_text("aucun écart")

    # 3. The FEC of 2025, named after the SIREN and the closing date.
    page.get_by_role("link", name="FEC").click()
    page.get_by_label("Exercice").select_option("2025")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le FEC").click()
    download = download_info.value
    assert download.suggested_filename.endswith("FEC20251231.txt")
    header = open(download.path(), encoding="utf-8").readline().rstrip("\n")  # noqa: PTH123, SIM115
    assert header.split("\t") == list(fec.COLUMNS)

    # 4. On a phone, the beneficiary report: the 20 € collected are spread over beneficiaries.
    phone = new_page(width=390, height=844, user=auditor)
    phone.goto("/accounting/beneficiaries/?start=2025-01-01&end=2026-12-31")
    expect(phone.locator("#beneficiary-table")).to_be_visible()
    expect(phone.locator("#beneficiary-total-collected")).to_contain_text("20,00")
