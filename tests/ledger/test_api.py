"""The accounting outputs through the JSON API (PAY-7, PAY-1a)."""

from decimal import Decimal

import pytest

from robinet.ledger.models import JournalEntry
from robinet.organisation.services import api_token_create
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(accountant):
    return ApiClient(api_token_create(user=accountant))


def test_pay_7_entries_and_chart_through_the_api(api, billed):
    entries = api.get("/accounting/entries", journal="VE").json()
    assert len(entries) == 2
    assert {e["number"] for e in entries} == {"VE00000001"}  # one per fiscal year
    entry = JournalEntry.objects.order_by("pk").first()
    body = api.get(f"/accounting/entries/{entry.pk}").json()
    debit = sum(Decimal(line["debit"]) for line in body["lines"])
    credit = sum(Decimal(line["credit"]) for line in body["lines"])
    assert debit == credit > 0
    assert any(line["customer_account"] == billed.number for line in body["lines"])
    chart = api.get("/accounting/chart").json()
    assert any(a["code"] == "411000" and Decimal(a["balance"]) > 0 for a in chart)
    assert api.get("/accounting/entries/999999").status_code == 404


def test_pay_7_reconciliation_through_the_api(api, billed):
    body = api.get("/accounting/reconciliation", date="2026-02-15").json()
    assert body["balanced"] is True
    assert Decimal(body["total"]["sub_ledger"]) == sum(
        i.total_incl_vat for i in billed.invoices.all()
    )
    assert len(body["centres"]) == 4
    assert body["regions"][0]["difference"] == "0.00"


def test_pay_1a_beneficiaries_through_the_api(api, billed):
    rows = api.get("/accounting/beneficiaries", start="2025-01-01", end="2026-12-31").json()
    assert {r["beneficiary"] for r in rows} >= {"operator", "water_agency", "vat"}
    bad = api.get("/accounting/beneficiaries", start="2026-01-01", end="2025-01-01")
    assert bad.status_code == 400
    assert "end" in bad.json()["extra"]["fields"]


def test_pay_7_fec_through_the_api(api, billed):
    response = api.get("/accounting/fec", year=2025)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().startswith("JournalCode\tJournalLib")
    bad = api.get("/accounting/fec", year=2025, separator="comma")
    assert bad.status_code == 400
    assert "separator" in bad.json()["extra"]["fields"]


def test_pay_7_api_needs_accounting_view(billed, officer):
    client = ApiClient(api_token_create(user=officer))
    assert client.get("/accounting/entries").status_code == 403


def test_pay_7_openapi_lists_the_accounting_routes(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/accounting/entries",
        "/api/v1/accounting/entries/{entry_id}",
        "/api/v1/accounting/chart",
        "/api/v1/accounting/reconciliation",
        "/api/v1/accounting/beneficiaries",
        "/api/v1/accounting/fec",
    ):
        assert path in paths


def test_pay_7_a_run_entry_lines_carry_their_pieces_through_the_api(api, run_of_three):
    """Decision 0014: each customer line of a run's entry has its invoice's number as
    piece; the summed lines have the entry's."""
    entry = JournalEntry.objects.get(event="invoice_run")
    lines = api.get(f"/accounting/entries/{entry.pk}").json()["lines"]
    customers = [line for line in lines if line["customer_account"]]
    assert [line["piece_ref"] for line in customers] == [i.number for i in run_of_three]
    assert {line["piece_ref"] for line in lines if not line["customer_account"]} == {
        entry.piece_ref
    }
    found = api.get("/accounting/entries", piece=run_of_three[1].number).json()
    assert [e["id"] for e in found] == [entry.pk]
