"""Customer page (360°, customers:detail)."""

import pytest

from robinet.customers import services
from robinet.customers.models import Party
from tests.backoffice.helpers import make_company, make_person, make_service_point, move_in

pytestmark = pytest.mark.django_db


def test_detail_shows_party_account_and_contact_data(web, officer, person):
    services.party_update(
        actor=None, account=person, party={"mobile": "06 12 34 56 78"}, bloctel_notice_given=True
    )
    services.bank_details_update(
        actor=None, account=person, iban="FR76 3000 6000 0112 3456 7890 189", channel="letter"
    )
    response = web.login(officer).get("customers:detail", person.number)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mme Hélène Lefèvre" in html
    assert "06 12 34 56 78" in html
    assert "helene.lefevre@example.fr" in html
    assert "Particulier" in html
    assert "Centre 1.1" in html
    # IBAN masked except the last four characters.
    assert "FR•• •••• •••• 0189" in html
    assert "FR7630006000011234567890189" not in html
    assert "Les factures, paiements, relances et demandes apparaîtront ici." in html


def test_detail_of_a_company_shows_siret_and_naf_label(web, officer, company):
    html = web.login(officer).get("customers:detail", company.number).content.decode()
    assert "73282932000074" in html
    assert "SIREN 732829320" in html
    assert "10.71C" in html
    assert "Boulangerie et boulangerie-pâtisserie" in html


def test_detail_shows_contracts_with_service_point_and_meter(web, org, officer, person):
    service_point = make_service_point(org.centres[0], serial="I21AB000042", meter_location="Cave")
    contract = move_in(person, service_point, index="120.5")
    html = web.login(officer).get("customers:detail", person.number).content.decode()
    assert contract.number in html
    assert service_point.reference in html
    assert "I21AB000042" in html
    assert "Ø 15 mm" in html
    assert "Cave" in html
    assert "Accessible" in html
    assert "01/03/2024" in html
    assert "120,5 m³" in html


def test_detail_shows_consistency_warnings(web, org, officer):
    account = make_company(org.centres[0])
    # A legacy inconsistency the services would refuse: written directly (test setup only).
    Party.objects.filter(pk=account.party_id).update(siret="")
    html = web.login(officer).get("customers:detail", account.number).content.decode()
    assert 'id="consistency-warnings"' in html
    assert "Le SIRET est obligatoire pour cette classe de client." in html


def test_nec_is_a_flag_without_comment(web, officer, person):
    services.particularity_add(actor=None, account=person, kind="nec")
    services.particularity_add(
        actor=None, account=person, kind="fsl", comment="Dossier FSL 2024-17"
    )
    html = web.login(officer).get("customers:detail", person.number).content.decode()
    assert 'id="nec-flag"' in html
    assert "NEC — non éligible à la coupure" in html
    assert "Dossier FSL 2024-17" in html


def test_returned_mail_shows_npai(web, officer, person):
    services.returned_mail_record(actor=None, account=person)
    html = web.login(officer).get("customers:detail", person.number).content.decode()
    assert ">NPAI<" in html
    assert "relances suspendues" in html


def test_other_accounts_and_comments(web, org, officer, person):
    other = services.customer_create(
        actor=None, centre=org.centres[0], party={"kind": "person", "name": "X"},
        account={"customer_class": "individual"},
    )  # fmt: skip
    services.comment_add(actor=officer, account=person, text="Rappeler après 18 h.")
    html = web.login(officer).get("customers:detail", person.number).content.decode()
    assert "Rappeler après 18 h." in html
    assert other.number not in html  # another party's account is not "other accounts"


def test_history_says_who_when_and_what_in_french(web, officer, person):
    services.party_update(actor=officer, account=person, party={"email": "h.lefevre@example.org"})
    html = web.login(officer).get("customers:detail", person.number).content.decode()
    assert "Modification des données client" in html
    assert "Création du client" in html
    assert (
        'helene.lefevre@example.fr → <span class="fw-semibold">h.lefevre@example.org</span>' in html
    )
    assert "officer" in html
    # Choice values are read as labels; fields empty before and after are not listed.
    assert (
        '<span class="text-secondary">Type d&#x27;acteur</span> : — → '
        '<span class="fw-semibold">Personne physique</span>'
    ) in html
    assert '<span class="text-secondary">SIRET</span>' not in html


def test_history_of_a_move_in_reads_its_data(web, org, officer, person):
    move_in(person, make_service_point(org.centres[0]), index="120")
    html = web.login(officer).get("customers:detail", person.number).content.decode()
    assert "Arrivée (nouvel abonnement)" in html
    assert '<span class="text-secondary">index d&#x27;arrivée</span> : 120 m³' in html
    assert '<span class="text-secondary">arrivée le</span> : 01/03/2024' in html


def test_actions_are_shown_only_with_the_permission(web, officer, auditor, person):
    html = web.login(officer).get("customers:detail", person.number).content.decode()
    assert f'href="/customers/{person.number}/update/"' in html
    assert "Export RGPD" in html
    html = web.login(auditor).get("customers:detail", person.number).content.decode()
    assert f'href="/customers/{person.number}/update/"' not in html
    assert "Export RGPD" not in html
    assert "Mme Hélène Lefèvre" in html


def test_another_centres_account_is_not_found(web, org, officer):
    elsewhere = make_person(org.centres[2])
    assert web.login(officer).get("customers:detail", elsewhere.number).status_code == 404


def test_unknown_account_is_not_found(web, officer):
    assert web.login(officer).get("customers:detail", "999999999").status_code == 404


def test_detail_is_denied_without_the_permission(web, agency_user, person):
    assert web.login(agency_user).get("customers:detail", person.number).status_code == 403
