"""The reporting snapshot (REP-1, REP-2 at full size): the same figures as the live database.

The snapshot is a consistent copy of what the aged balance and the recovery
report read, scanned by DuckDB; these tests hold it to the cent against the
live SQL on a demo utility's real ledger, at several dates.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.ledger.models import OpenItem
from robinet.organisation.models import Entity, EntityKind
from robinet.reporting import snapshot
from robinet.reporting.management.commands.report import operator
from robinet.reporting.params import Params
from robinet.reporting.registry import report_run
from robinet.reporting.reports import aged_balance, recovery
from tests.reporting.conftest import DEMO_TODAY

pytestmark = pytest.mark.django_db

TODAY = DEMO_TODAY


@pytest.fixture(autouse=True)
def folder(settings, tmp_path):
    settings.ROBINET_REPORTING_SNAPSHOT_DIR = tmp_path / "reporting"
    return settings.ROBINET_REPORTING_SNAPSHOT_DIR


def _centres() -> list[int]:
    return list(Entity.objects.filter(kind=EntityKind.CENTRE).values_list("pk", flat=True))


def _dates() -> list[dt.date]:
    first = OpenItem.objects.order_by("posted_on").values_list("posted_on", flat=True).first()
    return [first + (TODAY - first) * k / 4 for k in range(1, 5)]


def test_rep1_rep2_snapshot_figures_equal_the_live_ones_to_the_cent(demo):
    taken, _seconds = snapshot.take()
    assert taken.rows[OpenItem._meta.db_table] == OpenItem.objects.count()
    centres = _centres()
    for on in _dates():
        for group in (("centre_id", "customer_class"), ("account_id",)):
            live = aged_balance.aged_figures(on, centres=centres, group=group)
            snap = aged_balance.aged_figures(on, centres=centres, group=group, source=taken)
            assert sorted(snap, key=repr) == sorted(live, key=repr), (on, group)
        assert aged_balance.customers_ledger_balance(
            on, centres=centres, source=taken
        ) == aged_balance.customers_ledger_balance(on, centres=centres), on
        start = on - dt.timedelta(days=364)
        assert recovery.recovery_figures(
            centres, start, on, on, taken
        ) == recovery.recovery_figures(centres, start, on, on), on
    # an account's items, the deepest drill-down
    account_id = OpenItem.objects.filter(cleared_on__isnull=True).values("account_id")[:1]
    item = OpenItem.objects.get(pk=OpenItem.objects.filter(account_id__in=account_id)[:1])
    args = dict(centres=centres, group=("item_id",), account_id=item.account_id)
    items = aged_balance.aged_figures(TODAY, **args, source=taken)
    assert sorted(items, key=repr) == sorted(aged_balance.aged_figures(TODAY, **args), key=repr)


def test_rep1_the_report_reads_a_recent_snapshot_and_says_so(demo):
    snapshot.take()
    tables = aged_balance.build(operator(), Params(on=TODAY))
    assert any("instantané de reporting du 22/11/2026" in n for n in tables[0].notes)
    live = aged_balance.build(operator(), Params(on=TODAY, extra={"source": "live"}))
    assert not any("instantané" in n for n in live[0].notes)
    assert [r.cells for r in live[-1].rows] == [r.cells for r in tables[-1].rows]


def test_rep1_a_snapshot_is_a_moment_later_entries_are_not_in_it(demo, settings):
    taken, _seconds = snapshot.take()
    item = OpenItem.objects.filter(cleared_on__isnull=True, amount__gt=0).first()
    centres = [item.account.centre_id]
    before = aged_balance.aged_figures(TODAY, centres=centres, group=("centre_id",))
    OpenItem.objects.create(
        account=item.account,
        kind="opening",
        document_number="REPRISE-TEST",
        posted_on=TODAY,
        due_date=TODAY,
        amount=Decimal("12.34"),
        open_amount=Decimal("12.34"),
    )
    after = aged_balance.aged_figures(TODAY, centres=centres, group=("centre_id",))
    from_snapshot = aged_balance.aged_figures(
        TODAY, centres=centres, group=("centre_id",), source=taken
    )
    assert from_snapshot == before != after
    # too old a snapshot is not read: the report computes live
    settings.ROBINET_REPORTING_SNAPSHOT_MAX_AGE = 0
    assert snapshot.for_report({}) is None


def test_rep2_source_is_checked_and_named_in_errors(db):
    with pytest.raises(ValidationFailed) as caught:
        report_run(user=operator(), name="recovery", params=Params(on=TODAY, extra={"source": "x"}))
    assert "source" in caught.value.fields
    # no snapshot yet: the reports read the database
    assert snapshot.current() is None
    assert snapshot.for_report({"source": "snapshot"}) is None


def test_rep2_command_writes_shows_and_keeps_two_snapshots(db, folder):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("report-snapshot", "--show", stdout=out)
    for minute in range(3):
        moment = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(2, minute)))
        with clock.as_of(moment):
            call_command("report-snapshot", stdout=out)
    assert "ledger_openitem" in out.getvalue()
    kept = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert len(kept) == 2
    assert (folder / "current").read_text() == kept[-1]
    shown = io.StringIO()
    call_command("report-snapshot", "--show", stdout=shown)
    assert kept[-1] in shown.getvalue()
    with pytest.raises(CommandError, match="--keep"):
        call_command("report-snapshot", "--keep", "0")


def test_rep2_a_failed_snapshot_leaves_the_current_one(db, folder, monkeypatch):
    first, _seconds = snapshot.take()

    def broken(part, source, target):
        raise OSError("disque plein")

    monkeypatch.setattr(snapshot, "_to_parquet", broken)
    later = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(13)))
    with clock.as_of(later), pytest.raises(OSError):
        snapshot.take()
    assert snapshot.current().path == first.path
    assert [p for p in folder.iterdir() if p.is_dir()] == [first.path]
    assert json.loads((first.path / "meta.json").read_text())["format"] == snapshot.FORMAT


def test_rep1_screen_shows_the_source_and_computes_live_on_demand(demo, manager, web):
    snapshot.take()
    web.login(manager)
    page = web.get("/reporting/aged-balance/").content.decode()
    assert 'data-source="snapshot"' in page
    assert "Calculer en direct" in page
    page = web.get("/reporting/aged-balance/", data={"source": "live"}).content.decode()
    assert 'data-source="live"' in page
    assert "Lire l'instantané du 22/11/2026" in page
    response = web.get("/reporting/recovery/", data={"source": "nope"})
    assert response.status_code == 400


def test_rep1_a_snapshot_query_stays_within_the_operators_threads_and_memory(settings):
    """REP-1 on a shared web server: DuckDB takes the configured bounds, not every core."""
    settings.ROBINET_REPORTING_DUCKDB_THREADS = 1
    settings.ROBINET_REPORTING_DUCKDB_MEMORY = "256MB"
    con = snapshot.duckdb_connect()
    try:
        threads, memory = con.execute(
            "SELECT current_setting('threads'), current_setting('memory_limit')"
        ).fetchone()
    finally:
        con.close()
    assert threads == 1
    assert memory == "244.1 MiB"  # 256 MB, as DuckDB prints it
