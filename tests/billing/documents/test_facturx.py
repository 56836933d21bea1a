"""BILL-8 Factur-X: EN 16931 CII XML, valid against the XSD, the EN 16931 and the
French CTC schematrons (offline, Saxon-HE), embedded in a PDF/A-3 and read back.

The schematrons are compiled once per process (a few seconds, cached).
"""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from robinet.billing.documents import (
    InvoiceDocument,
    facturx_xml,
    render_facturx,
    validate_facturx_xml,
)
from robinet.billing.documents.facturx import RAM, RSM
from robinet.billing.documents.sample import sample_credit_note, sample_invoice

NS = {"ram": RAM, "rsm": RSM}
D = Decimal


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(x) for x in etree.fromstring(xml).xpath(path, namespaces=NS)]


def one(xml: bytes, path: str) -> str:
    found = xpath(xml, path)
    assert len(found) == 1, (path, found)
    return found[0]


def without(xml: bytes, path: str) -> bytes:
    tree = etree.fromstring(xml)
    nodes = tree.xpath(path, namespaces=NS)
    assert nodes, path
    for node in nodes:
        node.getparent().remove(node)
    return etree.tostring(tree)


def with_text(xml: bytes, path: str, text: str) -> bytes:
    tree = etree.fromstring(xml)
    for node in tree.xpath(path, namespaces=NS):
        node.text = text
    return etree.tostring(tree)


@pytest.fixture(scope="module")
def professional() -> InvoiceDocument:
    return sample_invoice(professional=True)


@pytest.fixture(scope="module")
def professional_xml(professional) -> bytes:
    return facturx_xml(professional)


def test_bill_8_professional_invoice_passes_xsd_and_schematrons(professional_xml):
    assert validate_facturx_xml(professional_xml) == []
    assert one(
        professional_xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()"
    ) == ("urn:cen.eu:en16931:2017")
    assert one(professional_xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode/text()") == "380"  # fmt: skip


def test_bill_8_seller_and_buyer_siren_siret_vat(professional_xml):
    seller = "//ram:SellerTradeParty"
    assert one(professional_xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']/text()") == "200012345"  # fmt: skip
    assert one(professional_xml, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()") == "FR45200012345"  # fmt: skip
    buyer = "//ram:BuyerTradeParty"
    assert one(professional_xml, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID/text()") == "812345678"  # fmt: skip
    assert one(professional_xml, f"{buyer}/ram:GlobalID/text()") == "81234567800021"
    assert one(professional_xml, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID/text()") == "FR32812345678"  # fmt: skip


def test_bill_8_b2b_late_payment_notes_and_transfer(professional_xml):
    notes = dict(
        zip(
            xpath(professional_xml, "//ram:IncludedNote/ram:SubjectCode/text()"),
            xpath(professional_xml, "//ram:IncludedNote/ram:Content/text()"),
            strict=True,
        )
    )
    assert "40 €" in notes["PMT"]
    assert "pénalités" in notes["PMD"]
    assert one(professional_xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == "58"  # fmt: skip
    assert one(professional_xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID/text()") == (
        "FR7630001007941234567890185"
    )
    assert one(professional_xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/*/text()") == "20260508"  # fmt: skip


def test_bill_8_lines_units_and_vat_categories(professional, professional_xml):
    assert xpath(professional_xml, "//ram:BilledQuantity/@unitCode") == [
        "MTQ" if line.unit == "m3" else "ANN" for line in professional.lines
    ]
    assert set(xpath(professional_xml, "//ram:CategoryCode/text()")) == {"S"}
    assert xpath(professional_xml, "//ram:BilledQuantity/text()")[0] == "0.5"
    assert xpath(professional_xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()")[2] == "1.465"  # fmt: skip


def test_bill_8_public_sector_chorus_service_code_and_commitment_number():
    xml = facturx_xml(sample_invoice(public_sector=True))
    assert validate_facturx_xml(xml) == []
    assert one(xml, "//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference/text()") == "SERV-EAU-01"  # BT-10  # fmt: skip
    assert one(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == "EJ2026-000451"  # BT-13  # fmt: skip
    assert one(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/text()") == "212503970"  # fmt: skip


def test_bill_8_no_chorus_buyer_reference_for_private_customers(professional_xml):
    assert xpath(professional_xml, "//ram:BuyerReference") == []


def test_bill_6_credit_note_is_381_with_preceding_invoice():
    xml = facturx_xml(sample_credit_note(professional=True))
    assert validate_facturx_xml(xml) == []
    assert one(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode/text()") == "381"
    ref = "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument"
    assert one(xml, f"{ref}/ram:IssuerAssignedID/text()") == "F2026-000123"  # BT-25
    assert one(xml, f"{ref}/ram:FormattedIssueDateTime/*/text()") == "20260408"  # BT-26
    assert (
        one(xml, "//ram:GrandTotalAmount/text()") == "324.12"
    )  # positive, the type gives the sign


def test_bill_8_direct_debit_is_59_with_mandate_and_creditor_id():
    xml = facturx_xml(sample_invoice(professional=True, direct_debit=True))
    assert validate_facturx_xml(xml) == []
    assert one(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == "59"
    assert one(xml, "//ram:DirectDebitMandateID/text()") == "RUM-C0012345-01"  # BT-89
    assert one(xml, "//ram:CreditorReferenceID/text()") == "FR12ZZZ123456"  # BT-90


def test_bill_8_zero_rate_line_is_exempt_with_its_reason():
    xml = facturx_xml(sample_invoice(professional=True, exempt_line=True))
    assert validate_facturx_xml(xml) == []
    exempt = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax[ram:CategoryCode='E']"
    assert one(xml, f"{exempt}/ram:ExemptionReason/text()").startswith("Débours")
    assert one(xml, f"{exempt}/ram:CalculatedAmount/text()") == "0.00"


# --- the validator can fail ---------------------------------------------------


def test_validator_reports_missing_seller_siren(professional_xml):
    broken = without(professional_xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization")
    failures = validate_facturx_xml(broken)
    assert any("BR-FR-10" in f for f in failures), failures


def test_validator_reports_missing_due_date(professional_xml):
    broken = without(professional_xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime")
    failures = validate_facturx_xml(broken)
    assert any("BT-9" in f for f in failures), failures


def test_validator_reports_wrong_grand_total(professional_xml):
    broken = with_text(professional_xml, "//ram:GrandTotalAmount", "324.13")
    failures = validate_facturx_xml(broken)
    assert any("BR-CO-15" in f for f in failures), failures


def test_validator_reports_xsd_errors(professional_xml):
    broken = with_text(professional_xml, "//ram:TaxBasisTotalAmount", "trois cents")
    assert any(f.startswith("XSD") for f in validate_facturx_xml(broken))


def test_validator_reports_missing_pmt_note(professional_xml):
    broken = without(professional_xml, "//ram:IncludedNote[ram:SubjectCode='PMT']")
    assert any("BR-FR-05" in f for f in validate_facturx_xml(broken))


# --- totals -------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        sample_invoice(professional=True),
        sample_invoice(public_sector=True, extra_lines=7),
        sample_invoice(professional=True, exempt_line=True, direct_debit=True),
        sample_credit_note(professional=True),
    ],
    ids=["professional", "public-many-lines", "exempt-direct-debit", "credit-note"],
)
def test_bill_8_xml_totals_equal_document_totals(doc):
    xml = facturx_xml(doc)
    sums = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert D(one(xml, f"{sums}/ram:LineTotalAmount/text()")) == doc.total_excl_vat
    assert D(one(xml, f"{sums}/ram:TaxBasisTotalAmount/text()")) == doc.total_excl_vat
    assert D(one(xml, f"{sums}/ram:TaxTotalAmount/text()")) == doc.total_vat
    assert D(one(xml, f"{sums}/ram:GrandTotalAmount/text()")) == doc.total_incl_vat
    assert D(one(xml, f"{sums}/ram:DuePayableAmount/text()")) == doc.amount_due
    lines = [D(x) for x in xpath(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()")]  # fmt: skip
    assert lines == [line.amount_excl_vat for line in doc.lines]
    taxes = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    breakdown = list(
        zip(
            [D(x) for x in xpath(xml, f"{taxes}/ram:RateApplicablePercent/text()")],
            [D(x) for x in xpath(xml, f"{taxes}/ram:BasisAmount/text()")],
            [D(x) for x in xpath(xml, f"{taxes}/ram:CalculatedAmount/text()")],
            strict=True,
        )
    )
    assert breakdown == [(v.rate, v.base, v.amount) for v in doc.vat]
    assert validate_facturx_xml(xml) == []


def test_xml_amounts_have_two_decimals(professional_xml):
    amounts = xpath(professional_xml, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/*/text()")  # fmt: skip
    assert all(len(a.split(".")[1]) == 2 for a in amounts), amounts


# --- PDF/A-3 ------------------------------------------------------------------


def test_bill_8_facturx_pdf_round_trip(professional):
    pdf = render_facturx(professional)
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == facturx_xml(professional)
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "EN 16931" in xmp  # fx:ConformanceLevel
    root = reader.trailer["/Root"]
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert root["/Lang"] == "fr-FR"
    text = reader.pages[0].extract_text()
    assert "Distribution de l'eau" in text
    assert "Organismes publics" in text


def test_bill_6_credit_note_facturx_round_trip():
    doc = sample_credit_note(professional=True)
    name, xml = facturx.get_xml_from_pdf(render_facturx(doc), check_xsd=True)
    assert xml == facturx_xml(doc)
    assert one(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode/text()") == "381"


def test_buyer_needs_facturx_for_professionals_and_public_bodies():
    assert sample_invoice(professional=True).buyer.needs_facturx
    assert sample_invoice(public_sector=True).buyer.needs_facturx
    assert not sample_invoice().buyer.needs_facturx
    assert not replace(sample_invoice().buyer, is_professional=False).needs_facturx
