"""PAY-3 screens and API for instalments and pending debits (BILL-10, COLL-5); the demo run."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from robinet.core import clock
from robinet.customers.models import CustomerAccount
from robinet.demo import sepa as demo
from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from robinet.payments import pain008, sepa
from robinet.payments.models import DebitKind, DirectDebitRun
from tests.customers.api.test_api import ApiClient
from tests.payments.conftest import TODAY
from tests.payments.test_sepa_instalments import COLLECT_ON, IBAN, _mandate, _plan


@pytest.fixture
def collector(org, make_user):
    return make_user("prelevements", Role.COLLECTION_OFFICER, org.region)


@pytest.fixture
def monthly_run(billed, settings):
    """A 2025 monthly-payment plan (its bills not debited) and a run pending two days."""
    settings.ROBINET_SEPA_RETURN_DAYS = 2
    _mandate(billed)
    plan = _plan(billed, period_start=dt.date(2025, 1, 1), first_due=dt.date(2026, 1, 5))
    run = sepa.debit_run_create(actor=None, collection_date=COLLECT_ON, check_permission=False)
    plan.refresh_from_db()
    return plan, run


def test_pay_3_bill_10_run_page_counts_per_kind_and_shows_pending(web, monthly_run, collector):
    plan, run = monthly_run
    web.login(collector)
    page = web.get("payments:sepa-run", run.pk).content.decode()
    assert 'id="sepa-kind-budget"' in page
    assert "Mensualité" in page
    assert "En attente" in page
    assert 'id="sepa-run-settle"' not in page  # its settlement date has not come
    refused = web.post("payments:sepa-run-settle", run.pk)
    assert refused.status_code == 302
    run.refresh_from_db()
    assert run.settled_on is None


def test_pay_3_run_page_settles_the_run(web, billed, collector):
    _mandate(billed)
    run = sepa.debit_run_create(actor=None, collection_date=COLLECT_ON, check_permission=False)
    web.login(collector)
    with clock.as_of(clock.now() + dt.timedelta(days=3)):
        page = web.get("payments:sepa-run", run.pk).content.decode()
        assert 'id="sepa-run-settle"' in page
        web.post("payments:sepa-run-settle", run.pk)
    run.refresh_from_db()
    assert run.settled_on == TODAY + dt.timedelta(days=3)


def test_pay_3_statement_shows_pending_debits(web, billed, collector):
    _mandate(billed)
    sepa.debit_run_create(actor=None, collection_date=COLLECT_ON, check_permission=False)
    web.login(collector)
    page = web.client.get(reverse("ledger:account-statement", args=[billed.number]))
    assert "en attente" in page.content.decode()
    pdf = web.client.get(reverse("ledger:account-statement-pdf", args=[billed.number]))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "prélèvement en attente du règlement" in " ".join(text.split())


def test_bill_10_budget_page_shows_each_instalment_debit(web, monthly_run, org, make_user):
    plan, run = monthly_run
    web.login(make_user("facturation", Role.BILLING_OFFICER, org.centres[0]))
    page = web.get("billing:budget-detail", plan.pk).content.decode()
    item = run.items.get(kind=DebitKind.BUDGET, budget_instalment__position=1)
    assert item.end_to_end_id in page
    assert plan.mandate.umr in page


def test_pay_3_bill_10_api_statuses_and_settle(monthly_run, org, make_user):
    plan, run = monthly_run
    api = ApiClient(
        api_token_create(user=make_user("api-sepa", Role.COLLECTION_OFFICER, org.region))
    )
    body = api.get(f"/payments/direct-debit-runs/{run.pk}").json()
    assert body["settles_on"] == "2026-02-19"
    assert body["settled_on"] is None
    kinds = {(i["kind"], i["status"]) for i in body["items"]}
    assert kinds == {("budget", "pending")}
    item = body["items"][0]
    assert (item["budget_plan"], item["invoice"]) == (plan.pk, None)
    payment = api.get(f"/payments/{item['payment']}").json()
    assert payment["debit_status"] == "pending"
    early = api.post(f"/payments/direct-debit-runs/{run.pk}/settle", {})
    assert early.status_code == 400
    assert "date" in early.json()["extra"]["fields"]


def test_bill_10_budget_api_shows_mandate_and_debits(monthly_run, org, make_user):
    plan, _run = monthly_run
    api = ApiClient(
        api_token_create(user=make_user("api-budget", Role.BILLING_OFFICER, org.centres[0]))
    )
    body = api.get(f"/billing/budget-plans/{plan.pk}").json()
    assert body["mandate"] == plan.mandate.umr
    first = body["instalments"][0]
    assert first["status"] == "collected"
    assert first["debit"]["status"] == "pending"
    assert body["instalments"][-1]["debit"] is None


@pytest.mark.django_db
def test_pay_3_bill_10_demo_run_collects_monthly_payers(billed):
    """The demo's debit file collects the monthly payers' instalments due, valid, settled."""
    CustomerAccount.objects.filter(pk=billed.pk).update(iban=IBAN)
    _plan(billed, period_start=dt.date(2025, 1, 1), first_due=dt.date(2025, 12, 5))
    counts = demo.seed_demo(TODAY)
    assert counts["sepa_mandates"] == 1
    assert counts["sepa_instalments"] == 3  # 5/12, 5/1 and 5/2 (the run of 5 February)
    run = DirectDebitRun.objects.get()
    pain008.validate(bytes(run.file_content), run.version)
    assert run.settled_on == run.settles_on
