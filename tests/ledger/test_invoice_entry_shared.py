"""PAY-7: an invoice's entry built from third-party lines shared between bills priced alike
(``posting.invoice_third_parties``, the billing run's path) is the entry built line by line,
and a run's entries per centre (``posting.stage_invoice_run``) post what those entries post."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.ledger import posting
from robinet.ledger.chart import DEFAULT_CHART, resolve

money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("9999.99"), places=2)
lines = st.lists(
    st.tuples(
        st.sampled_from(["water", "sanitation", "public_bodies"]),
        st.sampled_from(["operator", "authority", "water_agency"]),
        money,
    ),
    max_size=6,
)
vat = st.lists(st.tuples(st.sampled_from([Decimal("5.5"), Decimal("10")]), money), max_size=2)


def _entry(credit_note: bool, account_id: int, **given_lines) -> posting.EntrySpec:
    return posting.invoice_entry(
        number="FAC-2025-0000001", issue_date=dt.date(2025, 7, 5), account_id=account_id,
        centre_id=1, credit_note=credit_note, **given_lines,
    )  # fmt: skip


@given(lines=lines, vat=vat, credit_note=st.booleans(), account_id=st.integers(1, 10**6))
def test_pay_7_shared_third_party_lines_make_the_same_balanced_entry(
    lines, vat, credit_note, account_id
):
    shared = posting.invoice_third_parties(lines=lines, vat=vat, credit_note=credit_note)
    entry = _entry(credit_note, account_id, third_parties=shared)
    assert entry == _entry(credit_note, account_id, lines=lines, vat=vat)
    posting.check_balanced(entry)


def test_third_party_lines_made_for_the_other_direction_are_refused():
    shared = posting.invoice_third_parties(
        lines=[("water", "operator", Decimal("10.00"))], vat=[], credit_note=False
    )
    with pytest.raises(ValueError, match="other direction"):
        _entry(True, 1, third_parties=shared)


third_parties = st.builds(
    posting.invoice_third_parties, lines=lines, vat=vat, credit_note=st.just(False)
)


@given(
    shapes=st.lists(third_parties, min_size=1, max_size=4),
    invoices=st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 5), st.integers(1, 3)), min_size=1, max_size=30
    ),
)
def test_pay_7_a_runs_entries_sum_what_the_invoices_entries_post(shapes, invoices):
    """Decision 0014: per centre and account, a run's entry posts exactly the sum of what
    each invoice's own entry (``invoice_entry``) would post, and the customer lines are the
    invoices' own customer lines; every centre's entry balances."""
    chart = {role: code for code, _label, role in DEFAULT_CHART}
    given_invoices = [
        (shapes[shape % len(shapes)], account_id, centre_id)
        for shape, account_id, centre_id in invoices
    ]
    run = posting.stage_invoice_run(given_invoices, issue_date=dt.date(2025, 7, 5), accounts=chart)
    expected: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    customers: dict[int, list] = defaultdict(list)
    for position, (shared, account_id, centre_id) in enumerate(given_invoices):
        entry = posting.invoice_entry(
            number="", issue_date=dt.date(2025, 7, 5), account_id=account_id,
            centre_id=centre_id, credit_note=False, third_parties=shared,
        )  # fmt: skip
        for line in entry.lines:
            if line.customer_account_id is None:
                expected[(centre_id, resolve(line.role, chart))] += line.debit - line.credit
            else:
                customers[centre_id].append((position, account_id, line.debit - line.credit))
    summed: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    centres = [g.centre_id for g in run.groups]
    assert centres == sorted({centre for _s, _a, centre in given_invoices})  # one per centre
    for group in run.groups:
        for code, amount in group.summed.items():
            summed[(group.centre_id, code)] += amount
        members = [m for m in group.members if m[2]]
        assert members == customers[group.centre_id]
        assert sum(s for _p, _a, s in members) + sum(group.summed.values()) == 0
    assert {k: v for k, v in summed.items() if v} == {k: v for k, v in expected.items() if v}


@given(
    payments=st.lists(
        st.tuples(
            st.integers(1, 5),  # customer account
            st.integers(1, 3),  # centre
            st.sampled_from(["cash", "cheque", "transfer", "card"]),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
            st.sampled_from([dt.date(2026, 2, 16), dt.date(2026, 2, 17)]),
            st.booleans(),  # from suspense
        ),
        min_size=1,
        max_size=30,
    )
)
def test_pay_7_a_batch_of_payments_posts_what_each_payments_entry_posts(payments):
    """Decision 0014: a batch's entries (one per journal, day, centre and means) post, per
    account, exactly what each payment's own entry (``payment_entry``) posts; each
    payment credits its customer on a line of its own; every entry balances."""
    chart = {role: code for code, _label, role in DEFAULT_CHART}
    batch = posting.stage_payment_batch(payments, accounts=chart)
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    customers: dict[tuple, list] = defaultdict(list)
    for position, (account_id, centre_id, means, amount, on, from_suspense) in enumerate(payments):
        entry = posting.payment_entry(
            number="", received_on=on, account_id=account_id, centre_id=centre_id,
            means=means, amount=amount, from_suspense=from_suspense,
        )  # fmt: skip
        head = (entry.journal, on, centre_id)
        for line in entry.lines:
            if line.customer_account_id is None:
                expected[(*head, resolve(line.role, chart))] += line.debit - line.credit
            else:
                customers[head].append((position, account_id, line.debit - line.credit))
    summed: dict[tuple, Decimal] = defaultdict(Decimal)
    members: dict[tuple, list] = defaultdict(list)
    for group in batch.groups:
        head = (group.journal, group.entry_date, group.centre_id)
        for code, amount in group.summed.items():
            summed[(*head, code)] += amount
        members[head].extend(group.members)
        assert sum(s for _p, _a, s in group.members) + sum(group.summed.values()) == 0
    assert summed == expected
    assert {k: sorted(v) for k, v in members.items()} == customers
    keys = [(g.journal, g.entry_date, g.centre_id, *g.summed) for g in batch.groups]
    assert len(keys) == len(set(keys))  # one entry per journal, day, centre and means
