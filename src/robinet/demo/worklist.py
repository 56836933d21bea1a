"""Demo of the collection worklist (COLL-7): learn the risk model if the history allows, score.

Called after the dunning demo: the demo's ledger has months of bills,
payments and notices, so a model can usually be learnt from it; when it
cannot (too small a demo), the fallback rule scores and the screen says so.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from robinet.collections import risk_model, worklist
from robinet.core import clock
from robinet.core.exceptions import ApplicationError


def seed_demo(today: dt.date) -> dict:
    """Train (when possible) and score as of ``today``; the figures for the demo's report."""
    with clock.as_of(timezone.make_aware(dt.datetime.combine(today, dt.time(21)))):
        try:
            model = risk_model.train(as_of=today, seed=7)
            note = ""
        except ApplicationError as exc:
            model, note = None, str(exc.message)
        result = worklist.score_run(on=today)
    return {
        "risk_model": model.pk if model else None,
        "auc": model.metrics["auc"] if model else None,
        "fallback_reason": note,
        "scored_accounts": result.scored,
    }
