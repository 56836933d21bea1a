"""PAY-1 and PAY-1a pure rules, property-tested: allocation order and the spread over lines."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from robinet.ledger.spread import Part, spread
from robinet.payments.allocation import Debit, allocate, order_debits

cents = st.integers(min_value=0, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
positive_cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


@st.composite
def debits(draw):
    count = draw(st.integers(min_value=0, max_value=12))
    return [
        Debit(
            id=i + 1,
            due_date=draw(days),
            open_amount=draw(positive_cents),
            invoice_id=100 + i,
            category=draw(st.sampled_from(["fee", "interest", "principal"])),
        )
        for i in range(count)
    ]


@given(amount=cents, items=debits(), named=st.integers(min_value=95, max_value=115))
def test_pay_1_allocation_never_exceeds_either_side(amount, items, named):
    result = allocate(amount, items, invoice_id=named)
    by_id = {d.id: d for d in items}
    assert sum((a for _i, a in result), Decimal(0)) <= amount
    assert all(0 < a <= by_id[i].open_amount for i, a in result)
    assert len({i for i, _a in result}) == len(result)
    # Whatever is not allocated is either the credit's rest or nothing was left to clear.
    allocated = sum((a for _i, a in result), Decimal(0))
    assert allocated == min(amount, sum((d.open_amount for d in items), Decimal(0)))


@given(amount=positive_cents, items=debits())
def test_pay_1_the_named_invoice_first_then_oldest_due_first(amount, items):
    named = items[-1].invoice_id if items else None
    result = allocate(amount, items, invoice_id=named)
    if not result:
        return
    ordered = order_debits(items, invoice_id=named)
    # Allocated items are a prefix of the order, each full but the last.
    ids = [i for i, _a in result]
    assert ids == [d.id for d in ordered[: len(ids)]]
    by_id = {d.id: d for d in items}
    for debit_id, amount_cleared in result[:-1]:
        assert amount_cleared == by_id[debit_id].open_amount
    if named is not None:
        assert ids[0] == items[-1].id
    rest = [d for d in ordered if d.invoice_id != named]
    assert [d.due_date for d in rest] == sorted(d.due_date for d in rest)


def test_pay_1_fees_before_interest_before_principal_on_the_same_due_date():
    due = dt.date(2026, 1, 31)
    items = [
        Debit(1, due, Decimal("50"), 1, "principal"),
        Debit(2, due, Decimal("5"), 2, "interest"),
        Debit(3, due, Decimal("40"), 3, "fee"),
    ]
    assert allocate(Decimal("60"), items) == [
        (3, Decimal("40")),
        (2, Decimal("5")),
        (1, Decimal("15")),
    ]
    assert allocate(Decimal("60"), items, category_order=("principal", "interest", "fee")) == [
        (1, Decimal("50")),
        (2, Decimal("5")),
        (3, Decimal("5")),
    ]


parts_strategy = st.lists(
    st.tuples(
        st.sampled_from(["operator", "authority", "water_agency", "vat"]),
        st.sampled_from(["water", "sanitation", "public_bodies", "5.50", "10.00"]),
        cents,
        st.sampled_from(["fee", "interest", "principal"]),
    ),
    min_size=1,
    max_size=8,
)


@given(raw=parts_strategy, fraction=st.fractions(min_value=0, max_value=1), ordered=st.booleans())
def test_pay_1a_spread_adds_up_and_never_exceeds_a_part(raw, fraction, ordered):
    parts = [Part(b, s, amount, c) for b, s, amount, c in raw]
    total = sum((p.remaining for p in parts), Decimal(0))
    amount = (Decimal(fraction.numerator) / Decimal(fraction.denominator) * total).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN"
    )
    shares = spread(amount, parts, order=("fee", "interest", "principal") if ordered else None)
    assert sum(shares, Decimal(0)) == amount
    assert all(
        Decimal(0) <= share <= part.remaining for share, part in zip(shares, parts, strict=True)
    )


@given(raw=parts_strategy, steps=st.lists(st.fractions(min_value=0, max_value=1), max_size=5))
def test_pay_1a_successive_partial_payments_end_exactly_on_each_part(raw, steps):
    """Paying an invoice in several instalments gives each beneficiary exactly what it was billed."""
    parts = [Part(b, s, amount, c) for b, s, amount, c in raw]
    billed = [p.remaining for p in parts]
    collected = [Decimal(0)] * len(parts)
    for step in [*steps, 1]:
        left = sum((p.remaining for p in parts), Decimal(0))
        amount = (
            (Decimal(step.numerator) / Decimal(step.denominator) * left).quantize(
                Decimal("0.01"), rounding="ROUND_DOWN"
            )
            if step != 1
            else left
        )
        shares = spread(amount, parts)
        collected = [c + s for c, s in zip(collected, shares, strict=True)]
        parts = [
            Part(p.beneficiary, p.service, p.remaining - s, p.category)
            for p, s in zip(parts, shares, strict=True)
        ]
    assert collected == billed


def test_pay_1a_pro_rata_worked_example():
    parts = [
        Part("operator", "water", Decimal("60.00")),
        Part("authority", "sanitation", Decimal("30.00")),
        Part("vat", "5.50", Decimal("10.00")),
    ]
    assert spread(Decimal("50.00"), parts) == [Decimal("30.00"), Decimal("15.00"), Decimal("5.00")]
    assert spread(Decimal("0.01"), parts) == [Decimal("0.01"), Decimal("0.00"), Decimal("0.00")]
