"""PAY-10 through the JSON API: agreements, stock, redemption."""

from decimal import Decimal

import pytest

from robinet.organisation.services import api_token_create
from robinet.payments import vouchers
from robinet.payments.models import Payment, VoucherAgreement
from tests.backoffice import conftest as backoffice_fixtures
from tests.customers.api.test_api import ApiClient
from tests.payments import voucher_setup
from tests.payments.voucher_setup import stocked

administrations = voucher_setup.administrations
voucher_manager = voucher_setup.voucher_manager
auditor = backoffice_fixtures.auditor

pytestmark = pytest.mark.django_db


def test_pay_10_agreement_stock_and_redemption_through_the_api(
    org, administrations, voucher_manager, cashier
):
    prefecture, gendarmerie = administrations
    api = ApiClient(api_token_create(user=voucher_manager))
    refused = api.post(
        "/payments/voucher-agreements",
        {"region": org.region.code, "year": 2026, "administration_account": prefecture.number,
         "quantities": {"30": 4}},
    )  # fmt: skip
    assert refused.status_code == 400
    assert "quantities" in refused.json()["extra"]["fields"]
    created = api.post(
        "/payments/voucher-agreements",
        {"region": org.region.code, "year": 2026, "administration_account": prefecture.number,
         "accounts": [gendarmerie.number], "quantities": {"50": 10, "100": 2}},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    agreement = VoucherAgreement.objects.get()
    assert body["number"] == agreement.number == "VIG-2026-0001"
    assert Decimal(body["total_amount"]) == Decimal("700")
    assert body["accounts"] == sorted([prefecture.number, gendarmerie.number])
    assert [f["agreed"] for f in body["figures"]] == [10, 2]
    assert [a["id"] for a in api.get("/payments/voucher-agreements", year=2026).json()] == [
        agreement.pk
    ]
    vouchers.agreement_sign(actor=voucher_manager, agreement=agreement)
    stocked(voucher_manager, org, [(50, 1, 10)])
    vouchers.voucher_threshold_set(
        actor=voucher_manager, entity=org.centres[0], denomination=50, threshold=12
    )
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 4)]
    )
    stock = api.get("/payments/voucher-stock").json()
    centre = next(s for s in stock if s["entity"] == org.centres[0].code)
    assert (centre["quantity"], centre["alert_threshold"], centre["below_threshold"]) == (
        6,
        12,
        True,
    )
    alerts = api.get("/payments/voucher-stock", alerts_only="true").json()
    assert [a["entity"] for a in alerts] == [org.centres[0].code]
    # the centre's cashier redeems two vouchers for the gendarmerie (covered by the agreement)
    counter = ApiClient(api_token_create(user=cashier))
    paid = counter.post(
        "/payments/voucher-redemptions",
        {"account": gendarmerie.number, "serials": [{"denomination": 50, "serial_from": 1,
                                                     "serial_to": 2}]},
    )  # fmt: skip
    assert paid.status_code == 201, paid.content
    assert paid.json()["means"] == "voucher"
    assert Decimal(paid.json()["amount"]) == Decimal("100.00")
    twice = counter.post(
        "/payments/voucher-redemptions",
        {"account": gendarmerie.number, "serials": [{"denomination": 50, "serial_from": 2}]},
    )
    assert twice.status_code == 400
    assert twice.json()["extra"]["fields"]["serials"] == [
        "Vignettes 50 € n° 2 : déjà utilisées pour régler une facture."
    ]
    assert Payment.objects.count() == 1
    read = api.get(f"/payments/voucher-agreements/{agreement.pk}").json()
    assert read["figures"][0]["redeemed"] == 2


def test_pay_10_api_permissions(org, administrations, auditor):
    read_only = ApiClient(api_token_create(user=auditor))
    response = read_only.post(
        "/payments/voucher-agreements",
        {"region": org.region.code, "year": 2026, "administration_account":
         administrations[0].number, "quantities": {"50": 1}},
    )  # fmt: skip
    assert response.status_code == 403
    assert not VoucherAgreement.objects.exists()
    assert ApiClient(None).get("/payments/voucher-stock").status_code == 401


def test_pay_10_openapi_lists_the_voucher_routes(auditor):
    client = ApiClient(api_token_create(user=auditor))
    paths = client.client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/payments/voucher-agreements" in paths
    assert "/api/v1/payments/voucher-agreements/{agreement_id}" in paths
    assert "/api/v1/payments/voucher-stock" in paths
    assert "/api/v1/payments/voucher-redemptions" in paths
