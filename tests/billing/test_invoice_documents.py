"""Documents of real issued invoices (BILL-8): PDF for households, Factur-X for businesses."""

import datetime as dt
import io

import facturx
import pytest
from pypdf import PdfReader

from robinet.billing import selectors, services
from robinet.billing.documents import validate_facturx_xml
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.customers import factories as customer_factories
from tests.metering.factories import read

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_bill_8_household_invoice_pdf_carries_the_mentions(billed):
    pdf, name = selectors.invoice_pdf(billed)
    assert name == f"{billed.number}.pdf"
    text = _text(pdf)
    assert billed.number in text
    assert "Distribution de l'eau" in text
    assert "Organismes publics" in text
    assert "Médiation de l'eau" in text
    assert "litre" in text


def test_bill_8_business_gets_a_valid_facturx(org, tariff):
    account = customer_factories.company(org.centres[0])
    sp = customer_factories.service_point(org.centres[0])
    customer_factories.moved_in(account, sp, start=dt.date(2025, 1, 1), index="10")
    read(sp, dt.date(2025, 6, 15), "95")
    factories.run(dt.date(2025, 6, 30))
    invoice = account.invoices.get()
    assert validate_facturx_xml(selectors.invoice_facturx_xml(invoice)) == []
    pdf, name = selectors.invoice_pdf(invoice)
    assert name.endswith("-facturx.pdf")
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    assert invoice.number.encode() in xml


def test_bill_6_credit_note_document_references_the_invoice(billed, manager):
    note = services.credit_note_issue(actor=manager, invoice=billed, reason="Index erroné")
    text = _text(selectors.invoice_pdf(note)[0])
    assert "Avoir" in text
    assert billed.number in text


def test_bill_8_estimated_bill_says_so(org, tariff):
    account, sp = occupied_point(org.centres[0], start=dt.date(2024, 1, 1), index="100")
    read(sp, dt.date(2024, 6, 30), "160")
    read(sp, dt.date(2024, 12, 31), "220")
    factories.run(dt.date(2025, 6, 30))  # nothing read in 2025: estimated (METER-3)
    latest = account.invoices.order_by("-period_start").first()
    assert latest.estimated
    assert latest.volume > 0
    assert "estim" in _text(selectors.invoice_pdf(latest)[0]).lower()


def test_bill_8_a_bill_opened_again_is_not_rendered_again(billed, monkeypatch):
    """The PDF is cached under a digest of the document: same document, same bytes, one render."""
    from django.core.cache import caches

    from robinet.billing import documents

    caches[selectors.DOCUMENT_CACHE].clear()
    renders = []
    real_render = documents.render_pdf
    monkeypatch.setattr(
        documents, "render_pdf", lambda document: renders.append(document) or real_render(document)
    )
    first, _name = selectors.invoice_pdf(billed)
    second, _name = selectors.invoice_pdf(billed)
    assert second == first
    assert len(renders) == 1


def test_bill_8_a_changed_document_is_rendered_again(billed, monkeypatch):
    """Whatever the document says is in the key: a new address gives a new render, never stale bytes."""
    from django.core.cache import caches

    caches[selectors.DOCUMENT_CACHE].clear()
    before, _name = selectors.invoice_pdf(billed)
    party = billed.account.party
    party.name = "Nouveau-Nom"
    party.save(update_fields=["name"])
    billed.account.refresh_from_db()
    after, _name = selectors.invoice_pdf(billed)
    assert after != before
    assert "Nouveau-Nom" in _text(after)
