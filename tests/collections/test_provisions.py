"""Doubtful debts and provisions by age bucket (COLL-11, PAY-7)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import given
from hypothesis import strategies as st

from robinet.collections.models import ProvisionRun, ProvisionSnapshot
from robinet.collections.provisions import (
    DEFAULT_BUCKETS,
    months_overdue,
    provision_amount,
    provision_run,
)
from robinet.core.exceptions import PermissionDenied
from robinet.ledger import reconciliation
from robinet.ledger.models import JournalEntry, JournalLine
from tests.collections import writeoff_fixtures
from tests.collections.conftest import TODAY
from tests.collections.plan_fixtures import pay
from tests.collections.writeoff_fixtures import debit_items

approver = writeoff_fixtures.approver
old_debtor = writeoff_fixtures.old_debtor

D = Decimal
ON = dt.date(2026, 3, 2)

amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
ages = st.integers(min_value=-100, max_value=3000)


@given(amounts, ages)
def test_coll_11_provision_never_negative_nor_above_the_open_amount(amount, days):
    provision = provision_amount(amount, ON - dt.timedelta(days=days), ON)
    assert D(0) <= provision <= amount
    assert provision == provision.quantize(D("0.01"))


@given(amounts, ages, st.integers(min_value=0, max_value=1000))
def test_coll_11_provision_is_monotonic_in_age(amount, days, more):
    younger = provision_amount(amount, ON - dt.timedelta(days=days), ON)
    older = provision_amount(amount, ON - dt.timedelta(days=days + more), ON)
    assert older >= younger


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (dt.date(2026, 1, 2), "0.00"),  # 2 months
        (dt.date(2025, 9, 3), "0.00"),  # 5 months and 29 days
        (dt.date(2025, 9, 2), "25.00"),  # 6 months
        (dt.date(2025, 3, 2), "50.00"),  # 12 months
        (dt.date(2024, 3, 3), "50.00"),  # 23 months
        (dt.date(2024, 3, 2), "100.00"),  # 24 months
        (dt.date(2026, 4, 1), "0.00"),  # not yet due
    ],
)
def test_coll_11_default_buckets(due, expected):
    assert provision_amount(D("100.00"), due, ON) == D(expected)


def test_coll_11_months_overdue():
    assert months_overdue(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 0
    assert months_overdue(dt.date(2026, 1, 31), dt.date(2026, 3, 1)) == 1
    assert [b.from_months for b in DEFAULT_BUCKETS] == [0, 6, 12, 24]


def _lines(entry):
    return {(x.ledger_account, x.debit, x.credit) for x in entry.lines.all()}


def _balanced_everywhere():
    for entry in JournalEntry.objects.all():
        t = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit"))
        assert D(t["d"]) == D(t["c"]), entry
    assert reconciliation.report(actor=None, on=TODAY, check_permission=False).balanced


@pytest.mark.django_db
def test_coll_11_run_transfers_to_doubtful_and_provisions(old_debtor):
    old, recent = debit_items(old_debtor)
    # The 2025 invoice is due mid-2025: 6-12 months at TODAY, 25 %.
    run = provision_run(on=TODAY)
    assert run.doubtful_moved == D("200.00")
    assert run.increase == D("120.00") + D("20.00")
    assert run.decrease == 0
    transfer = JournalEntry.objects.get(event="doubtful", piece_ref=f"PROV-{TODAY}")
    assert _lines(transfer) == {("416000", D("200.00"), D(0)), ("411000", D(0), D("200.00"))}
    provision = JournalEntry.objects.get(event="provision", piece_ref=f"PROV-{TODAY}")
    assert _lines(provision) == {("681700", D("140.00"), D(0)), ("491000", D(0), D("140.00"))}
    assert run.figures["1"]["provision"] == "20.00"
    assert run.figures["3"]["open"] == "120.00"
    _balanced_everywhere()


@pytest.mark.django_db
def test_coll_11_second_run_posts_only_the_difference(old_debtor):
    provision_run(on=TODAY)
    entries = JournalEntry.objects.count()
    same = provision_run(on=TODAY)
    assert same.increase == same.decrease == same.doubtful_moved == 0
    assert JournalEntry.objects.count() == entries  # nothing to post
    # Six months later the 2025 invoice moved to 12-24 months: 25 % → 50 %.
    later = provision_run(on=dt.date(2026, 9, 30))
    assert later.increase == D("20.00")
    assert later.doubtful_moved == 0
    assert ProvisionRun.objects.count() == 3


@pytest.mark.django_db
def test_coll_11_provision_reversed_on_payment(old_debtor):
    provision_run(on=TODAY)
    pay(old_debtor, "120.00", on=TODAY)  # clears the oldest item
    old, _recent = debit_items(old_debtor)
    old.refresh_from_db()
    assert old.open_amount == 0
    run = provision_run(on=TODAY)
    assert run.decrease == D("120.00")
    assert run.increase == 0
    assert run.doubtful_moved == D("-120.00")
    back = JournalEntry.objects.filter(event="doubtful").order_by("-pk").first()
    assert _lines(back) == {("411000", D("120.00"), D(0)), ("416000", D(0), D("120.00"))}
    reprise = JournalEntry.objects.filter(event="provision").order_by("-pk").first()
    assert _lines(reprise) == {("491000", D("120.00"), D(0)), ("781700", D(0), D("120.00"))}
    snap = ProvisionSnapshot.objects.get(item=old)
    assert snap.doubtful == snap.provision == 0
    # 416 of the account holds exactly the doubtful item still open.
    t = JournalLine.objects.filter(customer_account=old_debtor, ledger_account="416000").aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    assert D(t["d"]) - D(t["c"]) == D("80.00")
    _balanced_everywhere()


@pytest.mark.django_db
def test_coll_11_a_collector_cannot_run_provisions(old_debtor, collector, approver):
    with pytest.raises(PermissionDenied):
        provision_run(on=TODAY, actor=collector)
    assert not ProvisionRun.objects.exists()
    assert not ProvisionSnapshot.objects.exists()
    run = provision_run(on=TODAY, actor=approver)
    assert run.by == approver
    assert run.increase == D("140.00")


@pytest.mark.django_db
def test_coll_11_the_provisions_command(old_debtor):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("provisions", "run", "--date", TODAY.isoformat(), stdout=out)
    assert "dotation 140.00" in out.getvalue()
    out = StringIO()
    call_command("provisions", "run", "--date", TODAY.isoformat(), stdout=out)
    assert "dotation 0.00" in out.getvalue()
