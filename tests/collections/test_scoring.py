"""COLL-7: the pure risk score — probability, expected loss, main reasons, next best action."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from robinet.collections import scoring

ON = dt.date(2026, 3, 2)


def features(**changes) -> scoring.Features:
    base = dict(
        amount=Decimal("250.00"), oldest_days=140, open_items=2, level=2, rejects_12m=2,
        broken_promises=0, broken_plans=0, professional=False, public_body=False,
        tenure_days=900, notices=2, main_residence=True,
    )  # fmt: skip
    base.update(changes)
    return scoring.Features(**base)


def situation(**changes) -> scoring.Situation:
    base = dict(
        on=ON, final_level=False, mail_returned=False, notice_pay_by=None,
        active_plan=False, pending_promise=False, last_contact_on=None,
    )  # fmt: skip
    base.update(changes)
    return scoring.Situation(**base)


feature_values = st.builds(
    scoring.Features,
    amount=st.decimals(min_value=0, max_value=100_000, places=2),
    oldest_days=st.integers(0, 3000),
    open_items=st.integers(1, 40),
    level=st.integers(0, 5),
    rejects_12m=st.integers(0, 12),
    broken_promises=st.integers(0, 5),
    broken_plans=st.integers(0, 3),
    professional=st.booleans(),
    public_body=st.booleans(),
    tenure_days=st.integers(0, 20_000),
    notices=st.integers(0, 30),
    main_residence=st.booleans(),
)
coefficients = st.lists(
    st.floats(-3, 3, allow_nan=False), min_size=len(scoring.FEATURE_NAMES),
    max_size=len(scoring.FEATURE_NAMES),
)  # fmt: skip


def model(coefs, intercept=0.0) -> scoring.Params:
    n = len(scoring.FEATURE_NAMES)
    coefs = list(coefs)
    coefs[0] = abs(coefs[0])  # a trained model's amount coefficient is kept ≥ 0
    return scoring.Params(scoring.FEATURE_NAMES, tuple(coefs), intercept, (1.0,) * n, (2.0,) * n)


@given(feature_values, coefficients, st.floats(-5, 5))
def test_probability_is_between_0_and_1(f, coefs, intercept):
    result = scoring.score(model(coefs, intercept), f)
    assert 0.0 <= result.probability <= 1.0
    assert Decimal("0") <= result.expected_loss(f.amount) <= f.amount


@given(feature_values, coefficients, st.decimals(min_value=0, max_value=5000, places=2))
def test_expected_loss_grows_with_the_amount(f, coefs, more):
    params = model(coefs)
    low = scoring.score(params, f).expected_loss(f.amount)
    bigger = features(**{**f.__dict__, "amount": f.amount + more})
    assert scoring.score(params, bigger).expected_loss(bigger.amount) >= low


@given(feature_values, coefficients)
def test_reasons_are_the_top_positive_contributions(f, coefs):
    params = model(coefs)
    result = scoring.score(params, f)
    _logit, parts = scoring.linear(params, scoring.vector(f))
    ranked = sorted(
        ((v, n) for n, v in zip(params.features, parts, strict=True) if v > 0),
        key=lambda p: (-p[0], p[1]),
    )[:3]
    assert list(result.reasons) == [scoring.reason_text(n, f) for _v, n in ranked]
    assert len(result.reasons) <= 3


def test_reasons_are_worded_in_french_with_the_accounts_figures():
    result = scoring.score(scoring.FALLBACK, features())
    assert result.reasons[0] == "montant en jeu : 250,00\xa0€"
    assert "ancienneté de la dette : 140 jours" in result.reasons
    assert scoring.reason_text("rejects_12m", features()) == "2 rejets de prélèvement en 12 mois"
    assert scoring.reason_text("broken_plans", features(broken_plans=1)) == "1 échéancier rompu"


def test_the_fallback_is_a_transparent_rule():
    fresh = scoring.score(scoring.FALLBACK, features(
        amount=Decimal("40"), oldest_days=10, open_items=1, level=0, rejects_12m=0, notices=0,
        tenure_days=0,
    ))  # fmt: skip
    hardened = scoring.score(scoring.FALLBACK, features(broken_promises=2, level=3))
    assert scoring.FALLBACK.fallback
    assert fresh.probability < 0.15 < hardened.probability


def test_next_action_rules_in_order():
    f, loss = features(amount=Decimal("500")), Decimal("400")
    assert scoring.next_action(f, situation(final_level=True), loss) == "agency"
    assert scoring.next_action(f, situation(mail_returned=True), loss) == "check_address"
    assert scoring.next_action(f, situation(active_plan=True), loss) == "follow_plan"
    assert scoring.next_action(f, situation(pending_promise=True), loss) == "follow_promise"
    assert scoring.next_action(f, situation(), loss) == "call"
    called = situation(last_contact_on=ON - dt.timedelta(days=3))
    assert scoring.next_action(f, called, loss) == "offer_plan"
    running = situation(last_contact_on=ON, notice_pay_by=ON + dt.timedelta(days=5))
    assert scoring.next_action(f, running, loss) == "wait_notice"
    small = features(amount=Decimal("80"))
    assert scoring.next_action(small, situation(), Decimal("20")) == "dunning"
    assert scoring.next_action(features(broken_plans=1), called, loss) == "dunning"
