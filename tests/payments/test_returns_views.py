"""PAY-4 and PAY-6 screens: import a return file (per-item outcome), refunds to approve, export."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.organisation.roles import Role
from robinet.payments import pain001
from robinet.payments.models import PaymentMeans, PaymentReversal, Refund, RefundStatus
from robinet.payments.services import payment_record
from tests.payments.bankfiles import pain002


@pytest.fixture
def client_cashier(client, cashier):
    client.force_login(cashier)
    return client


def test_pay_4_import_screen_shows_each_operation_and_refuses_bad_files(client_cashier, billed):
    payment_record(
        actor=None, account=billed, means=PaymentMeans.DIRECT_DEBIT, amount=Decimal("20.00"),
        received_on=dt.date(2026, 2, 5), external_reference="E2E-V", check_permission=False,
    )  # fmt: skip
    page = client_cashier.get("/payments/returns/")
    assert page.status_code == 200
    assert "Rejets et retours de prélèvement" in page.content.decode()
    bad = SimpleUploadedFile("bad.xml", b"<Document><CstmrPmtStsRpt>")
    response = client_cashier.post("/payments/returns/", {"file": bad})
    assert response.status_code == 422
    assert "Fichier refusé, rien n'a été importé." in response.content.decode()
    good = SimpleUploadedFile(
        "r.xml", pain002([("E2E-V", "RJCT", "AC04", "20.00"), ("E2E-OK", "ACSC", "", "5")])
    )
    response = client_cashier.post("/payments/returns/", {"file": good}, follow=True)
    body = response.content.decode()
    assert "Compte clôturé" in body
    assert "Rejeté : règlement annulé" in body
    assert "Accepté (aucune annulation)" in body
    assert PaymentReversal.objects.count() == 1


def test_pay_4_screens_need_the_permission(client, org, make_user):
    client.force_login(make_user("agence", Role.EXTERNAL_AGENCY, org.centres[0]))
    assert client.get("/payments/returns/").status_code == 403
    assert client.get("/payments/refunds/").status_code == 403


def test_pay_6_propose_approve_export_and_download(client_cashier, billed):
    owed = sum(i.open_amount for i in billed.open_items.filter(cleared_on__isnull=True))
    payment_record(
        actor=None, account=billed, means=PaymentMeans.TRANSFER, amount=owed + Decimal("7.50"),
        check_permission=False,
    )  # fmt: skip
    billed.iban = "FR7630006000011234567890189"
    billed.save(update_fields=["iban"])
    response = client_cashier.post("/payments/refunds/propose/")
    assert response.status_code == 200
    refund = Refund.objects.get()
    assert refund.number in response.content.decode()
    response = client_cashier.post(f"/payments/refunds/{refund.number}/approve/", follow=True)
    assert "approuvé" in response.content.decode()
    response = client_cashier.post("/payments/refunds/export/", {"execution_date": ""}, follow=True)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.EXPORTED
    download = client_cashier.get(f"/payments/refunds/files/{refund.file_id}/xml/")
    assert download["Content-Disposition"].endswith('.xml"')
    pain001.validate(download.content)
    # Nothing left: a second export says so and writes nothing.
    again = client_cashier.post("/payments/refunds/export/", {"execution_date": ""})
    assert again.status_code == 422
    assert "Aucun remboursement approuvé" in again.content.decode()
