"""Editing a customer (customers:edit): service errors on the form, Bloctel prompt (CUST-2…5)."""

import pytest

from robinet.core.models import AuditEvent
from robinet.customers.models import Party
from tests.backoffice.helpers import edit_data

pytestmark = pytest.mark.django_db


def test_edit_form_is_prefilled_in_french(web, officer, company):
    response = web.login(officer).get("customers:edit", company.number)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Boulangerie du Marché"' in html
    assert 'value="73282932000074"' in html
    assert "Nom / raison sociale" in html
    assert "Classe client" in html
    assert 'data-show-when="id_kind:company"' in html


def test_invalid_siret_is_a_field_error_and_nothing_is_saved(web, officer, company):
    # CUST-3
    events = AuditEvent.objects.count()
    data = edit_data(company, siret="73282932000075", name="Boulangerie Renommée")
    response = web.login(officer).post("customers:edit", company.number, data=data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "SIRET invalide" in html
    assert 'id="id_siret_errors"' in html
    assert 'aria-invalid="true"' in html
    assert "alert-danger" in html
    party = Party.objects.get(pk=company.party_id)
    assert party.siret == "73282932000074"
    assert party.name == "Boulangerie du Marché"
    assert AuditEvent.objects.count() == events


def test_consistency_error_on_class_and_kind(web, officer, company):
    # CUST-2: a company is never an individual.
    data = edit_data(company, customer_class="individual")
    html = web.login(officer).post("customers:edit", company.number, data=data).content.decode()
    assert "pas de classe « particulier » pour une entreprise" in html
    assert 'id="id_customer_class_errors"' in html


def test_edit_saves_and_redirects_with_a_message(web, officer, company):
    data = edit_data(company, email="contact@boulangerie.example", naf_code="1071c")
    response = web.login(officer).post("customers:edit", company.number, data=data)
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{company.number}/"
    party = Party.objects.get(pk=company.party_id)
    assert party.email == "contact@boulangerie.example"
    company.refresh_from_db()
    assert company.naf_code == "10.71C"
    page = web.get(response["Location"]).content.decode()
    assert "Données du client enregistrées." in page


def test_bloctel_notice_is_required_for_a_persons_new_phone(web, officer, person):
    # CUST-5: the notice is shown and the number is not recorded until it is read.
    web.login(officer)
    data = edit_data(person, mobile="06 12 34 56 78")
    response = web.post("customers:edit", person.number, data=data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="bloctel-notice"' in html
    assert "www.bloctel.gouv.fr" in html
    assert "vous acceptez de recevoir de la part de notre société" in html
    assert "J&#x27;ai lu cette information au client" in html
    assert 'name="bloctel_notice_given"' in html
    assert Party.objects.get(pk=person.party_id).mobile == ""

    # When the officer ticks the box, the number and the delivery are recorded.
    response = web.post(
        "customers:edit", person.number, data={**data, "bloctel_notice_given": "on"}
    )
    assert response.status_code == 302
    party = Party.objects.get(pk=person.party_id)
    assert party.mobile == "+33612345678"
    assert party.bloctel_notice_at is not None
    assert AuditEvent.objects.filter(verb="bloctel_notice_given").count() == 1


def test_no_bloctel_notice_for_a_company(web, officer, company):
    data = edit_data(company, mobile="06 12 34 56 78")
    response = web.login(officer).post("customers:edit", company.number, data=data)
    assert response.status_code == 302
    assert Party.objects.get(pk=company.party_id).mobile == "+33612345678"


def test_unchanged_phone_does_not_prompt_again(web, officer, person):
    web.login(officer)
    data = edit_data(person, mobile="0612345678", bloctel_notice_given="on")
    assert web.post("customers:edit", person.number, data=data).status_code == 302
    person.refresh_from_db()
    data = edit_data(person, email="autre@example.fr")
    assert web.post("customers:edit", person.number, data=data).status_code == 302


def test_edit_is_denied_to_a_read_only_user(web, auditor, person):
    web.login(auditor)
    assert web.get("customers:edit", person.number).status_code == 403
    data = edit_data(person, name="Autre")
    assert web.post("customers:edit", person.number, data=data).status_code == 403
    assert Party.objects.get(pk=person.party_id).name == "Lefèvre"


def test_edit_of_another_centres_account_is_not_found(web, org, make_user, person):
    from robinet.organisation.roles import Role

    other = make_user("other", Role.CUSTOMER_OFFICER, org.centres[3])
    assert web.login(other).get("customers:edit", person.number).status_code == 404
