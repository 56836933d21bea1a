"""Screens of contacts and cases: the request form, the case page, the lists (CASE-1…9)."""

import datetime as dt

from django.urls import reverse

from robinet.cases import services
from robinet.cases.choices import CaseStatus, Channel, Direction, Nature
from robinet.cases.models import Case, Contact
from robinet.core import clock
from tests.cases.conftest import case_type


def _record(actor, account, code="FACTURE", channel=Channel.PHONE, **extra):
    return services.request_record(
        actor=actor,
        account=account,
        channel=channel,
        case_type=case_type(code),
        subject=extra.pop("subject", "Facture trop élevée"),
        body=extra.pop("body", "Ma facture est deux fois plus élevée que d'habitude."),
        **extra,
    )


def test_case1_officer_records_a_call_that_opens_a_claim(client, counsellor, household, teams):
    client.force_login(counsellor)
    url = reverse("cases:request-create", args=[household.number])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "channel": Channel.PHONE,
            "case_type": case_type("FACTURE").pk,
            "nature": Nature.CLAIM,
            "subject": "Facture de février contestée",
            "body": "Le client conteste l'index de sa facture.",
        },
    )
    case = Case.objects.get(account=household)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])
    assert case.nature == Nature.CLAIM
    contact = Contact.objects.get(case=case)
    assert contact.direction == Direction.INBOUND
    assert contact.channel == Channel.PHONE
    page = client.get(response["Location"]).content.decode()
    assert case.number in page
    assert "Réponse due" in page
    assert "relances bloquées" in page  # CASE-7: an invoice case holds dunning


def test_case1_the_second_call_joins_the_open_case(client, counsellor, household, teams):
    case = _record(counsellor, household)
    client.force_login(counsellor)
    url = reverse("cases:request-create", args=[household.number])
    assert case.number in client.get(url).content.decode()  # offered in « Dossier »
    response = client.post(
        url,
        {
            "channel": Channel.PHONE,
            "attach_to": str(case.pk),
            "subject": "Le client rappelle",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.multi_contact
    assert case.contact_count == 2
    assert "multi-contacts" in client.get(response["Location"]).content.decode()


def test_request_form_names_the_missing_field(client, counsellor, household, teams):
    client.force_login(counsellor)
    url = reverse("cases:request-create", args=[household.number])
    response = client.post(url, {"channel": Channel.PHONE, "subject": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Case.objects.exists()


def test_case4_answer_then_close_from_the_case_page(client, counsellor, household, teams):
    # The answer is signed with the officer's first and last name (seed 003 §5.1.7.4).
    counsellor.first_name, counsellor.last_name = "Julie", "Martin"
    counsellor.save()
    case = _record(counsellor, household, nature=Nature.CLAIM)
    client.force_login(counsellor)
    detail = reverse("cases:case-detail", args=[case.pk])
    # A claim cannot be closed before its written answer.
    client.post(reverse("cases:case-close", args=[case.pk]), {"text": "Vu."})
    case.refresh_from_db()
    assert case.status != CaseStatus.CLOSED
    response = client.post(
        reverse("cases:case-answer", args=[case.pk]),
        {"body": "Votre facture a été vérifiée et corrigée. Veuillez nous excuser."},
    )
    assert response.status_code == 302
    assert response["Location"] == detail
    answer = Contact.objects.get(case=case, is_answer=True)
    pdf = client.get(reverse("cases:contact-pdf", args=[answer.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    client.post(reverse("cases:case-close", args=[case.pk]), {"text": "Facture corrigée."})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert "Clôturé" in client.get(detail).content.decode()


def test_case6_defer_to_a_team_then_finish_the_task(client, counsellor, household, teams):
    case = _record(counsellor, household, code="INFORMATION", nature=Nature.REQUEST)
    client.force_login(counsellor)
    client.post(
        reverse("cases:case-defer", args=[case.pk]),
        {"action": "Vérifier l'historique des relèves", "team": teams["operations"].pk},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DEFERRED
    task = case.tasks.get()
    tasks_page = client.get(reverse("cases:task-list"), {"team": teams["operations"].pk})
    assert "historique des relèves" in tasks_page.content.decode()
    client.post(reverse("cases:task-done", args=[task.pk]), {"comment": "Fait"})
    task.refresh_from_db()
    assert task.status == "done"


def test_case3_overdue_list_shows_late_cases(client, counsellor, manager, household, teams):
    case = _record(counsellor, household, channel=Channel.LETTER, nature=Nature.CLAIM)
    client.force_login(manager)
    page = client.get(reverse("cases:overdue")).content.decode()
    assert case.number not in page.split('id="soon-title"')[0]
    later = case.response_due + dt.timedelta(hours=1)
    with clock.as_of(later):
        page = client.get(reverse("cases:overdue")).content.decode()
    overdue_part = page.split('id="soon-title"')[0]
    assert case.number in overdue_part
    assert "en retard" in overdue_part


def test_case9_offer_recorded_from_the_case_page(client, counsellor, household, teams):
    case = _record(counsellor, household, code="INFORMATION", nature=Nature.REQUEST)
    client.force_login(counsellor)
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "Services à proposer" in page
    client.post(
        reverse("cases:case-offer", args=[case.pk]),
        {"service": "e_invoice", "outcome": "accepted"},
    )
    assert case.offers.get().outcome == "accepted"


def test_customer_page_card_lists_open_cases(client, counsellor, household, teams):
    case = _record(counsellor, household)
    client.force_login(counsellor)
    card = client.get(reverse("cases:account-card", args=[household.number]))
    assert card.status_code == 200
    content = card.content.decode()
    assert case.number in content
    assert "Nouvelle demande" in content


def test_case_list_filters_and_scopes(client, counsellor, make_user, org, household, teams):
    from robinet.organisation.roles import Role

    case = _record(counsellor, household)
    client.force_login(counsellor)
    assert case.number in client.get(reverse("cases:case-list")).content.decode()
    stranger = make_user("autre", Role.CONTACT_CENTRE_OFFICER, org.centres[3])
    client.force_login(stranger)
    assert case.number not in client.get(reverse("cases:case-list")).content.decode()
    assert client.get(reverse("cases:case-detail", args=[case.pk])).status_code == 404


def test_auditor_cannot_handle(client, org, make_user, counsellor, household, teams):
    from robinet.organisation.roles import Role

    case = _record(counsellor, household)
    auditor = make_user("audit", Role.AUDITOR, org.region)
    client.force_login(auditor)
    assert client.get(reverse("cases:case-detail", args=[case.pk])).status_code == 200
    response = client.post(reverse("cases:case-close", args=[case.pk]), {"text": "x"})
    assert response.status_code == 403
    url = reverse("cases:request-create", args=[household.number])
    assert client.get(url).status_code == 403
