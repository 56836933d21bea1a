"""Learn the probability that an overdue debt stays unpaid from the utility's history (COLL-7).

Training set: monthly snapshots (the 1st of each month) over the history. On
each snapshot date ``D``, every account with an overdue debit gives one row —
its features on ``D`` (:func:`robinet.collections.worklist.load_features`) —
labelled 1 when one of the items overdue on ``D`` is still unpaid
``horizon`` days later (60 by default), 0 when all were paid by then. Only
snapshots whose outcome is known on ``as_of`` are used.

The later snapshots (the last quarter of the dates, at least one) are held
back: the model is trained on the earlier ones and evaluated on them, as it
will be used (on a future it has not seen). Evaluation: the AUC and a
calibration table by deciles of predicted probability (mean predicted vs
observed rate). The model — a scikit-learn logistic regression on
standardised features, fixed seed — is then stored as plain numbers in a
``RiskModel`` row; scoring uses :mod:`robinet.collections.scoring`, without
scikit-learn.

scikit-learn is imported here only (training is an offline command).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from robinet.collections import scoring, worklist
from robinet.collections.models import RiskModel
from robinet.core import clock
from robinet.core.exceptions import ApplicationError
from robinet.ledger.models import OpenItem

HORIZON_DAYS = 60
MIN_ROWS = 100
MAX_ROWS = 200_000  # per training set; beyond, a seeded sample


@dataclass(frozen=True)
class Sample:
    on: dt.date
    account_id: int
    x: list[float]
    y: int


def snapshot_dates(start: dt.date, last: dt.date) -> list[dt.date]:
    """The 1st of each month after ``start`` up to ``last``."""
    day = dt.date(start.year, start.month, 1)
    dates = []
    while day <= last:
        if day > start:
            dates.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return dates


def snapshot(on: dt.date, horizon: int, levels=None) -> list[Sample]:
    """One labelled row per account overdue on ``on``."""
    until = on + dt.timedelta(days=horizon)
    samples = []
    for chunk in worklist.chunks(worklist.overdue_accounts(on)):
        for fact in worklist.load_features(chunk, on=on, final_levels=levels):
            unpaid = any(cleared is None or cleared > until for _pk, cleared in fact.items)
            samples.append(Sample(on, fact.account_id, scoring.vector(fact.features), int(unpaid)))
    return samples


def history(as_of: dt.date, horizon: int) -> list[Sample]:
    first = OpenItem.objects.order_by("due_date").values_list("due_date", flat=True).first()
    if first is None:
        return []
    levels = worklist._final_levels()
    samples = []
    for on in snapshot_dates(first, as_of - dt.timedelta(days=horizon)):
        samples.extend(snapshot(on, horizon, levels))
    return samples


@dataclass(frozen=True)
class Evaluation:
    auc: float
    calibration: list[dict]  # per decile: n, predicted, observed
    n: int
    positive_rate: float


def evaluate(params: scoring.Params, samples: list[Sample]) -> Evaluation:
    """AUC and calibration by deciles, with the pure scorer (as used at run time)."""
    from sklearn.metrics import roc_auc_score

    predicted = [scoring.probability(params, s.x) for s in samples]
    observed = [s.y for s in samples]
    auc = roc_auc_score(observed, predicted) if len(set(observed)) == 2 else float("nan")
    order = sorted(range(len(samples)), key=lambda i: (predicted[i], i))
    table = []
    for decile in range(10):
        part = order[decile * len(order) // 10 : (decile + 1) * len(order) // 10]
        if not part:
            continue
        table.append(
            {
                "decile": decile + 1,
                "n": len(part),
                "predicted": round(sum(predicted[i] for i in part) / len(part), 4),
                "observed": round(sum(observed[i] for i in part) / len(part), 4),
            }
        )
    return Evaluation(
        round(float(auc), 4), table, len(samples), round(sum(observed) / len(samples), 4)
    )


@dataclass(frozen=True)
class Fit:
    params: scoring.Params
    evaluation: Evaluation
    train_rows: int
    period: tuple[dt.date, dt.date]
    test_start: dt.date


def fit(samples: list[Sample], *, seed: int = 7) -> Fit:
    """Train on the earlier snapshots, evaluate on the later ones (pure of the database)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    dates = sorted({s.on for s in samples})
    if len(samples) < MIN_ROWS or len(dates) < 2:
        raise ApplicationError(
            _(
                "Historique insuffisant pour apprendre un modèle (%(n)s situations sur "
                "%(d)s mois) : le score de repli reste utilisé."
            )
            % {"n": len(samples), "d": len(dates)},
            code="not_enough_history",
        )
    held = max(1, len(dates) // 4)
    test_start = dates[-held]
    train = [s for s in samples if s.on < test_start]
    test = [s for s in samples if s.on >= test_start]
    rng = np.random.default_rng(seed)
    if len(train) > MAX_ROWS:
        keep = sorted(rng.choice(len(train), MAX_ROWS, replace=False))
        train = [train[i] for i in keep]
    labels = {s.y for s in train}
    if len(labels) < 2:
        raise ApplicationError(
            _("L'historique ne contient qu'une seule issue : pas de modèle possible."),
            code="not_enough_history",
        )
    x = np.array([s.x for s in train], dtype=float)
    y = np.array([s.y for s in train], dtype=int)
    scaler = StandardScaler().fit(x)
    scales = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
    model.fit((x - scaler.mean_) / scales, y)
    coefficients = [float(c) for c in model.coef_[0]]
    # A larger debt must never lower the priority: the amount's coefficient is kept ≥ 0.
    amount = scoring.FEATURE_NAMES.index("log_amount")
    coefficients[amount] = max(coefficients[amount], 0.0)
    params = scoring.Params(
        features=scoring.FEATURE_NAMES,
        coefficients=tuple(round(c, 8) for c in coefficients),
        intercept=round(float(model.intercept_[0]), 8),
        means=tuple(round(float(m), 8) for m in scaler.mean_),
        scales=tuple(round(float(s), 8) for s in scales),
    )
    evaluation = evaluate(params, test or train)
    return Fit(params, evaluation, len(train), (train[0].on, train[-1].on), test_start)


def train(*, as_of: dt.date | None = None, seed: int = 7, horizon: int = HORIZON_DAYS) -> RiskModel:
    """Build the training set from the history up to ``as_of``, fit, evaluate, store."""
    as_of = as_of or clock.today()
    samples = history(as_of, horizon)
    result = fit(samples, seed=seed)
    e = result.evaluation
    return RiskModel.objects.create(
        trained_at=clock.now(),
        as_of=as_of,
        period_start=result.period[0],
        period_end=result.period[1],
        test_start=result.test_start,
        horizon_days=horizon,
        seed=seed,
        features=list(result.params.features),
        coefficients=list(result.params.coefficients),
        intercept=result.params.intercept,
        means=list(result.params.means),
        scales=list(result.params.scales),
        metrics={
            "auc": e.auc,
            "calibration": e.calibration,
            "test_rows": e.n,
            "test_positive_rate": e.positive_rate,
            "train_rows": result.train_rows,
        },
    )
