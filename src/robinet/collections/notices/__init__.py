"""Dunning notices: the letter, e-mail and SMS of a ``DunningNotice`` (COLL-1, COLL-2, COLL-4).

* :mod:`.document` — :class:`NoticeDocument`, loaded in batches from the database;
* :mod:`.wording` — the French texts and the guardrails (:func:`check_wording`);
* :mod:`.pdf` — the A4 letter and the print batch (ReportLab canvas);
* :mod:`.messages` — the e-mail, the SMS text and :func:`notices_send`;
* :mod:`.sms` — SMS backends chosen by ``ROBINET_SMS_BACKEND``;
* :mod:`.printing` — :func:`notices_print`, letters of many notices in one PDF.
"""

from .document import NoticeDocument, notice_document, notice_documents, sample_document
from .pdf import render_notice_pdf, render_notices_batch, render_notices_pdf
from .wording import check_wording, letter_text

__all__ = [
    "NoticeDocument",
    "check_wording",
    "letter_text",
    "notice_document",
    "notice_documents",
    "render_notice_pdf",
    "render_notices_batch",
    "render_notices_pdf",
    "sample_document",
]
