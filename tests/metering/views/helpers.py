"""Held readings for the metering screen tests, through the real services."""

import datetime as dt

from tests.metering.factories import read


def _last_valid(sp):
    return sp.readings.filter(status="valid").order_by("-read_on").first()


def held_high(sp, on=dt.date(2025, 3, 1)):
    """A reading far above the usual consumption: held as ``high_consumption`` (METER-2)."""
    return read(sp, on, _last_valid(sp).index + 500)


def held_decrease(sp, on=dt.date(2025, 3, 1)):
    """An index below the previous one: held as ``index_decrease``."""
    return read(sp, on, _last_valid(sp).index - 50)
