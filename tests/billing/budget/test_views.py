"""Screens of monthly payment (BILL-10) and their CASE-7 actions."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.billing.choices import BudgetPlanStatus, InstalmentStatus
from robinet.billing.models import BudgetPlan

pytestmark = pytest.mark.django_db


def test_bill_10_enrol_and_act_on_screens(web, customer, officer, billing_officer):
    account, contract = customer
    web.login(officer)
    assert "Mensualisations" in web.get("billing:budget").content.decode()
    assert web.get("billing:budget-enrol").status_code == 200
    # a wrong count is refused on the form, nothing written
    response = web.post(
        "billing:budget-enrol",
        data={"contract": contract.number, "instalment_count": "11", "day_of_month": "5"},
    )
    assert response.status_code == 422
    assert not BudgetPlan.objects.exists()
    # the account number is enough when it has a single contract
    response = web.post(
        "billing:budget-enrol",
        data={"contract": account.number, "instalment_count": "12", "day_of_month": "10"},
    )
    plan = BudgetPlan.objects.get()
    assert response["Location"].endswith(f"/billing/budget/{plan.pk}/")
    assert plan.instalment_count == 12
    page = web.get("billing:budget-detail", plan.pk).content.decode()
    assert 'id="budget-adjust-form"' in page
    assert 'id="budget-settle-form"' not in page  # a customer officer does not settle
    pdf = web.get("billing:budget-pdf", plan.pk)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # CASE-7: adjust the next two, then suspend
    before = list(plan.instalments.values_list("amount", flat=True))
    web.post("billing:budget-adjust", plan.pk, data={"adjustment": "-10,00", "reason": "Litige"})
    after = list(plan.instalments.values_list("amount", flat=True))
    assert after[0] + after[1] == before[0] + before[1] - Decimal(10)
    response = web.post("billing:budget-change", plan.pk, data={"amount": "1"})
    assert response.status_code == 302
    assert list(plan.instalments.values_list("amount", flat=True)) == after  # refused
    web.post("billing:budget-suspend", plan.pk, data={"reason": "Réclamation en cours"})
    plan.refresh_from_db()
    assert plan.status == BudgetPlanStatus.SUSPENDED
    # the billing officer marks an instalment collected once resumed
    web.post("billing:budget-resume", plan.pk)
    web.login(billing_officer)
    first = plan.instalments.order_by("position").first()
    web.post("billing:budget-collect", plan.pk, data={"instalment": first.pk})
    first.refresh_from_db()
    assert first.status == InstalmentStatus.COLLECTED
    listing = web.get("billing:budget", data={"account": contract.number}).content.decode()
    assert f'id="plan-{plan.pk}"' in listing


def test_bill_10_screens_permissions(web, customer, officer, auditor):
    _account, contract = customer
    web.login(auditor)
    assert web.get("billing:budget").status_code == 200
    assert web.get("billing:budget-enrol").status_code == 403
    web.login(officer)
    web.post(
        "billing:budget-enrol",
        data={"contract": contract.number, "instalment_count": "10", "day_of_month": "5"},
    )
    plan = BudgetPlan.objects.get()
    assert web.post("billing:budget-settle", plan.pk, data={"renew": "1"}).status_code == 403
    web.login(auditor)
    assert web.get("billing:budget-detail", plan.pk).status_code == 200
    assert web.post("billing:budget-suspend", plan.pk).status_code == 403


def test_bill_10_settle_on_screen(web, customer, officer, billing_officer, monkeypatch):
    from robinet.billing import budget
    from tests.billing.budget.test_budget import _yearly_bill, set_today

    _account, contract = customer
    plan = budget.plan_enrol(actor=officer, contract=contract)
    set_today(monkeypatch, dt.date(2026, 12, 10))
    for instalment in budget.schedule_of(plan)[:9]:
        budget.instalment_collect(actor=billing_officer, instalment=instalment)
    invoices = _yearly_bill(contract, monkeypatch)
    web.login(billing_officer)
    page = web.get("billing:budget-detail", plan.pk).content.decode()
    assert 'id="budget-settle-form"' in page
    response = web.post("billing:budget-settle", plan.pk, data={"renew": "1"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == BudgetPlanStatus.SETTLED
    assert plan.settled_invoices == [i.number for i in invoices.order_by("period_end")]
    page = web.get("billing:budget-detail", plan.pk).content.decode()
    assert 'id="budget-balance"' in page
    assert 'id="budget-next-plan"' in page
    assert 'id="budget-settle-form"' not in page
    following = BudgetPlan.objects.get(previous_plan=plan)
    assert web.get("billing:budget-detail", following.pk).status_code == 200
