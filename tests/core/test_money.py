"""Money helpers (ARCHITECTURE principle 2, STYLE "Money"): pure, no database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.core.money import (
    CurrencyMismatch,
    Money,
    allocate,
    currency_precision,
    format_money,
    is_rounded,
    round_money,
    to_decimal,
)

NNBSP = "\u202f"  # narrow no-break space: babel's fr-FR thousands separator
NBSP = "\u00a0"  # no-break space before the currency symbol

amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False
)
cents = st.integers(min_value=-(10**11), max_value=10**11).map(lambda c: Decimal(c).scaleb(-2))
ratios = st.lists(
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=12,
).filter(lambda rs: sum(rs) > 0)


# --- round_money -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.125", "0.13"),  # half-up, not banker's rounding (0.12)
        ("0.135", "0.14"),
        ("0.124999", "0.12"),
        ("-0.125", "-0.13"),  # ties away from zero: symmetric
        ("-0.001", "0.00"),  # never "-0.00"
        ("2.5", "2.50"),
        (7, "7.00"),
        ("1 234,565", "1234.57"),
    ],
)
def test_round_money_half_up_case(value, expected):
    assert round_money(value) == Decimal(expected)
    assert str(round_money(value)) == expected


def test_round_money_uses_the_currency_precision():
    assert currency_precision("EUR") == 2
    assert round_money("1.5", "JPY") == Decimal("2")
    assert round_money("1.0005", "TND") == Decimal("1.001")


def test_round_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(0.1)


@given(amounts)
def test_round_money_is_idempotent_and_close(value):
    rounded = round_money(value)
    assert round_money(rounded) == rounded
    assert abs(rounded - value) <= Decimal("0.005")
    assert rounded.as_tuple().exponent == -2


@given(amounts)
def test_round_money_is_symmetric(value):
    assert round_money(-value) == -round_money(value)


# --- to_decimal ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        (f"1{NNBSP}234,56{NBSP}€", "1234.56"),
        (f"1{NBSP}234{NBSP}567,8", "1234567.8"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("-12,5 €", "-12.5"),
        ("\u221212,5", "-12.5"),  # typographic minus
        ("+3", "3"),
        (",5", "0.5"),
        ("  42  ", "42"),
        ("EUR 10,00", "10.00"),
    ],
)
def test_to_decimal_parses_french_and_plain_text_case(text, expected):
    assert to_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3.4.5", "12-3", "NaN", "Infinity", "1e3", "-"])
def test_to_decimal_refuses_non_numbers_case(text):
    with pytest.raises(ValueError):
        to_decimal(text)


@pytest.mark.parametrize("value", [0.1, 1.0, True, None, [1]])
def test_to_decimal_refuses_floats_and_other_types_case(value):
    with pytest.raises(TypeError):
        to_decimal(value)


def test_to_decimal_keeps_decimals_and_ints():
    assert to_decimal(Decimal("1.10")) == Decimal("1.10")
    assert to_decimal(5) == Decimal(5)
    with pytest.raises(ValueError):
        to_decimal(Decimal("NaN"))


@given(cents)
def test_to_decimal_reads_back_format_money(amount):
    assert to_decimal(format_money(amount)) == amount


# --- format_money ----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1234.56", f"1{NNBSP}234,56{NBSP}€"),
        ("-1234.5", f"-1{NNBSP}234,50{NBSP}€"),
        ("0", f"0,00{NBSP}€"),
        ("0.125", f"0,13{NBSP}€"),  # our half-up, not babel's half-even
        ("1234567.891", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
    ],
)
def test_format_money_fr_case(amount, expected):
    assert format_money(Decimal(amount)) == expected


# --- allocate ----------------------------------------------------------------


def test_allocate_three_ways():
    assert allocate(Decimal("100.00"), [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


def test_allocate_largest_remainder_wins_the_cent():
    # exact parts 0.0333.., 0.0666..: the larger remainder (2nd) gets the extra cent
    assert allocate(Decimal("0.10"), [1, 2]) == [Decimal("0.03"), Decimal("0.07")]


def test_allocate_negative_total_and_zero_ratio():
    assert allocate(Decimal("-0.05"), [1, 0, 1]) == [
        Decimal("-0.03"),
        Decimal("0.00"),
        Decimal("-0.02"),
    ]


@pytest.mark.parametrize(
    ("total", "weights"),
    [("1.005", [1]), ("1", []), ("1", [-1, 2]), ("1", [0, 0])],
)
def test_allocate_refuses_bad_input_case(total, weights):
    with pytest.raises(ValueError):
        allocate(Decimal(total), weights)


@given(cents, ratios)
def test_allocate_never_loses_a_cent(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert len(shares) == len(weights)
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert is_rounded(share)
        exact = total * weight / weight_sum
        assert abs(share - exact) < Decimal("0.01")
        if weight == 0:
            assert share == 0


# --- Money -------------------------------------------------------------------


def test_money_arithmetic_and_currency_checks():
    a = Money(Decimal("10.10"))
    b = Money("0,05")
    assert a + b == Money(Decimal("10.15"), "EUR")
    assert a - b == Money(Decimal("10.05"))
    assert -a == Money(Decimal("-10.10"))
    assert a * 3 == Money(Decimal("30.30")) == 3 * a
    assert b < a
    assert a >= b
    assert not Money.zero()
    assert a
    with pytest.raises(CurrencyMismatch):
        a + Money(Decimal(1), "MAD")
    with pytest.raises(TypeError):
        a + Decimal(1)
    with pytest.raises(TypeError):
        a * 1.5
    with pytest.raises(TypeError):
        Money(1.5)
    with pytest.raises(ValueError):
        Money(Decimal(1), "euro")


def test_money_rounds_only_when_asked():
    price = Money(Decimal("3.4567")) * Decimal("12.5")
    assert price.amount == Decimal("43.20875")
    assert price.rounded() == Money(Decimal("43.21"))
    assert str(price) == f"43,21{NBSP}€"


def test_money_is_immutable_and_hashable():
    a = Money(Decimal("1.00"))
    with pytest.raises(AttributeError):
        a.amount = Decimal(2)
    assert {a, Money(Decimal("1"))} == {a}


def test_money_split():
    assert [m.amount for m in Money(Decimal("10.00")).split(3)] == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]
    with pytest.raises(ValueError):
        Money(Decimal(1)).split(0)


def test_an_amount_too_large_for_the_context_is_a_value_error():
    """Issue 13 (fuzzing): 40 digits are refused as a ValueError the importers report,
    not an InvalidOperation that escapes them."""
    with pytest.raises(ValueError, match="out of range"):
        round_money(Decimal("9" * 40))
    with pytest.raises(ValueError, match="out of range"):
        is_rounded("9" * 40)
