"""Monthly payment through the JSON API (BILL-10, CASE-7)."""

from decimal import Decimal

import pytest

from robinet.billing.models import BudgetPlan
from robinet.organisation.services import api_token_create
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(officer):
    return ApiClient(api_token_create(user=officer))


def test_bill_10_plan_through_the_api(api, customer):
    _account, contract = customer
    response = api.post(
        "/billing/budget-plans",
        {"contract": contract.number, "instalment_count": 10, "day_of_month": 5},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    plan = BudgetPlan.objects.get()
    assert body["id"] == plan.pk
    assert len(body["instalments"]) == 10
    assert sum(Decimal(i["amount"]) for i in body["instalments"]) == Decimal(body["estimate"])
    assert body["estimate_basis"] == "history"
    # once per contract and year
    again = api.post("/billing/budget-plans", {"contract": contract.number})
    assert again.status_code == 409
    assert again.json()["code"] == "budget_plan_exists"
    listed = api.get("/billing/budget-plans", account=contract.number).json()
    assert [p["id"] for p in listed] == [plan.pk]
    schedule = api.get(f"/billing/budget-plans/{plan.pk}/schedule")
    assert schedule["Content-Type"] == "application/pdf"
    # CASE-7
    adjusted = api.post(f"/billing/budget-plans/{plan.pk}/adjust", {"adjustment": "12.34"})
    assert adjusted.status_code == 200
    amounts = [Decimal(i["amount"]) for i in adjusted.json()["instalments"]]
    assert sum(amounts) == Decimal(body["estimate"]) + Decimal("12.34")
    refused = api.post(f"/billing/budget-plans/{plan.pk}/adjust", {"adjustment": "-9999"})
    assert refused.status_code == 400
    assert "adjustment" in refused.json()["extra"]["fields"]
    suspended = api.post(f"/billing/budget-plans/{plan.pk}/suspend", {"reason": "Réclamation"})
    assert suspended.json()["status"] == "suspended"
    assert {i["status"] for i in suspended.json()["instalments"]} == {"suspended"}
    resumed = api.post(f"/billing/budget-plans/{plan.pk}/resume", {})
    assert resumed.json()["status"] == "active"


def test_bill_10_api_permissions(customer, auditor):
    _account, contract = customer
    read_only = ApiClient(api_token_create(user=auditor))
    assert read_only.post("/billing/budget-plans", {"contract": contract.number}).status_code == 403
    assert ApiClient(None).get("/billing/budget-plans").status_code == 401


def test_openapi_lists_the_budget_routes(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/billing/budget-plans" in paths
    assert "/api/v1/billing/budget-plans/{plan_id}/adjust" in paths
    assert "/api/v1/billing/budget-plans/{plan_id}/schedule" in paths
