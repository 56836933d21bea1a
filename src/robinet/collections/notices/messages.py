"""The e-mail and SMS of a dunning notice, and sending them (COLL-2).

:func:`email_message` is a Django ``EmailMessage`` whose plain-text body is
the letter (:func:`~.wording.letter_text`) with the PDF attached;
:func:`sms_text` a short GSM text of at most 306 characters. Both pass
:func:`~.wording.check_wording` before they are returned (COLL-1, COLL-4).

:func:`notices_send` sends what a batch of notices asks for — an e-mail to
notices with ``"email"`` among their actions and an address, an SMS to those
with ``"sms"`` and a number — through one e-mail connection and one SMS
backend, then records ``email_sent_at`` / ``sms_sent_at``. A notice already
sent on a channel is skipped on it: sending twice is harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from . import wording as wd
from .document import EMAIL, SMS, NoticeDocument, notice_documents
from .pdf import render_notice_pdf
from .sms import MAX_SMS_LENGTH, SmsMessage, get_sms_backend, gsm_length, to_gsm


@dataclass(frozen=True, slots=True)
class SendResult:
    emails: int
    sms: int


def attachment_name(doc: NoticeDocument) -> str:
    kind = "mise-en-demeure" if doc.formal_notice else "relance"
    return f"{kind}-{doc.number}.pdf"


def email_message(
    doc: NoticeDocument, *, pdf: bytes | None = None, connection=None
) -> EmailMessage:
    """The notice as an e-mail: the letter as plain text, the PDF attached."""
    if not doc.email_to:
        raise ValueError(f"notice {doc.number} has no e-mail address")
    subject = wd.subject(doc)
    body = wd.letter_text(doc)  # checked by letter_text
    wd.check_wording(doc, subject)
    reply_to = [doc.utility.email] if doc.utility.email else None
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[doc.email_to],
        reply_to=reply_to,
        connection=connection,
    )
    message.attach(attachment_name(doc), pdf or render_notice_pdf(doc), "application/pdf")
    return message


def sms_text(doc: NoticeDocument) -> str:
    """A GSM text of at most 306 characters; optional parts go first when it is too long.

    Never a cut-off or restriction sentence (the letter carries it when it is
    allowed), never a fee for a letter without fee lines.
    """
    u = doc.utility
    amount = wd.fr_amount(doc.amount_to_pay).replace("\u00a0€", " EUR")
    when = doc.pay_by.strftime("%d/%m/%Y")
    if doc.formal_notice:
        head = (
            f"{u.name} : MISE EN DEMEURE. {amount} restent impayés sur votre compte "
            f"{doc.account_number}. Réglez-les avant le {when}, sinon transmission au "
            "contentieux."
        )
    else:
        head = (
            f"{u.name} : sauf erreur, {amount} restent dus sur votre compte "
            f"{doc.account_number}. Merci de régler avant le {when}."
        )
    optional = [f" Paiement sur {u.website}.", f" Difficultés ? Appelez le {u.phone}."]
    if doc.fsl_information:
        optional.append(" Aides possibles : FSL, CCAS.")
    text = to_gsm(head + "".join(optional))
    while gsm_length(text) > MAX_SMS_LENGTH and optional:
        optional.pop()
        text = to_gsm(head + "".join(optional))
    if gsm_length(text) > MAX_SMS_LENGTH:
        text = text[: MAX_SMS_LENGTH - 3] + "..."
    wd.check_wording(doc, text)
    return text


def sms_message(doc: NoticeDocument) -> SmsMessage:
    if not doc.sms_to:
        raise ValueError(f"notice {doc.number} has no mobile number")
    return SmsMessage(to=doc.sms_to, body=sms_text(doc), reference=doc.number)


def notices_send(notice_ids: Iterable[int], *, now: dt.datetime) -> SendResult:
    """Send the e-mails and SMS of these notices not sent yet; record when (idempotent)."""
    from robinet.collections.models import DunningNotice

    ids = list(notice_ids)
    if not ids:
        return SendResult(0, 0)
    with transaction.atomic():
        # Locked while sending (PostgreSQL): two workers never send the same notice twice.
        rows = list(
            DunningNotice.objects.select_for_update()
            .filter(pk__in=ids)
            .values_list("pk", "actions", "email_to", "sms_to", "email_sent_at", "sms_sent_at")
            .order_by("pk")
        )
        to_email = [r[0] for r in rows if EMAIL in (r[1] or ()) and r[2] and r[4] is None]
        to_sms = [r[0] for r in rows if SMS in (r[1] or ()) and r[3] and r[5] is None]
        wanted = sorted(set(to_email) | set(to_sms))
        docs = {pk: doc for pk, doc in zip(wanted, notice_documents(wanted), strict=True)}
        emailed, email_error = _send_emails([(pk, docs[pk]) for pk in to_email])
        texted, sms_error = _send_sms([(pk, docs[pk]) for pk in to_sms])
        # What went is recorded even when a later message failed; the error is raised after.
        if emailed:
            DunningNotice.objects.filter(pk__in=emailed, email_sent_at__isnull=True).update(
                email_sent_at=now
            )
        if texted:
            DunningNotice.objects.filter(pk__in=texted, sms_sent_at__isnull=True).update(
                sms_sent_at=now
            )
    if email_error is not None:
        raise email_error
    if sms_error is not None:
        raise sms_error
    return SendResult(len(emailed), len(texted))


def _send_emails(batch: list[tuple[int, NoticeDocument]]) -> tuple[list[int], Exception | None]:
    """One connection for the batch; a message at a time, so that we know which went."""
    sent: list[int] = []
    if not batch:
        return sent, None
    messages = [(pk, email_message(doc)) for pk, doc in batch]
    connection = get_connection()
    try:
        connection.open()
        for pk, message in messages:
            if connection.send_messages([message]):
                sent.append(pk)
    except Exception as error:  # noqa: BLE001 - re-raised by notices_send once recorded
        return sent, error
    finally:
        connection.close()
    return sent, None


def _send_sms(batch: list[tuple[int, NoticeDocument]]) -> tuple[list[int], Exception | None]:
    sent: list[int] = []
    if not batch:
        return sent, None
    messages = [(pk, sms_message(doc)) for pk, doc in batch]
    backend = get_sms_backend()
    try:
        for pk, message in messages:
            if backend.send_messages([message]):
                sent.append(pk)
    except Exception as error:  # noqa: BLE001 - re-raised by notices_send once recorded
        return sent, error
    return sent, None
