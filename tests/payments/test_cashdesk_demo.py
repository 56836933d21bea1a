"""The demo's counter activity (PAY-2, PAY-9) goes through the cash-desk services."""

from decimal import Decimal

import pytest

from robinet.demo.cashdesk import seed_demo
from robinet.payments import cash_selectors
from robinet.payments.models import CashDay, CashTransmission, ChequeDepositSlip, Payment

pytestmark = pytest.mark.django_db


def test_pay_2_pay_9_demo_seeds_closed_days_slips_and_transmissions(billed, manager, today):
    counts = seed_demo(today)
    assert counts["counter_payments"] == Payment.objects.count() > 0
    assert counts["cash_days"] == CashDay.objects.count() == 6  # five working days and today
    assert CashDay.objects.filter(closed_at__isnull=True).get().day == today
    assert counts["transmissions"] == CashTransmission.objects.count()
    assert counts["deposit_slips"] == ChequeDepositSlip.objects.count()
    short = CashDay.objects.exclude(cash_difference=0).exclude(cash_difference__isnull=True)
    assert list(short.values_list("cash_difference", flat=True)) in ([Decimal("-5.00")], [])
    report = cash_selectors.transmission_report(user=manager)
    assert len(report["rows"]) == 5
    assert seed_demo(today) == {
        "cash_days": 0, "counter_payments": 0, "deposit_slips": 0, "transmissions": 0,
    }  # fmt: skip
