"""Fixtures for the core kernel tests: a database several threads can write at once."""

import copy
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.utils import load_backend

from robinet.core.models import Sequence


class ConcurrentDatabase:
    """A database alias on which threads each get their own connection and really compete.

    On PostgreSQL it is the test database itself. SQLite's in-memory test
    database cannot be shared by writing threads (shared-cache mode fails at
    once with "database table is locked" instead of waiting), so on SQLite it
    is a throwaway *file* database with the product's connection options
    (``BEGIN IMMEDIATE``, WAL, busy timeout) holding the tables the tests
    need. That connection is made per thread (``attach``), outside
    ``settings.DATABASES``, which is how Django lets a test use a database
    created on the fly.
    """

    def __init__(self, alias: str, settings_dict: dict[str, Any] | None = None) -> None:
        self.alias = alias
        self._settings = settings_dict

    @property
    def vendor(self) -> str:
        return connections[self.alias].vendor

    def attach(self) -> None:
        if self._settings is not None:
            backend = load_backend(self._settings["ENGINE"])
            connections[self.alias] = backend.DatabaseWrapper(
                copy.deepcopy(self._settings), self.alias
            )

    def detach(self) -> None:
        if self._settings is not None:
            connections[self.alias].close()
            del connections[self.alias]


@pytest.fixture
def concurrent_db(transactional_db, tmp_path):
    if connection.vendor == "postgresql":
        yield ConcurrentDatabase(DEFAULT_DB_ALIAS)
        return
    if connection.vendor != "sqlite":  # pragma: no cover
        pytest.skip(f"no concurrency fixture for {connection.vendor}")
    settings_dict = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    settings_dict["NAME"] = str(tmp_path / "concurrency.sqlite3")
    settings_dict["TEST"] = {"NAME": settings_dict["NAME"]}
    database = ConcurrentDatabase("core_concurrency_sqlite", settings_dict)
    database.attach()
    try:
        with connections[database.alias].schema_editor() as editor:
            editor.create_model(Sequence)
        yield database
    finally:
        database.detach()


class Worker(threading.Thread):
    """A thread with its own database connections; keeps the result or the exception."""

    def __init__(self, target: Callable[[], Any], database: ConcurrentDatabase | None) -> None:
        super().__init__(daemon=True)
        self._work = target
        self._database = database
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            if self._database is not None:
                self._database.attach()
            self.result = self._work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
        finally:
            if self._database is not None:
                self._database.detach()
            connections.close_all()

    def outcome(self, timeout: float = 30) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "worker did not finish"
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def start_worker(request):
    """``start_worker(fn)`` runs ``fn`` in a new thread (attached to ``concurrent_db`` if used)."""
    database = (
        request.getfixturevalue("concurrent_db")
        if "concurrent_db" in request.fixturenames
        else None
    )
    workers: list[Worker] = []

    def start(target: Callable[[], Any]) -> Worker:
        worker = Worker(target, database)
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.join(30)
