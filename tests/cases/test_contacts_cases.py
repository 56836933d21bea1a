"""CASE-1, CASE-2, CASE-5, CASE-6: contacts, opening, routing, closing."""

import sys
import types

import pytest

from robinet.cases import selectors, services
from robinet.cases.choices import CaseStatus, Channel, Direction, Nature, TaskStatus, TeamKind
from robinet.cases.models import Case, Contact, Team
from robinet.core.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from robinet.organisation.roles import Role
from tests.cases.conftest import NOW, case_type

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def detector(monkeypatch):
    """A stand-in for the sensitive-letter check: "avocat" makes a letter sensitive."""
    module = types.ModuleType("robinet.cases.sensitive")

    def detect(text):
        reasons = ["juridique"] if "avocat" in text.lower() else []
        return types.SimpleNamespace(sensitive=bool(reasons), reasons=reasons)

    module.detect = detect
    monkeypatch.setitem(sys.modules, "robinet.cases.sensitive", module)
    return module


def record(actor, account, code="INFORMATION", channel=Channel.PHONE, **kw):
    kw.setdefault("subject", "Question")
    return services.request_record(
        actor=actor, account=account, channel=channel, case_type=case_type(code), **kw
    )


def test_case_1_first_contact_opens_a_numbered_case(counsellor, household, teams):
    case = record(counsellor, household, channel=Channel.LETTER, body="Bonjour")
    assert case.number == "DOS-2026-000001"
    assert case.status == CaseStatus.OPEN
    assert case.nature == Nature.REQUEST
    assert case.contact_count == 1
    assert not case.multi_contact
    assert case.team == teams[TeamKind.CONTACT_CENTRE]
    # CASE-3: a letter of Wednesday 10:00 is due next Wednesday 10:00.
    assert case.response_due == NOW.replace(day=11)
    contact = Contact.objects.get(case=case)
    assert contact.direction == Direction.INBOUND
    assert contact.body == "Bonjour"


def test_case_1_second_inbound_contact_makes_the_case_multi_contact(counsellor, household, teams):
    case = record(counsellor, household)
    again = record(counsellor, household, attach_to=case, subject="Relance")
    assert again.pk == case.pk
    case.refresh_from_db()
    assert case.contact_count == 2
    assert case.multi_contact
    assert case.priority
    assert case.contacts.count() == 2


def test_case_2_claim_about_a_closed_case_opens_a_linked_new_case(counsellor, household, teams):
    case = record(counsellor, household, handled_now=True, resolution="Répondu au téléphone")
    assert case.status == CaseStatus.CLOSED
    claim = record(counsellor, household, code="FACTURE", attach_to=case, subject="Contestation")
    assert claim.pk != case.pk
    assert claim.previous_case == case
    assert claim.nature == Nature.CLAIM
    case.refresh_from_db()
    assert case.contact_count == 1
    assert case.status == CaseStatus.CLOSED


def test_case_2_internal_nature_refused_for_an_inbound_contact(counsellor, household, teams):
    with pytest.raises(ValidationFailed) as refused:
        record(counsellor, household, nature=Nature.INTERNAL)
    assert "nature" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        record(counsellor, household, code="NPAI")
    assert "case_type" in refused.value.fields
    assert not Case.objects.exists()
    assert not Contact.objects.exists()


def test_case_2_officer_may_choose_claim_on_a_request_type(counsellor, household, teams):
    case = record(counsellor, household, code="REGLEMENT", nature=Nature.CLAIM)
    assert case.nature == Nature.CLAIM


def test_case_2_internal_case_opened_without_contact(counsellor, org, teams):
    case = services.case_open(
        actor=counsellor, case_type=case_type("NPAI"), centre=org.centres[0], subject="NPAI"
    )
    assert case.nature == Nature.INTERNAL
    assert case.response_due is None
    assert case.team == teams[TeamKind.CONTRACTS]


def test_case_6_routing_to_the_nearest_team(counsellor, household, teams, org):
    near = Team.objects.create(
        code="EQ-AG1", name="Contrats agence 1", kind=TeamKind.CONTRACTS, entity=org.agencies[0]
    )
    Team.objects.create(
        code="EQ-AG2", name="Contrats agence 2", kind=TeamKind.CONTRACTS, entity=org.agencies[1]
    )
    case = record(counsellor, household, code="ARRIVEE")
    assert case.team == near
    near.active = False
    near.save()
    assert record(counsellor, household, code="DEPART").team == teams[TeamKind.CONTRACTS]


def test_case_5_sensitive_letter_routed_to_the_sensitive_mail_team(counsellor, household, teams):
    case = record(counsellor, household, channel=Channel.LETTER, body="Mon avocat vous écrira.")
    assert case.sensitive
    assert case.sensitive_reasons == "juridique"
    assert case.team == teams[TeamKind.SENSITIVE_MAIL]
    # Spoken words are not checked (only written channels are).
    assert not record(counsellor, household, body="Mon avocat").sensitive


def test_case_6_handled_now_closes_at_once(counsellor, household, teams):
    case = record(counsellor, household, handled_now=True, resolution="Renseigné")
    assert case.status == CaseStatus.CLOSED
    assert case.closed_at == NOW
    with pytest.raises(ValidationFailed) as refused:
        record(counsellor, household, handled_now=True, resolution="")
    assert "resolution" in refused.value.fields


def test_case_4_claim_cannot_be_closed_without_written_answer(counsellor, household, teams):
    case = record(counsellor, household, code="FACTURE")
    with pytest.raises(ValidationFailed) as refused:
        services.case_close(actor=counsellor, case=case, resolution="Expliqué")
    assert "answer" in refused.value.fields
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_case_6_deferred_case_closed_after_its_task(counsellor, household, teams):
    case = record(counsellor, household)
    task = services.case_defer(actor=counsellor, case=case, action="Vérifier le relevé")
    case.refresh_from_db()
    assert case.status == CaseStatus.DEFERRED
    assert task.team == case.team
    assert list(selectors.team_tasks(user=counsellor, team=case.team)) == [task]
    with pytest.raises(ValidationFailed) as refused:
        services.case_close(actor=counsellor, case=case, resolution="Fait")
    assert "tasks" in refused.value.fields
    services.task_complete(actor=counsellor, task=task, comment="Relevé conforme")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    services.case_close(actor=counsellor, case=case, resolution="Fait")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_case_6_pause_and_resume(counsellor, household, teams):
    case = record(counsellor, household)
    services.case_pause(actor=counsellor, case=case, reason="Attente du syndic")
    case.refresh_from_db()
    assert case.status == CaseStatus.PAUSED
    services.case_resume(actor=counsellor, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    with pytest.raises(InvalidTransition):
        services.case_resume(actor=counsellor, case=case)


def test_case_6_cancel_cancels_the_tasks(counsellor, household, teams):
    case = record(counsellor, household)
    task = services.case_defer(actor=counsellor, case=case, action="Rappeler")
    services.case_cancel(actor=counsellor, case=case, reason="Doublon")
    case.refresh_from_db()
    task.refresh_from_db()
    assert case.status == CaseStatus.CANCELLED
    assert task.status == TaskStatus.CANCELLED


def test_case_1_contact_recorded_alone_then_attached(counsellor, household, teams):
    case = record(counsellor, household)
    contact = services.contact_record(
        actor=counsellor, account=household, direction=Direction.INBOUND, channel=Channel.PHONE
    )
    assert list(selectors.unattached_contacts(user=counsellor)) == [contact]
    services.contact_attach(actor=counsellor, contact=contact, case=case)
    case.refresh_from_db()
    assert case.multi_contact
    assert case.contact_count == 2
    assert not selectors.unattached_contacts(user=counsellor).exists()


def test_case_handle_permission_required(make_user, org, household, teams):
    auditor = make_user("auditeur", Role.AUDITOR, org.region)
    with pytest.raises(PermissionDenied):
        record(auditor, household)
    elsewhere = make_user("ailleurs", Role.CONTACT_CENTRE_OFFICER, org.centres[3])
    with pytest.raises(PermissionDenied):
        record(elsewhere, household)
    assert not Case.objects.exists()


def test_case_6_reassign_needs_supervision(counsellor, manager, household, teams):
    case = record(counsellor, household)
    with pytest.raises(PermissionDenied):
        services.case_reassign(actor=counsellor, case=case, team=teams[TeamKind.COLLECTION])
    services.case_reassign(actor=manager, case=case, team=teams[TeamKind.COLLECTION])
    case.refresh_from_db()
    assert case.team == teams[TeamKind.COLLECTION]


def test_case_3_overdue_and_due_soon_lists(counsellor, household, teams):
    from robinet.core import clock

    email = record(counsellor, household, channel=Channel.EMAIL)  # due Friday 6 March 10:00
    letter = record(counsellor, household, channel=Channel.LETTER)  # due Wednesday 11 March
    with clock.as_of(NOW.replace(day=5, hour=11)):
        assert list(selectors.due_soon_cases(user=counsellor)) == [email]
        assert not selectors.overdue_cases(user=counsellor).exists()
    with clock.as_of(NOW.replace(day=6, hour=11)):
        assert list(selectors.overdue_cases(user=counsellor)) == [email]
    with clock.as_of(NOW.replace(day=12)):
        assert list(selectors.overdue_cases(user=counsellor)) == [email, letter]
        assert (
            list(selectors.overdue_cases(user=counsellor, team=teams[TeamKind.SENSITIVE_MAIL]))
            == []
        )


def test_case_9_services_missing_and_offer(counsellor, household, teams):
    from robinet.cases.choices import OfferOutcome, Service

    missing = services.services_missing(household)
    assert Service.ONLINE_ACCOUNT in missing
    assert Service.E_INVOICE in missing
    case = record(counsellor, household)
    offer = services.offer_record(
        actor=counsellor,
        account=household,
        service=Service.E_INVOICE,
        outcome=OfferOutcome.ACCEPTED,
        case=case,
    )
    assert offer.case == case
    with pytest.raises(ValidationFailed) as refused:
        services.offer_record(
            actor=counsellor, account=household, service="fax", outcome=OfferOutcome.LATER
        )
    assert "service" in refused.value.fields


def test_case_3_overdue_list_uses_the_partial_index(counsellor, household, teams):
    """The overdue list filters the open statuses literally: SQLite picks the partial index."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("query plan checked on SQLite")
    record(counsellor, household, channel=Channel.EMAIL)

    def plan_of(qs):
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return " ".join(str(row) for row in cursor.fetchall())

    assert "case_open_due_idx" in plan_of(selectors.overdue_cases(user=counsellor))
    team = teams[TeamKind.CONTACT_CENTRE]
    assert "case_open_" in plan_of(selectors.overdue_cases(user=counsellor, team=team))
    assert "case_open_" in plan_of(selectors.due_soon_cases(user=counsellor))
