"""Demo payments (PAY-1, PAY-2, PAY-4, PAY-7): paid, late, partial and unpaid accounts; the
ledger reconciles with the customer balances."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.test import TestCase

from robinet.demo import billing
from robinet.demo.generator import generate
from robinet.demo.payments import behaviour, seed_payments
from robinet.ledger.models import AllocationShare, JournalLine, OpenItem
from robinet.payments.models import Payment, PaymentReversal

TODAY = dt.date(2026, 11, 22)


def test_account_behaviours_are_stable_and_mixed():
    kinds = [behaviour(account_id) for account_id in range(1, 1001)]
    assert kinds == [behaviour(account_id) for account_id in range(1, 1001)]
    assert {"on_time", "late", "partial", "never"} == set(kinds)
    assert kinds.count("on_time") > 600


class DemoPaymentsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        generate(customers=400, seed=5, today=TODAY, readings=True)
        billing.bill(today=TODAY, corrections=False)
        cls.figures = seed_payments(TODAY)

    def test_payments_of_every_kind_and_some_bounced_cheques(self):
        means = set(Payment.objects.values_list("means", flat=True))
        assert {"transfer", "cheque"} <= means
        assert self.figures["payments"] == Payment.objects.count()
        assert PaymentReversal.objects.exists()
        assert not Payment.objects.filter(received_on__gt=TODAY).exists()

    def test_late_payers_remain_for_dunning(self):
        overdue = OpenItem.objects.filter(open_amount__gt=0, due_date__lt=TODAY, kind="invoice")
        assert overdue.values("account").distinct().count() >= 10

    def test_pay_7_customer_balances_equal_the_customers_account(self):
        balances = OpenItem.objects.aggregate(t=Sum("open_amount"))["t"]
        ledger = JournalLine.objects.filter(ledger_account="411000").aggregate(
            d=Sum("debit"), c=Sum("credit")
        )
        cent = Decimal("0.01")
        assert Decimal(str(balances)).quantize(cent) == Decimal(
            str(ledger["d"] - ledger["c"])
        ).quantize(cent)

    def test_pay_1a_collected_never_exceeds_billed_per_invoice(self):
        collected = AllocationShare.objects.values("invoice_id").annotate(t=Sum("amount"))
        totals = dict(OpenItem.objects.filter(kind="invoice").values_list("invoice_id", "amount"))
        for row in collected:
            assert row["t"] <= totals[row["invoice_id"]] + Decimal("0.001")
