import datetime as dt

import pytest

from tests.billing import factories
from tests.metering.factories import occupied_point as _occupied_point
from tests.metering.factories import read


@pytest.fixture
def tariff(db):
    return factories.tariff()


@pytest.fixture
def billed(org, tariff):
    """An individual billed once for the first half of 2025 (60 m³)."""
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "160")
    factories.run(dt.date(2025, 6, 30))
    return account.invoices.get()


def occupied_point(centre, *, start, index="100", **kwargs):
    """An occupied point (the move-in records its reading)."""
    return _occupied_point(centre, start=start, index=index, move_in_reading=True, **kwargs)
