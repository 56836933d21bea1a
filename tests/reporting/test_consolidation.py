"""REP-4: billing and collection consolidation up the tree, and the monthly collection statement."""

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from django.urls import reverse

from robinet.billing.services import credit_note_issue
from robinet.payments.services import payment_record, payment_reverse
from robinet.reporting.params import Params
from robinet.reporting.registry import report_run
from tests.collections.conftest import bill
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db

D = Decimal
START, END = dt.date(2026, 1, 1), dt.date(2026, 2, 28)


def account_in(centre):
    account, _sp = occupied_point(centre, start=dt.date(2025, 1, 1))
    return account


def pay(account, amount, on, means="transfer", invoice=None):
    return payment_record(
        actor=None,
        account=account,
        means=means,
        amount=D(amount),
        received_on=on,
        invoice=invoice,
        cheque_number="0001234" if means == "cheque" else "",
        check_permission=False,
    )


def run(user, name="consolidation", entity=None, start=START, end=END):
    params = Params(on=dt.date(2026, 3, 2), entity=entity, start=start, end=end)
    _definition, tables = report_run(user=user, name=name, params=params)
    return tables


@pytest.fixture
def activity(org):
    """Three centres with bills, a payment each, one paid after the period, one credit note."""
    a11, a12, a21 = (account_in(org.centres[i]) for i in (0, 1, 2))
    i11 = bill(a11, issued=dt.date(2026, 1, 5), amount="100.00")
    bill(a12, issued=dt.date(2026, 1, 6), amount="40.00")
    bill(a12, issued=dt.date(2026, 2, 6), amount="60.00")
    i21 = bill(a21, issued=dt.date(2026, 2, 10), amount="250.00")
    bill(a21, issued=dt.date(2026, 3, 1), amount="999.00")  # after the period
    pay(a11, "100.00", dt.date(2026, 1, 20), invoice=i11)
    pay(a12, "40.00", dt.date(2026, 2, 1), means="cheque")
    pay(a21, "250.00", dt.date(2026, 3, 1), invoice=i21)  # after the period
    return a11, a12, a21


def test_rep4_consolidation_totals_equal_the_sum_of_centres(manager, org, activity):
    """REP-4: a region's agencies, each the sum of its centres; the footer sums them all."""
    (table, _links) = run(manager, entity=org.region)
    by_code = {r.cells["entity"].split(" — ")[0]: r.cells for r in table.rows}
    assert set(by_code) == {"AG1", "AG2"}
    assert by_code["AG1"]["billed"] == D("200.00")  # CT11 100 + CT12 40 + 60
    assert by_code["AG1"]["invoices"] == 3
    assert by_code["AG1"]["collected"] == D("140.00")
    assert by_code["AG2"]["billed"] == D("250.00")
    assert by_code["AG2"]["collected"] == D("0.00")
    (total,) = table.footer
    for key in ("billed", "collected", "unpaid", "invoices"):
        assert total.cells[key] == by_code["AG1"][key] + by_code["AG2"][key]

    (agency, _links) = run(manager, entity=org.agencies[0])
    centres = {r.cells["entity"].split(" — ")[0]: r.cells for r in agency.rows}
    assert centres["CT11"]["billed"] + centres["CT12"]["billed"] == by_code["AG1"]["billed"]
    link = next(r.link for r in agency.rows if r.cells["entity"].startswith("CT12"))
    assert parse_qs(urlparse(link).query)["entity"] == ["CT12"]


def test_rep4_unpaid_at_the_end_of_the_period_as_of_that_date(manager, org, activity):
    """REP-4: a bill paid after the period is unpaid at its end (reconstructed from the ledger)."""
    (table, _links) = run(manager, entity=org.agencies[1])
    ct21 = next(r.cells for r in table.rows if r.cells["entity"].startswith("CT21"))
    assert ct21["unpaid"] == D("250.00")  # paid on 1 March, after 28 February
    (agency1, _links) = run(manager, entity=org.agencies[0])
    ct12 = next(r.cells for r in agency1.rows if r.cells["entity"].startswith("CT12"))
    assert ct12["unpaid"] == D("60.00")  # 100 billed, 40 paid


def test_rep4_credit_notes_reduce_net_billed(manager, org, activity):
    """REP-4: a credit note issued in the period is shown and deducted from net billed."""
    _a11, a12, _a21 = activity
    february = a12.invoices.get(issue_date=dt.date(2026, 2, 6))
    credit_note_issue(actor=manager, invoice=february, reason="Erreur de facturation")
    (table, _links) = run(manager, entity=org.agencies[0], end=dt.date(2026, 3, 2))
    ct12 = next(r.cells for r in table.rows if r.cells["entity"].startswith("CT12"))
    assert (ct12["billed"], ct12["credit_notes"], ct12["net_billed"]) == (
        D("100.00"),
        D("60.00"),
        D("40.00"),
    )
    assert ct12["invoices"] == 2  # credit notes are not counted as invoices
    assert ct12["unpaid"] == D("0.00")  # the credit note cleared the February bill


def test_rep4_a_centre_drills_down_to_its_accounts(manager, org, activity):
    """REP-4: at a centre, one row per account, linked to the account's statement."""
    _a11, a12, _a21 = activity
    (table, _links) = run(manager, entity=org.centres[1])
    (row,) = table.rows
    assert row.cells["entity"].startswith(a12.number)
    assert row.cells["billed"] == D("100.00")
    assert row.link == reverse("ledger:account-statement", args=[a12.number])


def test_rep4_reconciliation_reports_are_linked(manager, org, activity):
    """REP-4: the consolidation links the ledger and payments reconciliation reports."""
    (_table, links) = run(manager, entity=org.region)
    urls = [r.link for r in links.rows]
    assert reverse("ledger:reconciliation") + "?date=2026-02-28" in urls
    assert any(u.startswith(reverse("ledger:beneficiaries")) for u in urls)


def test_rep4_scope_a_centre_user_sees_only_its_centre(collector, org, activity):
    """REP-4: a collector of centre 1 consolidates centre 1 only (ORG-2)."""
    (table, _links) = run(collector)
    (total,) = table.footer
    assert total.cells["billed"] == D("100.00")


def test_rep4_monthly_statement_per_means_with_reversals(manager, org, activity):
    """REP-4: payments per centre and month by means; a reversal is deducted in its month."""
    a11, _a12, _a21 = activity
    cash = pay(a11, "15.00", dt.date(2026, 2, 3), means="cash")
    pay(a11, "5.00", dt.date(2026, 2, 4), means="card")
    payment_reverse(
        actor=None, payment=cash, reason="Erreur", on=dt.date(2026, 2, 5), check_permission=False
    )
    (table,) = run(manager, name="collection-statement", entity=org.region)
    cells = {(r.cells["centre"][:4], r.cells["month"]): r.cells for r in table.rows}
    assert set(cells) == {("CT11", "01/2026"), ("CT11", "02/2026"), ("CT12", "02/2026")}
    jan = cells[("CT11", "01/2026")]
    assert jan["transfer"] == D("100.00")
    assert jan["net"] == D("100.00")
    feb = cells[("CT11", "02/2026")]
    assert (feb["cash"], feb["card"], feb["reversed"]) == (D("15.00"), D("5.00"), D("15.00"))
    assert feb["gross"] == D("20.00")
    assert feb["net"] == D("5.00")
    assert cells[("CT12", "02/2026")]["cheque"] == D("40.00")
    (total,) = table.footer
    assert total.cells["net"] == D("145.00")
    query = parse_qs(urlparse(table.rows[1].link).query)
    assert query["entity"] == ["CT11"]
    assert (query["start"], query["end"]) == (["2026-02-01"], ["2026-02-28"])


def test_rep4_exports_open_as_xlsx(web, manager, activity):
    """REP-4/REP-5: both reports export to XLSX workbooks that openpyxl reads."""
    web.login(manager)
    for name, first in (("consolidation", "AG1"), ("collection-statement", "CT11")):
        url = reverse("reporting:report", args=[name])
        response = web.get(url + "?start=2026-01-01&end=2026-02-28&entity=DR-TEST&format=xlsx")
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        values = [c.value for row in book.worksheets[0].iter_rows() for c in row]
        assert any(isinstance(v, str) and v.startswith(first) for v in values)


def test_rep4_screens_render_with_their_drill_links(web, manager, activity):
    """REP-4: the screens render the tables, the chart and the drill-down links."""
    web.login(manager)
    url = reverse("reporting:report", args=["consolidation"])
    page = web.get(url + "?start=2026-01-01&end=2026-02-28&entity=DR-TEST")
    assert page.status_code == 200
    html = page.content.decode()
    assert "entity=AG1" in html
    assert reverse("ledger:reconciliation") in html
    page = web.get(reverse("reporting:report", args=["collection-statement"]) + "?entity=AG1")
    assert page.status_code == 200
    assert "CT11" in page.content.decode()
