"""REP-3: the RPQS formulas on plain figures (arrêté du 2 mai 2007, SISPEA sheets)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from robinet.reporting import rpqs_rules as rules

D = Decimal
cents = st.integers(min_value=0, max_value=10**9).map(lambda c: D(c) / 100)


def test_rep3_p154_unpaid_rate_is_unpaid_over_billed_in_percent_two_places():
    assert rules.unpaid_rate(D("50.00"), D("150.00")) == D("33.33")
    assert rules.unpaid_rate(D("1.00"), D("3.00")) == D("33.33")
    assert rules.unpaid_rate(D("2.00"), D("3.00")) == D("66.67")  # half-up


def test_rep3_p154_undefined_without_bills():
    assert rules.unpaid_rate(D("0"), D("0")) is None


@given(billed=cents.filter(lambda v: v > 0), share=st.fractions(min_value=0, max_value=1))
def test_rep3_p154_rate_between_0_and_100_when_unpaid_within_billed(billed, share):
    unpaid = (billed * D(share.numerator) / D(share.denominator)).quantize(D("0.01"))
    unpaid = min(unpaid, billed)
    value = rules.unpaid_rate(unpaid, billed)
    assert D(0) <= value <= D(100)
    assert value.as_tuple().exponent == -2


def test_rep3_p154_write_off_stays_unpaid_a_payment_does_not():
    # 100 billed, 30 paid, 20 written off by 31/12/N: 70 still unpaid.
    assert rules.unpaid_at(D("100"), D("50"), D("20")) == D("70")


def test_rep3_p155_1_claims_per_thousand_customers():
    assert rules.claims_rate(3, 2) == D("1500.00")
    assert rules.claims_rate(7, 4321) == D("1.62")
    assert rules.claims_rate(5, 0) is None


@given(claims=st.integers(0, 10**6), customers=st.integers(1, 10**7))
def test_rep3_p155_1_scales_by_one_thousand(claims, customers):
    value = rules.claims_rate(claims, customers)
    exact = D(claims) * 1000 / D(customers)
    assert abs(value - exact) <= D("0.005")


def test_rep3_p109_0_write_offs_plus_fund_payments_per_m3():
    assert rules.solidarity_per_m3(D("100.00"), D("20.00"), D("40")) == D("3.00")
    assert rules.solidarity_per_m3(D("1.00"), D("0"), D("3")) == D("0.33")
    assert rules.solidarity_per_m3(D("1.00"), D("0"), D("0")) is None


def test_rep3_d102_0_price_of_120_m3_per_m3_rounded_to_the_cent():
    assert rules.price_per_m3(D("279.36")) == D("2.33")
    assert rules.price_per_m3(D("270.60")) == D("2.26")  # 2.255 half-up


@given(bill=cents)
def test_rep3_d102_0_price_times_120_is_within_60_cents_of_the_bill(bill):
    assert abs(rules.price_per_m3(bill) * 120 - bill) <= D("0.60")


def test_rep3_p152_1_openings_within_delay_rate():
    assert rules.opening_delay_rate(199, 200) == D("99.50")
    assert rules.opening_delay_rate(0, 0) is None
