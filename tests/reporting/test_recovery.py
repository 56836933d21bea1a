"""REP-2 recovery report: cohort rates, DSO and CEI on small hand-built ledgers."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from robinet.billing.services import credit_note_issue
from robinet.core import clock
from robinet.payments.services import payment_record
from robinet.reporting.params import parse
from robinet.reporting.registry import report_run
from tests.collections.conftest import bill
from tests.metering.factories import occupied_point

JAN = {"start": "2025-01-01", "end": "2025-01-31", "date": "2026-03-02"}


def at(day: dt.date):
    return clock.as_of(timezone.make_aware(dt.datetime.combine(day, dt.time(12))))


def pay(actor, account, day: dt.date, amount: str, invoice=None):
    with at(day):
        return payment_record(
            actor=actor,
            account=account,
            means="cash",
            amount=Decimal(amount),
            received_on=day,
            invoice=invoice,
            check_permission=False,
        )


@pytest.fixture
def cohort(household, manager):
    """January 2025: 300.00 paid 50 at +10 days, 100 at +45, 60 at +200; 100.00 credited in full."""
    first = bill(household, issued=dt.date(2025, 1, 10), amount="300.00")
    with at(dt.date(2025, 1, 16)):
        second = bill(household, issued=dt.date(2025, 1, 15), amount="100.00")
        credit_note_issue(actor=manager, invoice=second, reason="Erreur d'index")
    pay(manager, household, dt.date(2025, 1, 20), "50.00", invoice=first)
    pay(manager, household, dt.date(2025, 2, 24), "100.00", invoice=first)
    pay(manager, household, dt.date(2025, 7, 29), "60.00", invoice=first)
    return first


def run(user, name="recovery", **values):
    _definition, tables = report_run(user=user, name=name, params=parse({**JAN, **values}))
    return {t.key: t for t in tables}


def test_rep2_cohort_rates_after_30_60_90_180_365_days_are_exact(cohort, manager, org):
    """REP-2: 400.00 billed; 50 within 30 days, 150 within 60/90/180, 210 within 365."""
    tables = run(manager)
    total = tables["by-entity"].footer[0].cells
    assert total["billed"] == Decimal("400.00")
    assert total["r30"] == Decimal("12.5")
    assert total["r60"] == Decimal("37.5")
    assert total["r90"] == Decimal("37.5")
    assert total["r180"] == Decimal("37.5")
    assert total["r365"] == Decimal("52.5")
    # The credit note cleared the second invoice: never counted as collected.
    assert total["r365"] < Decimal("100")


def test_rep2_collections_after_the_report_date_are_not_known(cohort, manager):
    """REP-2 as of a date: the payment at +200 days is not yet collected on 2025-06-30."""
    tables = run(manager, date="2025-06-30")
    total = tables["by-entity"].footer[0].cells
    assert total["r365"] == Decimal("37.5")
    # The month's 365-day rate is blank: the cohort is not a year old.
    january = tables["by-cohort"].rows[0].cells
    assert january["r90"] == Decimal("37.5")
    assert january["r365"] is None


def test_rep2_dso_and_cei_on_known_numbers(cohort, manager):
    """REP-2: net billed 300 (400 − 100 credit), closing 250 at 31/01, nothing current.

    DSO = 250 ÷ 300 × 31 = 25.8 days; CEI = (0 + 300 − 250) ÷ (0 + 300 − 0) = 16.7 %.
    """
    total = run(manager)["by-entity"].footer[0].cells
    assert total["closing"] == Decimal("250.00")
    assert total["dso"] == Decimal("25.8")
    assert total["cei"] == Decimal("16.7")


def test_rep2_cei_excludes_receivables_not_yet_due(household, manager):
    """REP-2 CEI: an invoice of 28/01 due 12/02 is current at 31/01, out of the denominator."""
    bill(household, issued=dt.date(2024, 12, 1), amount="200.00")  # opening receivables
    bill(household, issued=dt.date(2025, 1, 28), amount="100.00")
    pay(manager, household, dt.date(2025, 1, 20), "150.00")
    total = run(manager)["by-entity"].footer[0].cells
    # opening 200, billed 100, closing 150, current 100: (200+100−150) ÷ (200+100−100) = 75 %
    assert total["cei"] == Decimal("75.0")
    assert total["dso"] == Decimal("46.5")  # 150 ÷ 100 × 31


def test_rep2_cohort_chart_and_rows_per_month(cohort, manager):
    table = run(manager, start="2024-12-01", end="2025-02-28")["by-cohort"]
    assert [r.cells["month"] for r in table.rows] == ["12/2024", "01/2025", "02/2025"]
    assert table.rows[0].cells["billed"] == Decimal("0.00")
    assert table.rows[0].cells["r30"] is None  # nothing billed: undefined, not 0
    assert table.rows[1].cells["r60"] == Decimal("37.5")
    assert table.chart["type"] == "line"
    assert [d["label"] for d in table.chart["datasets"]] == [
        "Recouvré à 30 j",
        "Recouvré à 90 j",
        "Recouvré à 365 j",
    ]
    assert table.chart["datasets"][0]["data"][1] == "12.5"  # exact, as JSON keeps it


def test_rep2_consolidation_drills_by_entity(cohort, manager, org):
    """REP-2/REP-4: the region's agencies; AG1 holds the cohort, AG2 nothing billed."""
    rows = run(manager, entity="DR-TEST")["by-entity"].rows
    assert [r.cells["entity"].split()[0] for r in rows] == ["AG1", "AG2"]
    assert rows[0].cells["r60"] == Decimal("37.5")
    assert rows[1].cells["billed"] == Decimal("0.00")
    assert rows[1].cells["r60"] is None
    assert "entity=AG1" in rows[0].link


def test_rep2_centre_level_lists_invoices_largest_unpaid_first(cohort, manager, household):
    tables = run(manager, entity="CT11")
    assert tables["by-entity"].rows == []
    invoices = tables["invoices"].rows
    assert invoices[0].cells["open"] == Decimal("90.00")
    assert invoices[0].cells["paid"] == Decimal("210.00")
    assert invoices[0].link.endswith(f"/{household.number}/")


def test_rep2_scope_user_on_one_centre_sees_only_it(cohort, collector, manager, org):
    other, _sp = occupied_point(org.centres[1], start=dt.date(2025, 1, 1))
    bill(other, issued=dt.date(2025, 1, 12), amount="1000.00")
    assert run(manager)["by-entity"].footer[0].cells["billed"] == Decimal("1400.00")
    assert run(collector)["by-entity"].footer[0].cells["billed"] == Decimal("400.00")


def test_rep2_screen_renders_and_xlsx_opens(cohort, manager, web):
    web.login(manager)
    response = web.get("/reporting/recovery/", data=JAN)
    assert response.status_code == 200
    assert "Taux de recouvrement" in response.content.decode()
    response = web.get("/reporting/recovery/", data={**JAN, "format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 2


def test_rep2_receivables_at_past_dates_take_back_later_items_and_allocations(household, manager):
    """REP-2 as of the period's dates, not today: what was posted or allocated after the end.

    Opening 200 (December bill); January: billed 100 (due in February), 30 paid on it by
    the end; after the end, a February bill of 50 and payments clearing both bills. At
    31/01: closing 270, current 70; CEI = (200 + 100 − 270) ÷ (200 + 100 − 70) = 13.0 %.
    """
    december = bill(household, issued=dt.date(2024, 12, 1), amount="200.00")
    january = bill(household, issued=dt.date(2025, 1, 28), amount="100.00")
    pay(manager, household, dt.date(2025, 1, 30), "30.00", invoice=january)
    bill(household, issued=dt.date(2025, 2, 5), amount="50.00")
    pay(manager, household, dt.date(2025, 2, 10), "70.00", invoice=january)
    pay(manager, household, dt.date(2025, 2, 15), "200.00", invoice=december)
    total = run(manager)["by-entity"].footer[0].cells
    assert total["closing"] == Decimal("270.00")
    assert total["dso"] == Decimal("83.7")  # 270 ÷ 100 × 31
    assert total["cei"] == Decimal("13.0")
    assert total["r30"] == Decimal("100.0")  # 30 + 70 within 13 days
