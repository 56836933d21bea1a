"""A contact-centre officer takes a call in a real browser (CASE-1, 3, 7, 8), and a supervisor
sees the case in the overdue list when its deadline has passed (the clock is frozen with
time-machine, which the live server's thread sees too); the screens hold on a phone."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from robinet.cases import dictionary
from robinet.cases.choices import AppointmentStatus, Nature, TeamKind
from robinet.cases.models import Appointment, Case, CaseType, FieldTeam, Team
from robinet.organisation.roles import Role
from tests.metering.factories import occupied_point

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
CALL = dt.datetime(2026, 3, 4, 9, 0, tzinfo=PARIS)  # a Wednesday


@pytest.fixture
def desk(org, make_user):
    # Transactional tests flush the tables, data migrations included: reload the dictionary.
    dictionary.seed(CaseType)
    for kind in TeamKind:
        Team.objects.create(code=kind.value[:20], name=kind.label, kind=kind, entity=org.region)
    FieldTeam.objects.create(code="TERRAIN", name="Équipe terrain", centre=org.centres[0])
    account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    officer = make_user(
        "julie", Role.CONTACT_CENTRE_OFFICER, org.centres[0], first_name="Julie", last_name="Roth"
    )
    supervisor = make_user("chef", Role.MANAGER, org.region, first_name="Paul")
    return account, officer, supervisor


def test_case_officer_takes_a_call_books_a_visit_and_the_supervisor_sees_it_late(new_page, desk):
    account, officer, supervisor = desk
    with time_machine.travel(CALL, tick=True):
        page = new_page(user=officer)

        # 1. The customer is identified; the « Demandes » card offers a new request.
        page.goto(f"/customers/{account.number}/")
        page.locator("#cases").get_by_role("link", name="Nouvelle demande").click()
        expect(page.get_by_role("heading", name="Enregistrer une demande")).to_be_visible()

        # 2. The contact (a phone call) and the claim it opens.
        page.get_by_label("Canal du contact").select_option(label="Téléphone")
        page.get_by_label("Type de demande").select_option(label="Contestation d'index")
        page.get_by_label("Objet").fill("Index de février contesté")
        page.get_by_label("Demande du client").fill(
            "La cliente lit 1 204 m³ sur son compteur, la facture indique 1 402 m³."
        )
        page.get_by_role("button", name="Enregistrer").click()

        # 3. The case page: a claim, due in 15 working days (a field visit is needed).
        expect(page).to_have_url(re.compile(r"/cases/\d+/$"))
        case = Case.objects.get(account=account)
        assert case.nature == Nature.CLAIM
        expect(page.get_by_role("heading", name=re.compile("Contestation d'index"))).to_be_visible()
        expect(page.locator("#response-due")).to_contain_text("25/03/2026")
        expect(page.locator("#contact-list")).to_contain_text("Entrant · Téléphone")

        # 4. A field visit: the customer's presence is mandatory, so an appointment.
        page.get_by_role("link", name="Intervention / rendez-vous").click()
        page.get_by_label("Type d'intervention").select_option(
            label="Contestation d'un index relevé"
        )
        page.get_by_label("Téléphone portable du client").fill("06 12 34 56 78")
        page.get_by_role("button", name="Déclencher l'intervention").click()
        expect(page.get_by_role("heading", name="Prendre un rendez-vous")).to_be_visible()

        # J+2 working days at the earliest: Friday 6 March, first slot 08:00–10:00.
        first_day = page.locator("#slot-days .card-header").first
        expect(first_day).to_contain_text("6 mars")
        page.locator("#slot-days").get_by_role("button").first.click()
        expect(page.locator("#appointment")).to_contain_text("entre 08:00 et 10:00")
        appointment = Appointment.objects.get(intervention__case=case)
        assert appointment.status == AppointmentStatus.BOOKED
        assert appointment.day == dt.date(2026, 3, 6)

    # 5. Three weeks later, no answer yet: the supervisor sees the case late, on a phone.
    with time_machine.travel(dt.datetime(2026, 3, 26, 9, 30, tzinfo=PARIS), tick=True):
        phone = new_page(width=390, height=844, user=supervisor)
        phone.goto("/cases/overdue/")
        overdue = phone.locator("#overdue-table")
        expect(overdue).to_contain_text(case.number)
        expect(overdue).to_contain_text("en retard")
        overflow = phone.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        overdue.get_by_role("link", name=case.number).click()
        expect(phone.locator("#response-due")).to_contain_text("en retard")
