"""The customer page's "Factures" block and "Simuler une facture" (BILL-6, BILL-11)."""

import pytest

from robinet.billing.models import Invoice

pytestmark = pytest.mark.django_db


def test_customer_page_loads_the_invoices_block(web, billing_officer, billed):
    web.login(billing_officer)
    page = web.get("customers:detail", billed.account.number).content.decode()
    assert f'hx-get="/customers/{billed.account.number}/invoices/"' in page
    block = web.get("customers:invoices", billed.account.number, htmx=True).content.decode()
    assert billed.number in block
    assert 'id="account-balance"' in block
    assert "Simuler une facture" in block


def test_contract_simulation_on_the_customer_page(web, billing_officer, billed):
    web.login(billing_officer)
    count = Invoice.objects.count()
    block = web.get(
        "customers:invoices",
        billed.account.number,
        htmx=True,
        data={
            "sim-contract": billed.contract.number,
            "sim-volume": "120",
            "sim-start": "2025-01-01",
            "sim-end": "2025-12-31",
        },
    ).content.decode()
    assert "Distribution de l&#x27;eau" in block
    assert 'id="contract-simulation-bill-total-incl"' in block
    assert Invoice.objects.count() == count  # nothing issued


def test_simulation_field_errors(web, billing_officer, billed):
    web.login(billing_officer)
    block = web.get(
        "customers:invoices",
        billed.account.number,
        data={
            "sim-contract": billed.contract.number,
            "sim-volume": "-3",
            "sim-start": "2025-06-01",
            "sim-end": "2025-01-01",
        },
    ).content.decode()
    assert "La fin de période précède son début." in block
    assert 'id="contract-simulation-bill' not in block


def test_invoices_block_is_refused_without_billing_view(web, agency_user, billed):
    web.login(agency_user)
    assert web.get("customers:invoices", billed.account.number).status_code == 403
