"""REP-2 collection outcomes: dunning levels, plan and promise keep rates, agencies, litigation."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from robinet.collections import agencies, plans
from robinet.collections.models import Instalment, PaymentPromise
from robinet.collections.models_litigation import LitigationFile, LitigationItem
from robinet.reporting.params import parse
from robinet.reporting.registry import report_run
from tests.collections.agency_fixtures import agency  # noqa: F401
from tests.collections.conftest import bill
from tests.collections.notice_factories import notice
from tests.metering.factories import occupied_point
from tests.reporting.test_recovery import at, pay

YEAR = {"start": "2025-01-01", "end": "2025-12-31", "date": "2026-03-02"}


def run(user, **values):
    _definition, tables = report_run(
        user=user, name="collection-outcomes", params=parse({**YEAR, **values})
    )
    return {t.key: t for t in tables}


def account_in(centre):
    account, _sp = occupied_point(centre, start=dt.date(2024, 1, 1))
    return account


def test_rep2_outcomes_per_dunning_level(household, manager, org):
    """REP-2: three notices at level 1 on 01/03 — paid in full, in part (and late), nothing."""
    accounts = [household, account_in(org.centres[0]), account_in(org.centres[0])]
    for account in accounts:
        bill(account, issued=dt.date(2025, 1, 10), amount="100.00")
        with at(dt.date(2025, 3, 1)):
            notice(account, level=1, on=dt.date(2025, 3, 1))
    full, part, silent = accounts
    pay(manager, full, dt.date(2025, 3, 15), "100.00")
    pay(manager, part, dt.date(2025, 3, 20), "30.00")
    pay(manager, part, dt.date(2025, 4, 15), "70.00")  # after 30 days: not the notice's outcome
    (row,) = run(manager)["dunning-levels"].rows
    cells = row.cells
    assert cells["level"].startswith("1.")
    assert (cells["notices"], cells["full"], cells["part"], cells["none"]) == (3, 1, 1, 1)
    assert cells["dunned"] == Decimal("300.00")
    assert cells["paid"] == Decimal("130.00")
    assert cells["rate"] == Decimal("43.3")


@pytest.fixture
def plan(household, collector):
    """A plan agreed on 01/09/2025 in three monthly instalments from 01/10/2025."""
    bill(household, issued=dt.date(2025, 6, 1), amount="300.00")
    with at(dt.date(2025, 9, 1)):
        return plans.payment_plan_create(
            account=household, count=3, first_due=dt.date(2025, 10, 1), actor=collector
        )


def test_rep2_plan_keep_rate(plan, manager):
    """REP-2: one instalment paid, one missed, one pending: keep rate 1 ÷ 2 = 50 %."""
    first, second, third = Instalment.objects.filter(plan=plan).order_by("sequence")
    Instalment.objects.filter(pk=first.pk).update(state="paid")
    Instalment.objects.filter(pk=second.pk).update(state="missed")
    total = run(manager)["plans-promises"].footer[0].cells
    assert total["plans"] == 1
    assert (total["instalments_due"], total["instalments_kept"]) == (2, 1)
    assert total["instalments_broken"] == 1
    assert total["instalments_rate"] == Decimal("50.0")


def test_rep2_promise_keep_rate(household, collector, manager):
    """REP-2: two promises kept, one broken: 2 ÷ 3 = 66.7 %."""
    bill(household, issued=dt.date(2025, 1, 10), amount="300.00")
    for month, state in ((2, "kept"), (5, "kept"), (8, "broken")):
        day = dt.date(2025, month, 1)
        with at(day):
            promise = plans.promise_create(
                account=household, due_on=day + dt.timedelta(days=10), amount="50", actor=collector
            )
        PaymentPromise.objects.filter(pk=promise.pk).update(state=state, closed_on=day)
    total = run(manager)["plans-promises"].footer[0].cells
    assert (total["promises"], total["promises_due"], total["promises_kept"]) == (3, 3, 2)
    assert total["promises_rate"] == Decimal("66.7")


def test_rep2_agency_assigned_recovered_and_commission(household, agency, collector, manager):  # noqa: F811
    """REP-2: 200 assigned to the agency, 80 reported paid with its 12.5 % commission."""
    bill(household, issued=dt.date(2025, 3, 1), amount="120.00")
    bill(household, issued=dt.date(2025, 4, 1), amount="80.00")
    with at(dt.date(2025, 7, 1)):
        (assignment,) = agencies.debts_assign(actor=collector, agency=agency, accounts=[household])
    with at(dt.date(2025, 8, 1)):
        agencies.report_record(
            actor=None,
            assignment=assignment,
            kind="payment",
            reported_on=dt.date(2025, 8, 1),
            amount=Decimal("80.00"),
            commission=Decimal("10.00"),
        )
    (row,) = run(manager)["agencies"].rows
    assert row.cells["assignments"] == 1
    assert row.cells["assigned"] == Decimal("200.00")
    assert row.cells["recovered"] == Decimal("80.00")
    assert row.cells["rate"] == Decimal("40.0")
    assert row.cells["commission"] == Decimal("10.00")


def test_rep2_litigation_results(household, manager):
    """REP-2: a file of 150 claimed, 100 paid after it was opened, closed as paid in the period."""
    invoice = bill(household, issued=dt.date(2025, 1, 10), amount="150.00")
    pay(manager, household, dt.date(2025, 2, 1), "50.00")  # before the file: not its result
    file = LitigationFile.objects.create(
        number="CTX-1",
        account=household,
        stage="paid",
        opened_on=dt.date(2025, 3, 1),
        closed_on=dt.date(2025, 6, 1),
        principal=Decimal("150.00"),
        created_at=timezone.now(),
    )
    LitigationItem.objects.create(file=file, open_item=invoice.open_item, amount=Decimal("150.00"))
    pay(manager, household, dt.date(2025, 5, 1), "100.00")
    table = run(manager)["litigation"]
    (row,) = table.rows
    assert (row.cells["files"], row.cells["closed"]) == (1, 1)
    assert row.cells["claimed"] == Decimal("150.00")
    assert row.cells["recovered"] == Decimal("100.00")
    assert row.cells["rate"] == Decimal("66.7")


def test_rep2_outcomes_scope_user_on_one_centre(collector, manager, org):
    """REP-2 scope: a collector on centre 1 does not see another centre's promises."""
    other = account_in(org.centres[1])
    bill(other, issued=dt.date(2025, 1, 10), amount="300.00")
    with at(dt.date(2025, 2, 1)):
        plans.promise_create(account=other, due_on=dt.date(2025, 2, 10), amount="50", actor=manager)
    assert run(manager)["plans-promises"].footer[0].cells["promises"] == 1
    assert run(collector)["plans-promises"].footer[0].cells["promises"] == 0
    rows = run(manager, entity="AG1")["plans-promises"].rows
    assert [r.cells["entity"].split()[0] for r in rows] == ["CT11", "CT12"]
    assert rows[1].cells["promises"] == 1


def test_rep2_outcomes_screen_and_xlsx(manager, web):
    web.login(manager)
    response = web.get("/reporting/collection-outcomes/", data=YEAR)
    assert response.status_code == 200
    assert "Résultats du recouvrement" in response.content.decode()
    response = web.get("/reporting/collection-outcomes/", data={**YEAR, "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4
