"""COLL-5 / COLL-6 through the JSON API: plans, promises, diagnosis."""

from decimal import Decimal

import pytest

from robinet.collections.models import CollectionBlock, PaymentPlan, PaymentPromise
from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from tests.collections import plan_fixtures
from tests.customers.api.test_api import ApiClient

today = plan_fixtures.today
collector = plan_fixtures.collector
outsider = plan_fixtures.outsider
debtor = plan_fixtures.debtor

pytestmark = pytest.mark.django_db


def test_coll_5_plan_through_the_api(debtor, collector):
    api = ApiClient(api_token_create(user=collector))
    refused = api.post("/collections/plans", {"account": debtor.number, "count": 0,
                                              "first_due": "2026-03-05"})  # fmt: skip
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "validation_error"
    assert "count" in body["extra"]["fields"]
    assert not PaymentPlan.objects.exists()
    created = api.post("/collections/plans", {"account": debtor.number, "count": 3,
                                              "first_due": "2026-03-05", "down_payment": "50.00"})  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == "ECH-2026-000001"
    assert body["total"] == "450.50"
    assert [i["amount"] for i in body["instalments"]] == ["50.00", "133.50", "133.50", "133.50"]
    assert Decimal(body["paid"]) == 0
    again = api.post("/collections/plans", {"account": debtor.number, "count": 3,
                                            "first_due": "2026-03-05"})  # fmt: skip
    assert again.status_code == 409
    assert again.json()["code"] == "plan_exists"
    listing = api.get("/collections/plans", account=debtor.number, state="active").json()
    assert [p["number"] for p in listing] == ["ECH-2026-000001"]
    assert api.get(f"/collections/plans/{body['id']}").json()["account"] == debtor.number
    no_reason = api.post(f"/collections/plans/{body['id']}/cancel", {"reason": ""})
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["extra"]["fields"]
    cancelled = api.post(f"/collections/plans/{body['id']}/cancel", {"reason": "Erreur"})
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"


def test_coll_5_plan_on_chosen_items_by_document_number(debtor, collector):
    api = ApiClient(api_token_create(user=collector))
    first = debtor.open_items.order_by("pk").first()
    unknown = api.post("/collections/plans", {"account": debtor.number, "count": 2,
                                              "first_due": "2026-03-05", "items": ["NOPE"]})  # fmt: skip
    assert unknown.status_code == 400
    assert "items" in unknown.json()["extra"]["fields"]
    created = api.post("/collections/plans", {"account": debtor.number, "count": 2,
                                              "first_due": "2026-03-05",
                                              "items": [first.document_number]})  # fmt: skip
    assert created.status_code == 201
    assert created.json()["total"] == "300.00"


def test_coll_5_promises_through_the_api(debtor, collector):
    api = ApiClient(api_token_create(user=collector))
    created = api.post("/collections/promises", {"account": debtor.number,
                                                 "due_on": "2026-02-28", "amount": "80.00"})  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "80.00"
    assert created.json()["state"] == "pending"
    assert len(api.get("/collections/promises", account=debtor.number).json()) == 1
    bad = api.post("/collections/promises", {"account": debtor.number,
                                             "due_on": "2026-01-01", "amount": "1"})  # fmt: skip
    assert bad.status_code in (400, 409)
    assert PaymentPromise.objects.count() == 1


def test_coll_6_diagnosis_through_the_api_and_coll_4_fsl(debtor, collector):
    api = ApiClient(api_token_create(user=collector))
    created = api.post(f"/collections/accounts/{debtor.number}/diagnosis",
                       {"household_size": 1, "monthly_income": "1500", "monthly_charges": "600",
                        "fsl_requested": True})  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["monthly_capacity"] == "300.00"
    assert body["suggested_instalments"] == 2
    assert body["orientation"] == "none"
    assert CollectionBlock.objects.filter(reason="fsl_pending", lifted_on=None).count() == 1


def test_coll_5_api_permissions(debtor, collector, outsider, make_user, org):
    outside = ApiClient(api_token_create(user=outsider))
    refused = outside.post("/collections/plans", {"account": debtor.number, "count": 3,
                                                  "first_due": "2026-03-05"})  # fmt: skip
    assert refused.status_code == 400
    assert "account" in refused.json()["extra"]["fields"]
    reader = ApiClient(
        api_token_create(user=make_user("lecteur", Role.CUSTOMER_OFFICER, org.centres[0]))
    )
    denied = reader.post("/collections/plans", {"account": debtor.number, "count": 3,
                                                "first_due": "2026-03-05"})  # fmt: skip
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert not PaymentPlan.objects.exists()
    assert ApiClient(None).get("/collections/plans").status_code == 401


def test_coll_5_openapi_lists_the_plan_routes(collector):
    paths = ApiClient(api_token_create(user=collector)).client.get("/api/v1/openapi.json")
    paths = paths.json()["paths"]
    for path in (
        "/api/v1/collections/plans",
        "/api/v1/collections/plans/{plan_id}",
        "/api/v1/collections/plans/{plan_id}/cancel",
        "/api/v1/collections/promises",
        "/api/v1/collections/accounts/{number}/diagnosis",
    ):
        assert path in paths
