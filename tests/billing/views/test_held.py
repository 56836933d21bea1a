"""Held bills worklist (BILL-5): filters, counts, detail with the simulation, actions."""

import pytest

from robinet.billing.models import HeldBill, Invoice
from robinet.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_worklist_shows_the_held_bill_with_its_reason_and_counts(web, billing_officer, held):
    web.login(billing_officer)
    page = web.get("billing:held").content.decode()
    assert f'id="held-{held.pk}"' in page
    assert "Consommation au-delà du seuil" in page
    assert 'id="held-counts"' in page


def test_worklist_filters_by_reason_and_age(web, billing_officer, held):
    web.login(billing_officer)
    page = web.get("billing:held", htmx=True, data={"reason": "missing_tariff"}).content.decode()
    assert "<html" not in page
    assert 'id="held-empty"' in page
    page = web.get("billing:held", data={"reason": "volume_above_threshold"}).content.decode()
    assert f'id="held-{held.pk}"' in page
    page = web.get("billing:held", data={"age": "90"}).content.decode()
    assert 'id="held-empty"' in page  # held "today" by the clock of the run


def test_detail_shows_reasons_simulation_and_links(web, billing_officer, held):
    web.login(billing_officer)
    page = web.get("billing:held-detail", held.pk).content.decode()
    assert "Distribution de l&#x27;eau" in page
    assert "Organismes publics" in page
    assert f"/customers/{held.account.number}/" in page
    for action in ("Libérer", "Recalculer", "Annuler la facture"):
        assert action in page


def test_held_bills_are_refused_without_the_permission(web, agency_user, auditor, held):
    web.login(agency_user)
    assert web.get("billing:held").status_code == 403
    assert web.get("billing:held-detail", held.pk).status_code == 403
    web.login(auditor)  # may look, not act
    page = web.get("billing:held-detail", held.pk).content.decode()
    assert "Libérer" not in page
    assert web.post("billing:held-release", held.pk).status_code == 403
    held.refresh_from_db()
    assert held.status == "held"


def test_release_issues_the_invoice(web, billing_officer, held):
    web.login(billing_officer)
    response = web.post("billing:held-release", held.pk, data={"note": "Fuite confirmée"})
    held.refresh_from_db()
    assert held.status == "released"
    assert held.resolution_note == "Fuite confirmée"
    assert response["Location"] == f"/billing/invoices/{held.invoice.number}/"


def test_cancel_needs_a_note_and_writes_nothing_without(web, billing_officer, held):
    web.login(billing_officer)
    events = AuditEvent.objects.count()
    response = web.post("billing:held-cancel", held.pk, data={"note": "  "})
    assert response.status_code == 422
    assert "Indiquez le motif de l&#x27;annulation." in response.content.decode()
    held.refresh_from_db()
    assert held.status == "held"
    assert AuditEvent.objects.count() == events

    response = web.post("billing:held-cancel", held.pk, data={"note": "Contrat en double"})
    assert response["Location"] == "/billing/held/"
    held.refresh_from_db()
    assert (held.status, held.resolution_note) == ("cancelled", "Contrat en double")


def test_reprice_keeps_it_held_with_fresh_reasons(web, billing_officer, held):
    web.login(billing_officer)
    response = web.post("billing:held-reprice", held.pk)
    assert response["Location"] == f"/billing/held/{held.pk}/"
    held.refresh_from_db()
    assert held.status == "held"
    assert "volume_above_threshold" in held.reason_codes
    assert AuditEvent.objects.filter(verb="held_bill_repriced").count() == 1


def test_a_handled_bill_cannot_be_released_twice(web, billing_officer, held):
    web.login(billing_officer)
    web.post("billing:held-release", held.pk)
    count = Invoice.objects.count()
    response = web.post("billing:held-release", held.pk)
    assert response.status_code == 422
    assert "déjà été traitée" in response.content.decode()
    assert Invoice.objects.count() == count
    assert HeldBill.objects.get(pk=held.pk).status == "released"
