"""The billing run end to end (BILL-4, BILL-5, BILL-6)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.billing.models import HeldBill, Invoice
from robinet.customers.models import Contract
from robinet.ledger.models import OpenItem
from robinet.metering.models import Reading
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = pytest.mark.django_db


def test_bill_4_run_issues_one_invoice_per_period_with_its_open_item(org, tariff):
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "160")
    run = factories.run(dt.date(2025, 6, 30))
    assert run.state == "done", run.last_error
    invoice = Invoice.objects.get()
    assert invoice.period_start == dt.date(2025, 1, 1)
    assert invoice.period_end == dt.date(2025, 6, 30)
    assert invoice.volume == Decimal("60.000")
    assert invoice.number == "FAC-2025-0000001"
    assert invoice.total_incl_vat == invoice.total_excl_vat + invoice.total_vat
    item = OpenItem.objects.get()
    assert item.amount == invoice.total_incl_vat == item.open_amount
    assert item.due_date == invoice.due_date == dt.date(2025, 7, 5) + dt.timedelta(days=15)


def test_bill_4_rerun_never_bills_twice(org, tariff):
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "160")
    factories.run(dt.date(2025, 6, 30))
    second = factories.run(dt.date(2025, 6, 30))
    assert Invoice.objects.count() == 1
    assert second.total == 1
    assert second.skipped == 1


def test_bill_4_catch_up_period_by_period(org, tariff):
    account, sp = occupied_point(org.centres[0], start=dt.date(2024, 7, 1), index="100")
    read(sp, dt.date(2024, 12, 15), "130")
    read(sp, dt.date(2025, 6, 15), "170")
    factories.run(dt.date(2025, 6, 30))
    invoices = list(Invoice.objects.order_by("period_start"))
    assert [(i.period_start, i.period_end, i.volume) for i in invoices] == [
        (dt.date(2024, 7, 1), dt.date(2024, 12, 31), Decimal("30.000")),
        (dt.date(2025, 1, 1), dt.date(2025, 6, 30), Decimal("40.000")),
    ]


def _unread_newcomers(centre, use):
    """A point read all year and two newcomers not read since their first weeks: the
    newcomers' estimates need the similar premises' average (METER-3)."""
    _account, regular = occupied_point(centre, start=dt.date(2024, 1, 1), index="0", use=use)
    read(regular, dt.date(2024, 7, 1), "90")
    read(regular, dt.date(2025, 6, 20), "300")
    newcomers = []
    for volume in (9, 4):
        _account, sp = occupied_point(centre, start=dt.date(2024, 10, 1), index="100", use=use)
        read(sp, dt.date(2024, 10, 21), str(100 + volume))
        newcomers.append(sp)
    return newcomers


def test_meter_3_bill_4_a_runs_estimates_do_not_depend_on_its_chunks(org, tariff):
    """METER-3, BILL-4: the chunks estimate the points not read from the readings recorded
    when the run was proposed, so that an estimate made by one chunk does not move the
    similar premises' average of the next: one contract per chunk gives the estimates of
    one chunk for all (and so would any number of workers)."""
    one_by_one = _unread_newcomers(org.centres[0], "main_residence")
    together = _unread_newcomers(org.centres[1], "secondary_residence")
    first = factories.run(dt.date(2025, 6, 30), entity_code=org.centres[0].code, chunk_size=1)
    second = factories.run(dt.date(2025, 6, 30), entity_code=org.centres[1].code, chunk_size=50)
    assert (first.state, second.state) == ("done", "done")

    def estimates(points):
        return [
            Reading.objects.get(service_point=sp, source="estimate", read_on=dt.date(2025, 6, 30))
            for sp in points
        ]

    assert [(r.index, r.consumption) for r in estimates(one_by_one)] == [
        (r.index, r.consumption) for r in estimates(together)
    ]
    assert all("similar_premises" in r.anomaly_detail for r in estimates(one_by_one))
    assert (
        Invoice.objects.filter(contract__service_point__in=one_by_one, estimated=True).count() == 2
    )


def test_bill_5_missing_tariff_is_held_with_its_reason(org, tariff):
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    Contract.objects.filter(service_point=sp).update()  # untouched: commune has a tariff
    other_account, other_sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    type(other_sp).objects.filter(pk=other_sp.pk).update(commune_insee="67001")
    read(sp, dt.date(2025, 6, 20), "160")
    run = factories.run(dt.date(2025, 6, 30))
    held = HeldBill.objects.get()
    assert held.contract.service_point_id == other_sp.pk
    assert held.reason_codes == "missing_tariff"
    assert run.succeeded == 1
    assert run.skipped == 1


def test_bill_1c_the_december_bill_re_rates_the_year(org, tariff):
    """Summer-heavy year: 40 m³ in the first half, 10 in the second.

    The first interim prices its 40 m³ with the first block prorated to the
    half-year (≈14.9 m³); the December bill on a real reading re-rates the
    year at the annual bounds (30 m³ in the first block, 20 above) and
    deducts what the interim charged.
    """
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 30), "140")
    factories.run(dt.date(2025, 6, 30))
    read(sp, dt.date(2025, 12, 31), "150")
    factories.run(dt.date(2025, 12, 31), issue_date=dt.date(2026, 1, 5))
    first, yearly = account.invoices.order_by("period_start")
    deductions = yearly.lines.filter(amount_excl_vat__lt=0)
    assert deductions.exists()
    water = {}
    for invoice in (first, yearly):
        for line in invoice.lines.filter(component_code="CONSO-EAU"):
            water[line.block] = water.get(line.block, Decimal(0)) + line.quantity
    assert water == {0: Decimal("30"), 1: Decimal("20")}


def test_bill_2_move_out_mid_period_gives_a_final_bill_prorated_to_the_day(org, tariff):
    """BILL-2/BILL-7: the move-out bill ends on the move-out day, on the move-out index,
    with the fixed charge for the days subscribed only (105 days of 2025)."""
    from robinet.customers import services as customer_services

    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    customer_services.contract_move_out(
        actor=None,
        contract=account.contracts.get(),
        end_date=dt.date(2025, 4, 15),
        end_index="125",
    )
    factories.run(dt.date(2025, 6, 30))
    final = account.invoices.get()
    assert final.kind == "final"
    assert (final.period_start, final.period_end) == (dt.date(2025, 1, 1), dt.date(2025, 4, 15))
    assert final.volume == Decimal("25.000")
    assert final.new_index == Decimal("125.000")
    fixed = final.lines.get(component_code="ABO-EAU")
    assert fixed.amount_excl_vat == (Decimal("36.50") * 105 / 365).quantize(Decimal("0.01"))
    # Nothing more to bill for that contract.
    factories.run(dt.date(2025, 12, 31), issue_date=dt.date(2026, 1, 5))
    assert account.invoices.count() == 1
