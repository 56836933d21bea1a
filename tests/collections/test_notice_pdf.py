"""Dunning letters as PDF (COLL-1, COLL-2, COLL-4): what the printed page says."""

import io
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from robinet.collections.notices import pdf, wording
from robinet.collections.notices.document import sample_document
from tests.collections.test_notice_wording import cutoff_words, fee_words, plain


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


documents = st.builds(
    sample_document,
    items=st.integers(1, 3),
    formal_notice=st.booleans(),
    restriction=st.booleans(),
    main_residence=st.booleans(),
    professional=st.booleans(),
    fees=st.booleans(),
    agency=st.booleans(),
    nec=st.booleans(),
)


@settings(max_examples=40)
@given(documents)
def test_coll_4_printed_letter_keeps_the_guardrails_fr_casf_l115_3_fr_cpce_l111_8(doc):
    text = pdf_text(pdf.render_notice_pdf(doc))
    if not doc.cutoff_wording_allowed:
        assert cutoff_words(text) == []
    if not doc.fees:
        assert fee_words(text, agency=doc.agency_mentions) == []
    assert wording.forbidden_phrases(doc, text) == []
    # The letter's own checks would have refused it; the extracted text agrees.
    assert doc.recipient.name in text
    assert doc.account_number in text
    assert f"Montant à régler au plus tard le {wording.fr_date(doc.pay_by)}" in text


def test_coll_1_formal_notice_letter_fr_d2008_780_art2():
    doc = sample_document(formal_notice=True)
    text = pdf_text(pdf.render_notice_pdf(doc))
    assert "MISE EN DEMEURE DE PAYER" in text
    assert plain("vaut mise en demeure au sens de l'article 1344 du Code civil") in plain(text)
    assert "injonction de payer" in plain(text)
    assert "Fonds de solidarité pour le logement" in " ".join(text.split())
    assert "CCAS" in text


def test_coll_1_professional_letter_has_a_fee_line_per_invoice_fr_ccom_l441_10():
    doc = sample_document(
        items=3, main_residence=False, professional=True, fees=True, formal_notice=True
    )
    text = " ".join(pdf_text(pdf.render_notice_pdf(doc)).split())
    assert text.count("Indemnité forfaitaire pour frais de recouvrement (art. L441-10") == 3
    assert text.count("Intérêts de retard au taux annuel") == 3
    assert "Montant total à régler" in text


def test_coll_1_agency_letter_carries_r124_4_mentions_fr_cpce_r124_4():
    doc = sample_document(agency=True)
    text = plain(pdf_text(pdf.render_notice_pdf(doc)))
    assert plain("Mentions légales du recouvrement amiable (art. R124-4 du CPCE)") in text
    assert plain(wording.L111_8_REPRODUCTION) in text
    assert plain(wording.AGENCY_NO_ACCESSORIES) in text


def test_coll_2_same_document_same_bytes():
    doc = sample_document(agency=True, formal_notice=True)
    first = pdf.render_notice_pdf(doc)
    assert first.startswith(b"%PDF-")
    assert first == pdf.render_notice_pdf(doc)


def test_coll_2_a_short_reminder_fits_one_page_a_long_one_continues():
    assert pdf.pdf_page_count(pdf.render_notice_pdf(sample_document())) == 1
    long = sample_document(items=45, main_residence=False, professional=True, fees=True)
    data = pdf.render_notice_pdf(long)
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) >= 2
    second = pages[1].extract_text()
    assert "suite" in second
    assert long.number in second
    text = pdf_text(data)
    assert all(item.document_number in text for item in long.items)


def test_coll_2_batch_one_letter_per_account_with_page_count():
    docs = [
        sample_document(number="REL-1"),
        sample_document(number="REL-2", items=45),
        sample_document(number="REL-3", formal_notice=True),
    ]
    batch = pdf.render_notices_batch(docs)
    reader = PdfReader(io.BytesIO(batch.pdf))
    assert batch.pages == len(reader.pages) == pdf.pdf_page_count(batch.pdf)
    assert batch.letters == 3
    assert batch.first_pages[0] == 1
    for doc, first in zip(docs, batch.first_pages, strict=True):
        assert doc.number in reader.pages[first - 1].extract_text()
    assert pdf.render_notices_pdf(docs) == batch.pdf
    assert pdf.render_notices_batch([]).pages == 0


def test_coll_4_the_renderer_refuses_a_letter_that_breaks_a_guardrail(monkeypatch):
    doc = sample_document()
    monkeypatch.setattr(
        wording, "help_texts", lambda d: ("Sans paiement, nous pourrons couper l'eau.",)
    )
    with pytest.raises(ValueError, match="coupure"):
        pdf.render_notice_pdf(doc)


def test_coll_4_the_drawn_page_itself_is_checked(monkeypatch):
    """A string drawn outside the wording (a table cell) is checked too."""
    doc = sample_document()
    bad = replace(doc.items[0], document_number="F-1")
    doc = replace(doc, items=(bad, *doc.items[1:]))
    original = pdf._items

    def items_with_a_threat(w):
        original(w)
        w.text(20, 100, "Frais de relance : 15,00 €")

    monkeypatch.setattr(pdf, "_items", items_with_a_threat)
    with pytest.raises(ValueError, match="frais"):
        pdf.render_notice_pdf(doc)
