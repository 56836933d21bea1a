import datetime as dt

import pytest
import time_machine

from tests.backoffice.conftest import agency_user, auditor, web  # noqa: F401
from tests.metering.factories import occupied_point, regular_history

NOW = dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def occupied(org):
    """(account, service point) of the first centre with eight regular quarters (30 m³ each)."""
    account, sp = occupied_point(org.centres[0])
    regular_history(sp)
    return account, sp


@pytest.fixture
def elsewhere(org):
    """(account, service point) of another agency's centre, same history."""
    account, sp = occupied_point(org.centres[2])
    regular_history(sp)
    return account, sp
