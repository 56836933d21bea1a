"""E-mail and SMS of dunning notices, their backends, and sending them once (COLL-2)."""

import datetime as dt
import io

import pytest
from django.core import mail
from hypothesis import given
from hypothesis import strategies as st

from robinet.collections.models import DunningNotice
from robinet.collections.notices import messages, sms
from robinet.collections.notices.document import sample_document
from robinet.collections.notices.wording import forbidden_phrases
from tests.collections import notice_factories as nf
from tests.collections.test_notice_wording import cutoff_words, fee_words
from tests.payments.conftest import tariff, today  # noqa: F401

NOW = dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC)

documents = st.builds(
    sample_document,
    items=st.integers(1, 4),
    formal_notice=st.booleans(),
    restriction=st.booleans(),
    main_residence=st.booleans(),
    professional=st.booleans(),
    fees=st.booleans(),
    agency=st.booleans(),
    nec=st.booleans(),
)


@pytest.fixture
def sms_outbox(settings):
    settings.ROBINET_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


# --- the texts -------------------------------------------------------------------------------


@given(documents)
def test_coll_4_sms_is_short_gsm_and_guarded_fr_casf_l115_3_fr_cpce_l111_8(doc):
    text = messages.sms_text(doc)
    assert sms.gsm_length(text) <= 306
    assert all(ch in sms.GSM_BASIC or ch in sms.GSM_EXTENDED for ch in text)
    assert doc.account_number in text
    assert doc.pay_by.strftime("%d/%m/%Y") in text
    assert cutoff_words(text) == []  # never in an SMS, even where a letter may say it
    if not doc.fees:
        assert fee_words(text, agency=False) == []
    assert forbidden_phrases(doc, text) == []
    if doc.formal_notice:
        assert "MISE EN DEMEURE" in text


def test_coll_2_sms_drops_optional_parts_to_stay_within_two_segments():
    from robinet.billing.documents.sample import SELLER

    doc = sample_document()
    long_name = SELLER.__class__(**{**_fields(SELLER), "name": "Régie " + "très " * 40})
    from dataclasses import replace

    text = messages.sms_text(replace(doc, utility=long_name))
    assert sms.gsm_length(text) <= 306


def _fields(obj):
    from dataclasses import fields

    return {f.name: getattr(obj, f.name) for f in fields(obj)}


@given(documents)
def test_coll_4_email_body_and_subject_are_guarded(doc):
    message = messages.email_message(doc)
    if not doc.cutoff_wording_allowed:
        assert cutoff_words(message.body + message.subject) == []
    if not doc.fees:
        assert fee_words(message.body + message.subject, agency=doc.agency_mentions) == []


def test_coll_2_email_message_has_subject_body_and_pdf(settings):
    settings.DEFAULT_FROM_EMAIL = "relances@eaux.example"
    doc = sample_document()
    message = messages.email_message(doc)
    assert message.subject == "Relance : facture(s) impayée(s) — compte 000123"
    assert message.from_email == "relances@eaux.example"
    assert message.to == [doc.email_to]
    assert message.reply_to == [doc.utility.email]
    assert "Sauf erreur de notre part" in message.body
    assert "Fonds de solidarité pour le logement" in message.body
    ((name, content, mimetype),) = message.attachments
    assert name == "relance-REL-2026-000001.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF-")
    formal = messages.email_message(sample_document(formal_notice=True))
    assert formal.subject == "Mise en demeure : facture(s) impayée(s) — compte 000123"
    assert formal.attachments[0][0].startswith("mise-en-demeure-")


def test_coll_2_email_needs_an_address():
    from dataclasses import replace

    with pytest.raises(ValueError, match="no e-mail"):
        messages.email_message(replace(sample_document(), email_to=""))


# --- backends --------------------------------------------------------------------------------


def test_coll_2_file_backend_appends_to_the_day_log(tmp_path, settings):
    from robinet import conf

    settings.ROBINET_SMS_BACKEND = "file"
    backend = sms.get_sms_backend()
    assert isinstance(backend, sms.FileSmsBackend)
    assert backend.directory == conf.VAR_DIR / "sms"
    backend = sms.FileSmsBackend(directory=tmp_path)
    msgs = [sms.SmsMessage("0612345678", "Bonjour\nligne 2", "REL-1"), sms.SmsMessage("07", "B")]
    from robinet.core import clock

    with clock.as_of(NOW):
        assert backend.send_messages(msgs) == 2
        assert backend.send_messages(msgs[:1]) == 1
    log = tmp_path / "sms-2026-04-01.log"
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert lines[0].split("\t")[1:] == ["0612345678", "REL-1", "Bonjour ligne 2"]


def test_coll_2_console_and_dotted_path_backends(settings):
    stream = io.StringIO()
    backend = sms.get_sms_backend("console", stream=stream)
    assert backend.send_messages([sms.SmsMessage("0612345678", "Texte", "REL-9")]) == 1
    assert "0612345678\tREL-9\tTexte" in stream.getvalue()
    settings.ROBINET_SMS_BACKEND = "robinet.collections.notices.sms.LocmemSmsBackend"
    assert isinstance(sms.get_sms_backend(), sms.LocmemSmsBackend)


def test_coll_2_gsm_conversion():
    assert sms.to_gsm("Réglez « vite » — ça coûte 5 €") == 'Réglez " vite " - ca coute 5 €'
    assert sms.gsm_length("5 €") == 4  # € is an extension character


# --- sending ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_coll_2_notices_send_is_idempotent(org, tariff, sms_outbox):  # noqa: F811
    accounts = nf.billed_accounts(org.centres[0], 3)
    both = nf.notice(accounts[0], level=1)
    email_only = nf.notice(accounts[1], level=1, sms=False)
    nothing = nf.notice(accounts[2], level=1, email=False, sms=False)
    ids = [both.pk, email_only.pk, nothing.pk]

    result = messages.notices_send(ids, now=NOW)
    assert result == messages.SendResult(emails=2, sms=1)
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {both.email_to, email_only.email_to}
    assert [m.reference for m in sms_outbox] == [both.number]
    rows = {n.pk: n for n in DunningNotice.objects.filter(pk__in=ids)}
    assert rows[both.pk].email_sent_at == NOW
    assert rows[both.pk].sms_sent_at == NOW
    assert rows[email_only.pk].sms_sent_at is None
    assert rows[nothing.pk].email_sent_at is None

    again = messages.notices_send(ids, now=NOW + dt.timedelta(hours=1))
    assert again == messages.SendResult(0, 0)
    assert len(mail.outbox) == 2
    assert len(sms_outbox) == 1
    assert DunningNotice.objects.get(pk=both.pk).email_sent_at == NOW


@pytest.mark.django_db
def test_coll_2_notices_send_respects_the_actions(org, tariff, sms_outbox):  # noqa: F811
    (account,) = nf.billed_accounts(org.centres[0])
    notice = nf.notice(account, level=1)
    DunningNotice.objects.filter(pk=notice.pk).update(actions=["letter"])
    assert messages.notices_send([notice.pk], now=NOW) == messages.SendResult(0, 0)
    assert mail.outbox == []
    assert sms_outbox == []


class FailingAfterOne(sms.SmsBackend):
    sent = 0

    def send_messages(self, messages):
        if FailingAfterOne.sent:
            raise ConnectionError("provider down")
        FailingAfterOne.sent += 1
        return 1


@pytest.mark.django_db
def test_coll_2_what_went_before_a_failure_is_recorded(org, tariff, settings):  # noqa: F811
    settings.ROBINET_SMS_BACKEND = f"{__name__}.FailingAfterOne"
    FailingAfterOne.sent = 0
    accounts = nf.billed_accounts(org.centres[0], 2)
    first, second = (nf.notice(a, level=1) for a in accounts)
    with pytest.raises(ConnectionError):
        messages.notices_send([first.pk, second.pk], now=NOW)
    assert DunningNotice.objects.get(pk=first.pk).sms_sent_at == NOW
    assert DunningNotice.objects.get(pk=second.pk).sms_sent_at is None
    assert DunningNotice.objects.filter(email_sent_at=NOW).count() == 2
