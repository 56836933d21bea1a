"""Power cut during an import (issue 13, principle 5): ``robinet readings import`` killed
with SIGKILL while it is writing leaves nothing behind — no reading, no record of the file —
and the same file then imports whole, as if nothing had happened."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from robinet.core import clock
from robinet.core.models import ImportFile
from robinet.customers.models import Meter
from robinet.demo.generator import generate
from robinet.metering.models import Reading

pytestmark = pytest.mark.django_db(transaction=True)

MONTHS = 10
WRITING = """
    SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE c.relname = ANY(%s) AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()
"""


def _readings_file(path, today: dt.date) -> int:
    lines = ["meter_serial;date;index;source"]
    first = today - dt.timedelta(days=30 * MONTHS)
    for n, serial in enumerate(Meter.objects.order_by("pk").values_list("serial", flat=True)):
        index = 1000 + n % 97
        for month in range(MONTHS):
            index += 3 + (n + month) % 11
            on = first + dt.timedelta(days=30 * month)
            lines.append(f"{serial};{on.isoformat()};{index};field")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def test_an_import_killed_while_writing_leaves_nothing_and_then_imports_whole(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL")
    today = clock.today()
    generate(customers=2000, today=today - dt.timedelta(days=30 * MONTHS + 30))
    csv = tmp_path / "releves.csv"
    rows = _readings_file(csv, today)
    before = Reading.objects.count(), ImportFile.objects.count()

    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ROBINET_"))},
        "DJANGO_SETTINGS_MODULE": "robinet.settings",
        "ROBINET_DEBUG": "1",
        "ROBINET_DATABASE_URL": url,
    }
    command = [sys.executable, "-m", "robinet", "readings", "import", str(csv)]
    process = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    tables = ["metering_reading", "core_importfile"]
    writing = False
    with psycopg.connect(url, autocommit=True) as watcher:
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            if watcher.execute(WRITING, (tables,)).fetchone()[0]:
                writing = True
                break
            time.sleep(0.01)
    assert writing, "the import ended before it was seen writing"
    os.killpg(process.pid, signal.SIGKILL)  # the power cut
    process.wait(timeout=60)

    assert (Reading.objects.count(), ImportFile.objects.count()) == before

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert Reading.objects.count() == before[0] + rows
    assert ImportFile.objects.count() == before[1] + 1
