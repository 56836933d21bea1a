"""Portal self-service actions through the browser (PORTAL-2, PORTAL-3, CASE-2, CASE-6, security).

The other portal modules (sign-in, home, bills) are built alongside: until they
are wired, :data:`urlpatterns` adds placeholder routes for the names the base
template reverses, so these tests run alone and after integration alike.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import include, path

from robinet import urls as project_urls
from robinet.cases.choices import CaseStatus
from robinet.cases.models import Case
from robinet.customers.models import CustomerAccount
from robinet.metering.choices import ReadingSource
from robinet.metering.models import Reading
from robinet.payments.models import Mandate, MandateStatus
from robinet.portal import urls as portal_urls
from robinet.portal.models import PortalUpload
from tests.portal.conftest import make_portal_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
IBAN = "FR7630006000011234567890189"


def _placeholder(request, *args, **kwargs):
    return HttpResponse("placeholder")


_names = {getattr(p, "name", None) for p in portal_urls.urlpatterns}
_placeholders = [
    path(f"_placeholder/{name}/", _placeholder, name=name)
    for name in ("home", "login", "logout", "calculator", "bills", "profile")
    if name not in _names
]
urlpatterns = [
    path("espace-client/", include(([*portal_urls.urlpatterns, *_placeholders], "portal"))),
    *[p for p in project_urls.urlpatterns if str(p.pattern) != "espace-client/"],
]


@pytest.fixture(autouse=True)
def portal_urlconf(settings):
    """This module's URLs (placeholders for the portal pages built alongside)."""
    settings.ROOT_URLCONF = __name__
    return settings


def _case(number):
    return Case.objects.get(number=number)


def _last_case(account):
    return Case.objects.filter(account=account).order_by("-id").first()


# --- access -------------------------------------------------------------------------------------

ACTION_URLS = [
    "/espace-client/demandes/",
    "/espace-client/demarches/",
    "/espace-client/demarches/releve/",
    "/espace-client/demarches/delai-de-paiement/",
    "/espace-client/demarches/fuite/",
    "/espace-client/demarches/demenagement/",
    "/espace-client/demarches/coordonnees/",
    "/espace-client/demarches/prelevement/",
    "/espace-client/demarches/services/",
    "/espace-client/demarches/demande/",
    "/espace-client/demarches/mes-donnees/",
]


@pytest.mark.parametrize("url", ACTION_URLS)
def test_portal1_anonymous_visitor_is_sent_to_login(client, household, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/espace-client/" in response["Location"]
    assert "next=" in response["Location"]


@pytest.mark.parametrize("url", ACTION_URLS)
def test_portal2_pages_render_for_the_customer(portal, teams, url):
    response = portal.get(url)
    assert response.status_code == 200
    assert b'lang="fr"' in response.content


@pytest.mark.parametrize("url", ACTION_URLS[2:])
def test_security_stranger_cannot_act_on_another_account(stranger, household, teams, url):
    from tests.portal.conftest import logged_in

    other = logged_in(stranger)
    assert other.get(url, {"compte": household.number}).status_code == 404
    assert other.post(url, {"compte": household.number}).status_code == 404


def test_security_portal_session_gives_no_backoffice_access(portal):
    response = portal.get("/customers/")
    assert response.status_code == 302
    assert "/espace-client/" not in response["Location"]


def test_security_changes_need_post_with_csrf(customer, household, teams):
    from tests.portal.conftest import logged_in

    browser = logged_in(customer)
    browser.handler.enforce_csrf_checks = True
    response = browser.post(
        "/espace-client/demarches/demenagement/",
        {"compte": household.number, "kind": "out", "on": "2026-03-31"},
    )
    assert response.status_code == 403
    assert not Case.objects.filter(account=household).exists()


# --- actions ------------------------------------------------------------------------------------


def test_portal2_meter2_reading_accepted(portal, household, teams):
    response = portal.post(
        "/espace-client/demarches/releve/",
        {"compte": household.number, "index": "160", "read_on": "2026-03-04"},
    )
    assert response.status_code == 200
    assert "Relevé accepté" in response.content.decode()
    reading = Reading.objects.get(service_point__contracts__account=household)
    assert reading.source == ReadingSource.SELF


def test_portal2_meter2_reading_refused_with_reason(portal, household, teams):
    from tests.metering.factories import read

    read(household.contracts.get().service_point, dt.date(2026, 1, 5), 120)
    response = portal.post(
        "/espace-client/demarches/releve/",
        {"compte": household.number, "index": "50", "read_on": "2026-03-04"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Relevé refusé" in page or "Relevé à vérifier" in page
    assert 'role="alert"' in page
    assert "inférieur" in page  # the reason, in words


def test_portal2_reading_form_errors_next_to_field(portal, household):
    response = portal.post(
        "/espace-client/demarches/releve/", {"compte": household.number, "index": "abc"}
    )
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert "id_index_errors" in page


def test_portal2_move_out_opens_depart_case(portal, household, teams):
    response = portal.post(
        "/espace-client/demarches/demenagement/",
        {"compte": household.number, "kind": "out", "on": "2026-03-31", "index": "245"},
    )
    case = _last_case(household)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{case.number}/")
    assert case.case_type.code == "DEPART"
    assert "31/03/2026" in case.description
    assert "245" in case.description
    # no contract change from the portal: the officer does it
    assert household.contracts.get().status == "active"


def test_portal2_case2_free_claim_with_attachment(portal, customer, household, teams):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = portal.post(
        "/espace-client/demarches/demande/",
        {
            "compte": household.number,
            "code": "FACTURE",
            "subject": "Ma facture de janvier",
            "body": "Le montant me paraît trop élevé.",
            "attachments": [SimpleUploadedFile("facture.pdf", PDF, "application/pdf")],
        },
    )
    assert response.status_code == 302
    case = _last_case(household)
    assert case.nature == "claim"
    assert case.case_type.code == "FACTURE"
    upload = PortalUpload.objects.get(case=case)
    assert upload.owner == customer
    assert upload.original_name == "facture.pdf"


def test_portal2_free_request_rejects_renamed_file_naming_the_field(portal, household, teams):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = portal.post(
        "/espace-client/demarches/demande/",
        {
            "compte": household.number,
            "code": "INFORMATION",
            "subject": "Question",
            "body": "Bonjour",
            "attachments": [SimpleUploadedFile("virus.pdf", b"MZ\x90\x00", "application/pdf")],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "id_attachments_errors" in page
    assert "PDF, JPEG ou PNG" in page
    assert not Case.objects.filter(account=household).exists()
    assert not PortalUpload.objects.exists()


def test_portal2_free_request_refuses_internal_types(portal, household, teams):
    response = portal.post(
        "/espace-client/demarches/demande/",
        {"compte": household.number, "code": "NPAI", "subject": "x", "body": "y"},
    )
    assert response.status_code == 200
    assert not Case.objects.filter(account=household).exists()


def test_portal2_leak_relief_with_certificate(portal, household, teams):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = portal.post(
        "/espace-client/demarches/fuite/",
        {
            "compte": household.number,
            "repaired_on": "2026-02-20",
            "location": "Canalisation enterrée dans le jardin",
            "certificate": SimpleUploadedFile("attestation.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    case = _last_case(household)
    assert case.case_type.code == "DEGREVEMENT"
    assert PortalUpload.objects.get(case=case).content_type == "application/pdf"


def test_portal2_leak_relief_without_certificate_names_field(portal, household, teams):
    response = portal.post(
        "/espace-client/demarches/fuite/",
        {"compte": household.number, "repaired_on": "2026-02-20", "location": "Jardin"},
    )
    assert response.status_code == 200
    assert "id_certificate_errors" in response.content.decode()


def test_portal2_cust5_contact_data_needs_bloctel_notice(portal, household, teams):
    data = {"compte": household.number, "email": "h.lefevre@example.fr", "mobile": "0612345678"}
    response = portal.post("/espace-client/demarches/coordonnees/", data)
    assert response.status_code == 200
    assert "id_bloctel_ack_errors" in response.content.decode()
    household.party.refresh_from_db()
    assert household.party.mobile != "0612345678"
    response = portal.post("/espace-client/demarches/coordonnees/", {**data, "bloctel_ack": "on"})
    assert response.status_code == 302
    household.party.refresh_from_db()
    assert household.party.email == "h.lefevre@example.fr"
    assert household.party.bloctel_notice_at is not None
    case = _last_case(household)
    assert case.case_type.code == "DONNEES"
    assert case.status == CaseStatus.CLOSED


def test_portal2_pay3_bank_details_and_mandate(portal, household, teams):
    url = "/espace-client/demarches/prelevement/"
    response = portal.post(url, {"compte": household.number, "iban": "FR76 0000 0000 0000"})
    assert response.status_code == 200
    assert not Mandate.objects.filter(account=household).exists()
    response = portal.post(url, {"compte": household.number, "iban": IBAN})  # no consent
    assert "id_consent_errors" in response.content.decode()
    response = portal.post(url, {"compte": household.number, "iban": IBAN, "consent": "on"})
    assert response.status_code == 302
    mandate = Mandate.objects.get(account=household, status=MandateStatus.ACTIVE)
    assert mandate.iban == IBAN
    household.refresh_from_db()
    assert household.iban == IBAN
    assert household.direct_debit
    case = _last_case(household)
    assert case.case_type.code == "SERVICES"
    assert case.status == CaseStatus.CLOSED


def test_portal2_e_invoice_closed_at_once(portal, household, teams):
    response = portal.post(
        "/espace-client/demarches/services/", {"compte": household.number, "service": "e_invoice"}
    )
    assert response.status_code == 302
    assert CustomerAccount.objects.get(pk=household.pk).e_invoice
    case = _last_case(household)
    assert case.case_type.code == "SERVICES"
    assert case.status == CaseStatus.CLOSED


def test_portal2_monthly_payment_opens_services_case(portal, household, teams):
    response = portal.post(
        "/espace-client/demarches/services/", {"compte": household.number, "service": "monthly"}
    )
    assert response.status_code == 302
    case = _last_case(household)
    assert case.case_type.code == "SERVICES"
    assert case.is_open


def test_cust8_gdpr_export_of_own_account(portal, household):
    response = portal.post("/espace-client/demarches/mes-donnees/", {"compte": household.number})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["format"] == "robinet-gdpr-export/1"
    assert household.number in response.content.decode()


def test_cust8_gdpr_export_is_post_only_for_the_file(portal, household):
    response = portal.get("/espace-client/demarches/mes-donnees/")
    assert response["Content-Type"].startswith("text/html")


def test_portal2_plan_request_approved_at_once(portal, household, teams):
    from tests.collections.plan_fixtures import debts

    debts(household, "300.00")
    response = portal.post(
        "/espace-client/demarches/delai-de-paiement/",
        {"compte": household.number, "kind": "plan", "instalments": "3"},
    )
    assert response.status_code == 302
    case = _last_case(household)
    assert case.case_type.code == "REGLEMENT"
    assert case.status == CaseStatus.CLOSED
    assert household.payment_plans.get().total == Decimal("300.00")


def test_portal2_several_accounts_each_rechecked(household, neighbour, teams):
    from tests.portal.conftest import logged_in

    landlord = make_portal_user("bailleur@example.fr", household, neighbour)
    browser = logged_in(landlord)
    response = browser.post(
        "/espace-client/demarches/demenagement/",
        {"compte": neighbour.number, "kind": "in", "on": "2026-04-01"},
    )
    assert response.status_code == 302
    assert _last_case(neighbour).case_type.code == "ARRIVEE"
    assert not Case.objects.filter(account=household).exists()


def test_portal3_moving_date_is_a_labelled_input(portal):
    page = portal.get("/espace-client/demarches/demenagement/").content.decode()
    assert "<legend" in page
    assert 'for="id_kind_0"' in page
    assert 'for="id_on"' in page
    assert 'type="date"' in page


def test_portal2_service_error_shown_next_to_its_field(portal, household, teams):
    response = portal.post(
        "/espace-client/demarches/fuite/",
        {
            "compte": household.number,
            "repaired_on": "2026-04-01",
            "location": "Cave",
            "certificate": SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
        },
    )
    page = response.content.decode()
    assert "id_repaired_on_errors" in page
    assert 'role="alert"' in page
    assert not Case.objects.filter(account=household).exists()
