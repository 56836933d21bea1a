"""The demo seed of card payments and operator statements (PAY-2, PAY-8)."""

import datetime as dt

import pytest

from robinet.demo.cards import seed_demo
from robinet.payments.models import (
    CardStatus,
    CardTransaction,
    OperatorStatement,
    Payment,
    StatementStatus,
)
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read


@pytest.fixture
def twelve_billed(org, tariff):
    for n in range(12):
        _account, sp = occupied_point(org.centres[n % 2], start=dt.date(2025, 1, 1), index="100")
        read(sp, dt.date(2025, 12, 20), str(130 + n))
    factories.run(dt.date(2025, 12, 31))


def test_seed_demo_card_payments_and_operator_statements(twelve_billed, today):
    counts = seed_demo(today)
    assert counts == {
        "card_paid": 3, "card_declined": 1, "card_pending": 1, "operators": 2,
        "transfers": 1, "statements_booked": 1, "statements_diff": 1,
    }  # fmt: skip
    statuses = sorted(CardTransaction.objects.values_list("status", flat=True))
    assert statuses == sorted([CardStatus.PAID] * 3 + [CardStatus.DECLINED, CardStatus.PENDING])
    assert Payment.objects.filter(means="card").count() == 3
    assert Payment.objects.filter(means="operator").count() == 4
    booked = OperatorStatement.objects.get(operator__code="PAYP")
    assert booked.status == StatementStatus.BOOKED
    waiting = OperatorStatement.objects.get(operator__code="AGREC")
    assert waiting.status == StatementStatus.DIFFERENCE
    assert not Payment.objects.filter(means="agency").exists()
