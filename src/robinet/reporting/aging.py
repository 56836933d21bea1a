"""The age buckets of the aged balance (REP-1), as a pure rule.

Age in days = as-of date − due date. An item whose due date is after the
as-of date is *not due*. The buckets, in order: not due, 0–30, 31–60, 61–90,
91–180, 181–365, 1–2 years (366–730 days), > 2 years (731 days and more).

The database buckets with ``CASE WHEN due_date >= cut-off`` on the dates of
:func:`cutoffs`, so that a single aggregate query ages millions of items
without computing an age per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    #: the smallest age (days) in the bucket; None for "not due" (negative ages)
    min_days: int | None
    #: the largest age (days) in the bucket; None for the last (open-ended) bucket
    max_days: int | None


BUCKETS: tuple[Bucket, ...] = (
    Bucket("not_due", _("Non échu"), None, -1),
    Bucket("d0_30", _("0–30 j"), 0, 30),
    Bucket("d31_60", _("31–60 j"), 31, 60),
    Bucket("d61_90", _("61–90 j"), 61, 90),
    Bucket("d91_180", _("91–180 j"), 91, 180),
    Bucket("d181_365", _("181–365 j"), 181, 365),
    Bucket("y1_2", _("1–2 ans"), 366, 730),
    Bucket("y2_plus", _("> 2 ans"), 731, None),
)

KEYS: tuple[str, ...] = tuple(b.key for b in BUCKETS)


def age_days(as_of: dt.date, due_date: dt.date) -> int:
    return (as_of - due_date).days


def bucket_of(as_of: dt.date, due_date: dt.date) -> str:
    """The key of the bucket an item due on ``due_date`` falls in at ``as_of``."""
    age = age_days(as_of, due_date)
    if age < 0:
        return BUCKETS[0].key
    for bucket in BUCKETS[1:]:
        if bucket.max_days is None or age <= bucket.max_days:
            return bucket.key
    raise AssertionError("unreachable: the last bucket is open-ended")


def cutoffs(as_of: dt.date) -> list[tuple[str, dt.date | None]]:
    """``(bucket key, earliest due date in it)`` in bucket order; None for the open-ended last one.

    An item belongs to the first bucket whose cut-off its due date is on or
    after: ``CASE WHEN due_date >= c0 THEN k0 WHEN due_date >= c1 THEN k1 … ELSE last``.
    """
    result: list[tuple[str, dt.date | None]] = []
    for bucket in BUCKETS:
        if bucket.max_days is None:
            result.append((bucket.key, None))
        else:
            # age <= max_days  ⇔  due_date >= as_of − max_days
            result.append((bucket.key, as_of - dt.timedelta(days=bucket.max_days)))
    return result


def bucket_by_cutoffs(as_of: dt.date, due_date: dt.date) -> str:
    """The same bucket as :func:`bucket_of`, found the way the SQL does (for tests and parity)."""
    for key, cut in cutoffs(as_of):
        if cut is None or due_date >= cut:
            return key
    raise AssertionError("unreachable: the last cut-off is open-ended")
