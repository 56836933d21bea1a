"""Metering test data through the real services."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

from robinet.customers import hooks
from robinet.metering import services
from tests.customers import factories as customer_factories


@contextmanager
def contract_readings_off():
    """Moves without their reading: metering tests record every reading themselves."""
    saved = hooks._contract_reading_recorder
    hooks._contract_reading_recorder = None
    try:
        yield
    finally:
        hooks._contract_reading_recorder = saved


def occupied_point(
    centre, *, start=dt.date(2023, 1, 1), index="100", use="main_residence", move_in_reading=False
):
    """A service point with its meter and an active contract of an individual customer.

    Without ``move_in_reading`` the move-in records no reading, so that a test
    controls the readings of the point; with it, the move-in records its
    reading as in production.
    """
    account = customer_factories.person(centre)
    sp = customer_factories.service_point(centre, premises_use=use)
    if move_in_reading:
        customer_factories.moved_in(account, sp, start=start, index=index)
    else:
        with contract_readings_off():
            customer_factories.moved_in(account, sp, start=start, index=index)
    return account, sp


def read(sp, on, index, source="field", actor=None, **extra):
    return services.reading_record(
        actor=actor, service_point=sp, read_on=on, index=Decimal(str(index)), source=source, **extra
    )


def regular_history(sp, *, start=dt.date(2023, 1, 1), first=100, per_period=30, periods=8):
    """Readings every 91 days consuming ``per_period`` m³ each (≈0.33 m³/day)."""
    readings = []
    for n in range(periods + 1):
        readings.append(read(sp, start + dt.timedelta(days=91 * n), first + per_period * n))
    return readings
