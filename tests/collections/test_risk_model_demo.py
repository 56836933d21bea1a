"""COLL-7: the risk model's evaluation is reproducible from a fixed seed on the demo history.

The demo's own seeding (people, bills, payments, then its dunning history, where some debtors
settle after a reminder and others do not) gives enough situations, with both outcomes in the
held-back month, for the model to learn and be evaluated.
"""

import pytest

from robinet.collections import risk_model
from tests.collections.conftest import TODAY
from tests.demo.utility import billed_and_paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_history(monkeypatch, tmp_path):
    """A small demo utility: two years of bills and payments, then its dunning history."""
    from robinet.demo import collections

    # Enough accounts that the situations stay above MIN_ROWS whatever the ids (the demo
    # picks some accounts by id) the earlier tests leave the sequences at.
    billed_and_paid(monkeypatch, tmp_path, today=TODAY, customers=170, seed=7)
    collections.seed_demo(TODAY)


def test_coll_7_training_on_the_demo_history_is_reproducible_with_a_fixed_seed(demo_history):
    first = risk_model.train(as_of=TODAY, seed=7)
    second = risk_model.train(as_of=TODAY, seed=7)
    assert first.metrics["auc"] is not None
    assert first.metrics["auc"] == second.metrics["auc"]
    assert first.metrics["calibration"] == second.metrics["calibration"]
    assert first.metrics == second.metrics
    assert first.coefficients == second.coefficients
    assert (first.intercept, first.means, first.scales) == (
        second.intercept, second.means, second.scales,
    )  # fmt: skip
    assert (first.period_start, first.test_start) == (second.period_start, second.test_start)
    assert first.metrics["train_rows"] + first.metrics["test_rows"] >= risk_model.MIN_ROWS
    assert 0 < first.metrics["test_positive_rate"] < 1  # both outcomes in the held-back month


def test_coll_7_the_demo_worklist_learns_its_model_instead_of_the_fallback(demo_history):
    from robinet.demo import worklist

    figures = worklist.seed_demo(TODAY)
    assert figures["risk_model"] is not None, figures["fallback_reason"]
    assert figures["fallback_reason"] == ""
    assert figures["auc"] == risk_model.train(as_of=TODAY, seed=7).metrics["auc"]
    assert figures["scored_accounts"] > 0
