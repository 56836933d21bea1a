"""Dunning in a real browser (COLL-2, COLL-3, COLL-13): a collection officer opens
« Relances », launches the day's proposal, leaves one item out with a reason, issues the
notices and reads one; on a phone, the proposal page stays usable."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.collections import services
from robinet.collections.models import DunningNotice, ProposalItem
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.collections.conftest import bill
from tests.e2e.conftest import menu
from tests.metering.factories import occupied_point

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def debtors(org):
    """Two households of the first centre with bills 40 days old (one with two bills)."""
    services.procedures_seed()
    today = clock.today()
    first, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    second, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    bills = [
        bill(first, issued=today - dt.timedelta(days=40), amount="70.00"),
        bill(first, issued=today - dt.timedelta(days=40), amount="30.00"),
        bill(second, issued=today - dt.timedelta(days=40), amount="45.00"),
    ]
    return first, second, bills


@pytest.fixture
def collector(org, make_user):
    return make_user("recouvreur", Role.COLLECTION_OFFICER, org.centres[0])


def test_coll2_propose_review_issue_and_read_a_notice(new_page, debtors, collector):
    first, second, bills = debtors
    page = new_page(user=collector)
    page.set_default_timeout(30_000)  # a shared two-core machine

    # 1. « Relances » from the menu, then the day's proposal for the centre.
    page.goto("/")
    menu(page, "Relances", "Recouvrement")
    expect(page).to_have_url(re.compile(r"/collections/dunning/$"))
    page.get_by_label("Entité").select_option("CT11")
    page.get_by_role("button", name="Lancer une proposition").click()
    expect(page).to_have_url(re.compile(r"/collections/dunning/\d+/$"))
    table = page.locator("#proposal-table")
    expect(table).to_contain_text(first.number)
    expect(table).to_contain_text(second.number)
    expect(page.locator("#count-proposed")).to_have_text("2")

    # 2. One item of the first account is left out, with a reason (the error first).
    item = ProposalItem.objects.get(open_item__invoice=bills[1])
    row = page.locator(f"#proposal-item-{item.pk}")
    row.get_by_role("button", name="Exclure le poste").click()
    expect(page.locator(f"#proposal-item-{item.pk}")).to_contain_text(
        "Indiquez le motif de l'exclusion."
    )
    page.locator(f"#item-reason-{item.pk}").fill("Facture contestée par téléphone")
    page.locator(f"#proposal-item-{item.pk}").get_by_role("button", name="Exclure le poste").click()
    expect(page.locator(f"#proposal-item-{item.pk}")).to_contain_text(
        "Facture contestée par téléphone"
    )
    item.refresh_from_db()
    assert item.excluded

    # 3. Issue: the notices of the run are listed; the button is gone from the proposal.
    page.get_by_role("button", name="Émettre les relances").click()
    expect(page).to_have_url(re.compile(r"/collections/notices/\?run=\d+$"))
    expect(page.locator("#notice-table tbody tr")).to_have_count(2)
    notice = DunningNotice.objects.get(account=first)
    assert [i.document_number for i in notice.items.all()] == [bills[0].number]

    # 4. The notice: items, rules with their sources, channels.
    page.get_by_role("link", name=notice.number).click()
    expect(page.locator("h1")).to_contain_text(notice.number)
    expect(page.locator("#notice-items")).to_contain_text(bills[0].number)
    expect(page.locator("#notice-items")).not_to_contain_text(bills[1].number)
    expect(page.locator("#notice-rules")).to_contain_text("FR-CASF-L115-3")

    # 5. Its letter.
    href = page.locator("#notice-pdf").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # 6. Back on the proposal: issued, no more review forms.
    page.goto(f"/collections/dunning/{notice.proposal.run_id}/")
    expect(page.locator("#issued-notices")).to_be_visible()
    expect(page.get_by_role("button", name="Émettre les relances")).to_have_count(0)
    expect(page.get_by_role("button", name="Exclure le poste")).to_have_count(0)


def test_coll2_proposal_page_on_a_phone(new_page, debtors, collector):
    run = services.dunning_propose(actor=collector, on=clock.today(), entity_code="CT11")
    page = new_page(width=390, height=844, user=collector)
    page.set_default_timeout(30_000)
    page.goto(f"/collections/dunning/{run.pk}/")
    expect(page.get_by_role("button", name="Émettre les relances")).to_be_visible()
    expect(page.locator(".table-responsive #proposal-table")).to_have_count(1)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    # The review form of an account is reachable (the table scrolls inside its box).
    form = page.locator(".proposal-exclude-form").first
    form.scroll_into_view_if_needed()
    expect(form.get_by_role("button", name="Exclure le compte")).to_be_visible()
    form.get_by_role("textbox").fill("Client décédé, succession en cours")
    form.get_by_role("button", name="Exclure le compte").click()
    # The figures at the top follow the review.
    expect(page.locator("#count-excluded")).to_have_text("1")
    expect(page.locator("#count-proposed")).to_have_text("1")
    assert (
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        <= 0
    )
