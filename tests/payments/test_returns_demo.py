"""The demo seed of direct-debit rejects and a refund proposal (PAY-4, PAY-6)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.demo.returns import seed_demo
from robinet.payments.models import BankReturnFile, PaymentReversal, Refund, ReturnItem
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read


@pytest.fixture
def seven_billed(org, tariff):
    for n in range(7):
        _account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
        read(sp, dt.date(2025, 12, 20), str(130 + n))
    factories.run(dt.date(2025, 12, 31))


def test_seed_demo_rejects_returns_and_a_refund(seven_billed, today):
    counts = seed_demo(today)
    assert counts == {"direct_debits": 6, "return_files": 2, "rejects": 3, "refunds_proposed": 1}
    assert BankReturnFile.objects.count() == 2
    assert ReturnItem.objects.filter(outcome="accepted").count() == 3
    assert sorted(PaymentReversal.objects.values_list("reason_code", flat=True)) == [
        "AC04", "AM04", "MD06",
    ]  # fmt: skip
    assert Refund.objects.get().amount == Decimal("18.40")
    # Idempotent.
    again = seed_demo(today)
    assert again["rejects"] == 0
    assert again["refunds_proposed"] == 0
    assert PaymentReversal.objects.count() == 3
