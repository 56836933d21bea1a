"""COLL-6 debtor diagnosis: capacity, suggested plan, orientation (pure, no database)."""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.collections import diagnosis as rules
from robinet.collections.diagnosis import DiagnosisError, Situation, assess

money = st.integers(min_value=0, max_value=1_000_000).map(lambda c: Decimal(c) / 100)


def situation(**kw) -> Situation:
    values = {"monthly_income": Decimal("1500"), "monthly_charges": Decimal("600"),
              "assets": Decimal("0"), "liabilities": Decimal("0"), "household_size": 1,
              "debt": Decimal("450.50")}  # fmt: skip
    return Situation(**{**values, **kw})


def test_coll_6_capacity_is_income_minus_charges_minus_the_living_floor():
    # 1 500 − 600 − (600 + 300 × 2) = 0 for three people; 300 € for one.
    assert assess(situation()).monthly_capacity == Decimal("300.00")
    assert assess(situation(household_size=3)).monthly_capacity == Decimal("0")
    assert rules.living_floor(3) == Decimal("1200.00")


def test_coll_6_suggested_plan_and_orientation_none_for_a_small_debt():
    result = assess(situation())
    assert result.suggested_instalments == 2  # ceil(450,50 / 300)
    assert result.monthly_amount == Decimal("225.25")
    assert result.orientation == rules.NONE


def test_coll_6_savings_fund_a_down_payment():
    result = assess(situation(assets=Decimal("150.50")))
    assert result.down_payment == Decimal("150.50")
    assert result.suggested_instalments == 1


@pytest.mark.parametrize(
    ("kwargs", "orientation"),
    [
        ({"debt": Decimal("5000")}, rules.SOCIAL_SERVICES),  # 17 months
        ({"debt": Decimal("9000")}, rules.FSL),  # 30 months > 24
        ({"household_size": 4}, rules.FSL),  # no capacity
        ({"liabilities": Decimal("7200.01")}, rules.OVER_INDEBTEDNESS),  # > 2 years × 300
        ({"liabilities": Decimal("7200")}, rules.NONE),
    ],
    ids=["social_services_case", "fsl_case", "no_capacity_case", "over_indebted_case",
         "liabilities_at_limit_case"],
)  # fmt: skip
def test_coll_6_orientation(kwargs, orientation):
    assert assess(situation(**kwargs)).orientation == orientation


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"household_size": 0}, "household_size"), ({"monthly_income": Decimal("-1")},
      "monthly_income"), ({"assets": Decimal("0.001")}, "assets")],
)  # fmt: skip
def test_coll_6_refused_figures_name_the_field(kwargs, field):
    with pytest.raises(DiagnosisError) as caught:
        assess(situation(**kwargs))
    assert caught.value.field == field


@given(income=money, charges=money, assets=money, liabilities=money, debt=money,
       size=st.integers(1, 10))  # fmt: skip
def test_coll_6_properties(income, charges, assets, liabilities, debt, size):
    result = assess(Situation(income, charges, assets, liabilities, size, debt))
    assert Decimal(0) <= result.monthly_capacity <= income
    assert 1 <= result.suggested_instalments <= rules.MAX_SUGGESTED_INSTALMENTS
    assert Decimal(0) <= result.down_payment <= debt
    assert result.orientation in {rules.NONE, rules.FSL, rules.SOCIAL_SERVICES,
                                  rules.OVER_INDEBTEDNESS}  # fmt: skip
    rest = debt - result.down_payment
    if debt > 0 and assets >= debt:
        # Savings cover the debt: paid at once.
        assert result.suggested_instalments == 1
        assert result.monthly_amount == debt
    elif result.orientation in (rules.NONE, rules.SOCIAL_SERVICES) and debt > 0:
        # The suggested plan fits the capacity.
        assert result.suggested_instalments * result.monthly_capacity >= rest
        assert result.suggested_instalments == math.ceil(rest / result.monthly_capacity)
    richer = assess(Situation(income + 100, charges, assets, liabilities, size, debt))
    assert richer.monthly_capacity >= result.monthly_capacity
    bigger = assess(Situation(income, charges, assets, liabilities, size + 1, debt))
    assert bigger.monthly_capacity <= result.monthly_capacity
