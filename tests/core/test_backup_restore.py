"""Backups: a ``pg_dump`` of a billed and paid utility restores into an empty database with
every row and every invariant (issue 13, ``docs/operations.md`` « Backups and restore »)."""

import datetime as dt
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from robinet.core import clock
from tests.demo.utility import billed_and_paid

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2026, 11, 22)
TABLES = ("billing_invoice", "ledger_openitem", "ledger_allocation", "ledger_journalline")


def _count(url: str, table: str) -> int:
    out = subprocess.run(
        ["psql", url, "-tAc", f"SELECT count(*) FROM {table}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def test_a_dump_restores_whole_and_consistent(monkeypatch, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("needs the PostgreSQL client tools (pg_dump, pg_restore)")
    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))):
        billed_and_paid(monkeypatch, tmp_path, today=TODAY, customers=40, seed=3)

    settings = connection.settings_dict
    base = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    source = f"{base}/{settings['NAME']}"
    copy_name = f"restore_{uuid.uuid4().hex[:10]}"
    copy = f"{base}/{copy_name}"
    dump = tmp_path / "robinet.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source], check=True)
    subprocess.run(["createdb", "-h", settings["HOST"] or "127.0.0.1", "-U", settings["USER"],
                    copy_name], check=True)  # fmt: skip
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={copy}", str(dump)], check=True)
        for table in TABLES:
            assert _count(copy, table) == _count(source, table) > 0, table
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "ROBINET_DATABASE_URL": copy,
            "ROBINET_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "robinet.settings",
        }
        checked = subprocess.run(
            [sys.executable, "-m", "robinet", "check", "--data-only"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "invariants respectés" in checked.stdout
        migrated = subprocess.run(
            [sys.executable, "-m", "robinet", "migrate", "--check"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    finally:
        subprocess.run(["dropdb", "-h", settings["HOST"] or "127.0.0.1", "-U", settings["USER"],
                        "--if-exists", copy_name], check=False)  # fmt: skip
