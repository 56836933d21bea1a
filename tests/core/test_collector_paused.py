"""``core.bulk.collector_paused``: the cyclic collector is off inside a bulk job, back after."""

import gc

import pytest

from robinet.core.bulk import collector_paused


def _job_that_fails(seen: list[bool]) -> None:
    with collector_paused():
        seen.append(gc.isenabled())
        with collector_paused():  # nested jobs (a run chunk booking payments)
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())
        raise RuntimeError


def test_the_collector_is_off_inside_and_back_on_after_even_on_an_error():
    assert gc.isenabled()
    seen: list[bool] = []
    with pytest.raises(RuntimeError):
        _job_that_fails(seen)
    assert seen == [False, False, False]
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_it_decorates_the_bulk_services():
    from robinet.metering.imports import import_readings
    from robinet.payments.booking import book_payments

    for service in (import_readings, book_payments):
        assert service.__wrapped__  # functools.wraps by ContextDecorator
