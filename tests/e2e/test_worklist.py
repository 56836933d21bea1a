"""The collection officer's morning in a real browser (COLL-7, COLL-13): open the worklist,
see why the top account is first, open it, come back and record the call; on a phone too."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from robinet.collections import worklist
from robinet.collections.models import CollectionEvent, PaymentPromise
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.collections.plan_fixtures import debts
from tests.customers import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(org, make_user):
    return make_user("recouvrement", Role.COLLECTION_OFFICER, org.centres[0], first_name="Inès")


@pytest.fixture
def debtors(org):
    big = factories.person(org.centres[0])
    debts(big, "900.00", "450.00")
    small = factories.person(org.centres[0])
    debts(small, "40.00")
    worklist.score_run()
    return big, small


def test_coll_7_the_officers_morning(new_page, officer, debtors):
    big, small = debtors
    page = new_page(user=officer)

    # 1. The worklist: the biggest expected loss first, with its reasons.
    page.goto("/collections/worklist/")
    rows = page.locator("#worklist-table tbody tr.worklist-row")
    expect(rows).to_have_count(2)
    top = rows.first
    expect(top).to_have_attribute("data-account", big.number)
    expect(top.locator(".reasons")).to_contain_text("montant en jeu : 1\u202f350,00\xa0€")
    expect(top.locator(".reasons")).to_contain_text("ancienneté de la dette")
    expect(top.locator(".next-action")).to_have_text("Appeler")
    expect(page.locator("#worklist-model")).to_contain_text("Score de repli")

    # 2. Open the top account's collection page, then come back.
    top.locator("a.account-link").click()
    expect(page).to_have_url(re.compile(rf"/collections/accounts/{big.number}/$"))
    page.go_back()

    # 3. Record the call from the row (htmx form).
    top = page.locator(f"tr[data-account='{big.number}']")
    top.get_by_text("Noter un appel").click()
    form = top.locator("form.contact-form")
    expect(form).to_be_visible()
    form.get_by_label("Promesse de paiement").check()
    form.get_by_label("Commentaire (factuel)").fill("Paiera 300 € vendredi.")
    form.get_by_label("Prochaine étape").fill("Vérifier le paiement")
    form.get_by_role("button", name="Enregistrer l'appel").click()
    expect(top.locator(".contact-done")).to_contain_text("Appel noté.")
    event = CollectionEvent.objects.get(kind="contact")
    assert event.summary == "Appel : Promesse de paiement. Paiera 300 € vendredi."
    assert event.account_id == big.pk
    assert event.actor_id == officer.pk

    # 4. The promise itself, from the row: dunning will hold until its date.
    top.get_by_role("link", name="Promesse", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/collections/accounts/{big.number}/promises/new/$"))
    page.get_by_label("Montant promis (€)").fill("300,00")
    page.get_by_label("Date promise").fill((clock.today() + dt.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Enregistrer la promesse").click()
    promise = PaymentPromise.objects.get(account=big)
    assert promise.amount == Decimal("300.00")
    assert promise.state == "pending"


def test_coll_7_worklist_on_a_phone(new_page, officer, debtors):
    page = new_page(width=390, height=844, user=officer)
    page.goto("/collections/worklist/")
    expect(page.locator("#worklist-table")).to_be_visible()
    expect(page.locator("#worklist-filters button[type=submit]")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
