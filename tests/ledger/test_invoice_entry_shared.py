"""PAY-7: an invoice's entry built from third-party lines shared between bills priced alike
(``posting.invoice_third_parties``, the billing run's path) is the entry built line by line."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.ledger import posting

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
