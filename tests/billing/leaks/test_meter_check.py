"""BILL-9 meter-check branch: the request creates the field intervention (CASE-8) on the
leak-relief case; a faulty meter corrects the period's consumption to the reference average
and credits the difference at once (BILL-6 credit note per component)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from robinet.billing import leak_relief, leaks
from robinet.billing.models import Invoice, LeakReliefRequest
from robinet.cases.models import Intervention
from robinet.core.exceptions import ValidationFailed
from robinet.core.models import AuditEvent
from robinet.ledger.models import OpenItem
from tests.billing.leaks.conftest import AVERAGE, leak_bill

PHONE = "0612345678"


def meter_check(bill, officer, **extra):
    request = leaks.leak_relief_open(actor=officer, invoice=bill)
    return leaks.leak_relief_request_meter_check(
        actor=officer, request=request, **({"contact_phone": PHONE} | extra)
    )


def worked_example_lines():
    return [
        leak_relief.VolumeLine(2, "CONSO-EAU", "water", D(1195), D("1.65"), D("1971.75")),
        leak_relief.VolumeLine(3, "RED-CONSO", "water", D(1195), D("0.39"), D("466.05")),
        leak_relief.VolumeLine(4, "ASST", "sanitation", D(1195), D("2.05"), D("2449.75")),
    ]


def test_bill_9_correction_bills_every_component_on_the_corrected_volume():
    # worked example: 1,195 m³ billed, the reference average 334.667 m³
    correction = leak_relief.correction(corrected=AVERAGE, lines=worked_example_lines())
    # water, levies and sanitation alike on 334.67 m³ (not twice the average for water)
    assert (correction.water_cap, correction.sanitation_cap) == (D("334.67"), D("334.67"))
    credited = {c.component_code: (c.quantity, c.amount_excl_vat) for c in correction.lines}
    assert credited == {
        "CONSO-EAU": (D("860.33"), D("1419.54")),
        "RED-CONSO": (D("860.33"), D("335.53")),
        "ASST": (D("860.33"), D("1763.68")),
    }
    # a bill already at or below the corrected volume: nothing to credit
    assert leak_relief.correction(corrected=D(2000), lines=worked_example_lines()).lines == ()
    with pytest.raises(ValueError):
        leak_relief.correction(corrected=D(-1), lines=worked_example_lines())


def test_bill_9_case_8_meter_check_request_creates_the_field_intervention(bill, billing_officer):
    request = meter_check(bill, billing_officer)
    intervention = Intervention.objects.get(case=request.case)
    assert leaks.check_intervention_of(request) == intervention
    assert intervention.kind == "meter_accuracy"
    assert intervention.service_point_id == bill.service_point_id
    assert intervention.account_id == bill.account_id
    assert intervention.contact_phone == PHONE
    # CASE-8: a meter accuracy test needs the customer, hence an appointment
    assert (intervention.presence_required, intervention.appointment_required) == (True, True)
    assert intervention.status == "to_schedule"
    assert bill.number in intervention.comment
    request.case.refresh_from_db()
    assert request.case.status == "deferred"  # waits for the visit
    event = AuditEvent.objects.get(verb="leak_relief_meter_check_requested")
    assert event.data["intervention"] == intervention.number


def test_bill_9_cust_5_meter_check_without_a_mobile_writes_nothing(bill, billing_officer):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert not bill.account.party.mobile
    with pytest.raises(ValidationFailed) as error:
        leaks.leak_relief_request_meter_check(actor=billing_officer, request=request)
    assert "contact_phone" in error.value.fields
    request.refresh_from_db()
    assert (request.status, request.check_block_id) == ("open", None)
    assert not Intervention.objects.exists()


def test_bill_9_meter_faulty_corrects_the_consumption_and_credits_the_difference(
    bill, billing_officer
):
    request = meter_check(bill, billing_officer)
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=request, faulty=True, note="Compteur surcompte de 20 %"
    )
    note = leaks.correction_note_of(request)
    assert note is not None
    assert (note.kind, note.credited_invoice) == ("credit_note", bill)
    assert note.number.startswith("AV-2026-")
    assert note.reason.startswith(leaks.CORRECTION_REASON)
    assert "334.67" in note.reason
    lines = {ln.component_code: (ln.quantity, ln.amount_excl_vat) for ln in note.lines.all()}
    assert lines == {
        "CONSO-EAU": (D("860.33"), D("1419.54")),
        "RED-CONSO": (D("860.33"), D("335.53")),
        "ASST": (D("860.33"), D("1763.68")),
    }  # the fixed charge stays
    assert note.vat_breakdown == [
        {"rate": "5.50", "base": "1755.07", "amount": "96.53"},
        {"rate": "10.00", "base": "1763.68", "amount": "176.37"},
    ]
    assert note.total_incl_vat == D("3791.65")
    # booked in the ledger: the customer's balance goes down by the difference
    assert OpenItem.objects.get(invoice=note).amount == -note.total_incl_vat
    # nothing is left to the officer; the letter and the case say what was done
    assert request.status == "meter_faulty"
    assert request.correction_needed is False
    assert request.credit_note is None  # that one is the approval's
    assert note.number in request.letter
    assert "334,67" in request.letter
    assert note.number in request.case.resolution
    assert request.check_fee_invoice is None
    assert AuditEvent.objects.get(verb="leak_relief_meter_checked").data["credit_note"] == (
        note.number
    )


def test_bill_9_meter_fine_credits_nothing(bill, billing_officer):
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=meter_check(bill, billing_officer), faulty=False
    )
    assert leaks.correction_note_of(request) is None
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_bill_9_meter_faulty_below_the_average_is_left_to_the_officer(org, billing_officer):
    bill = leak_bill(org.centres[0])
    request = meter_check(bill, billing_officer)
    LeakReliefRequest.objects.filter(pk=request.pk).update(reference_average=D(2000))
    request.refresh_from_db()
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=request, faulty=True
    )
    assert request.correction_needed is True
    assert leaks.correction_note_of(request) is None
    assert not Invoice.objects.filter(kind="credit_note").exists()
    assert "à corriger" in request.case.resolution


def test_bill_9_meter_faulty_on_an_invoice_already_credited_is_left_to_the_officer(
    bill, billing_officer
):
    from robinet.billing.services import credit_note_issue

    request = meter_check(bill, billing_officer)
    credit_note_issue(actor=billing_officer, invoice=bill, reason="Geste commercial", positions=[1])
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=request, faulty=True
    )
    assert request.correction_needed is True
    assert leaks.correction_note_of(request) is None


def test_bill_9_api_gives_the_intervention_and_the_correction(bill, billing_officer):
    from robinet.organisation.services import api_token_create
    from tests.customers.api.test_api import ApiClient

    api = ApiClient(api_token_create(user=billing_officer))
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    response = api.post(
        f"/billing/leak-reliefs/{request.pk}/meter-check",
        {"requested_on": dt.date(2026, 3, 5).isoformat(), "contact_phone": PHONE},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    intervention = Intervention.objects.get(case=request.case)
    assert body["check_intervention"] == intervention.number
    assert body["correction_credit_note"] is None
    body = api.post(
        f"/billing/leak-reliefs/{request.pk}/decide", {"decision": "meter_faulty"}
    ).json()
    assert body["status"] == "meter_faulty"
    request.refresh_from_db()
    assert body["correction_credit_note"] == leaks.correction_note_of(request).number
