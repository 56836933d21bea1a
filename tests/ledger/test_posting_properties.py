"""PAY-7 / PAY-1a properties: after any sequence of financial events, the books hold.

Events: fees invoices (``fees_invoice_issue``), payments (``payment_record``),
reversals (``payment_reverse``), credit notes (``credit_note_issue``) and
un-allocations (``ledger.services.unallocate``) on an account already billed
twice. After each sequence: every entry balances; per customer account, the
sum of open amounts equals its 411/416 balance; the reconciliation report has
no difference; collected (and credited) per beneficiary never exceed invoiced.
Each example runs in a savepoint rolled back at its end.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.billing import fees
from robinet.billing.models import Invoice
from robinet.billing.services import credit_note_issue
from robinet.core.exceptions import ApplicationError
from robinet.ledger import beneficiaries, reconciliation
from robinet.ledger.models import Allocation, JournalEntry, JournalLine, OpenItem
from robinet.ledger.reconciliation import cents, customer_accounts_q
from robinet.ledger.services import unallocate
from robinet.payments.models import Payment, PaymentMeans
from robinet.payments.services import payment_record, payment_reverse

pytestmark = pytest.mark.django_db

EVENTS = ("fee", "payment", "payment", "reversal", "credit_note", "unallocation")
MEANS = (PaymentMeans.CASH, PaymentMeans.TRANSFER, PaymentMeans.CARD)


def _apply(event: str, pick: int, *, account, actor) -> None:
    if event == "fee":
        fees.fees_invoice_issue(actor=None, account=account, items=[("FRAIS-ACCES", 1 + pick % 2)])
    elif event == "payment":
        amount = Decimal(100 + pick % 30000) / 100
        payment_record(actor=actor, account=account, means=MEANS[pick % len(MEANS)], amount=amount)
    elif event == "reversal":
        payments = list(Payment.objects.filter(account=account).order_by("pk"))
        if payments:
            payment_reverse(actor=actor, payment=payments[pick % len(payments)], reason="Rejet")
    elif event == "credit_note":
        invoices = list(
            Invoice.objects.filter(account=account).exclude(kind="credit_note").order_by("pk")
        )
        credit_note_issue(actor=actor, invoice=invoices[pick % len(invoices)], reason="Erreur")
    elif event == "unallocation":
        live = list(
            Allocation.objects.filter(
                account=account, reverses__isnull=True, reversed_by__isnull=True
            ).order_by("pk")
        )
        if live:
            unallocate(
                actor=actor, allocation=live[pick % len(live)], reason="Erreur d'affectation"
            )


def _check_books(account) -> None:
    # every entry balances
    for entry_id, debit, credit in (
        JournalLine.objects.values("entry_id").order_by("entry_id")
        .annotate(d=Sum("debit"), c=Sum("credit")).values_list("entry_id", "d", "c")
    ):  # fmt: skip
        assert cents(debit) == cents(credit), JournalEntry.objects.get(pk=entry_id)
    # Σ open amounts of the account = its balance on the customers' accounts
    open_total = cents(
        OpenItem.objects.filter(account=account).aggregate(t=Sum("open_amount"))["t"]
    )
    lines = JournalLine.objects.filter(customer_accounts_q(), customer_account=account)
    totals = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert open_total == cents(totals["d"]) - cents(totals["c"])
    # the reconciliation report agrees, far in the future
    assert reconciliation.report(
        actor=None, on=dt.date(2030, 1, 1), check_permission=False
    ).balanced
    # PAY-1a: never more collected (or credited) for a beneficiary than invoiced
    rows = beneficiaries.report(
        actor=None, start=dt.date(2000, 1, 1), end=dt.date(2030, 1, 1), check_permission=False
    )
    for beneficiary, total in beneficiaries.per_beneficiary(rows).items():
        assert total["collected"] <= total["invoiced"], beneficiary
        assert total["collected"] + total["credited"] + total["written_off"] <= total["invoiced"]
        assert total["owed"] >= 0, beneficiary


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(
        st.tuples(st.sampled_from(EVENTS), st.integers(min_value=0, max_value=10**6)),
        min_size=1,
        max_size=7,
    )
)
def test_pay_7_pay_1a_books_hold_after_any_sequence_of_events(billed, manager, events):
    fees.seed_price_list(valid_from=dt.date(2025, 1, 1))
    with transaction.atomic():
        for event, pick in events:
            try:
                with transaction.atomic():
                    _apply(event, pick, account=billed, actor=manager)
            except ApplicationError:
                pass  # a refused event (already reversed, already credited…) changes nothing
            _check_books(billed)
        transaction.set_rollback(True)
