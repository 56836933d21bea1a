"""PAY-5 through the JSON API: import a statement, read it, work the worklist."""

from decimal import Decimal

import pytest
from django.test import Client

from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from robinet.payments.models import EntryStatus, Payment, StatementEntry
from tests.customers import factories as customer_factories
from tests.customers.api.test_api import ApiClient
from tests.payments.statement_setup import camt, credit, invoices


@pytest.fixture
def api(cashier):
    return ApiClient(api_token_create(user=cashier))


def _upload(api, data, name="releve.xml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return Client().post(
        "/api/v1/payments/bank-statements",
        {"file": SimpleUploadedFile(name, data)},
        headers=api.headers,
    )


def test_pay5_api_import_read_and_allocate(api, billed, org):
    first, _second = invoices(billed)
    data = camt(
        credit(first.total_incl_vat, remittance=first.number),
        credit("25.00", debtor_name="MARTIN CLAIRE"),
    )
    response = _upload(api, data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["booked"], body["unallocated"]) == (1, 1)
    statement_id = body["statements"][0]["id"]
    detail = api.get(f"/payments/bank-statements/{statement_id}").json()
    assert [e["status"] for e in detail["entries"]] == ["booked", "unallocated"]
    assert detail["entries"][0]["signals"]["rule"] == "reference"
    assert len(detail["entries"][0]["payments"]) == 1

    waiting = api.get("/payments/unallocated").json()
    assert [e["amount"] for e in waiting] == ["25.00"]
    entry_id = waiting[0]["id"]
    refused = api.post(f"/payments/unallocated/{entry_id}/allocate", {"account": "999999999"})
    assert refused.status_code == 400
    assert "account" in refused.json()["extra"]["fields"]
    other = customer_factories.person(org.centres[0], name="MARTIN", first_name="Claire")
    split = api.post(
        f"/payments/unallocated/{entry_id}/split",
        {"parts": [{"account": billed.number, "amount": "5.00"},
                   {"account": other.number, "amount": "20.00"}]},
    )  # fmt: skip
    assert split.status_code == 200, split.content
    assert split.json()["status"] == "booked"
    assert len(split.json()["payments"]) == 2
    again = api.post(f"/payments/unallocated/{entry_id}/refund", {"reason": "x"})
    assert again.status_code == 409
    assert again.json()["code"] == "entry_not_unallocated"
    assert api.get("/payments/unallocated").json() == []
    ageing = api.get("/payments/unallocated/ageing").json()
    assert [row["count"] for row in ageing] == [0, 0, 0, 0]


def test_pay5_api_refuses_a_duplicate_and_a_bad_file(api, billed):
    data = camt(credit("5.00", remittance=billed.number))
    assert _upload(api, data).status_code == 201
    assert _upload(api, data).status_code == 409
    bad = _upload(api, camt(credit("5.00"), currency="USD"))
    assert bad.status_code == 422
    assert Payment.objects.count() == 1


def test_pay5_api_worklist_actions_need_allocation_rights(billed, org, make_user, cashier):
    from robinet.payments import bank_statements

    bank_statements.statement_import(actor=cashier, source=camt(credit("5.00")), filename="r.xml")
    entry = StatementEntry.objects.get()
    viewer = ApiClient(api_token_create(user=make_user("vue", Role.AUDITOR, org.region)))
    assert viewer.get("/payments/unallocated").status_code == 200
    response = viewer.post(f"/payments/unallocated/{entry.pk}/transfer", {"reason": "Erreur"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == EntryStatus.UNALLOCATED
    assert Decimal(entry.amount) == Decimal("5.00")
