"""CASE-3, CASE-3a, CASE-4: written answers — templates, personalised text, e-mail or letter."""

import sys
import types

import pytest
from django.core import mail

from robinet.cases import answers, services
from robinet.cases.answer_pdf import answer_pdf
from robinet.cases.choices import Channel, Direction
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from tests.cases.conftest import NOW, case_type

pytestmark = pytest.mark.django_db

SIGNATURE = {"first_name": "Claire", "last_name": "Martin", "title": "Conseillère clientèle"}


@pytest.fixture(autouse=True)
def detector(monkeypatch):
    module = types.ModuleType("robinet.cases.sensitive")

    def detect(text):
        reasons = ["association de consommateurs"] if "UFC" in text else []
        return types.SimpleNamespace(sensitive=bool(reasons), reasons=reasons)

    module.detect = detect
    monkeypatch.setitem(sys.modules, "robinet.cases.sensitive", module)


def open_case(actor, account, code="FACTURE", channel=Channel.PHONE, body=""):
    return services.request_record(
        actor=actor,
        account=account,
        channel=channel,
        case_type=case_type(code),
        subject="Facture de janvier",
        body=body,
    )


def test_case_4_answer_by_email_when_the_customer_has_one(counsellor, household, teams):
    case = open_case(counsellor, household)
    contact = services.answer_send(
        actor=counsellor, case=case, template_code="reponse-facture", signature=SIGNATURE
    )
    assert contact.direction == Direction.OUTBOUND
    assert contact.channel == Channel.EMAIL
    assert contact.is_answer
    assert contact.template_code == "reponse-facture"
    case.refresh_from_db()
    assert case.answered_at == NOW
    (message,) = mail.outbox
    assert message.to == ["helene.lefevre@example.fr"]
    assert case.number in message.subject
    assert "Madame," in message.body
    assert "Claire Martin" in message.body
    assert "Conseillère clientèle" in message.body
    # CASE-3a: the mediator's contact is on every answer.
    assert "Médiation de l'eau" in message.body
    ((name, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert name == f"reponse-{case.number}.pdf"


def test_case_4_answer_by_letter_without_email(counsellor, household, teams):
    household.party.email = ""
    household.party.save(update_fields=["email"])
    case = open_case(counsellor, household)
    contact = services.answer_send(
        actor=counsellor, case=case, body="Votre facture est juste.", signature=SIGNATURE
    )
    assert contact.channel == Channel.LETTER
    assert not mail.outbox
    pdf = answer_pdf(contact)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000


def test_case_4_sensitive_case_needs_a_personalised_answer(counsellor, household, teams):
    case = open_case(counsellor, household, channel=Channel.LETTER, body="Copie à l'UFC")
    assert case.sensitive
    with pytest.raises(ValidationFailed) as refused:
        services.answer_send(
            actor=counsellor, case=case, template_code="reponse-facture", signature=SIGNATURE
        )
    assert "template_code" in refused.value.fields
    case.refresh_from_db()
    assert case.answered_at is None
    assert not mail.outbox
    services.answer_send(
        actor=counsellor, case=case, body="Réponse détaillée.", signature=SIGNATURE
    )
    case.refresh_from_db()
    assert case.answered_at is not None


def test_case_4_answer_inputs_are_checked(counsellor, household, teams):
    case = open_case(counsellor, household)
    with pytest.raises(ValidationFailed) as refused:
        services.answer_send(actor=counsellor, case=case, signature=SIGNATURE)
    assert "body" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        services.answer_send(actor=counsellor, case=case, template_code="nope", signature=SIGNATURE)
    assert "template_code" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        services.answer_send(actor=counsellor, case=case, body="Texte")
    assert "signature" in refused.value.fields
    assert not case.contacts.filter(is_answer=True).exists()


def test_case_4_claim_closes_after_the_written_answer(counsellor, household, teams):
    case = open_case(counsellor, household)
    services.answer_send(
        actor=counsellor, case=case, template_code="reponse-facture", signature=SIGNATURE
    )
    closed = services.case_close(actor=counsellor, case=case, resolution="Expliqué")
    assert closed.closed_at == NOW
    with pytest.raises(InvalidTransition):
        services.answer_send(actor=counsellor, case=case, body="Encore", signature=SIGNATURE)


def test_case_3_holding_reply(counsellor, household, teams):
    case = open_case(counsellor, household)
    contact = services.holding_reply_send(actor=counsellor, case=case, signature=SIGNATURE)
    assert contact.is_holding_reply
    assert not contact.is_answer
    case.refresh_from_db()
    assert case.holding_reply_at == NOW
    assert case.answered_at is None
    assert "excuser" in mail.outbox[0].body


def test_case_4_every_template_fills_its_placeholders(counsellor, household, teams):
    case = open_case(counsellor, household)
    signature = answers.Signature("Claire", "Martin", "Conseillère clientèle")
    for code in answers.TEMPLATES:
        subject, text = answers.render(case=case, signature=signature, template_code=code)
        assert "{" not in subject
        assert "{" not in text
        assert "Médiation de l'eau" in text


def test_case_4_unknown_placeholder_left_visible():
    assert answers.fill("{a} et {b}", {"a": "x"}) == "x et {b}"
    assert answers.salutation(types.SimpleNamespace(civility="M.")) == "Monsieur"
    assert answers.salutation(None) == "Madame, Monsieur"
