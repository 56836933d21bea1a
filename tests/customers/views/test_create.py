"""Creating a customer (customers:create)."""

import pytest

from robinet.customers.models import CustomerAccount, Party

pytestmark = pytest.mark.django_db

PERSON = {
    "kind": "person",
    "customer_class": "individual",
    "civility": "M.",
    "name": "Dupont",
    "first_name": "Étienne",
    "postcode": "67000",
    "commune_insee": "67482",
    "address_line": "4 rue du Dôme",
}


def test_create_form_offers_the_users_centres(web, org, officer):
    response = web.login(officer).get("customers:create")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nouveau client" in html
    assert f'<option value="{org.centres[0].pk}" selected>Centre 1.1</option>' in html
    assert "Centre 1.2" not in html


def test_create_a_person(web, org, officer):
    data = {**PERSON, "centre": org.centres[0].pk}
    response = web.login(officer).post("customers:create", data=data)
    assert response.status_code == 302
    account = CustomerAccount.objects.get()
    assert response["Location"] == f"/customers/{account.number}/"
    assert account.party.first_name == "Étienne"
    assert account.centre == org.centres[0]


def test_create_with_errors_saves_nothing(web, org, officer):
    data = {**PERSON, "centre": org.centres[0].pk, "kind": "company", "siret": "123"}
    html = web.login(officer).post("customers:create", data=data).content.decode()
    assert "SIRET invalide" in html
    assert not Party.objects.exists()


def test_create_with_a_phone_asks_for_the_bloctel_notice(web, org, officer):
    data = {**PERSON, "centre": org.centres[0].pk, "mobile": "0612345678"}
    html = web.login(officer).post("customers:create", data=data).content.decode()
    assert 'id="bloctel-notice"' in html
    assert not Party.objects.exists()
    response = web.post("customers:create", data={**data, "bloctel_notice_given": "on"})
    assert response.status_code == 302
    assert Party.objects.get().bloctel_notice_at is not None


def test_create_is_denied_without_the_permission(web, auditor):
    assert web.login(auditor).get("customers:create").status_code == 403
