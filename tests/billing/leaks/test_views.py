"""Screens of leak relief (BILL-9, METER-5): invoice button, worklist, detail, decisions."""

from decimal import Decimal as D

import pytest

from robinet.billing.models import Invoice, LeakReliefRequest
from robinet.organisation.roles import Role
from tests.billing.leaks.conftest import certificate, leak_bill

pytestmark = pytest.mark.django_db


def test_leak_relief_on_screens_bill_9(web, bill, billing_officer):
    web.login(billing_officer)
    # the invoice page offers the request (the bill shows a METER-5 notice)
    page = web.get("billing:invoice-detail", bill.number).content.decode()
    assert "Demande d'écrêtement" in page
    assert web.get("billing:leak-create", bill.number).status_code == 200
    response = web.post("billing:leak-create", bill.number, data={"reference_average": ""})
    leak = LeakReliefRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/billing/leaks/{leak.pk}/")
    assert leak.reference_average == D("334.667")
    # the certificate is uploaded on the detail page
    response = web.post(
        "billing:leak-record",
        leak.pk,
        data={
            "certificate": certificate(),
            "repair_date": "2026-03-01",
            "received_on": "2026-03-05",
            "leak_location": "Canalisation enterrée après le compteur",
            "leak_after_meter": "yes",
            "appliance_leak": "no",
        },
    )
    assert response.status_code == 302
    page = web.get("billing:leak-detail", leak.pk).content.decode()
    assert "Accorder l'écrêtement" in page
    assert "669,33" in page
    assert web.get("billing:leak-certificate", leak.pk).status_code == 200
    # approval issues the credit note and shows the letter
    web.post("billing:leak-approve", leak.pk)
    leak.refresh_from_db()
    assert leak.status == "approved"
    page = web.get("billing:leak-detail", leak.pk).content.decode()
    assert leak.credit_note.number in page
    assert "Courrier au client" in page
    worklist = web.get("billing:leaks", data={"status": "approved"}).content.decode()
    assert leak.credit_note.number in worklist


def test_refusal_on_screens_names_the_condition_bill_9(web, org, billing_officer):
    bill = leak_bill(org.centres[0], use="business", with_notice=False)
    web.login(billing_officer)
    # not a dwelling and no notice: no button, but the request can still be opened
    assert (
        "Demande d'écrêtement"
        not in web.get("billing:invoice-detail", bill.number).content.decode()
    )
    response = web.post("billing:leak-create", bill.number, data={"reference_average": ""})
    assert response.status_code == 422
    assert "moyenne de référence" in response.content.decode()
    web.post("billing:leak-create", bill.number, data={"reference_average": "334,667"})
    leak = LeakReliefRequest.objects.get()
    assert leak.notice_missing
    web.post("billing:leak-refuse", leak.pk, data={"reason": ""})
    leak.refresh_from_db()
    assert leak.status == "refused"
    assert "logement" in leak.decision_reason
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_an_auditor_reads_but_does_not_decide_bill_9(web, bill, org, make_user, billing_officer):
    from robinet.billing import leaks

    leak = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    auditor = make_user("lecteur", Role.AUDITOR, org.centres[0])
    web.login(auditor)
    assert web.get("billing:leaks").status_code == 200
    page = web.get("billing:leak-detail", leak.pk).content.decode()
    assert "Refuser l'écrêtement" not in page
    assert web.post("billing:leak-refuse", leak.pk, data={"reason": "x"}).status_code == 403
    assert web.get("billing:leak-create", bill.number).status_code == 403
    leak.refresh_from_db()
    assert leak.status == "open"
