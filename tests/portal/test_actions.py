"""Portal self-service services (PORTAL-2): payment-plan policy, plans and promises (COLL-5/6),
readings (METER-2), requests as cases (CASE-2, CASE-6)."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.cases.choices import CaseStatus, TeamKind
from robinet.collections.choices import PlanState, PromiseState
from robinet.collections.models import PaymentPlan, PaymentPromise
from robinet.core.exceptions import ValidationFailed
from robinet.core.models import AuditEvent
from robinet.portal import actions
from tests.collections.plan_fixtures import debts
from tests.metering.factories import read

MONEY = st.decimals(min_value=Decimal("-100"), max_value=Decimal("5000"), places=2)


@given(amount=MONEY, count=st.integers(-2, 40), broken=st.integers(0, 3))
def test_portal2_plan_policy_property(amount, count, broken):
    """Granted exactly when 0 < amount ≤ 1500, 1 ≤ instalments ≤ 6 and nothing broken in 12 months."""
    decision = actions.plan_policy(
        amount, count, broken, max_amount=Decimal("1500"), max_instalments=6
    )
    expected = Decimal(0) < amount <= Decimal(1500) and 1 <= count <= 6 and broken == 0
    assert decision.approved is expected
    assert bool(decision.reasons) is (not expected)


def test_portal2_plan_policy_reads_settings(settings):
    settings.ROBINET_PORTAL_PLAN_MAX_AMOUNT = 200
    settings.ROBINET_PORTAL_PLAN_MAX_INSTALMENTS = 2
    assert not actions.plan_policy(Decimal("300"), 2, 0).approved
    assert not actions.plan_policy(Decimal("100"), 3, 0).approved
    assert actions.plan_policy(Decimal("200"), 2, 0).approved


def test_portal2_plan_policy_defaults():
    assert actions.plan_policy(Decimal("1500.00"), 6, 0).approved
    assert not actions.plan_policy(Decimal("1500.01"), 6, 0).approved
    assert not actions.plan_policy(Decimal("100"), 7, 0).approved
    assert not actions.plan_policy(Decimal("100"), 2, 1).approved


def test_portal2_coll5_plan_granted_within_policy(customer, household, teams):
    debts(household, "300.00", "150.50")
    outcome = actions.plan_request(user=customer, account=household, kind="plan", instalments=3)
    assert outcome.approved
    plan = PaymentPlan.objects.get(account=household)
    assert plan.state == PlanState.ACTIVE
    assert plan.total == Decimal("450.50")
    assert plan.instalments.count() == 3
    assert outcome.case.case_type.code == "REGLEMENT"
    assert outcome.case.status == CaseStatus.CLOSED
    assert AuditEvent.objects.filter(verb="portal.plan_request").exists()


def test_portal2_coll6_promise_granted(customer, household, teams):
    debts(household, "80.00")
    due = dt.date(2026, 3, 20)
    outcome = actions.plan_request(user=customer, account=household, kind="promise", due_on=due)
    assert outcome.approved
    promise = PaymentPromise.objects.get(account=household)
    assert promise.state == PromiseState.PENDING
    assert promise.amount == Decimal("80.00")
    assert promise.due_on == due


def test_portal2_promise_date_within_30_days(customer, household, teams):
    debts(household, "80.00")
    with pytest.raises(ValidationFailed) as exc:
        actions.plan_request(
            user=customer, account=household, kind="promise", due_on=dt.date(2026, 6, 1)
        )
    assert "due_on" in exc.value.fields


def test_portal2_case6_over_policy_goes_to_collection_team(customer, household, teams):
    debts(household, "2000.00")
    outcome = actions.plan_request(
        user=customer, account=household, kind="plan", instalments=10, message="Je suis au chômage."
    )
    assert not outcome.approved
    assert len(outcome.reasons) == 2
    case = outcome.case
    assert case.case_type.code == "REGLEMENT"
    assert case.is_open
    assert case.team == teams[TeamKind.COLLECTION]
    assert "2\u202f000,00\xa0€" in case.description
    assert "10 échéance" in case.description
    assert "chômage" in case.description
    assert not PaymentPlan.objects.filter(account=household).exists()


def test_portal2_broken_promise_in_12_months_refuses(customer, household, teams):
    from robinet.collections.plans import promise_create

    debts(household, "100.00")
    promise = promise_create(
        account=household,
        due_on=dt.date(2025, 12, 1),
        amount="50",
        made_on=dt.date(2025, 11, 20),
        actor=None,
    )
    PaymentPromise.objects.filter(pk=promise.pk).update(
        state=PromiseState.BROKEN, closed_on=dt.date(2025, 12, 5)
    )
    assert actions.broken_in_12_months(household) == 1
    outcome = actions.plan_request(user=customer, account=household, kind="plan", instalments=2)
    assert not outcome.approved
    assert outcome.case.is_open


def test_portal2_existing_plan_falls_back_to_a_case(customer, household, teams):
    debts(household, "300.00")
    actions.plan_request(user=customer, account=household, kind="plan", instalments=2)
    again = actions.plan_request(user=customer, account=household, kind="plan", instalments=3)
    assert not again.approved
    assert again.case.is_open
    assert PaymentPlan.objects.filter(account=household).count() == 1


def test_portal2_meter2_reading_held_with_reason(customer, household):
    sp = household.contracts.get().service_point
    read(sp, dt.date(2025, 3, 1), 100)
    read(sp, dt.date(2025, 9, 1), 160)
    outcome = actions.reading_submit(
        user=customer, account=household, index="9000", read_on=dt.date(2026, 3, 4)
    )
    assert outcome.status in ("held", "rejected")
    assert outcome.reading.source == "self"
    assert ":" in outcome.message
    assert outcome.message.split(":", 1)[1].strip()


def test_portal2_meter2_reading_in_the_future_not_accepted(customer, household):
    outcome = actions.reading_submit(
        user=customer, account=household, index="150", read_on=dt.date(2026, 3, 10)
    )
    assert outcome.status in ("held", "rejected")
    assert outcome.message


def test_case1_second_request_of_same_type_attaches(customer, household, teams):
    first = actions.move_request(
        user=customer, account=household, kind="out", on=dt.date(2026, 3, 31), index=None
    )
    second = actions.move_request(
        user=customer, account=household, kind="out", on=dt.date(2026, 4, 2), index="300"
    )
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.contact_count == 2
    assert second.multi_contact


def test_cust8_gdpr_export_traced(customer, household):
    data = actions.gdpr_export(user=customer, account=household)
    assert data["format"] == "robinet-gdpr-export/1"
    event = AuditEvent.objects.get(verb="portal.gdpr_export")
    assert event.data["portal_user"] == customer.pk


def test_portal2_bill10_monthly_payment_without_iban_goes_to_an_officer(customer, household, teams):
    outcome = actions.monthly_payment_request(user=customer, account=household)
    assert not outcome.enrolled
    assert outcome.reasons
    assert outcome.case.case_type.code == "SERVICES"
    assert outcome.case.is_open
    assert "IBAN" in outcome.case.description


def test_portal2_bill10_monthly_payment_enrolled_when_accepted(customer, household, teams):
    from robinet.billing.models import BudgetPlan
    from tests.billing.factories import tariff
    from tests.metering.factories import regular_history

    tariff()
    regular_history(household.contracts.get().service_point, start=dt.date(2025, 1, 2), periods=4)
    actions.bank_details_update(
        user=customer, account=household, iban="FR7630006000011234567890189", consent=True
    )
    outcome = actions.monthly_payment_request(
        user=customer, account=household, instalment_count=12, day_of_month=10
    )
    assert outcome.enrolled, outcome.reasons
    plan = BudgetPlan.objects.get(contract__account=household)
    assert plan.instalment_count == 12
    assert outcome.case.status == CaseStatus.CLOSED


def test_portal2_bill9_leak_relief_through_billing_when_notice(
    customer, org, teams, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from robinet.billing.models import LeakReliefRequest
    from tests.billing.leaks.conftest import leak_bill
    from tests.portal.conftest import make_portal_user

    settings.MEDIA_ROOT = tmp_path / "media"
    invoice = leak_bill(org.centres[0])
    owner = make_portal_user("fuite@example.fr", invoice.account)
    case = actions.leak_relief_request(
        user=owner,
        account=invoice.account,
        certificate=SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        repaired_on=dt.date(2026, 2, 25),
        location="Canalisation enterrée",
        leak_after_meter=True,
    )
    relief = LeakReliefRequest.objects.get(invoice=invoice)
    assert relief.status == "received"
    assert relief.leak_after_meter
    assert not relief.appliance_leak
    assert relief.repair_date == dt.date(2026, 2, 25)
    assert case.case_type.code == "DEGREVEMENT"
    assert invoice.number in case.description
    assert case.portal_uploads.count() == 1


def test_portal2_leak_relief_without_notice_is_a_case_only(customer, household, teams):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from robinet.billing.models import LeakReliefRequest

    case = actions.leak_relief_request(
        user=customer,
        account=household,
        certificate=SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n0000", "image/png"),
        repaired_on=dt.date(2026, 2, 25),
        location="Cave",
    )
    assert case.case_type.code == "DEGREVEMENT"
    assert case.is_open
    assert not LeakReliefRequest.objects.exists()


def test_portal2_leak_relief_repair_date_not_in_future(customer, household, teams):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationFailed) as exc:
        actions.leak_relief_request(
            user=customer,
            account=household,
            certificate=SimpleUploadedFile("a.pdf", b"%PDF-1.4", "application/pdf"),
            repaired_on=dt.date(2026, 4, 1),
            location="Cave",
        )
    assert "repaired_on" in exc.value.fields
