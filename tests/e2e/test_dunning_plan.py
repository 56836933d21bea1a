"""A plan pauses dunning; a missed instalment breaks it and dunning resumes (COLL-3, COLL-5).

The collection officer agrees a plan from the debtor's collection page, opens
the agreement to sign, sees the day's proposal hold the account, then runs the
proposal of a later day — after the first instalment and its grace period,
unpaid (the proposal date plays the frozen clock) — and sees the plan broken
and the account proposed again at the level it had.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.collections import services
from robinet.collections.models import DunningProposal, PaymentPlan
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.collections.conftest import bill
from tests.metering.factories import occupied_point

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def debtor(org):
    services.procedures_seed()
    account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    bill(account, issued=clock.today() - dt.timedelta(days=40), amount="240.00")
    return account


@pytest.fixture
def collector(org, make_user):
    return make_user("recouvreur", Role.COLLECTION_OFFICER, org.centres[0])


def propose(page, on: dt.date) -> None:
    page.goto("/collections/dunning/")
    page.get_by_label("Date de la proposition").fill(on.isoformat())
    page.get_by_label("Entité").select_option("CT11")
    page.get_by_role("button", name="Lancer une proposition").click()
    expect(page).to_have_url(re.compile(r"/collections/dunning/\d+/$"))


def test_coll5_plan_pauses_dunning_and_a_missed_instalment_resumes_it(new_page, debtor, collector):
    today = clock.today()
    first_due = today + dt.timedelta(days=10)
    page = new_page(user=collector)
    page.set_default_timeout(30_000)  # a shared two-core machine

    # 1. From the debtor's collection page, agree a plan of two instalments.
    page.goto(f"/collections/accounts/{debtor.number}/")
    page.get_by_role("link", name="Accorder un échéancier").click()
    page.get_by_label("Nombre d'échéances mensuelles").fill("2")
    page.get_by_label("Date de la première échéance").fill(first_due.isoformat())
    page.get_by_role("button", name="Accorder l'échéancier").click()
    expect(page).to_have_url(re.compile(r"/collections/plans/\d+/$"))
    expect(page.locator("#plan-state")).to_have_text("En cours")
    plan = PaymentPlan.objects.get()

    # 2. The agreement to sign.
    response = page.request.get(page.locator("#plan-agreement-link").get_attribute("href"))
    assert response.status == 200
    assert response.body().startswith(b"%PDF")

    # 3. Today's proposal holds the account: dunning is paused by the plan.
    propose(page, today)
    row = page.locator("#proposal-table tbody.proposal").filter(has_text=debtor.number)
    expect(row.locator(".proposal-status")).to_have_text("Bloqué")
    expect(row).to_contain_text("Échéancier en cours")

    # 4. The first instalment passes unpaid, then its grace period: a later day's
    #    proposal finds the plan broken and proposes the account again.
    later = first_due + dt.timedelta(days=plan.grace_days + 1)
    propose(page, later)
    row = page.locator("#proposal-table tbody.proposal").filter(has_text=debtor.number)
    expect(row.locator(".proposal-status")).to_have_text("Proposé")
    proposal = DunningProposal.objects.filter(account=debtor).latest("pk")
    assert proposal.run.run_date == later
    assert proposal.level.sequence == 2  # the first reminder: the level it had next

    # 5. The plan is broken, on its page and on the timeline.
    page.goto(f"/collections/plans/{plan.pk}/")
    expect(page.locator("#plan-state")).to_have_text("Rompu")
    page.goto(f"/collections/accounts/{debtor.number}/")
    expect(page.locator("body")).to_contain_text("Échéancier rompu")
