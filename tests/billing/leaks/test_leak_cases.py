"""BILL-9 leak relief as a DEGREVEMENT case (METER-5, CASE-2, CASE-4, CASE-7): the notice starts
the case, the request joins it, the decision answers and closes it; the meter check suspends
dunning and, meter fine, bills the check fee when the price list has one (COLL-1)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from robinet.billing import leaks
from robinet.billing.fees import seed_price_list
from robinet.billing.models import LeakReliefRequest, PriceListItem
from robinet.cases.models import Case
from robinet.collections.models import CollectionBlock
from robinet.core import clock
from robinet.core.numbering import next_number
from robinet.metering import case_links
from robinet.metering.models import AbnormalConsumptionNotice
from tests.billing.leaks.conftest import leak_bill
from tests.billing.leaks.test_leaks import received
from tests.metering.factories import occupied_point, read, regular_history


def live_blocks(account, **filters):
    return CollectionBlock.objects.filter(account=account, lifted_on__isnull=True, **filters)


def with_notice_case(bill):
    """The DEGREVEMENT case the METER-5 notice of ``bill`` started."""
    return case_links.notice_case_open(bill.abnormal_notice)


# --- the notice starts the case (METER-5, CASE-7) ------------------------------------------------


def test_meter_5_notice_of_a_valid_reading_opens_a_leak_relief_case(org, officer):
    account, sp = occupied_point(org.centres[0], start=dt.date(2022, 1, 1))
    regular_history(sp, start=dt.date(2022, 1, 1), periods=12)
    last = sp.readings.order_by("-read_on").first()
    held = read(sp, last.read_on + dt.timedelta(days=91), last.index + 90)
    assert not Case.objects.exists()
    from robinet.metering import services

    services.anomaly_resolve(actor=officer, reading=held, resolution="validated")
    notice = AbnormalConsumptionNotice.objects.get()
    case = notice.case
    assert case.case_type.code == "DEGREVEMENT"
    assert case.account == account
    assert case.nature == "request"
    assert case.is_open
    # one month for the customer to answer, at the same time of day
    opened = timezone.localtime(case.opened_at)
    due = timezone.localtime(case.response_due)
    assert (due.year * 12 + due.month) - (opened.year * 12 + opened.month) == 1
    assert due.time() == opened.time()
    # CASE-7: the DEGREVEMENT type blocks dunning while the case is open
    assert case.dunning_block is not None
    assert live_blocks(account, reason="case", reference=case.number).count() == 1


def test_meter_5_an_imported_reading_notice_opens_its_case_too(org):
    import io

    from robinet.metering import services
    from robinet.metering.imports import import_readings

    _account, sp = occupied_point(org.centres[0], start=dt.date(2022, 1, 1))
    regular_history(sp, start=dt.date(2022, 1, 1), periods=12)
    last = sp.readings.order_by("-read_on").first()
    serial = sp.meters.get().serial
    on = last.read_on + dt.timedelta(days=91)
    data = f"meter_serial;date;index;source\n{serial};{on};{last.index + 90};field\n"
    # the import validates this high consumption (the factor is per customer class)
    services.threshold_set(
        actor=None,
        customer_class="individual",
        high_factor="10",
        high_floor_m3="30",
        zero_min_days=60,
    )
    result = import_readings(io.BytesIO(data.encode()), filename="r.csv")
    assert result.notices == 1
    notice = AbnormalConsumptionNotice.objects.get()
    assert notice.case is not None
    assert notice.case.case_type.code == "DEGREVEMENT"


def test_meter_5_notice_case_left_unanswered_closes_after_the_month(bill):
    case = with_notice_case(bill)
    assert case_links.notice_cases_expire(now=case.response_due - dt.timedelta(minutes=1)) == 0
    assert case_links.notice_cases_expire(now=case.response_due + dt.timedelta(minutes=1)) == 1
    case.refresh_from_db()
    assert case.status == "closed"
    assert "est due" in case.resolution
    assert not live_blocks(bill.account).exists()  # CASE-7: dunning resumes


def test_meter_5_notice_case_with_a_request_does_not_expire(bill, billing_officer):
    case = with_notice_case(bill)
    leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert case_links.notice_cases_expire(now=case.response_due + dt.timedelta(days=1)) == 0
    case.refresh_from_db()
    assert case.is_open


# --- the request joins the case (BILL-9, CASE-2) ------------------------------------------------


def test_bill_9_request_from_the_notice_joins_the_notice_case(bill, billing_officer):
    case = with_notice_case(bill)
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert request.case == case
    assert Case.objects.count() == 1
    # CASE-7: one block, the case's; the request blocks nothing on its own
    assert live_blocks(bill.account).count() == 1


def test_bill_9_request_without_notice_opens_its_case(org, billing_officer):
    bill = leak_bill(org.centres[0], with_notice=False)
    request = leaks.leak_relief_open(
        actor=billing_officer, invoice=bill, reference_average=D("334.667")
    )
    case = request.case
    assert case.case_type.code == "DEGREVEMENT"
    assert case.account == bill.account
    assert case.opened_by == billing_officer
    assert "sans information préalable" in case.description
    assert live_blocks(bill.account, reason="case", reference=case.number).count() == 1


def test_bill_9_a_waiting_counter_case_is_reused(org, billing_officer, officer):
    """A request recorded at the counter before the bill was found: the request joins it."""
    from robinet.cases.models import CaseType
    from robinet.cases.services import request_record

    bill = leak_bill(org.centres[0], with_notice=False)
    counter = request_record(
        actor=officer,
        account=bill.account,
        channel="visit",
        case_type=CaseType.objects.get(code="DEGREVEMENT"),
        subject="Fuite réparée, demande d'écrêtement",
    )
    request = leaks.leak_relief_open(
        actor=billing_officer, invoice=bill, reference_average=D("334.667")
    )
    assert request.case == counter
    assert Case.objects.count() == 1


def test_bill_9_one_request_per_case_constraint(bill, billing_officer):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    leaks.leak_relief_refuse(actor=billing_officer, request=request, reason="Hors délai")
    again = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert again.case != request.case  # the refused request's case is closed: a new one
    with pytest.raises(IntegrityError), transaction.atomic():
        LeakReliefRequest.objects.filter(pk=again.pk).update(case=request.case)


# --- the decision answers and closes the case (CASE-4, CASE-7) ----------------------------------


def test_bill_9_approval_is_the_written_answer_and_closes_the_case(bill, billing_officer):
    case = with_notice_case(bill)
    request = received(leaks.leak_relief_open(actor=billing_officer, invoice=bill), billing_officer)
    mail.outbox.clear()
    request = leaks.leak_relief_approve(actor=billing_officer, request=request)
    case.refresh_from_db()
    assert case.status == "closed"
    assert request.credit_note.number in case.resolution
    answer = leaks.answer_of(request)
    assert answer.is_answer
    assert answer.case == case
    assert answer.channel == "email"
    assert case.answered_at == answer.occurred_at
    # the letter: the decision, signed, with the mediator (CASE-3a)
    assert request.letter == answer.body
    assert "669,33" in answer.body
    assert "médiateur" in answer.body
    assert "Le service" in answer.body  # the officer has no name: the service signs
    # sent by e-mail with the PDF letter
    (message,) = mail.outbox
    assert message.to == [bill.account.party.email]
    assert message.attachments[0][2] == "application/pdf"
    assert message.attachments[0][1].startswith(b"%PDF")
    # CASE-7: the case's block is lifted
    assert not live_blocks(bill.account).exists()


def test_bill_9_refusal_without_email_is_a_letter_and_closes_the_case(bill, billing_officer):
    party = bill.account.party
    party.email = ""
    party.save(update_fields=["email"])
    billing_officer.first_name, billing_officer.last_name = "Claire", "Martin"
    billing_officer.save()
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    mail.outbox.clear()
    request = leaks.leak_relief_refuse(
        actor=billing_officer, request=request, reason="Fuite d'un chauffe-eau"
    )
    answer = leaks.answer_of(request)
    assert answer.channel == "letter"
    assert not mail.outbox
    assert "Claire Martin" in answer.body
    assert "chauffe-eau" in answer.body
    request.case.refresh_from_db()
    assert request.case.status == "closed"
    assert "Écrêtement refusé" in request.case.resolution


def test_bill_9_the_letter_pdf_is_served_from_the_request_page(web, bill, billing_officer):
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    request = leaks.leak_relief_refuse(actor=billing_officer, request=request, reason="Hors délai")
    client = web.login(billing_officer)
    html = client.get("billing:leak-detail", request.pk).content.decode()
    assert 'id="leak-case"' in html
    assert request.case.number in html
    answer = leaks.answer_of(request)
    assert f"/cases/contacts/{answer.pk}/letter.pdf" in html
    response = client.get("cases:contact-pdf", answer.pk)
    assert response["Content-Type"] == "application/pdf"


def test_bill_9_a_request_made_before_cases_gets_its_case_at_the_decision(bill, billing_officer):
    """Existing data: lazy creation at the next step."""
    request = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    old_case = request.case
    LeakReliefRequest.objects.filter(pk=request.pk).update(case=None)
    from robinet.cases.services import case_cancel

    case_cancel(actor=billing_officer, case=old_case, reason="Données reprises")
    request.refresh_from_db()
    request = leaks.leak_relief_refuse(actor=billing_officer, request=request, reason="Hors délai")
    assert request.case is not None
    assert request.case != old_case
    assert request.case.status == "closed"


# --- the meter check (BILL-9, COLL-1, CASE-7) -----------------------------------------------------


def checked(bill, officer):
    # the fixture's bill took a FAC number outside the counter: move the counter past it
    with transaction.atomic():
        while next_number("FAC", 2026) <= bill.sequence % 900000:
            pass
    request = leaks.leak_relief_open(actor=officer, invoice=bill)
    return leaks.leak_relief_request_meter_check(
        actor=officer, request=request, contact_phone="0612345678"
    )


def test_bill_9_meter_check_suspends_dunning_until_the_outcome(bill, billing_officer):
    request = checked(bill, billing_officer)
    block = request.check_block
    assert (block.reason, block.reference, block.lifted_on) == ("dispute", bill.number, None)
    assert request.case.number in block.comment
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=request, faulty=True, note="Compteur bloqué"
    )
    block.refresh_from_db()
    assert block.lifted_on == clock.today()
    assert request.check_fee_invoice is None  # faulty meter: no fee
    request.case.refresh_from_db()
    assert request.case.status == "closed"
    assert "rectifiée" in request.case.resolution
    assert not live_blocks(bill.account).exists()


def test_bill_9_meter_fine_bills_the_check_fee_when_configured(bill, billing_officer):
    seed_price_list(valid_from=dt.date(2026, 1, 1))  # FRAIS-ETALONNAGE, allowed for individuals
    request = checked(bill, billing_officer)
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=request, faulty=False
    )
    fee = request.check_fee_invoice
    assert fee.kind == "fees"
    assert fee.account == bill.account
    assert fee.lines.get().component_code == leaks.METER_CHECK_FEE
    assert fee.total_incl_vat == D("114.00")  # 95 € + 20 % VAT
    assert fee.number in request.letter
    assert fee.number in request.case.resolution
    assert not live_blocks(bill.account).exists()


def test_bill_9_no_fee_without_a_price_list_item(bill, billing_officer):
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=checked(bill, billing_officer), faulty=False
    )
    assert request.check_fee_invoice is None
    assert request.status == "meter_ok"
    assert request.case.status == "closed"


def test_coll_1_no_check_fee_for_an_individual_when_the_rules_do_not_allow_it(
    bill, billing_officer
):
    seed_price_list(valid_from=dt.date(2026, 1, 1))
    PriceListItem.objects.filter(code=leaks.METER_CHECK_FEE).update(allowed_for_individuals=False)
    request = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=checked(bill, billing_officer), faulty=False
    )
    assert request.check_fee_invoice is None
    assert "COLL-1" in request.case.resolution


def test_bill_9_check_fee_only_when_the_meter_is_fine_constraint(bill, billing_officer):
    seed_price_list(valid_from=dt.date(2026, 1, 1))
    done = leaks.leak_relief_meter_check_outcome(
        actor=billing_officer, request=checked(bill, billing_officer), faulty=False
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LeakReliefRequest.objects.filter(pk=done.pk).update(status="meter_faulty")


def test_bill_9_api_gives_the_case_and_the_suspension(bill, billing_officer):
    from robinet.organisation.services import api_token_create
    from tests.customers.api.test_api import ApiClient

    request = checked(bill, billing_officer)
    api = ApiClient(api_token_create(user=billing_officer))
    body = api.get(f"/billing/leak-reliefs/{request.pk}").json()
    assert body["case"] == request.case.number
    assert body["dunning_suspended"] is True
    assert body["check_fee_invoice"] is None
