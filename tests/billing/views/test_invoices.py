"""Invoices screens (BILL-6, BILL-8): search, detail, PDF, Factur-X, credit note, rebill."""

import pytest

from robinet.billing.models import Invoice
from robinet.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_search_by_number_account_and_kind(web, billing_officer, billed):
    web.login(billing_officer)
    page = web.get("billing:invoices").content.decode()
    assert billed.number in page
    page = web.get("billing:invoices", data={"number": billed.number}).content.decode()
    assert billed.number in page
    page = web.get(
        "billing:invoices", htmx=True, data={"account": billed.account.number}
    ).content.decode()
    assert "<html" not in page
    assert billed.number in page
    page = web.get("billing:invoices", data={"kind": "credit_note"}).content.decode()
    assert 'id="invoice-empty"' in page


def test_detail_shows_header_headings_vat_totals_and_open_item(web, billing_officer, billed):
    web.login(billing_officer)
    page = web.get("billing:invoice-detail", billed.number).content.decode()
    assert billed.number in page
    assert "Distribution de l&#x27;eau" in page
    assert "Organismes publics" in page
    assert 'class="table table-sm mb-0 bill-vat"' in page
    assert 'id="open-item"' in page
    assert "Émettre un avoir" in page
    assert "Refacturer" not in page
    assert "Factur-X XML" not in page  # an individual: plain PDF


def test_pdf_is_served_inline(web, billing_officer, billed):
    web.login(billing_officer)
    response = web.get("billing:invoice-pdf", billed.number)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response.content.startswith(b"%PDF")


def test_facturx_xml_only_for_professionals(web, billing_officer, billed):
    web.login(billing_officer)
    assert web.get("billing:invoice-xml", billed.number).status_code == 404


def test_invoices_are_refused_without_the_permission(web, agency_user, billed):
    web.login(agency_user)
    assert web.get("billing:invoices").status_code == 403
    assert web.get("billing:invoice-detail", billed.number).status_code == 403
    assert web.get("billing:invoice-pdf", billed.number).status_code == 403


def test_an_auditor_cannot_credit(web, auditor, billed):
    web.login(auditor)
    page = web.get("billing:invoice-detail", billed.number).content.decode()
    assert "Émettre un avoir" not in page
    assert web.get("billing:credit-note-create", billed.number).status_code == 403
    response = web.post("billing:credit-note-create", billed.number, data={"reason": "x"})
    assert response.status_code == 403
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_credit_note_without_a_reason_writes_nothing(web, billing_officer, billed):
    web.login(billing_officer)
    assert web.get("billing:credit-note-create", billed.number).status_code == 200
    events = AuditEvent.objects.count()
    response = web.post("billing:credit-note-create", billed.number, data={"scope": "full"})
    assert response.status_code == 422
    assert "Ce champ est obligatoire" in response.content.decode()
    response = web.post(
        "billing:credit-note-create", billed.number, data={"scope": "lines", "reason": "Erreur"}
    )
    assert "Choisissez au moins une ligne" in response.content.decode()
    assert not Invoice.objects.filter(kind="credit_note").exists()
    assert AuditEvent.objects.count() == events


def test_partial_credit_note_then_full_then_rebill(web, billing_officer, billed):
    web.login(billing_officer)
    first = billed.lines.order_by("position").first()
    response = web.post(
        "billing:credit-note-create",
        billed.number,
        data={"scope": "lines", "positions": [first.position], "reason": "Abonnement en double"},
    )
    assert response["Location"] == f"/billing/invoices/{billed.number}/"
    partial = Invoice.objects.get(kind="credit_note")
    assert partial.total_excl_vat == first.amount_excl_vat
    # the credited line is no longer offered
    form = web.get("billing:credit-note-create", billed.number).content.decode()
    assert f'value="{first.position}"' not in form

    web.post(
        "billing:credit-note-create",
        billed.number,
        data={"scope": "full", "reason": "Relevé erroné"},
    )
    page = web.get("billing:invoice-detail", billed.number).content.decode()
    assert 'id="fully-credited"' in page
    assert "Refacturer" in page

    response = web.post("billing:invoice-rebill", billed.number)
    rebill = Invoice.objects.get(contract=billed.contract, generation=1)
    assert response["Location"] == f"/billing/invoices/{rebill.number}/"
    # a second rebill is refused with a message, nothing issued
    response = web.post("billing:invoice-rebill", billed.number)
    assert Invoice.objects.filter(contract=billed.contract, generation=2).count() == 0
