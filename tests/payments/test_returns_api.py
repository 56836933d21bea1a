"""PAY-4 and PAY-6 through the JSON API: return files, refunds propose/approve/export."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.organisation.services import api_token_create
from robinet.payments import pain001
from robinet.payments.models import PaymentMeans, PaymentReversal, Refund
from robinet.payments.services import payment_record
from tests.customers.api.test_api import ApiClient
from tests.payments.bankfiles import pain002


@pytest.fixture
def api(cashier):
    return ApiClient(api_token_create(user=cashier))


def test_pay_4_import_a_return_file_and_read_it(api, billed):
    payment_record(
        actor=None, account=billed, means=PaymentMeans.DIRECT_DEBIT, amount=Decimal("20.00"),
        received_on=dt.date(2026, 2, 5), external_reference="E2E-A", check_permission=False,
    )  # fmt: skip
    content = pain002([("E2E-A", "RJCT", "MS03", "20.00")]).decode()
    response = api.post("/payments/return-files", {"filename": "r.xml", "content": content})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["items"][0]["outcome"] == "reversed"
    assert body["items"][0]["reason_label"] == "Raison non communiquée par la banque"
    assert api.get(f"/payments/return-files/{body['id']}").json()["rejected_count"] == 1
    again = api.post("/payments/return-files", {"filename": "r.xml", "content": content})
    assert again.status_code == 409
    bad = api.post(
        "/payments/return-files",
        {
            "filename": "b.xml",
            "content": pain002([("NOPE", "RJCT", "AM04", "1")], msg_id="Z").decode(),
        },
    )
    assert bad.status_code == 400
    assert "NOPE" in bad.json()["extra"]["fields"]["file"][0]
    assert PaymentReversal.objects.count() == 1


def test_pay_6_propose_approve_export_download(api, billed):
    owed = sum(i.open_amount for i in billed.open_items.filter(cleared_on__isnull=True))
    payment_record(
        actor=None, account=billed, means=PaymentMeans.TRANSFER, amount=owed + Decimal("9.99"),
        check_permission=False,
    )  # fmt: skip
    billed.iban = "FR7630006000011234567890189"
    billed.save(update_fields=["iban"])
    proposed = api.post("/payments/refunds/propose", {})
    assert proposed.status_code == 201
    (refund,) = proposed.json()["proposed"]
    assert refund["amount"] == "9.99"
    approved = api.post(f"/payments/refunds/{refund['number']}/approve", {})
    assert approved.json()["status"] == "approved"
    again = api.post(f"/payments/refunds/{refund['number']}/approve", {})
    assert again.status_code == 409
    created = api.post("/payments/refund-files", {})
    assert created.status_code == 201
    xml = api.get(f"/payments/refund-files/{created.json()['id']}/xml")
    assert xml["Content-Type"] == "application/xml"
    pain001.validate(xml.content)
    assert Refund.objects.get().status == "exported"
    assert [r["number"] for r in api.get("/payments/refunds", status="exported").json()] == [
        refund["number"]
    ]
