"""PAY-10 under concurrency (PostgreSQL): two counters redeeming the same vouchers at once,
two centres issuing the same stock at once — one wins, the other is refused, nothing doubles."""

import threading

import pytest
from django.db import connection, connections

from robinet.core.exceptions import ValidationFailed
from robinet.payments import vouchers
from robinet.payments.models import Payment, VoucherMovement, VoucherStock
from tests.payments import voucher_setup
from tests.payments.voucher_setup import signed_agreement, stocked

administrations = voucher_setup.administrations
voucher_manager = voucher_setup.voucher_manager

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="threads competing for row locks need PostgreSQL"
    ),
]


def _race(*calls):
    """Run ``calls`` at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what is checked
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_pay_10_the_same_vouchers_redeemed_twice_at_once(
    org, administrations, voucher_manager, cashier
):
    prefecture, _ = administrations
    agreement = signed_agreement(voucher_manager, org.region, prefecture)
    stocked(voucher_manager, org, [(50, 1, 5)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 5)]
    )

    def redeem():
        return vouchers.voucher_redeem(actor=cashier, account=prefecture, ranges=[(50, 1, 3)])

    outcomes = _race(redeem, redeem)
    assert sorted(type(o).__name__ for o in outcomes) == ["Payment", "ValidationFailed"]
    assert Payment.objects.count() == 1
    assert VoucherMovement.objects.filter(kind="redemption").count() == 1


def test_pay_10_the_same_stock_issued_twice_at_once(org, administrations, voucher_manager):
    prefecture, gendarmerie = administrations
    first = signed_agreement(voucher_manager, org.region, prefecture)
    second = signed_agreement(voucher_manager, org.region, gendarmerie)
    stocked(voucher_manager, org, [(100, 1, 4)])

    def issue(agreement):
        return lambda: vouchers.voucher_issue(
            actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(100, 1, 4)]
        )

    outcomes = _race(issue(first), issue(second))
    assert sum(isinstance(o, ValidationFailed) for o in outcomes) == 1
    assert sum(isinstance(o, list) for o in outcomes) == 1
    assert VoucherStock.objects.get(entity=org.centres[0], denomination=100).quantity == 0
    assert VoucherMovement.objects.filter(kind="issue").count() == 1
