"""A customer officer's day in a real browser (CUST-2, CUST-3, CUST-5, CUST-10)."""

import re

import pytest
from playwright.sync_api import expect

from robinet.customers.models import Party
from tests.backoffice.helpers import make_service_point, move_in
from tests.e2e.conftest import menu

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_officer_finds_edits_and_moves_out_a_customer(new_page, org, officer, person, company):
    contract = move_in(person, make_service_point(org.centres[0]), index="120")
    page = new_page()

    # 1. Log in.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("Nom d’utilisateur").fill("officer")
    page.get_by_label("Mot de passe").fill("pw-officer")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_be_visible()

    # 2. Search by name without accents: live results (htmx), then open the customer page.
    menu(page, "Clients", "Clients")
    page.get_by_label("Rechercher un client").press_sequentially("helene lefevre", delay=20)
    result = page.locator("#results-table").get_by_role("link", name="Mme Hélène Lefèvre")
    expect(result).to_be_visible()
    expect(page).to_have_url(re.compile(r"/customers/\?q=helene"))
    result.click()
    expect(page.get_by_role("heading", name="Mme Hélène Lefèvre")).to_be_visible()

    # 3. Add a mobile number: the Bloctel notice is shown, acknowledged, then saved (CUST-5).
    page.get_by_role("link", name="Modifier").click()
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_role("button", name="Enregistrer").click()
    notice = page.locator("#bloctel-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("www.bloctel.gouv.fr")
    assert Party.objects.get(pk=person.party_id).mobile == ""
    page.get_by_label("J'ai lu cette information au client").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Données du client enregistrées.")).to_be_visible()
    expect(page.locator("#mobile-display")).to_have_text("06 12 34 56 78")
    assert Party.objects.get(pk=person.party_id).bloctel_notice_at is not None

    # 4. A professional's SIRET with a wrong check digit: error shown, nothing saved (CUST-3).
    page.goto(f"/customers/{company.number}/update/")
    expect(page.get_by_label("SIRET")).to_be_visible()  # company fields shown for a company
    expect(page.get_by_label("Prénom")).to_be_hidden()
    page.get_by_label("SIRET").fill("732 829 320 00075")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#id_siret_errors")).to_contain_text("SIRET invalide")
    assert Party.objects.get(pk=company.party_id).siret == "73282932000074"

    # 5. Register the move-out in the modal (CUST-10).
    page.goto(f"/customers/{person.number}/")
    page.locator(f"#contract-{contract.number}").get_by_role("link", name="Départ").click()
    modal = page.locator("#action-modal")
    expect(modal.get_by_role("heading", name="Départ (fin d'abonnement)")).to_be_visible()
    modal.get_by_label("Date de départ").fill("2025-06-30")
    modal.get_by_label("Index de départ (m³)").fill("90")
    modal.get_by_role("button", name="Enregistrer le départ").click()
    expect(modal.locator("#id_end_index_errors")).to_contain_text("inférieur à l'index d'arrivée")
    modal.get_by_label("Index de départ (m³)").fill("245,5")
    modal.get_by_role("button", name="Enregistrer le départ").click()
    expect(page.get_by_text("Départ enregistré.")).to_be_visible()
    contract.refresh_from_db()
    assert contract.status == "closed"
    assert str(contract.end_index) == "245.500"


def test_phone_sized_screens_do_not_overflow(new_page, org, officer, person):
    move_in(person, make_service_point(org.centres[0]))
    page = new_page(width=390, height=844, user=officer)

    def assert_no_horizontal_overflow():
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0

    page.goto("/customers/?q=lefevre")
    expect(page.get_by_role("link", name="Mme Hélène Lefèvre")).to_be_visible()
    expect(page.get_by_role("button", name="Afficher le menu")).to_be_visible()  # collapsed navbar
    assert_no_horizontal_overflow()

    page.get_by_role("link", name="Mme Hélène Lefèvre").click()
    expect(page.get_by_role("heading", name="Mme Hélène Lefèvre")).to_be_visible()
    assert_no_horizontal_overflow()

    page.get_by_role("button", name="Afficher le menu").click()
    page.get_by_role("button", name="Clients", exact=True).click()
    expect(page.get_by_role("link", name="Qualité des données")).to_be_visible()
