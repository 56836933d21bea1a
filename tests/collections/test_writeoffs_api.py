"""Write-offs through the API (COLL-11, PAY-7)."""

import pytest

from robinet.collections.models import WriteOffRequest
from robinet.ledger.models import JournalEntry
from robinet.organisation.services import api_token_create
from tests.collections import writeoff_fixtures
from tests.collections.writeoff_fixtures import debit_items
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db

approver = writeoff_fixtures.approver
old_debtor = writeoff_fixtures.old_debtor


def test_coll_11_request_approve_and_reject_through_the_api(old_debtor, collector, approver):
    api = ApiClient(api_token_create(user=collector))
    first, second = debit_items(old_debtor)
    refused = api.post("/collections/write-offs", {"account": old_debtor.number,
                       "items": [{"document": "NOPE"}], "reason": "deceased"})  # fmt: skip
    assert refused.status_code == 400
    assert "items" in refused.json()["extra"]["fields"]
    bad_reason = api.post("/collections/write-offs", {"account": old_debtor.number,
                          "items": [{"document": first.document_number}], "reason": "x"})  # fmt: skip
    assert bad_reason.status_code == 400
    assert not WriteOffRequest.objects.exists()
    created = api.post("/collections/write-offs", {"account": old_debtor.number,
                       "items": [{"document": first.document_number, "amount": "100.00"}],
                       "reason": "time_barred"})  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "requested"
    assert body["total"] == "100.00"
    number = body["number"]
    own = api.post(f"/collections/write-offs/{number}/approve", {})
    assert own.status_code == 403
    boss = ApiClient(api_token_create(user=approver))
    approved = boss.post(f"/collections/write-offs/{number}/approve", {"note": "Prescrite"})
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "booked"
    assert JournalEntry.objects.filter(piece_ref=number, event="write_off").count() == 1
    again = boss.post(f"/collections/write-offs/{number}/approve", {})
    assert again.status_code == 409
    second_req = api.post("/collections/write-offs", {"account": old_debtor.number,
                          "items": [{"document": second.document_number}],
                          "reason": "below_cost"}).json()  # fmt: skip
    no_note = boss.post(f"/collections/write-offs/{second_req['number']}/reject", {"note": ""})
    assert no_note.status_code == 400
    rejected = boss.post(f"/collections/write-offs/{second_req['number']}/reject", {"note": "Non"})
    assert rejected.json()["state"] == "rejected"
    listing = api.get("/collections/write-offs", account=old_debtor.number, state="booked").json()
    assert [r["number"] for r in listing] == [number]
    assert listing[0]["items"][0]["amount"] == "100.00"
