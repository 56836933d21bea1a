"""REP-1 aged balance: as of any date from the ledger, buckets, State rows, scope, drill-downs.

Small hand-built ledgers with known answers; the consistency proof: the aged
balance's net total = Σ the accounts' open items = the customers' accounts of
the general ledger (411/416) at that date.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from robinet.core import clock
from robinet.customers.choices import CustomerClass
from robinet.customers.models import CustomerAccount
from robinet.ledger import reconciliation
from robinet.ledger.models import Allocation, OpenItem
from robinet.ledger.services import unallocate
from robinet.organisation.roles import Role
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record
from robinet.reporting import params as report_params
from robinet.reporting.registry import report_run
from robinet.reporting.reports.aged_balance import customers_ledger_balance
from tests.customers import factories
from tests.reporting.conftest import bill

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 2)


def due_on(account, due: dt.date, amount: str):
    """An invoice of ``amount`` falling due exactly on ``due``."""
    return bill(account, issued=due - dt.timedelta(days=account.payment_terms_days), amount=amount)


def pay(account, amount: str, on: dt.date):
    """A transfer received and allocated on ``on``."""
    moment = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    with clock.as_of(moment):
        return payment_record(
            actor=None,
            account=account,
            means=PaymentMeans.TRANSFER,
            amount=Decimal(amount),
            received_on=on,
            check_permission=False,
        )


def run(user, **query):
    query = {k: str(v) for k, v in query.items()}
    params = report_params.parse(query, extra_keys=("customer_class", "account"))
    _definition, tables = report_run(user=user, name="aged-balance", params=params)
    return {t.key: t for t in tables}


def footer(table, key):
    return table.footer[0].cells[key]


def row(table, label_key, label):
    return next(r for r in table.rows if r.cells[label_key] == label)


def test_rep1_buckets_at_their_exact_boundaries(org, manager, household):
    """Due 30 days ago is 0–30, 31 days ago is 31–60…; a due date tomorrow is not due."""
    ages = {-1: "1.00", 0: "2.00", 30: "4.00", 31: "8.00", 90: "16.00", 91: "32.00",
            365: "64.00", 366: "128.00", 730: "256.00", 731: "512.00"}  # fmt: skip
    for age, amount in ages.items():
        due_on(household, D - dt.timedelta(days=age), amount)
    table = run(manager, date=D, entity=org.centres[0].code)["accounts"]
    cells = table.rows[0].cells
    assert cells["not_due"] == Decimal("1.00")
    assert cells["d0_30"] == Decimal("6.00")
    assert cells["d31_60"] == Decimal("8.00")
    assert cells["d61_90"] == Decimal("16.00")
    assert cells["d91_180"] == Decimal("32.00")
    assert cells["d181_365"] == Decimal("64.00")
    assert cells["y1_2"] == Decimal("384.00")
    assert cells["y2_plus"] == Decimal("512.00")
    assert cells["debits"] == cells["net"] == Decimal("1023.00")


def test_rep1_a_past_date_gives_the_past_picture(org, manager, household):
    """A payment after D does not reduce the balance at D; an invoice after D is not there."""
    due_on(household, dt.date(2025, 12, 1), "100.00")
    pay(household, "60.00", dt.date(2026, 1, 20))
    due_on(household, dt.date(2026, 3, 1), "50.00")  # issued after 25 January

    before_payment = run(manager, date="2026-01-10", entity=org.centres[0].code)["accounts"]
    assert before_payment.rows[0].cells["d31_60"] == Decimal("100.00")  # 40 days at 10/01
    assert footer(before_payment, "net") == Decimal("100.00")

    after_payment = run(manager, date="2026-01-25", entity=org.centres[0].code)["accounts"]
    assert after_payment.rows[0].cells["d31_60"] == Decimal("40.00")  # 55 days at 25/01
    assert footer(after_payment, "net") == Decimal("40.00")

    now = run(manager, date=D, entity=org.centres[0].code)["accounts"]
    assert footer(now, "net") == Decimal("90.00")
    assert now.rows[0].cells["d91_180"] == Decimal("40.00")  # 01/12 → 02/03: 91 days
    assert now.rows[0].cells["d0_30"] == Decimal("50.00")


def test_rep1_unallocated_credits_are_their_own_column(org, manager, household):
    """A payment larger than the debt leaves a credit: net = debits + credits."""
    due_on(household, dt.date(2026, 2, 1), "30.00")
    pay(household, "50.00", dt.date(2026, 2, 10))
    at_05 = run(manager, date="2026-02-05", entity=org.centres[0].code)["accounts"]
    assert at_05.rows[0].cells["d0_30"] == Decimal("30.00")
    assert at_05.rows[0].cells["credits"] == Decimal("0.00")
    at_15 = run(manager, date="2026-02-15", entity=org.centres[0].code)["accounts"]
    cells = at_15.rows[0].cells
    assert cells["debits"] == Decimal("0.00")
    assert cells["credits"] == Decimal("-20.00")
    assert cells["net"] == Decimal("-20.00")


def test_rep1_an_unallocation_reopens_the_item_from_its_date_only(org, manager, household):
    due_on(household, dt.date(2026, 1, 5), "80.00")
    pay(household, "80.00", dt.date(2026, 1, 10))
    allocation = Allocation.objects.get(reverses__isnull=True)
    with clock.as_of(timezone.make_aware(dt.datetime.combine(dt.date(2026, 2, 10), dt.time(12)))):
        unallocate(actor=manager, allocation=allocation, reason="Mauvaise affectation")
    centre = org.centres[0].code
    between = run(manager, date="2026-02-01", entity=centre)
    assert footer(between["classes"], "debits") == Decimal("0.00")
    assert footer(between["classes"], "credits") == Decimal("0.00")
    after = run(manager, date="2026-02-11", entity=centre)["classes"]
    assert footer(after, "d31_60") == Decimal("80.00")  # due 05/01, 37 days on 11/02
    assert footer(after, "credits") == Decimal("-80.00")
    assert footer(after, "net") == Decimal("0.00")


@pytest.fixture
def ministry(org):
    """A State administration of the second centre."""
    account = factories.company(org.centres[1], name="Préfecture")
    CustomerAccount.objects.filter(pk=account.pk).update(
        customer_class=CustomerClass.ADMINISTRATION
    )
    account.refresh_from_db()
    return account


def test_rep1_state_and_administrations_are_their_own_rows(org, manager, household, ministry):
    due_on(household, dt.date(2026, 2, 1), "70.00")
    due_on(ministry, dt.date(2025, 11, 1), "500.00")
    tables = run(manager, date=D, entity=org.region.code)
    classes = tables["classes"]
    state = row(classes, "customer_class", str(CustomerClass.ADMINISTRATION.label))
    assert state.cells["d91_180"] == Decimal("500.00")
    subtotal = classes.rows[1]
    assert subtotal.total
    assert subtotal.cells["net"] == Decimal("500.00")
    individual = row(classes, "customer_class", str(CustomerClass.INDIVIDUAL.label))
    assert individual.cells["d0_30"] == Decimal("70.00")
    assert footer(classes, "net") == Decimal("570.00")  # subtotals are not summed twice
    # the class drill-down lists that class's accounts only
    drilled = run(manager, date=D, entity=org.region.code, customer_class="administration")
    assert [r.cells["number"] for r in drilled["accounts"].rows] == [ministry.number]


def test_rep1_consolidates_up_the_tree_with_drill_links(org, manager, household, ministry):
    due_on(household, dt.date(2026, 2, 1), "70.00")
    due_on(ministry, dt.date(2026, 2, 1), "30.00")
    region = run(manager, date=D, entity=org.region.code)["entities"]
    assert [r.cells["entity"] for r in region.rows] == [a.name for a in org.agencies]
    assert region.rows[0].cells["net"] == Decimal("100.00")
    assert "entity=AG1" in region.rows[0].link
    assert region.chart["stacked"]
    assert len(region.chart["datasets"]) == 8
    agency = run(manager, date=D, entity="AG1")["entities"]
    assert [r.cells["net"] for r in agency.rows] == [Decimal("70.00"), Decimal("30.00")]
    centre = run(manager, date=D, entity=org.centres[0].code)
    assert "entities" not in centre
    assert "account=" + household.number in centre["accounts"].rows[0].link


def test_rep1_scope_a_centre_user_sees_only_its_centre(org, make_user, household, ministry):
    due_on(household, dt.date(2026, 2, 1), "70.00")
    due_on(ministry, dt.date(2026, 2, 1), "30.00")
    head = make_user("chef", Role.MANAGER, org.centres[0])
    tables = run(head, date=D)
    assert footer(tables["classes"], "net") == Decimal("70.00")


def test_rep1_account_items_as_of_the_date(org, manager, household):
    first = due_on(household, dt.date(2025, 12, 1), "100.00")
    due_on(household, dt.date(2026, 2, 1), "50.00")
    pay(household, "30.00", dt.date(2026, 2, 5))
    items = run(manager, date="2026-02-03", account=household.number)["items"]
    assert [r.cells["open"] for r in items.rows] == [Decimal("100.00"), Decimal("50.00")]
    assert items.rows[0].cells["document"] == first.number
    assert items.rows[0].link == reverse("customers:detail", args=[household.number])
    later = run(manager, date=D, account=household.number)["items"]
    assert [r.cells["open"] for r in later.rows] == [Decimal("70.00"), Decimal("50.00")]


def test_rep1_aged_total_equals_open_items_and_general_ledger(org, manager, household, ministry):
    """The issue's proof: aged balance = Σ customer open items = 411/416 at each date."""
    due_on(household, dt.date(2025, 10, 1), "100.00")
    due_on(ministry, dt.date(2025, 11, 15), "250.00")
    pay(household, "40.00", dt.date(2025, 12, 1))
    pay(ministry, "300.00", dt.date(2026, 1, 10))  # 50 € of credit left
    due_on(household, dt.date(2026, 1, 20), "60.00")
    allocation = Allocation.objects.filter(reverses__isnull=True).order_by("pk").first()
    with clock.as_of(timezone.make_aware(dt.datetime.combine(dt.date(2026, 2, 1), dt.time(12)))):
        unallocate(actor=manager, allocation=allocation, reason="Erreur")
    centres = [c.pk for c in org.centres]
    for on in (dt.date(2025, 11, 1), dt.date(2025, 12, 15), dt.date(2026, 1, 15), D):
        net = footer(run(manager, date=on, entity=org.region.code)["classes"], "net")
        open_items = sum(
            (i.amount for i in OpenItem.objects.filter(posted_on__lte=on)), Decimal("0.00")
        )
        assert net == open_items, on
        assert net == customers_ledger_balance(on, centres=centres), on
        recon = reconciliation.report(actor=None, on=on, check_permission=False)
        assert net == recon.total.general_ledger, on


def test_rep1_exports_xlsx_from_the_screen_and_json_from_the_command(org, manager, household, web):
    due_on(household, dt.date(2026, 2, 1), "70.00")
    web.login(manager)
    url = reverse("reporting:report", args=["aged-balance"])
    response = web.client.get(url, {"date": D.isoformat(), "entity": org.region.code})
    assert response.status_code == 200
    assert "Balance âgée" in response.content.decode()
    response = web.client.get(
        url, {"date": D.isoformat(), "entity": org.centres[0].code, "format": "xlsx"}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)
                                             if response.streaming else response.content))  # fmt: skip
    values = [c for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r]
    assert household.number in values
    out = io.StringIO()
    call_command("report", "aged-balance", "--date", D.isoformat(), "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert "70.00" in json.dumps(data) or 70.0 in json.dumps(data)


def test_rep_1_an_item_is_cleared_as_of_its_latest_allocation(household, manager):
    """PAY-1 / REP-1: a payment entered late but dated earlier does not clear the bill "before".

    The bill was half paid on 20 January (entered first), the rest by a payment
    dated 5 January entered afterwards: the bill is cleared on 20 January, its
    latest allocation, and was still half open at D = 10 January.
    """
    invoice = bill(household, issued=dt.date(2025, 12, 15), amount="100.00")
    pay(household, "40.00", dt.date(2026, 1, 20))
    pay(household, "60.00", dt.date(2026, 1, 5))
    item = OpenItem.objects.get(invoice=invoice)
    assert item.open_amount == 0
    assert item.cleared_on == dt.date(2026, 1, 20)
    tables = run(manager, date=dt.date(2026, 1, 10))
    assert footer(tables["entities"], "debits") == Decimal("40.00")
    assert footer(tables["entities"], "net") == Decimal("40.00")
