"""Billing through the JSON API (BILL-4…6, BILL-8, BILL-11): same services, same permissions."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from robinet.billing import selectors
from robinet.billing.documents import validate_facturx_xml
from robinet.billing.models import BillingThreshold, HeldBill, Invoice
from robinet.core.models import BatchRun
from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from robinet.tariffs.pricing import bill_to_dict
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.customers import factories as customer_factories
from tests.customers.api.test_api import ApiClient
from tests.metering.factories import read

pytestmark = pytest.mark.django_db

SIMULATION_KEYS = {
    "lines",
    "vat",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "price_per_m3_incl_vat",
    "price_per_litre_incl_vat",
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 7, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


class Client(ApiClient):
    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", headers=self.headers)


def client_for(user) -> Client:
    return Client(api_token_create(user=user))


@pytest.fixture
def api(officer):
    """A customer officer of the first centre: reads, simulates; no runs, no corrections."""
    return client_for(officer)


@pytest.fixture
def biller(org, make_user):
    return client_for(make_user("biller", Role.BILLING_OFFICER, org.region))


@pytest.fixture
def stranger(org, make_user):
    """A billing officer of another centre."""
    return client_for(make_user("stranger", Role.BILLING_OFFICER, org.centres[1]))


@pytest.fixture
def agency(org, make_user):
    """No permission at all."""
    return client_for(make_user("agency", Role.EXTERNAL_AGENCY, org.region))


def _fields(response) -> dict:
    return response.json()["extra"]["fields"]


# --- simulation (BILL-11) --------------------------------------------------------------------

YEAR = {"from": "2025-01-01", "to": "2025-12-31"}


def test_bill_11_simulate_on_a_tariff_is_the_cli_json(api, tariff):
    response = api.post(
        "/billing/simulate", {"tariff": tariff.code, "volume": "120", "diameter": 15, **YEAR}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= SIMULATION_KEYS
    expected = bill_to_dict(
        selectors.simulate(
            tariff_code=tariff.code,
            volume=Decimal(120),
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 12, 31),
            diameter_mm=15,
        )
    )
    assert body == expected
    assert isinstance(body["total_incl_vat"], str)
    abo = next(line for line in body["lines"] if line["component_code"] == "ABO-EAU")
    assert abo["amount_excl_vat"] == "36.50"  # a whole year is one year of fixed charge
    without = api.post(
        "/billing/simulate",
        {"tariff": tariff.code, "volume": 120, "diameter": 15, "sanitation": False, **YEAR},
    ).json()
    assert "ASST" not in {line["component_code"] for line in without["lines"]}


def test_bill_11_simulate_on_a_contract(api, billed):
    response = api.post(
        "/billing/simulate", {"contract": billed.contract.number, "volume": "60", **YEAR}
    )
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["total_incl_vat"]) > 0
    response = api.post(
        "/billing/simulate",
        {"contract": billed.contract.number, "volume": "60", "diameter": 20, **YEAR},
    )
    assert response.status_code == 400
    assert list(_fields(response)) == ["diameter"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"volume": "10", **YEAR, "diameter": 15}, "tariff"),
        ({"tariff": "STRASBOURG-2026", "volume": "10", **YEAR}, "diameter"),
        ({"tariff": "NOPE", "volume": "10", "diameter": 15, **YEAR}, "tariff"),
        ({"tariff": "STRASBOURG-2026", "volume": "-1", "diameter": 15, **YEAR}, "volume"),
        (
            {"tariff": "STRASBOURG-2026", "volume": "1", "diameter": 15, "from": "2025-02-01",
             "to": "2025-01-01"},
            "to",
        ),
        ({"contract": "NOPE", "volume": "1", **YEAR}, "contract"),
        ({"tariff": "STRASBOURG-2026", "volume": "1", "diameter": 15, "from": "0001-01-01",
          "to": "9999-12-31"}, "from"),
        ({"tariff": "STRASBOURG-2026", "volume": "1", "diameter": 15, "from": "1990-01-01",
          "to": "2025-12-31"}, "to"),
        ({"tariff": "STRASBOURG-2026", "volume": "1e400", "diameter": 15, **YEAR}, "volume"),
        ({"tariff": "STRASBOURG-2026", "volume": "1", "diameter": 15, "dwellings": 0, **YEAR},
         "dwellings"),
    ],
)  # fmt: skip
def test_api_3_simulate_errors_name_the_field(api, tariff, payload, field):
    response = api.post("/billing/simulate", payload)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in _fields(response)


def test_api_3_simulate_malformed_is_422_with_fields(api, tariff):
    response = api.post(
        "/billing/simulate",
        {"tariff": tariff.code, "volume": "abc", "from": "2025-13-01", "to": "2025-12-31"},
    )
    assert response.status_code == 422
    assert {"volume", "from"} <= set(_fields(response))


def test_simulate_needs_the_permission_and_the_contracts_centre(agency, stranger, billed):
    payload = {"contract": billed.contract.number, "volume": "60", **YEAR}
    assert agency.post("/billing/simulate", payload).status_code == 403
    response = stranger.post("/billing/simulate", payload)
    assert response.status_code == 400
    assert "contract" in _fields(response)


# --- runs (BILL-4) ---------------------------------------------------------------------------


@pytest.fixture
def due(org, tariff):
    """A contract of the first centre with a reading, not yet billed."""
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "160")
    return account


def test_bill_4_start_a_run_and_read_its_report(biller, due):
    response = biller.post("/billing/runs", {"period_end": "2025-06-30"})
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["state"], run["period_end"], run["progress_percent"]) == ("done", "2025-06-30", 100)
    assert (run["invoices"], run["billed_contracts"], run["failed_contracts"]) == (1, 1, 0)
    invoice = due.invoices.get()
    assert Decimal(run["total_incl_vat"]) == invoice.total_incl_vat
    assert [r["id"] for r in biller.get("/billing/runs").json()] == [run["id"]]
    detail = biller.get(f"/billing/runs/{run['id']}").json()
    assert detail["succeeded"] == 1
    assert detail["items"] == []
    # Idempotent: a second run bills nothing twice.
    again = biller.post("/billing/runs", {"period_end": "2025-06-30"}).json()
    assert again["invoices"] == 0
    assert Invoice.objects.count() == 1


def test_bill_4_run_created_without_executing_then_executed(biller, due):
    run = biller.post("/billing/runs", {"period_end": "2025-06-30", "execute": False}).json()
    assert run["state"] == "approved"
    assert not Invoice.objects.exists()
    response = biller.post(f"/billing/runs/{run['id']}/execute", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done"
    assert response.json()["invoices"] == 1
    response = biller.post(f"/billing/runs/{run['id']}/execute", {})
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_bill_4_run_report_lists_held_contracts(biller, due):
    BillingThreshold.objects.create(
        customer_class="individual", max_amount_incl_vat=Decimal("50"), max_volume_m3=1000
    )
    run = biller.post("/billing/runs", {"period_end": "2025-06-30"}).json()
    assert (run["invoices"], run["held"], run["held_contracts"]) == (0, 1, 1)
    assert run["items"][0]["code"].startswith("held:")
    assert run["items"][0]["contract"] == due.contracts.get().number


def test_api_3_run_errors_name_the_field(biller, due):
    response = biller.post("/billing/runs", {"period_end": "2025-08-31"})
    assert response.status_code == 400
    assert "period_end" in _fields(response)
    response = biller.post("/billing/runs", {"period_end": "2025-06-30", "entity": "NOPE"})
    assert "entity" in _fields(response)
    response = biller.post("/billing/runs", {"period_end": "0001-06-30"})
    assert "period_end" in _fields(response)
    response = biller.post("/billing/runs", {"period_end": "30/06/2025"})
    assert response.status_code == 422
    assert "period_end" in _fields(response)
    assert not BatchRun.objects.exists()


def test_runs_need_the_permission(api, agency, biller, due):
    assert api.post("/billing/runs", {"period_end": "2025-06-30"}).status_code == 403
    assert not BatchRun.objects.exists()
    assert agency.get("/billing/runs").status_code == 403
    assert biller.get("/billing/runs/999999").status_code == 404


# --- invoices (BILL-6, BILL-8) ---------------------------------------------------------------


def test_invoice_list_filters_and_pages(api, billed):
    body = api.get("/invoices").json()
    assert [i["number"] for i in body] == [billed.number]
    assert body[0]["account"] == billed.account.number
    assert body[0]["total_incl_vat"] == str(billed.total_incl_vat)
    assert len(api.get("/invoices", account=billed.account.number).json()) == 1
    assert api.get("/invoices", account="000").json() == []
    assert len(api.get("/invoices", kind="periodic", run=billed.run_id).json()) == 1
    assert api.get("/invoices", kind="credit_note").json() == []
    assert len(api.get("/invoices", period_end=billed.period_end.isoformat()).json()) == 1
    assert api.get("/invoices", period_end="2024-12-31").json() == []
    assert api.get("/invoices", offset=1).json() == []
    assert api.get("/invoices", period_end="hier").status_code == 422


def test_invoice_read_header_lines_vat_totals(api, billed):
    response = api.get(f"/invoices/{billed.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == billed.number
    assert body["service_point"] == billed.service_point.reference
    assert body["facturx"] is False
    assert len(body["lines"]) == billed.lines.count()
    assert body["lines"][0]["position"] == 1
    assert body["vat"] == billed.vat_breakdown
    assert sum(Decimal(v["base"]) for v in body["vat"]) == Decimal(body["total_excl_vat"])
    assert Decimal(body["total_incl_vat"]) == Decimal(body["total_excl_vat"]) + Decimal(
        body["total_vat"]
    )
    assert body["credit_notes"] == []


def test_org_2_invoices_of_another_centre_are_not_found(stranger, agency, billed):
    assert stranger.get("/invoices").json() == []
    for path in ("", "/pdf", "/facturx"):
        assert stranger.get(f"/invoices/{billed.number}{path}").status_code == 404
    assert agency.get("/invoices").status_code == 403
    assert agency.get(f"/invoices/{billed.number}").status_code == 403


def test_bill_8_invoice_pdf(api, billed):
    response = api.get(f"/invoices/{billed.number}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"{billed.number}.pdf" in response["Content-Disposition"]


def test_bill_8_household_has_no_facturx(api, billed):
    response = api.get(f"/invoices/{billed.number}/facturx")
    assert response.status_code == 404
    assert response.json()["code"] == "facturx_not_applicable"


def test_bill_8_business_facturx_xml_and_pdf(api, org, tariff):
    account = customer_factories.company(org.centres[0])
    sp = customer_factories.service_point(org.centres[0])
    customer_factories.moved_in(account, sp, start=dt.date(2025, 1, 1), index="10")
    read(sp, dt.date(2025, 6, 15), "95")
    factories.run(dt.date(2025, 6, 30))
    invoice = account.invoices.get()
    assert api.get(f"/invoices/{invoice.number}").json()["facturx"] is True
    response = api.get(f"/invoices/{invoice.number}/facturx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert invoice.number.encode() in response.content
    assert validate_facturx_xml(response.content) == []
    pdf = api.get(f"/invoices/{invoice.number}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "-facturx.pdf" in pdf["Content-Disposition"]


def _snapshot(invoice: Invoice) -> tuple:
    fresh = Invoice.objects.get(pk=invoice.pk)
    return (
        fresh.total_excl_vat,
        fresh.total_incl_vat,
        fresh.reason,
        fresh.due_date,
        list(fresh.lines.values_list("position", "amount_excl_vat")),
    )


def test_bill_6_issued_invoices_are_immutable_through_the_api(biller, billed):
    before = _snapshot(billed)
    change = {"total_incl_vat": "0.00", "reason": "x", "due_date": "2030-01-01"}
    for response in (
        biller.put(f"/invoices/{billed.number}", change),
        biller.patch(f"/invoices/{billed.number}", change),
        biller.delete(f"/invoices/{billed.number}"),
    ):
        assert response.status_code == 405
        assert response.json()["code"] == "invoice_immutable"
        assert response["Allow"] == "GET"
    assert _snapshot(billed) == before
    assert Invoice.objects.count() == 1
    assert biller.delete("/invoices/FAC-0000-NOPE").status_code == 404


def test_bill_6_credit_note_then_rebill(biller, billed):
    response = biller.post(f"/invoices/{billed.number}/credit-notes", {"reason": "Index erroné"})
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["kind"] == "credit_note"
    assert note["credited_invoice"] == billed.number
    assert note["total_incl_vat"] == str(billed.total_incl_vat)
    assert note["reason"] == "Index erroné"
    credited = biller.get(f"/invoices/{billed.number}").json()
    assert [c["number"] for c in credited["credit_notes"]] == [note["number"]]
    response = biller.post(f"/invoices/{billed.number}/credit-notes", {"reason": "encore"})
    assert (response.status_code, response.json()["code"]) == (400, "fully_credited")
    response = biller.post(f"/invoices/{billed.number}/rebill", {})
    assert response.status_code == 201, response.content
    rebilled = response.json()
    assert (rebilled["generation"], rebilled["period_start"]) == (
        1,
        billed.period_start.isoformat(),
    )
    assert rebilled["total_incl_vat"] == str(billed.total_incl_vat)
    response = biller.post(f"/invoices/{billed.number}/rebill", {})
    assert (response.status_code, response.json()["code"]) == (400, "already_rebilled")


def test_bill_6_partial_credit_note_and_its_errors(biller, billed):
    response = biller.post(f"/invoices/{billed.number}/credit-notes", {"reason": " "})
    assert response.status_code == 400
    assert "reason" in _fields(response)
    response = biller.post(
        f"/invoices/{billed.number}/credit-notes", {"reason": "Geste", "positions": [99]}
    )
    assert "positions" in _fields(response)
    response = biller.post(f"/invoices/{billed.number}/credit-notes", {"positions": [1]})
    assert response.status_code == 422
    assert "reason" in _fields(response)
    response = biller.post(
        f"/invoices/{billed.number}/credit-notes", {"reason": "Geste", "positions": [1]}
    )
    assert response.status_code == 201
    first = billed.lines.get(position=1)
    assert response.json()["total_excl_vat"] == str(first.amount_excl_vat)
    response = biller.post(f"/invoices/{billed.number}/rebill", {})
    assert (response.status_code, response.json()["code"]) == (400, "not_credited")


def test_credit_notes_need_the_permission(api, stranger, billed):
    assert api.post(f"/invoices/{billed.number}/credit-notes", {"reason": "x"}).status_code == 403
    assert api.post(f"/invoices/{billed.number}/rebill", {}).status_code == 403
    response = stranger.post(f"/invoices/{billed.number}/credit-notes", {"reason": "x"})
    assert response.status_code == 404
    assert Invoice.objects.count() == 1


# --- held bills (BILL-5) ---------------------------------------------------------------------


@pytest.fixture
def held(org, tariff):
    """A bill held above the threshold (releasable) in the first centre."""
    BillingThreshold.objects.create(
        customer_class="individual", max_amount_incl_vat=Decimal("50"), max_volume_m3=1000
    )
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    read(sp, dt.date(2025, 6, 20), "160")
    factories.run(dt.date(2025, 6, 30))
    return HeldBill.objects.get()


def test_bill_5_held_worklist_and_filters(api, held, org):
    body = api.get("/billing/held").json()
    assert [h["id"] for h in body] == [held.pk]
    assert body[0]["reasons"][0]["code"] == "amount_above_threshold"
    assert body[0]["centre"] == org.centres[0].code
    assert body[0]["simulation"]["total_incl_vat"] == str(held.total_incl_vat)
    assert len(api.get("/billing/held", reason="amount_above_threshold").json()) == 1
    assert api.get("/billing/held", reason="missing_tariff").json() == []
    assert len(api.get("/billing/held", centre=org.centres[0].code).json()) == 1
    assert api.get("/billing/held", centre=org.centres[1].code).json() == []
    response = api.get("/billing/held", centre="NOPE")
    assert response.status_code == 400
    assert "centre" in _fields(response)
    assert "status" in _fields(api.get("/billing/held", status="lost"))
    assert api.get(f"/billing/held/{held.pk}").json()["status"] == "held"


def test_bill_5_release_issues_the_bill(biller, api, held):
    assert api.post(f"/billing/held/{held.pk}/release", {}).status_code == 403
    response = biller.post(f"/billing/held/{held.pk}/release", {"note": "Vérifié"})
    assert response.status_code == 201, response.content
    invoice = response.json()
    assert Decimal(invoice["total_incl_vat"]) == held.total_incl_vat
    released = biller.get(f"/billing/held/{held.pk}").json()
    assert (released["status"], released["invoice"]) == ("released", invoice["number"])
    assert biller.get("/billing/held").json() == []
    assert len(biller.get("/billing/held", status="").json()) == 1
    response = biller.post(f"/billing/held/{held.pk}/release", {})
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_bill_5_cancel_needs_a_note(biller, stranger, held):
    response = biller.post(f"/billing/held/{held.pk}/cancel", {"note": " "})
    assert response.status_code == 400
    assert "note" in _fields(response)
    assert "note" in _fields(biller.post(f"/billing/held/{held.pk}/cancel", {}))
    assert stranger.post(f"/billing/held/{held.pk}/cancel", {"note": "x"}).status_code == 404
    response = biller.post(f"/billing/held/{held.pk}/cancel", {"note": "Doublon"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resolution_note"]) == (
        "cancelled",
        "Doublon",
    )
    assert not Invoice.objects.exists()


def test_api_openapi_lists_the_billing_routes(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/billing/simulate" in paths
    assert "/api/v1/invoices/{number}/pdf" in paths
    assert set(paths["/api/v1/invoices/{number}"]) == {"get"}
    assert "/api/v1/tariffs/{code}" in paths
