"""My requests on the portal (PORTAL-2, CASE-2, CASE-3, CASE-6): the account's cases with status
and response deadline, the messages exchanged without internal fields, attachments."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from robinet.cases.choices import Channel, Direction
from robinet.cases.models import Case, CaseType, Contact
from robinet.cases.services import request_record
from robinet.core import clock
from robinet.portal import actions
from robinet.portal.uploads import upload_store
from tests.portal.conftest import logged_in
from tests.portal.test_action_views import portal_urlconf  # noqa: F401  (URLs of the portal)

PDF = b"%PDF-1.4\n%%EOF\n"


def _record(account, code, subject, body="", channel=Channel.PHONE, **kwargs):
    return request_record(
        actor=None,
        account=account,
        channel=channel,
        case_type=CaseType.objects.get(code=code),
        subject=subject,
        body=body,
        **kwargs,
    )


@pytest.fixture
def cases(household, teams):
    closed = _record(
        household,
        "INFORMATION",
        "Horaires de l'accueil",
        "Note de l'agent : client pressé",
        handled_now=True,
        resolution="Renseigné au téléphone (note interne)",
    )
    claim = _record(
        household,
        "FACTURE",
        "Facture trop élevée",
        "Je conteste le montant, sinon j'écris au médiateur.",
        channel=Channel.WEB_FORM,
    )
    Case.objects.filter(pk=claim.pk).update(sensitive_reasons="MOTIF-INTERNE-SENSIBLE")
    Contact.objects.create(
        case=claim,
        account=household,
        centre=claim.centre,
        direction=Direction.OUTBOUND,
        channel=Channel.EMAIL,
        occurred_at=clock.now(),
        recorded_at=clock.now(),
        subject="Votre réclamation",
        body="Nous vérifions votre relevé et revenons vers vous.",
        is_holding_reply=True,
    )
    Contact.objects.create(
        case=claim,
        account=household,
        centre=claim.centre,
        direction=Direction.OUTBOUND,
        channel=Channel.PHONE,
        occurred_at=clock.now(),
        recorded_at=clock.now(),
        subject="Appel sortant",
        body="BROUILLON-INTERNE ne pas montrer",
    )
    return {"closed": closed, "claim": claim}


def test_portal2_cases_open_first(household, cases):
    rows = list(actions.cases_of(household))
    assert [c.pk for c in rows] == [cases["claim"].pk, cases["closed"].pk]


def test_portal2_case3_list_shows_status_and_due_date(portal, cases):
    page = portal.get("/espace-client/demandes/").content.decode()
    claim = cases["claim"]
    assert claim.number in page
    assert cases["closed"].number in page
    assert page.index(claim.number) < page.index(cases["closed"].number)
    assert "Reçue, en cours de traitement" in page
    assert "Traitée" in page
    assert timezone.localtime(claim.response_due).strftime("%d/%m/%Y") in page
    assert "Réponse prévue au plus tard le" in page


def test_portal2_detail_shows_exchanges_without_internal_fields(portal, cases):
    claim = cases["claim"]
    page = portal.get(f"/espace-client/demandes/{claim.number}/").content.decode()
    assert "Je conteste le montant" in page  # the customer's own message
    assert "Nous vérifions votre relevé" in page  # our written answer
    assert "MOTIF-INTERNE-SENSIBLE" not in page
    assert "BROUILLON-INTERNE" not in page
    assert "Facture" in page


def test_portal2_phone_notes_and_resolution_hidden(portal, cases):
    closed = cases["closed"]
    page = portal.get(f"/espace-client/demandes/{closed.number}/").content.decode()
    assert "Note de l'agent" not in page
    assert "note interne" not in page
    assert "Traitée" in page


def test_security_stranger_gets_404_on_customer_case(stranger, cases):
    browser = logged_in(stranger)
    assert browser.get(f"/espace-client/demandes/{cases['claim'].number}/").status_code == 404
    assert browser.get("/espace-client/demandes/DOS-2099-999999/").status_code == 404
    assert cases["claim"].number not in browser.get("/espace-client/demandes/").content.decode()


def test_portal1_anonymous_sent_to_login_from_request_and_file(client, customer, household, cases):
    upload = upload_store(
        user=customer, account=household, upload=SimpleUploadedFile("a.pdf", PDF), case=None
    )
    for url in (
        f"/espace-client/demandes/{cases['claim'].number}/",
        f"/espace-client/fichiers/{upload.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "next=" in response["Location"]


def test_portal2_attachment_listed_and_served_to_its_owner(portal, customer, household, cases):
    upload = upload_store(
        user=customer,
        account=household,
        upload=SimpleUploadedFile("relevé.pdf", PDF, "application/pdf"),
        case=cases["claim"],
    )
    page = portal.get(f"/espace-client/demandes/{cases['claim'].number}/").content.decode()
    assert f"/espace-client/fichiers/{upload.pk}/" in page
    response = portal.get(f"/espace-client/fichiers/{upload.pk}/")
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_security_stranger_gets_404_on_customer_upload(stranger, customer, household):
    upload = upload_store(user=customer, account=household, upload=SimpleUploadedFile("a.pdf", PDF))
    assert logged_in(stranger).get(f"/espace-client/fichiers/{upload.pk}/").status_code == 404


def test_security_unlinked_account_upload_no_longer_served(customer, household):
    upload = upload_store(user=customer, account=household, upload=SimpleUploadedFile("a.pdf", PDF))
    customer.links.all().delete()
    assert logged_in(customer).get(f"/espace-client/fichiers/{upload.pk}/").status_code == 404


def test_case2_portal_request_appears_in_my_requests(portal, customer, household, teams):
    case = actions.move_request(
        user=customer, account=household, kind="in", on=dt.date(2026, 4, 1), index="12"
    )
    page = portal.get("/espace-client/demandes/").content.decode()
    assert case.number in page
    assert "Arrivée" in page
