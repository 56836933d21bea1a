"""COLL-7: the risk model learnt from the utility's own history — reproducible, evaluated."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from robinet.collections import risk_model, scoring, worklist
from robinet.collections.models import AccountScore, RiskModel
from robinet.core.exceptions import ApplicationError
from robinet.ledger.imports import import_open_items
from robinet.ledger.models import OpenItem
from tests.customers import factories

pytestmark = pytest.mark.django_db


def synthetic_samples(n=600, seed=1):
    """Rows where older, higher-level debts stay unpaid more often."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        f = scoring.Features(
            amount=Decimal(rng.randint(20, 900)), oldest_days=rng.randint(1, 300),
            open_items=rng.randint(1, 5), level=rng.randint(0, 3),
            rejects_12m=rng.randint(0, 2), broken_promises=rng.randint(0, 1), broken_plans=0,
            professional=rng.random() < 0.2, public_body=False,
            tenure_days=rng.randint(0, 4000), notices=rng.randint(0, 4),
            main_residence=rng.random() < 0.7,
        )  # fmt: skip
        logit = -2 + f.oldest_days / 100 + 0.5 * f.level + 0.7 * f.rejects_12m
        y = int(rng.random() < 1 / (1 + 2.718**-logit))
        on = dt.date(2025, 1 + i * 12 // n, 1)
        rows.append(risk_model.Sample(on, i, scoring.vector(f), y))
    return rows


def test_training_is_reproducible_with_a_fixed_seed():
    samples = synthetic_samples()
    first, second = risk_model.fit(samples, seed=7), risk_model.fit(samples, seed=7)
    assert first.params == second.params
    assert first.evaluation == second.evaluation
    assert first.evaluation.auc > 0.7
    assert first.test_start == dt.date(2025, 10, 1)  # the last quarter of the months held back
    assert sum(row["n"] for row in first.evaluation.calibration) == first.evaluation.n
    assert len(first.evaluation.calibration) == 10
    # it learnt what the history says
    weights = dict(zip(first.params.features, first.params.coefficients, strict=True))
    assert weights["oldest_days"] > 0
    assert weights["level"] > 0
    assert weights["rejects_12m"] > 0


def test_not_enough_history_is_said():
    with pytest.raises(ApplicationError) as exc:
        risk_model.fit(synthetic_samples(n=20))
    assert exc.value.code == "not_enough_history"


def test_snapshot_dates_are_monthly():
    dates = risk_model.snapshot_dates(dt.date(2025, 1, 15), dt.date(2025, 4, 1))
    assert dates == [dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)]


def _history(org, accounts=30, seed=3):
    """Each account gets a bill a month in 2025; bad payers (1 in 3) never pay."""
    rng = random.Random(seed)
    lines = []
    bad = set()
    for n in range(accounts):
        account = factories.person(org.centres[n % 2])
        if n % 3 == 0:
            bad.add(account.pk)
        for month in range(1, 11):
            posted = dt.date(2025, month, 1)
            lines.append(
                f"{account.number};H{account.pk}-{month};{posted};"
                f"{posted + dt.timedelta(days=15)};{rng.randint(30, 200)}.00;Facture"
            )
    import_open_items(
        ("account;document;date;due_date;amount;label\n" + "\n".join(lines) + "\n").encode(),
        filename="historique.csv",
        force=True,
    )
    for item in OpenItem.objects.exclude(account_id__in=bad).filter(amount__gt=0):
        paid = item.due_date + dt.timedelta(days=rng.choice([5, 20, 40]))
        if paid < dt.date(2026, 3, 2):
            OpenItem.objects.filter(pk=item.pk).update(open_amount=0, cleared_on=paid)
    return bad


def test_train_on_the_ledger_history_stores_the_model(org):
    bad = _history(org)
    model = risk_model.train(as_of=dt.date(2026, 3, 2), seed=7)
    again = risk_model.train(as_of=dt.date(2026, 3, 2), seed=7)
    assert RiskModel.objects.count() == 2
    assert model.coefficients == again.coefficients
    assert model.metrics == again.metrics
    assert model.metrics["auc"] > 0.8
    assert model.features == list(scoring.FEATURE_NAMES)
    assert model.period_start < model.test_start <= model.period_end + dt.timedelta(days=31)
    assert len(model.metrics["calibration"]) == 10
    # and the stored numbers score without scikit-learn: bad payers come first
    result = worklist.score_run(on=dt.date(2026, 3, 2))
    assert result.model == again

    top = list(AccountScore.objects.order_by("-probability")[: len(bad)])
    assert {s.account_id for s in top} == bad
