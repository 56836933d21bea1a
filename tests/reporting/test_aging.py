"""REP-1 age buckets: every due date in exactly one bucket, exact boundaries, monotone."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from robinet.reporting import aging

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


def _containing(age: int) -> list[str]:
    """The buckets whose [min, max] range holds ``age`` (open ends as infinities)."""
    return [
        b.key
        for b in aging.BUCKETS
        if (b.min_days is None or age >= b.min_days) and (b.max_days is None or age <= b.max_days)
    ]


@given(as_of=dates, due=dates)
def test_rep1_every_due_date_lands_in_exactly_one_bucket(as_of, due):
    age = aging.age_days(as_of, due)
    found = _containing(age)
    assert len(found) == 1
    assert aging.bucket_of(as_of, due) == found[0]


@given(as_of=dates, due=dates)
def test_rep1_sql_cutoffs_bucket_like_the_rule(as_of, due):
    assert aging.bucket_by_cutoffs(as_of, due) == aging.bucket_of(as_of, due)


@given(as_of=dates, due=dates, later=st.integers(min_value=0, max_value=2000))
def test_rep1_buckets_are_monotone_in_the_as_of_date(as_of, due, later):
    """An item only gets older: a later as-of date never puts it in a younger bucket."""
    order = {k: i for i, k in enumerate(aging.KEYS)}
    try:
        after = as_of + dt.timedelta(days=later)
    except OverflowError:
        return
    assert order[aging.bucket_of(after, due)] >= order[aging.bucket_of(as_of, due)]


def test_rep1_boundaries_are_exact():
    on = dt.date(2026, 3, 2)
    expected = {
        -1: "not_due",
        0: "d0_30",
        30: "d0_30",
        31: "d31_60",
        60: "d31_60",
        61: "d61_90",
        90: "d61_90",
        91: "d91_180",
        180: "d91_180",
        181: "d181_365",
        365: "d181_365",
        366: "y1_2",
        730: "y1_2",
        731: "y2_plus",
        5000: "y2_plus",
    }
    for age, key in expected.items():
        due = on - dt.timedelta(days=age)
        assert aging.bucket_of(on, due) == key, age
        assert aging.bucket_by_cutoffs(on, due) == key, age


def test_rep1_buckets_tile_the_ages_without_gaps():
    for previous, bucket in zip(aging.BUCKETS, aging.BUCKETS[1:], strict=False):
        assert bucket.min_days == previous.max_days + 1
    assert aging.BUCKETS[0].min_days is None
    assert aging.BUCKETS[-1].max_days is None
