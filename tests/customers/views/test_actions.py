"""Small actions on the customer page: each a form calling one service (CUST-6…11)."""

import pytest

from robinet.core.models import AuditEvent
from robinet.customers.models import (
    AddressInquiry,
    Comment,
    Contract,
    CustomerAccount,
    Particularity,
    Party,
)
from tests.backoffice.helpers import make_person, make_service_point, move_in

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"


@pytest.mark.parametrize(
    "name",
    ["bank-details", "particularity-add", "comment-add", "returned-mail", "move-in"],
)
def test_action_forms_render_as_page_and_as_modal(web, officer, person, name):
    web.login(officer)
    page = web.get(f"customers:{name}", person.number)
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    modal = web.get(f"customers:{name}", person.number, htmx=True).content.decode()
    assert "<html" not in modal
    assert 'class="modal-header"' in modal
    assert f'hx-post="/customers/{person.number}/' in modal


def test_action_forms_are_denied_to_a_read_only_user(web, auditor, person):
    web.login(auditor)
    assert web.get("customers:bank-details", person.number).status_code == 403
    assert web.post("customers:comment-add", person.number, data={"text": "x"}).status_code == 403
    assert not Comment.objects.exists()


def test_action_on_another_centres_account_is_not_found(web, org, officer):
    elsewhere = make_person(org.centres[1])
    assert web.login(officer).get("customers:bank-details", elsewhere.number).status_code == 404


# --- CUST-6 bank details ----------------------------------------------------------------------


def test_bank_details_saved(web, officer, person):
    data = {"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "", "channel": "phone",
            "requester": "holder"}  # fmt: skip
    response = web.login(officer).post("customers:bank-details", person.number, data=data)
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{person.number}/#account"
    assert CustomerAccount.objects.get(pk=person.pk).iban == IBAN


def test_bank_details_change_by_a_third_party_over_the_phone_is_refused(web, officer, person):
    data = {"iban": IBAN, "channel": "phone", "requester": "third_party"}
    response = web.login(officer).post("customers:bank-details", person.number, data=data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "doit être faite par écrit" in html
    assert "Demande écrite obligatoire." in html
    assert CustomerAccount.objects.get(pk=person.pk).iban == ""


def test_invalid_iban_is_a_field_error(web, officer, person):
    data = {"iban": "FR7630006000011234567890188", "channel": "letter", "requester": "holder"}
    html = (
        web.login(officer).post("customers:bank-details", person.number, data=data).content.decode()
    )
    assert "IBAN invalide" in html
    assert 'id="id_iban_errors"' in html


def test_htmx_success_redirects_the_page(web, officer, person):
    data = {"iban": IBAN, "channel": "letter", "requester": "holder"}
    response = web.login(officer).post(
        "customers:bank-details", person.number, data=data, htmx=True
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/customers/{person.number}/"


def test_htmx_error_rerenders_the_modal(web, officer, person):
    data = {"iban": "nope", "channel": "letter", "requester": "holder"}
    response = web.login(officer).post(
        "customers:bank-details", person.number, data=data, htmx=True
    )
    html = response.content.decode()
    assert "HX-Redirect" not in response
    assert 'class="modal-header"' in html
    assert "IBAN invalide" in html


# --- CUST-7 particularities -------------------------------------------------------------------


def test_particularity_form_hides_the_comment_for_nec(web, officer, person):
    html = web.login(officer).get("customers:particularity-add", person.number).content.decode()
    assert 'data-disable-when="id_kind:nec"' in html


def test_nec_with_a_comment_is_refused(web, officer, person):
    data = {"kind": "nec", "comment": "dialyse à domicile"}
    html = (
        web.login(officer)
        .post("customers:particularity-add", person.number, data=data)
        .content.decode()
    )
    assert "Aucun commentaire ne doit justifier une particularité NEC" in html
    assert not Particularity.objects.exists()


def test_nec_added_then_ended(web, officer, person):
    web.login(officer)
    response = web.post("customers:particularity-add", person.number, data={"kind": "nec"})
    assert response.status_code == 302
    particularity = Particularity.objects.get()
    assert particularity.kind == "nec"
    assert particularity.comment == ""
    response = web.post("customers:particularity-end", person.number, particularity.pk, data={})
    assert response.status_code == 302
    particularity.refresh_from_db()
    assert particularity.ended_on is not None
    # Ended: no form any more.
    assert (
        web.get("customers:particularity-end", person.number, particularity.pk).status_code == 404
    )


def test_same_particularity_twice_is_an_inline_alert(web, officer, person):
    web.login(officer)
    web.post("customers:particularity-add", person.number, data={"kind": "fsl"})
    html = web.post(
        "customers:particularity-add", person.number, data={"kind": "fsl"}
    ).content.decode()
    assert "Cette particularité est déjà active sur le compte." in html
    assert Particularity.objects.count() == 1


# --- CUST-8 comments --------------------------------------------------------------------------


def test_comment_added(web, officer, person):
    data = {"text": "Chien dans le jardin, prévenir le releveur."}
    response = web.login(officer).post("customers:comment-add", person.number, data=data)
    assert response.status_code == 302
    assert Comment.objects.get().author == officer


def test_judgemental_comment_is_refused_with_an_explanation(web, officer, person):
    data = {"text": "Client mauvais payeur, à surveiller"}
    html = (
        web.login(officer).post("customers:comment-add", person.number, data=data).content.decode()
    )
    assert "Commentaire refusé (RGPD)" in html
    assert "« mauvais payeur » :" in html
    assert 'id="id_text_errors"' in html
    assert not Comment.objects.exists()


# --- CUST-11 returned mail --------------------------------------------------------------------


def test_returned_mail_recorded_then_cleared(web, officer, person):
    web.login(officer)
    response = web.post(
        "customers:returned-mail", person.number, data={"received_on": "2025-02-03"}
    )
    assert response.status_code == 302
    party = Party.objects.get(pk=person.party_id)
    assert str(party.address_invalid_since) == "2025-02-03"
    assert AddressInquiry.objects.get().closed_on is None
    html = web.get("customers:detail", person.number).content.decode()
    assert "Client retrouvé (lever le NPAI)" in html

    response = web.post("customers:returned-mail-clear", person.number, data={"outcome": "Mairie"})
    assert response.status_code == 302
    assert Party.objects.get(pk=person.party_id).address_invalid_since is None
    assert AddressInquiry.objects.get().outcome == "Mairie"


# --- CUST-10 contracts ------------------------------------------------------------------------


def test_move_in_offers_vacant_service_points_and_checks_the_serial(web, org, officer, person):
    service_point = make_service_point(org.centres[0], serial="I21XY000001")
    occupied = make_service_point(org.centres[0], serial="I21XY000002", street="rue Occupée")
    move_in(make_person(org.centres[0], name="Occupant", email=""), occupied)
    web.login(officer)
    html = web.get("customers:move-in", person.number).content.decode()
    assert service_point.reference in html
    assert occupied.reference not in html
    assert "I21XY000001" not in html  # the serial is typed from what the customer reads

    data = {"service_point": service_point.pk, "meter_serial": "I21XY999999",
            "start_date": "2025-01-10", "start_index": "42"}  # fmt: skip
    html = web.post("customers:move-in", person.number, data=data).content.decode()
    assert "Le matricule ne correspond pas au compteur posé" in html
    assert not Contract.objects.filter(account=person).exists()

    data["meter_serial"] = "i21xy000001"
    response = web.post("customers:move-in", person.number, data=data)
    assert response.status_code == 302
    contract = Contract.objects.get(account=person)
    assert str(contract.start_index) == "42.000"


def test_move_in_without_vacant_service_point_says_so(web, officer, person):
    html = web.login(officer).get("customers:move-in", person.number).content.decode()
    assert "Aucun point de desserte libre dans ce centre" in html


def test_move_out(web, org, officer, person):
    contract = move_in(person, make_service_point(org.centres[0]), index="120")
    web.login(officer)
    html = web.get("customers:move-out", person.number, contract.number).content.decode()
    assert contract.number in html
    data = {"end_date": "2025-06-30", "end_index": "100", "reason": "move_out",
            "channel": "phone", "requester": "holder"}  # fmt: skip
    html = web.post(
        "customers:move-out", person.number, contract.number, data=data
    ).content.decode()
    assert "L&#x27;index de départ est inférieur à l&#x27;index d&#x27;arrivée" in html
    data["end_index"] = "250"
    response = web.post("customers:move-out", person.number, contract.number, data=data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "closed"
    assert str(contract.end_date) == "2025-06-30"


def test_move_out_by_a_third_party_over_the_phone_is_refused(web, org, officer, person):
    contract = move_in(person, make_service_point(org.centres[0]))
    data = {"end_date": "2025-06-30", "end_index": "250", "reason": "termination",
            "channel": "phone", "requester": "third_party"}  # fmt: skip
    web.login(officer)
    html = web.post(
        "customers:move-out", person.number, contract.number, data=data
    ).content.decode()
    assert "doit être faite par écrit" in html
    contract.refresh_from_db()
    assert contract.status == "active"


def test_contract_of_another_account_is_not_found(web, org, officer, person):
    other = make_person(org.centres[0], name="Autre", email="")
    contract = move_in(other, make_service_point(org.centres[0]))
    web.login(officer)
    assert web.get("customers:move-out", person.number, contract.number).status_code == 404


def test_change_of_holder(web, org, officer, person):
    contract = move_in(person, make_service_point(org.centres[0]), index="120")
    new_holder = make_person(org.centres[0], first_name="Paul", email="")
    web.login(officer)
    data = {"new_account_number": "123456789", "change_date": "2025-05-01", "index": "300",
            "reason": "separation", "channel": "letter"}  # fmt: skip
    url = ("customers:change-holder", person.number, contract.number)
    html = web.post(*url, data=data).content.decode()
    assert "Aucun compte client de vos centres ne porte ce numéro." in html

    data["new_account_number"] = new_holder.number
    data["channel"] = "phone"
    html = web.post(*url, data=data).content.decode()
    assert "Mutation par écrit uniquement" in html
    contract.refresh_from_db()
    assert contract.status == "active"

    data["channel"] = "letter"
    response = web.post(*url, data=data)
    assert response.status_code == 302
    new_contract = Contract.objects.get(account=new_holder)
    assert new_contract.free_of_charge is True
    assert new_contract.previous_contract == contract


def test_contract_actions_are_denied_without_contract_permission(web, org, auditor, person):
    contract = move_in(person, make_service_point(org.centres[0]))
    web.login(auditor)
    assert web.get("customers:move-out", person.number, contract.number).status_code == 403
    assert web.get("customers:move-in", person.number).status_code == 403
    assert AuditEvent.objects.filter(verb="contract_moved_out").count() == 0
