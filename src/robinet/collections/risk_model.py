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
from decimal import Decimal

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
    x: list[Decimal]
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
    auc: float | None  # statistics, as numpy computes them (None: one outcome only)
    calibration: list[dict]  # per decile: n, predicted, observed
    n: int
    positive_rate: float


def evaluate(params: scoring.Params, samples: list[Sample]) -> Evaluation:
    """AUC and calibration by deciles, with the pure scorer (as used at run time)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    predicted = np.array([scoring.probability(params, s.x) for s in samples], dtype=float)
    observed = np.array([s.y for s in samples], dtype=int)
    auc = round(roc_auc_score(observed, predicted), 4) if len(set(observed)) == 2 else None
    order = np.lexsort((np.arange(len(samples)), predicted))
    table = []
    for decile, part in enumerate(np.array_split(order, 10), start=1):
        if not len(part):
            continue
        table.append(
            {
                "decile": decile,
                "n": len(part),
                "predicted": predicted[part].mean().round(4).item(),
                "observed": observed[part].mean().round(4).item(),
            }
        )
    return Evaluation(auc, table, len(samples), observed.mean().round(4).item())


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
    coefficients = model.coef_[0].round(8).tolist()
    # A larger debt must never lower the priority: the amount's coefficient is kept ≥ 0.
    amount = scoring.FEATURE_NAMES.index("log_amount")
    coefficients[amount] = max(coefficients[amount], 0)
    params = scoring.Params(  # turns numpy's binary floats into decimals
        features=scoring.FEATURE_NAMES,
        coefficients=tuple(coefficients),
        intercept=model.intercept_[0].round(8).item(),
        means=tuple(scaler.mean_.round(8).tolist()),
        scales=tuple(scales.round(8).tolist()),
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
        coefficients=[str(c) for c in result.params.coefficients],
        intercept=result.params.intercept,
        means=[str(m) for m in result.params.means],
        scales=[str(s) for s in result.params.scales],
        metrics={
            "auc": e.auc,
            "calibration": e.calibration,
            "test_rows": e.n,
            "test_positive_rate": e.positive_rate,
            "train_rows": result.train_rows,
        },
    )
