"""Monthly payment services (BILL-10) and the CASE-7 hook."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.billing import budget
from robinet.billing.choices import BudgetPlanStatus, InstalmentStatus
from robinet.billing.models import BudgetPlan
from robinet.billing.selectors import contract_simulation
from robinet.core import clock
from robinet.core.exceptions import (
    ApplicationError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.billing import factories
from tests.billing.budget.conftest import two_tariffs
from tests.billing.conftest import occupied_point
from tests.metering.factories import read


def enrol(contract, actor, **kwargs):
    return budget.plan_enrol(actor=actor, contract=contract, **kwargs)


def set_today(monkeypatch, day):
    monkeypatch.setattr(clock, "today", lambda: day)


def test_bill_10_enrolment_from_the_last_12_months(customer, officer):
    account, contract = customer
    plan = enrol(contract, officer, instalment_count=10, day_of_month=5)
    # 120 m³ over the last 365 days, priced over the 12 months the plan covers
    assert (plan.estimate_volume, plan.estimate_basis) == (Decimal("120.000"), "history")
    assert (plan.period_start, plan.period_end) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    priced = contract_simulation(
        contract=contract, volume=Decimal(120), start=plan.period_start, end=plan.period_end
    )
    assert plan.estimate == priced.total_incl_vat
    schedule = budget.schedule_of(plan)
    assert len(schedule) == 10
    assert sum(i.amount for i in schedule) == plan.estimate
    # first debit at least 14 days after today (pre-notification), on the 5th
    assert schedule[0].due_date == dt.date(2026, 4, 5)
    assert schedule[-1].due_date == dt.date(2027, 1, 5)
    assert plan.year == 2026
    assert plan.status == BudgetPlanStatus.ACTIVE
    account.refresh_from_db()
    assert account.monthly_payment


def test_bill_10_estimate_priced_across_a_tariff_change(org):
    """The water price rises on 1 July 2026: the estimate prices each part with its tariff."""
    from tests.billing.budget.conftest import with_iban

    two_tariffs()
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 3, 10), "130")
    read(sp, dt.date(2026, 3, 10), "250")
    account = with_iban(account)
    contract = account.contracts.get()
    plan = enrol(contract, None, instalment_count=12, day_of_month=10)
    priced = contract_simulation(
        contract=contract, volume=Decimal(120), start=plan.period_start, end=plan.period_end
    )
    assert [p.tariff_code for p in priced.periods] == ["STRASBOURG-2026", "STRASBOURG-2026B"]
    assert plan.estimate == priced.total_incl_vat
    old_only = contract_simulation(
        contract=contract,
        volume=Decimal(120),
        start=dt.date(2025, 4, 1),
        end=dt.date(2026, 3, 31),
    )
    assert plan.estimate > old_only.total_incl_vat
    assert sum(i.amount for i in budget.schedule_of(plan)) == plan.estimate


def test_bill_10_fallbacks_similar_premises_then_given_volume(org, tariff):
    from tests.billing.budget.conftest import with_iban

    account, sp = occupied_point(org.centres[0], start=dt.date(2026, 2, 1), index="100")
    account = with_iban(account)
    contract = account.contracts.get()
    with pytest.raises(ValidationFailed) as error:
        enrol(contract, None)
    assert "volume" in error.value.fields
    plan = enrol(contract, None, volume="90")
    assert (plan.estimate_volume, plan.estimate_basis) == (Decimal("90.000"), "given")


def test_bill_10_enrolment_needs_an_iban_and_is_once_a_year(org, tariff, customer, officer):
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    with pytest.raises(ValidationFailed) as error:
        enrol(account.contracts.get(), officer, volume="100")
    assert "account" in error.value.fields
    _account, contract = customer
    enrol(contract, officer)
    with pytest.raises(ApplicationError) as duplicate:
        enrol(contract, officer)
    assert duplicate.value.code == "budget_plan_exists"
    with pytest.raises(ValidationFailed):
        enrol(contract, officer, instalment_count=11)


def test_case_7_adjust_next_two_instalments(customer, officer):
    _account, contract = customer
    plan = enrol(contract, officer)
    before = [i.amount for i in budget.schedule_of(plan)]
    assert budget.claim_side_effect(
        actor=officer, contract=contract, action="adjust", adjustment="-15.01", reason="Réclamation"
    )
    after = [i.amount for i in budget.schedule_of(plan)]
    assert after[0] + after[1] == before[0] + before[1] - Decimal("15.01")
    assert after[2:] == before[2:]
    assert sum(after) == plan.estimate - Decimal("15.01")
    with pytest.raises(ValidationFailed):
        budget.plan_adjust_next_two(actor=officer, plan=plan, adjustment="-100")


def test_case_7_suspend_then_resume(customer, officer, billing_officer, monkeypatch):
    _account, contract = customer
    plan = enrol(contract, officer)
    budget.claim_side_effect(actor=officer, contract=contract, action="suspend", reason="Litige")
    plan.refresh_from_db()
    assert plan.status == BudgetPlanStatus.SUSPENDED
    assert plan.suspension_reason == "Litige"
    assert {i.status for i in budget.schedule_of(plan)} == {InstalmentStatus.SUSPENDED}
    first = budget.schedule_of(plan)[0]
    with pytest.raises(InvalidTransition):
        budget.instalment_collect(actor=billing_officer, instalment=first)
    # nothing more to do on a suspended plan for a new claim
    assert budget.claim_side_effect(actor=officer, contract=contract, action="suspend") is None
    set_today(monkeypatch, dt.date(2026, 5, 20))
    budget.plan_resume(actor=officer, plan=plan)
    statuses = [i.status for i in budget.schedule_of(plan)]
    # April and May passed during the suspension: not collected, settled at the year's end
    assert statuses[:2] == [InstalmentStatus.SUSPENDED] * 2
    assert set(statuses[2:]) == {InstalmentStatus.SCHEDULED}


def test_bill_10_customer_changes_the_amount(customer, officer):
    _account, contract = customer
    plan = enrol(contract, officer)
    budget.plan_change_amount(actor=officer, plan=plan, amount="30.00")
    assert {i.amount for i in budget.schedule_of(plan)} == {Decimal("30.00")}
    with pytest.raises(ValidationFailed) as error:
        budget.plan_change_amount(actor=officer, plan=plan, amount="10.00")
    assert "amount" in error.value.fields


def _yearly_bill(sp_contract, monkeypatch, index="370"):
    sp = sp_contract.service_point
    set_today(monkeypatch, dt.date(2026, 12, 20))
    read(sp, dt.date(2026, 12, 20), index)
    set_today(monkeypatch, dt.date(2027, 1, 10))
    factories.run(dt.date(2026, 12, 31))
    return sp_contract.invoices.filter(period_end__gte=dt.date(2026, 4, 1))


def test_bill_10_settlement_balance_due_and_new_schedule(
    customer, officer, billing_officer, monkeypatch
):
    _account, contract = customer
    plan = enrol(contract, officer)
    schedule = budget.schedule_of(plan)
    set_today(monkeypatch, dt.date(2026, 12, 10))
    for instalment in schedule[:9]:
        budget.instalment_collect(
            actor=billing_officer, instalment=instalment, collected_on=instalment.due_date
        )
    invoices = _yearly_bill(contract, monkeypatch)
    total = sum(i.total_incl_vat for i in invoices)
    collected = sum(i.amount for i in schedule[:9])
    budget.plan_settle(actor=billing_officer, plan=plan)
    plan.refresh_from_db()
    assert plan.status == BudgetPlanStatus.SETTLED
    assert plan.settled_invoices == [i.number for i in invoices.order_by("period_end")]
    assert plan.settled_invoiced == total
    assert plan.settled_collected == collected
    assert plan.settled_balance == total - collected > 0
    assert plan.settlement_outcome == "due"
    assert budget.schedule_of(plan)[9].status == InstalmentStatus.CANCELLED
    # the next year's schedule, on the same day, 14 days after today at the earliest
    following = plan.next_plan
    assert following.year == 2027
    assert following.status == BudgetPlanStatus.ACTIVE
    assert budget.schedule_of(following)[0].due_date == dt.date(2027, 2, 5)
    assert sum(i.amount for i in budget.schedule_of(following)) == following.estimate
    with pytest.raises(InvalidTransition):
        budget.plan_settle(actor=billing_officer, plan=plan)


def test_bill_10_settlement_refund(customer, officer, billing_officer, monkeypatch):
    _account, contract = customer
    plan = enrol(contract, officer, volume="400")
    set_today(monkeypatch, dt.date(2026, 12, 10))
    for instalment in budget.schedule_of(plan)[:9]:
        budget.instalment_collect(actor=billing_officer, instalment=instalment)
    total = sum(i.total_incl_vat for i in _yearly_bill(contract, monkeypatch, index="280"))
    budget.plan_settle(actor=billing_officer, plan=plan, renew=False)
    plan.refresh_from_db()
    assert plan.settlement_outcome == "refund"
    assert plan.settled_balance == total - plan.settled_collected < 0
    assert not BudgetPlan.objects.filter(previous_plan=plan).exists()


def test_bill_10_nothing_to_settle_without_an_invoice(customer, officer, billing_officer):
    _account, contract = customer
    plan = enrol(contract, officer)
    with pytest.raises(ApplicationError) as error:
        budget.plan_settle(actor=billing_officer, plan=plan)
    assert error.value.code == "no_invoice_to_settle"


def test_bill_10_cancel_turns_monthly_payment_off(customer, officer):
    account, contract = customer
    plan = enrol(contract, officer)
    budget.plan_cancel(actor=officer, plan=plan, reason="Demande du client")
    account.refresh_from_db()
    assert not account.monthly_payment
    assert {i.status for i in budget.schedule_of(plan)} == {InstalmentStatus.CANCELLED}


def test_bill_10_permissions(customer, officer, auditor, org, make_user):
    from robinet.organisation.roles import Role

    _account, contract = customer
    with pytest.raises(PermissionDenied):
        enrol(contract, auditor)
    plan = enrol(contract, officer)
    # the auditor reads, an officer of another centre does not even see the plan
    assert budget.plan_get_for_user(user=auditor, pk=plan.pk) == plan
    elsewhere = make_user("ailleurs", Role.CUSTOMER_OFFICER, org.centres[3])
    with pytest.raises(NotFound):
        budget.plan_get_for_user(user=elsewhere, pk=plan.pk)
    # a customer officer enrols and adjusts but neither collects nor settles
    with pytest.raises(PermissionDenied):
        budget.instalment_collect(actor=officer, instalment=budget.schedule_of(plan)[0])
    with pytest.raises(PermissionDenied):
        budget.plan_settle(actor=officer, plan=plan)
    with pytest.raises(PermissionDenied):
        budget.plan_suspend(actor=auditor, plan=plan)


SOCIAL_TARIFF_YAML = factories.TARIFF_YAML.replace(
    """      - {up_to: null, unit_price: "1.6500"}
""",
    """      - {up_to: null, unit_price: "1.6500"}
    social:
      label: tarif social
      blocks:
        - {up_to: 30, unit_price: "0.0000"}
        - {up_to: null, unit_price: "0.8000"}
""",
)


def test_bill_10_bill_1_estimate_at_the_social_tariff_for_a_beneficiary(org):
    """A social-tariff beneficiary's annual estimate is priced at the social tariff, as its
    bills will be; once the eligibility ends before the year does, at the standard one."""
    from robinet.customers.services import particularity_add, particularity_end
    from tests.billing.budget.conftest import with_iban

    assert "social:" in SOCIAL_TARIFF_YAML
    factories.tariff(SOCIAL_TARIFF_YAML)
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 3, 10), "130")
    read(sp, dt.date(2026, 3, 10), "250")
    account = with_iban(account)
    contract = account.contracts.get()
    eligibility = particularity_add(
        actor=None, account=account, kind="social_tariff", started_on=dt.date(2025, 6, 1)
    )
    plan = budget.plan_enrol(actor=None, contract=contract, instalment_count=12)
    social = contract_simulation(
        contract=contract,
        volume=Decimal(120),
        start=plan.period_start,
        end=plan.period_end,
        social=True,
    )
    standard = contract_simulation(
        contract=contract, volume=Decimal(120), start=plan.period_start, end=plan.period_end
    )
    assert plan.estimate == social.total_incl_vat
    assert plan.estimate < standard.total_incl_vat
    assert any(line.social for line in social.lines)
    import io

    from pypdf import PdfReader

    content, _name = budget.schedule_pdf(plan)
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "au tarif social en vigueur" in text
    # eligibility ending before the plan's year ends: the standard tariff
    particularity_end(actor=None, particularity=eligibility, ended_on=dt.date(2026, 12, 31))
    assert not budget.social_for(account.pk, plan.period_end)
    assert (
        budget.estimate_for(contract, period_start=plan.period_start).total
        == standard.total_incl_vat
    )


def test_bill_10_bulk_enrolment_parses_the_tariffs_once(org, tariff, customer, monkeypatch):
    """plan_enrol_many: each contract gets its own estimate, the tariffs are loaded once, and
    a contract that cannot be enrolled is reported without stopping the others."""
    from robinet.billing import selectors as billing_selectors
    from robinet.tariffs import selectors as tariff_selectors
    from tests.billing.budget.conftest import with_iban

    _account, first = customer
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="500")
    read(sp, dt.date(2025, 3, 10), "520")
    read(sp, dt.date(2026, 3, 10), "580")  # 60 m³ a year
    second = with_iban(account).contracts.get()
    no_iban, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="10")
    third = no_iban.contracts.get()
    loads = []
    real = tariff_selectors.tariffs_by_commune

    def counted(*args, **kwargs):
        loads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(tariff_selectors, "tariffs_by_commune", counted)
    monkeypatch.setattr(billing_selectors, "tariffs_by_commune", counted)
    result = budget.plan_enrol_many(actor=None, contracts=[first, second, third])
    assert len(loads) == 1  # one commune, one period: parsed once for both estimates
    assert [p.contract for p in result.plans] == [first, second]
    assert list(result.refused) == [third.number]
    assert "IBAN" in result.refused[third.number]
    monkeypatch.setattr(billing_selectors, "tariffs_by_commune", real)
    for plan, volume in zip(result.plans, (Decimal(120), Decimal(60)), strict=True):
        assert plan.estimate_volume == volume
        priced = contract_simulation(
            contract=plan.contract, volume=volume, start=plan.period_start, end=plan.period_end
        )
        assert plan.estimate == priced.total_incl_vat  # the same as one by one
        assert len(budget.schedule_of(plan)) == 10
    assert not BudgetPlan.objects.filter(contract=third).exists()
