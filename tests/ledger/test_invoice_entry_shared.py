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
    for centre_id, summary in zip(run.centres, run.summaries, strict=True):
        for code, debit, credit in summary:
            assert (debit > 0) != (credit > 0)
            summed[(centre_id, code)] += debit - credit
        members = [m for m in run.members[centre_id] if m[2]]
        assert members == customers[centre_id]
        assert sum(s for _p, _a, s in members) + sum(d - c for _c, d, c in summary) == 0
    assert summed == {key: amount for key, amount in expected.items() if amount}
