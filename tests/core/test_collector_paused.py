"""``core.bulk.collector_paused``: the cyclic collector is off inside a bulk job, back after."""

import gc

import pytest

from robinet.core.bulk import collector_paused


def test_the_collector_is_off_inside_and_back_on_after_even_on_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested jobs (a run chunk booking payments)
            assert not gc.isenabled()
        assert not gc.isenabled()
        raise RuntimeError
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
