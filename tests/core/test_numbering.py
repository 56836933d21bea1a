"""Gapless numbering: strictly increasing, no gap on rollback, safe under concurrency.

French invoices (and FEC journal entries) need one unbroken chronological
series; STYLE "Ledger": entry numbers are assigned at posting from a yearly
sequence.
"""

import threading
import time
from contextlib import contextmanager

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.transaction import TransactionManagementError

from robinet.core.models import Sequence
from robinet.core.numbering import (
    current_number,
    format_number,
    next_number,
    next_numbers,
    set_sequence_at_least,
)


class Rollback(Exception):
    pass


@contextmanager
def rolled_back(using: str = DEFAULT_DB_ALIAS):
    """A transaction that rolls back at the end of the block, as a failed service would."""
    try:
        with transaction.atomic(using=using):
            yield
            raise Rollback
    except Rollback:
        pass


# --- sequential behaviour (any database) --------------------------------------


@pytest.mark.django_db
def test_numbers_start_at_one_and_increase_per_series_and_year():
    assert next_number("invoice", 2026) == 1
    assert next_number("invoice", 2026) == 2
    assert next_number("invoice", 2027) == 1  # a new year starts again
    assert next_number("credit_note", 2026) == 1  # series are independent
    assert next_number("customer") == 1  # year 0: not yearly
    assert next_number("invoice", 2026) == 3
    assert current_number("invoice", 2026) == 3
    assert current_number("never_used") == 0
    assert Sequence.objects.count() == 4


@pytest.mark.django_db
def test_next_numbers_reserves_a_block():
    assert next_number("invoice", 2026) == 1
    assert next_numbers("invoice", 100, 2026) == range(2, 102)
    assert next_number("invoice", 2026) == 102
    assert next_numbers("fresh", 3) == range(1, 4)


@pytest.mark.django_db
def test_rolled_back_number_is_given_again():
    """Gapless: a number taken by a transaction that rolls back is not consumed."""
    assert next_number("invoice", 2026) == 1
    with rolled_back():
        assert next_number("invoice", 2026) == 2
        assert list(next_numbers("invoice", 5, 2026)) == [3, 4, 5, 6, 7]
    assert next_number("invoice", 2026) == 2


@pytest.mark.django_db
def test_rolled_back_first_use_leaves_no_row():
    with rolled_back():
        next_number("brand_new")
    assert not Sequence.objects.filter(series="brand_new").exists()
    assert next_number("brand_new") == 1


@pytest.mark.django_db
def test_set_sequence_at_least_only_moves_forward():
    assert set_sequence_at_least("invoice", 2025, 120) == 120  # creates the row
    assert next_number("invoice", 2025) == 121
    assert set_sequence_at_least("invoice", 2025, 50) == 121  # never backwards
    assert set_sequence_at_least("invoice", 2025, 500) == 500
    assert next_number("invoice", 2025) == 501
    assert set_sequence_at_least("other", 0, 0) == 0
    assert next_number("other") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call", "args"),
    [
        (next_number, ("", 2026)),
        (next_number, ("x" * 65, 2026)),
        (next_number, ("invoice", -1)),
        (next_number, ("invoice", 10000)),
        (next_number, ("invoice", True)),
        (next_numbers, ("invoice", 0)),
        (set_sequence_at_least, ("invoice", 2026, -1)),
    ],
)
def test_bad_arguments_are_refused_case(call, args):
    with pytest.raises(ValueError):
        call(*args)


@pytest.mark.django_db(transaction=True)
def test_refuses_to_number_outside_a_transaction():
    """In autocommit the number would commit before the document exists: a gap on failure."""
    with pytest.raises(TransactionManagementError):
        next_number("invoice", 2026)
    with transaction.atomic():
        assert next_number("invoice", 2026) == 1


@pytest.mark.django_db(transaction=True)
def test_committed_numbers_survive_and_rollback_returns_the_number():
    with transaction.atomic():
        assert next_number("invoice", 2026) == 1
    with rolled_back():
        assert next_number("invoice", 2026) == 2
    with transaction.atomic():
        assert next_number("invoice", 2026) == 2
    assert Sequence.objects.get(series="invoice", year=2026).last_value == 2


@pytest.mark.parametrize(
    ("prefix", "year", "value", "width", "expected"),
    [
        ("FAC", 2026, 42, 6, "FAC-2026-000042"),
        ("AV", 0, 42, 6, "AV-000042"),
        ("", 2026, 7, 4, "2026-0007"),
        ("FAC", 2026, 1234567, 6, "FAC-2026-1234567"),  # never truncated
    ],
)
def test_format_number_case(prefix, year, value, width, expected):
    assert format_number(prefix, year, value, width) == expected


def test_format_number_separator_and_refusal():
    assert format_number("E", 2026, 3, 3, separator="/") == "E/2026/003"
    with pytest.raises(ValueError):
        format_number("FAC", 2026, 0)


# --- concurrency: threads, each with its own connection ------------------------
# Runs on PostgreSQL (row lock) and on SQLite (a file database: BEGIN IMMEDIATE).


def test_concurrency_database_is_a_real_one(concurrent_db):
    assert concurrent_db.vendor == connection.vendor
    if concurrent_db.vendor == "sqlite":
        db = connections[concurrent_db.alias]
        assert db.settings_dict["NAME"].endswith(".sqlite3")
        assert db.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_second_writer_waits_for_the_first_and_gets_the_next_number(concurrent_db, start_worker):
    db = concurrent_db.alias
    took, release = threading.Event(), threading.Event()

    def first():
        with transaction.atomic(using=db):
            number = next_number("invoice", 2026, using=db)
            took.set()
            release.wait(10)
            return number

    def second():
        with transaction.atomic(using=db):
            return next_number("invoice", 2026, using=db)

    a = start_worker(first)
    assert took.wait(10)
    b = start_worker(second)
    time.sleep(0.5)
    assert b.is_alive(), "the second writer must wait for the first one's lock"
    release.set()
    assert a.outcome() == 1
    assert b.outcome() == 2


def test_waiting_writer_reuses_the_number_of_a_rolled_back_one(concurrent_db, start_worker):
    db = concurrent_db.alias
    took, release = threading.Event(), threading.Event()
    with transaction.atomic(using=db):
        next_number("invoice", 2026, using=db)  # the series is at 1

    def first_rolls_back():
        with rolled_back(using=db):
            number = next_number("invoice", 2026, using=db)
            took.set()
            release.wait(10)
        return number

    def second():
        with transaction.atomic(using=db):
            return next_number("invoice", 2026, using=db)

    a = start_worker(first_rolls_back)
    assert took.wait(10)
    b = start_worker(second)
    time.sleep(0.3)
    release.set()
    assert a.outcome() == 2
    assert b.outcome() == 2  # no gap


def test_simultaneous_first_use_of_a_series_does_not_collide(concurrent_db, start_worker):
    db = concurrent_db.alias
    barrier = threading.Barrier(4)

    def take():
        barrier.wait(10)
        with transaction.atomic(using=db):
            return next_number("brand_new", 2026, using=db)

    workers = [start_worker(take) for _ in range(4)]
    assert sorted(w.outcome() for w in workers) == [1, 2, 3, 4]


def test_many_writers_get_every_number_exactly_once(concurrent_db, start_worker):
    db = concurrent_db.alias
    threads, per_thread = 4, 20
    barrier = threading.Barrier(threads)

    def take_many():
        barrier.wait(10)
        taken = []
        for i in range(per_thread):
            with transaction.atomic(using=db):
                if i % 2:
                    taken.append(next_number("invoice", 2026, using=db))
                else:
                    taken.extend(next_numbers("invoice", 2, 2026, using=db))
        return taken

    workers = [start_worker(take_many) for _ in range(threads)]
    numbers = [n for w in workers for n in w.outcome()]
    expected = threads * (per_thread // 2) * 3
    assert sorted(numbers) == list(range(1, expected + 1))
    for w in workers:  # each thread sees its own numbers strictly increasing
        assert w.result == sorted(w.result)


def test_postgresql_lock_is_a_row_lock_not_a_table_lock(concurrent_db, start_worker):
    """On PostgreSQL another series is not blocked by a writer holding one series."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")
    took, release = threading.Event(), threading.Event()
    with transaction.atomic():
        next_number("other", 2026)

    def hold():
        with transaction.atomic():
            next_number("invoice", 2026)
            took.set()
            release.wait(10)

    def other():
        with transaction.atomic():
            return next_number("other", 2026)

    holder = start_worker(hold)
    assert took.wait(10)
    try:
        assert start_worker(other).outcome(timeout=5) == 2
    finally:
        release.set()
    holder.outcome()
