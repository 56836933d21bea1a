"""PAY-10 demo data: seeded through the services on a billed database, consistent."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from robinet.demo.vouchers import seed_demo
from robinet.payments import voucher_rules as rules
from robinet.payments.models import (
    Payment,
    PaymentMeans,
    VoucherAgreement,
    VoucherAgreementStatus,
    VoucherMovement,
    VoucherStock,
)
from tests.payments import voucher_setup

administrations = voucher_setup.administrations

pytestmark = pytest.mark.django_db


def test_pay_10_seed_demo_gives_agreements_stock_alerts_and_redemptions(
    org, administrations, today
):
    counts = seed_demo(today)
    assert counts["voucher_agreements"] == 3  # two this year, one closed last year
    assert VoucherAgreement.objects.filter(status=VoucherAgreementStatus.CLOSED).count() == 1
    assert counts["voucher_alerts"] == 3  # the last centre is short of every face value
    assert counts["voucher_movements"] == VoucherMovement.objects.count()
    payments = Payment.objects.filter(means=PaymentMeans.VOUCHER)
    assert counts["voucher_redemptions"] == payments.count() == 2
    assert counts["voucher_redeemed_amount"] == payments.aggregate(t=Sum("amount"))["t"]
    for account in administrations:  # never paid more than owed
        assert account.invoices.aggregate(t=Sum("total_incl_vat"))["t"] >= Decimal(
            payments.filter(account=account).aggregate(t=Sum("amount"))["t"] or 0
        )
    expected = rules.stock_deltas(
        (rules.Move(m.kind, m.serial_from, m.serial_to, m.source_id, m.destination_id),
         m.denomination)
        for m in VoucherMovement.objects.all()
    )  # fmt: skip
    stock = {(s.entity_id, s.denomination): s.quantity for s in VoucherStock.objects.all()}
    assert {k: v for k, v in stock.items() if v} == {k: v for k, v in expected.items() if v}
    # seeding again continues the serials instead of colliding
    again = seed_demo(today)
    assert again["voucher_agreements"] == 3
