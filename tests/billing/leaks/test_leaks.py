"""BILL-9 leak relief (with METER-5): requests, eligibility, approval's credit note, refusals."""

import datetime as dt
from decimal import Decimal as D

import pytest

from robinet.billing import leaks
from robinet.billing.models import Invoice, LeakReliefRequest
from robinet.core import clock
from robinet.core.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from robinet.core.models import AuditEvent
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from tests.billing.leaks.conftest import certificate, leak_bill


def received(request, actor, **overrides):
    answers = {
        "certificate": certificate(),
        "repair_date": dt.date(2026, 3, 1),
        "leak_location": "Canalisation enterrée entre le compteur et la maison",
        "leak_after_meter": True,
        "appliance_leak": False,
    }
    answers.update(overrides)
    return leaks.leak_relief_record_certificate(actor=actor, request=request, **answers)


def test_add_months_keeps_the_day_or_the_month_end():
    assert leaks.add_months(dt.date(2026, 2, 20), 1) == dt.date(2026, 3, 20)
    assert leaks.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert leaks.add_months(dt.date(2025, 12, 15), 1) == dt.date(2026, 1, 15)


def test_open_from_the_invoice_takes_the_notice_and_the_deadline_meter_5(bill, billing_officer):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert request.notice == bill.abnormal_notice
    assert request.reference_average == D("334.667")
    assert request.informed_on == dt.date(2026, 2, 20)
    assert request.deadline == dt.date(2026, 3, 20)  # one month after being informed
    assert request.notice_missing is False
    assert request.status == "open"
    assert AuditEvent.objects.filter(verb="leak_relief_opened").count() == 1


def test_approval_issues_the_credit_note_per_component_bill_9(bill, billing_officer):
    # given a request with a plumber's certificate on the worked example (1,195 m³)
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    request = received(request, billing_officer)
    assert leaks.eligibility_problems(request) == {}
    # when the officer approves it
    request = leaks.leak_relief_approve(actor=billing_officer, request=request)
    # then a credit note credits each capped component at its unit price
    note = request.credit_note
    assert request.status == "approved"
    assert (request.water_cap, request.sanitation_cap) == (D("669.33"), D("334.67"))
    assert note.kind == "credit_note"
    assert note.credited_invoice == bill
    assert note.number.startswith("AV-2026-")
    assert "Écrêtement pour fuite (loi Warsmann)" in note.reason
    lines = {ln.component_code: ln for ln in note.lines.all()}
    assert set(lines) == {"CONSO-EAU", "RED-CONSO", "ASST"}  # the fixed charge is not touched
    assert (lines["CONSO-EAU"].quantity, lines["CONSO-EAU"].amount_excl_vat) == (
        D("525.67"),
        D("867.36"),
    )
    assert (lines["RED-CONSO"].quantity, lines["RED-CONSO"].amount_excl_vat) == (
        D("525.67"),
        D("205.01"),
    )
    assert (lines["ASST"].quantity, lines["ASST"].amount_excl_vat) == (D("860.33"), D("1763.68"))
    assert lines["ASST"].unit_price == D("2.05")
    # VAT per rate on the credited lines: 5.5 % on 1,072.37; 10 % on 1,763.68
    assert note.vat_breakdown == [
        {"rate": "5.50", "base": "1072.37", "amount": "58.98"},
        {"rate": "10.00", "base": "1763.68", "amount": "176.37"},
    ]
    assert note.total_incl_vat == D("3071.40")
    item = OpenItem.objects.get(invoice=note)
    assert item.amount == -note.total_incl_vat
    assert "669,33" in request.letter
    assert note.number in request.letter
    assert AuditEvent.objects.filter(verb="leak_relief_approved").count() == 1


def test_missing_notice_the_cap_applies_anyway_bill_9(org, billing_officer):
    # given a bill on a dwelling whose customer was never informed (no METER-5 notice)
    bill = leak_bill(org.centres[0], with_notice=False)
    # then the officer must give the reference average
    with pytest.raises(ValidationFailed) as error:
        leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert "reference_average" in error.value.fields
    request = leaks.leak_relief_open(
        actor=billing_officer, invoice=bill, reference_average=D("334.667")
    )
    assert request.notice_missing is True
    assert request.deadline is None
    # and the relief applies whatever the date the certificate arrives
    request = received(request, billing_officer, received_on=dt.date(2026, 3, 10))
    request = leaks.leak_relief_approve(actor=billing_officer, request=request)
    assert request.credit_note.lines.count() == 3


def test_unsent_notice_on_the_bill_counts_from_the_bill_meter_5(org, billing_officer):
    bill = leak_bill(org.centres[0], notice_sent=False)
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert (request.informed_on, request.notice_missing) == (dt.date(2026, 2, 20), False)


def test_refusal_not_a_dwelling_bill_9(org, billing_officer):
    bill = leak_bill(org.centres[0], use="business")
    request = received(leaks.leak_relief_open(actor=billing_officer, invoice=bill), billing_officer)
    with pytest.raises(ValidationFailed) as error:
        leaks.leak_relief_approve(actor=billing_officer, request=request)
    assert list(error.value.fields) == ["premises_use"]
    assert not Invoice.objects.filter(kind="credit_note").exists()
    request = leaks.leak_relief_refuse(actor=billing_officer, request=request)
    assert request.status == "refused"
    assert "logement" in request.decision_reason
    assert "logement" in request.letter
    assert "médiateur" in request.letter


def test_refusal_after_the_deadline_bill_9(bill, billing_officer, monkeypatch):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 3, 25))
    request = received(request, billing_officer, received_on=dt.date(2026, 3, 21))
    with pytest.raises(ValidationFailed) as error:
        leaks.leak_relief_approve(actor=billing_officer, request=request)
    assert list(error.value.fields) == ["received_on"]
    assert "20/03/2026" in error.value.fields["received_on"][0]
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_refusal_appliance_leak_bill_9(bill, billing_officer):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    request = received(request, billing_officer, appliance_leak=True)
    with pytest.raises(ValidationFailed) as error:
        leaks.leak_relief_approve(actor=billing_officer, request=request)
    assert list(error.value.fields) == ["appliance_leak"]
    request = leaks.leak_relief_refuse(
        actor=billing_officer, request=request, reason="Fuite du chauffe-eau : exclue."
    )
    assert request.decision_reason == "Fuite du chauffe-eau : exclue."
    assert AuditEvent.objects.filter(verb="leak_relief_refused").count() == 1


def test_certificate_file_and_fields_are_checked(bill, billing_officer):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    with pytest.raises(ValidationFailed) as error:
        received(request, billing_officer, certificate=certificate("attestation.exe"))
    assert list(error.value.fields) == ["certificate"]
    with pytest.raises(ValidationFailed) as error:
        received(request, billing_officer, leak_location=" ", repair_date=None)
    assert set(error.value.fields) == {"leak_location", "repair_date"}
    request.refresh_from_db()
    assert request.status == "open"


def test_one_active_request_per_invoice(bill, billing_officer):
    leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    with pytest.raises(Exception, match="déjà ouverte"):
        leaks.leak_relief_open(actor=billing_officer, invoice=bill)


def test_meter_check_branch_bill_9(org, billing_officer):
    bill = leak_bill(org.centres[0])
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    request = leaks.leak_relief_request_meter_check(
        actor=billing_officer, request=request, contact_phone="0612345678"
    )
    assert request.status == "check_requested"
    with pytest.raises(InvalidTransition):
        leaks.leak_relief_approve(actor=billing_officer, request=request)
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=request, faulty=True
    )
    # the consumption is corrected and the difference credited at once: nothing left to do
    assert (request.status, request.correction_needed) == ("meter_faulty", False)
    assert leaks.correction_note_of(request).number in request.letter
    other = leaks.leak_relief_request_meter_check(
        actor=billing_officer,
        request=leaks.leak_relief_open(actor=billing_officer, invoice=leak_bill(org.centres[0])),
        contact_phone="0612345678",
    )
    other = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=other, faulty=False
    )
    assert (other.status, other.correction_needed) == ("meter_ok", False)
    assert "due" in other.letter


def test_permission_refused_nothing_written_bill_9(bill, org, make_user, billing_officer):
    auditor = make_user("lecteur", Role.AUDITOR, org.centres[0])
    with pytest.raises(PermissionDenied):
        leaks.leak_relief_open(actor=auditor, invoice=bill)
    assert not LeakReliefRequest.objects.exists()
    request = received(leaks.leak_relief_open(actor=billing_officer, invoice=bill), billing_officer)
    stranger = make_user("autre", Role.BILLING_OFFICER, org.centres[3])
    with pytest.raises(PermissionDenied):
        leaks.leak_relief_approve(actor=stranger, request=request)
    assert not Invoice.objects.filter(kind="credit_note").exists()
    request.refresh_from_db()
    assert request.status == "received"


def test_worklist_filters_overdue(bill, billing_officer, org):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert list(leaks.leak_relief_search(user=billing_officer, overdue=True)) == []
    late = leak_bill(org.centres[0])
    LeakReliefRequest.objects.filter(pk=request.pk).update(deadline=dt.date(2026, 3, 1))
    assert list(leaks.leak_relief_search(user=billing_officer, overdue=True)) == [request]
    assert late.leak_relief_requests.count() == 0
