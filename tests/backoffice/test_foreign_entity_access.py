"""Detail pages and API reads of another agency's records (issue 13, ORG-2).

A manager scoped to agency 1 opens the detail pages and API reads of a customer of their own
agency (200) and is refused those of a customer of agency 2 — 403 or 404, never the page, never
a server error. The records are built through the real services for both agencies: the
customer, its contract, service point and meter, its invoices, a payment, a case, a payment
plan, a dunning notice and a monthly-payment plan.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from robinet.billing import budget
from robinet.cases import services as case_services
from robinet.cases.models import CaseType
from robinet.collections import plans
from robinet.core import clock
from robinet.organisation import services as organisation_services
from robinet.organisation.roles import Role
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.collections import notice_factories
from tests.metering.factories import read

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 2, 15)


@pytest.fixture(autouse=True)
def today():
    with clock.as_of(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))):
        yield TODAY


class Records:
    """One customer's records, by the name the URLs take."""

    def __init__(self, centre, actor) -> None:
        account, point = occupied_point(centre, start=dt.date(2025, 1, 1), index="100")
        read(point, dt.date(2025, 6, 20), "130")
        self.account, self.point = account, point
        self.meter = point.meters.filter(removed_on__isnull=True).first()
        self.contract = account.contracts.first()
        self.actor = actor

    def after_billing(self) -> None:
        self.invoice = self.account.invoices.order_by("pk").first()
        assert self.invoice is not None
        self.payment = payment_record(
            actor=None, account=self.account, means=PaymentMeans.TRANSFER,
            amount=Decimal("5.00"), received_on=TODAY, check_permission=False,
        )  # fmt: skip
        self.case = case_services.case_open(
            actor=None, case_type=CaseType.objects.get(code="REGLEMENT"),
            account=self.account, subject="Question sur la facture",
        )  # fmt: skip
        self.plan = plans.payment_plan_create(
            account=self.account, count=3, first_due=dt.date(2026, 3, 5),
            down_payment=Decimal("0"), actor=None,
        )  # fmt: skip
        self.notice = notice_factories.notice(self.account)
        self.account.iban = "FR7630006000011234567890189"
        self.account.bic = "AGRIFRPP"
        self.account.save(update_fields=["iban", "bic"])
        self.budget = budget.plan_enrol(actor=None, contract=self.contract)


@pytest.fixture
def world(org):
    factories.tariff()
    own = Records(org.centres[0], None)
    foreign = Records(org.centres[2], None)  # agency 2
    factories.run(dt.date(2025, 6, 30))
    own.after_billing()
    foreign.after_billing()
    return own, foreign


@pytest.fixture
def manager(org, make_user):
    """A manager of agency 1 (its two centres), not of agency 2."""
    return make_user("chef-ag1", Role.MANAGER, org.agencies[0])


# (name, URL from a customer's records): the back-office detail pages read with GET.
PAGES = [
    ("customer", lambda r: reverse("customers:detail", args=[r.account.number])),
    ("customer-invoices", lambda r: reverse("customers:invoices", args=[r.account.number])),
    ("customer-edit", lambda r: reverse("customers:edit", args=[r.account.number])),
    ("customer-bank-details", lambda r: reverse("customers:bank-details", args=[r.account.number])),
    ("service-point-readings", lambda r: reverse(
        "metering:service-point-readings", args=[r.account.number, r.point.reference])),
    ("invoice", lambda r: reverse("billing:invoice-detail", args=[r.invoice.number])),
    ("invoice-pdf", lambda r: reverse("billing:invoice-pdf", args=[r.invoice.number])),
    ("invoice-credit-note", lambda r: reverse(
        "billing:credit-note-create", args=[r.invoice.number])),
    ("collection-account", lambda r: reverse(
        "collections:account-collection", args=[r.account.number])),
    ("collection-card", lambda r: reverse(
        "collections:account-collection-card", args=[r.account.number])),
    ("plan", lambda r: reverse("collections:plan-detail", args=[r.plan.pk])),
    ("plan-agreement", lambda r: reverse("collections:plan-agreement", args=[r.plan.pk])),
    ("plan-create", lambda r: reverse("collections:plan-create", args=[r.account.number])),
    ("notice", lambda r: reverse("collections:notice-detail", args=[r.notice.pk])),
    ("notice-pdf", lambda r: reverse("collections:notice-pdf", args=[r.notice.pk])),
    ("budget-plan", lambda r: reverse("billing:budget-detail", args=[r.budget.pk])),
    ("budget-plan-pdf", lambda r: reverse("billing:budget-pdf", args=[r.budget.pk])),
    ("case", lambda r: reverse("cases:case-detail", args=[r.case.pk])),
    ("case-account-card", lambda r: reverse("cases:account-card", args=[r.account.number])),
]  # fmt: skip

API = [
    ("api-customer", lambda r: f"/api/v1/customers/{r.account.number}"),
    ("api-contracts", lambda r: f"/api/v1/accounts/{r.account.number}/contracts"),
    ("api-contract", lambda r: f"/api/v1/contracts/{r.contract.number}"),
    ("api-service-point", lambda r: f"/api/v1/service-points/{r.point.reference}"),
    ("api-readings", lambda r: f"/api/v1/service-points/{r.point.reference}/readings"),
    ("api-consumption", lambda r: f"/api/v1/service-points/{r.point.reference}/consumption"),
    ("api-meter", lambda r: f"/api/v1/meters/{r.meter.serial}"),
    ("api-invoice", lambda r: f"/api/v1/invoices/{r.invoice.number}"),
    ("api-invoice-pdf", lambda r: f"/api/v1/invoices/{r.invoice.number}/pdf"),
    ("api-statement", lambda r: f"/api/v1/accounts/{r.account.number}/statement"),
    ("api-open-items", lambda r: f"/api/v1/accounts/{r.account.number}/open-items"),
    ("api-account-payments", lambda r: f"/api/v1/accounts/{r.account.number}/payments"),
    ("api-allocations", lambda r: f"/api/v1/accounts/{r.account.number}/allocations"),
    ("api-payment", lambda r: f"/api/v1/payments/{r.payment.number}"),
    ("api-case", lambda r: f"/api/v1/cases/{r.case.number}"),
    ("api-collection-history", lambda r: f"/api/v1/collections/accounts/{r.account.number}/history"),
    ("api-plan", lambda r: f"/api/v1/collections/plans/{r.plan.pk}"),
    ("api-notice", lambda r: f"/api/v1/collections/notices/{r.notice.number}"),
    ("api-budget-plan", lambda r: f"/api/v1/billing/budget-plans/{r.budget.pk}"),
    ("api-budget-schedule", lambda r: f"/api/v1/billing/budget-plans/{r.budget.pk}/schedule"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[n for n, _u in PAGES])
def test_issue_13_org_2_a_detail_page_of_another_agency_is_refused(world, manager, name, url):
    own, foreign = world
    client = Client()
    client.force_login(manager)
    assert client.get(url(own)).status_code == 200, name
    assert client.get(url(foreign)).status_code in (403, 404), name


def test_issue_13_org_2_the_gdpr_export_of_another_agencys_customer_is_refused(world, manager):
    """The export is a POST (it downloads the whole customer file)."""
    own, foreign = world
    client = Client()
    client.force_login(manager)
    assert client.post(reverse("customers:export", args=[own.account.number])).status_code == 200
    response = client.post(reverse("customers:export", args=[foreign.account.number]))
    assert response.status_code in (403, 404)


@pytest.mark.parametrize(("name", "url"), API, ids=[n for n, _u in API])
def test_issue_13_org_2_an_api_read_of_another_agency_is_refused(world, manager, name, url):
    own, foreign = world
    token = organisation_services.api_token_create(user=manager)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get(url(own)).status_code == 200, name
    assert client.get(url(foreign)).status_code in (403, 404), name


def test_issue_13_org_2_the_two_agencies_records_are_really_apart(world, org):
    own, foreign = world
    assert own.account.centre.path.startswith(org.agencies[0].path)
    assert foreign.account.centre.path.startswith(org.agencies[1].path)
    assert not foreign.account.centre.path.startswith(org.agencies[0].path)


@pytest.fixture
def siblings(org):
    """Two customers of the same agency, on two different centres."""
    factories.tariff()
    own = Records(org.centres[0], None)
    sibling = Records(org.centres[1], None)
    factories.run(dt.date(2025, 6, 30))
    own.after_billing()
    sibling.after_billing()
    return own, sibling


def test_issue_13_org_2_a_centre_manager_opens_nothing_of_the_sibling_centre(
    siblings, org, make_user
):
    """Scoped to one centre, the manager is refused the neighbouring centre of the same agency
    on every page and API read above (the scope is the subtree, not the parent agency)."""
    own, sibling = siblings
    user = make_user("chef-ct11", Role.MANAGER, org.centres[0])
    web = Client()
    web.force_login(user)
    token = organisation_services.api_token_create(user=user)
    api = Client(headers={"Authorization": f"Bearer {token}"})
    wrong = []
    for client, routes in ((web, PAGES), (api, API)):
        for name, url in routes:
            if client.get(url(own)).status_code != 200:
                wrong.append((name, "own"))
            if client.get(url(sibling)).status_code not in (403, 404):
                wrong.append((name, "sibling"))
    assert wrong == []
