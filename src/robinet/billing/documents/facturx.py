"""Factur-X (EN 16931 profile) for professionals and public bodies (BILL-8).

* :func:`facturx_xml` — the UN/CEFACT Cross Industry Invoice (CII D16B) XML
  of an :class:`~.data.InvoiceDocument`, guideline ``urn:cen.eu:en16931:2017``,
  with what the French e-invoicing reform (CTC, *BR-FR* rules) also asks:
  business process type (BT-23), SIREN of seller and buyer (scheme 0002),
  electronic addresses (scheme 0225), the PMT/PMD/AAB notes.
* :func:`render_facturx` — the PDF of :func:`.pdf.render_pdf` (PDF/A base:
  embedded fonts, sRGB output intent) made PDF/A-3 with the XML embedded as
  ``factur-x.xml`` by the ``factur-x`` library (XMP metadata, attachment).
* :func:`validate_facturx_xml` — XSD, EN 16931 schematron and French CTC
  schematron, offline with Saxon-HE (``saxonche``), plus Robinet's own rules.
  ``factur-x``'s ``xml_check_schematron`` posts to an HTTP Saxon server, so we
  run the XSLT it ships ourselves, compiled once per process.

Chorus Pro: the service code goes in BT-10 (*BuyerReference*), the commitment
number (*numéro d'engagement*) in BT-13 (*BuyerOrderReferencedDocument*).
"""

from __future__ import annotations

import importlib.resources
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import facturx as facturx_lib
from lxml import etree

from .data import DocumentLine, InvoiceDocument
from .pdf import render_pdf

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

GUIDELINE = "urn:cen.eu:en16931:2017"
TYPE_CODES = {"invoice": "380", "credit_note": "381"}
# UN/ECE Recommendation 20 unit codes.
UNIT_CODES = {"m3": "MTQ", "year": "ANN", "month": "MON", "day": "DAY", "unit": "C62"}
DEFAULT_EXEMPTION = "Exonération de TVA (article 261 du CGI)"

CENT = Decimal("0.01")


def _q(value: Decimal, places: int = 2) -> str:
    """Amounts with 2 decimals, point separator (BR-FR-DEC-01)."""
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _quantity(value: Decimal) -> str:
    """Quantities with at most 4 decimals (BR-FR-DEC-02)."""
    q = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()
    return f"{q:f}"


def _price(value: Decimal) -> str:
    """Net unit price, at most 6 decimals (BR-FR-DEC-03)."""
    q = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP).normalize()
    text = f"{q:f}"
    return text if "." in text and len(text.split(".")[1]) >= 2 else _q(q)


def _rate(value: Decimal) -> str:
    """VAT rate in percent, 2 decimals at most: ``5.5``, ``10``, ``20`` (BR-FR-DEC-04)."""
    q = value.quantize(CENT, rounding=ROUND_HALF_UP).normalize()
    return f"{q:f}"


def _category(rate: Decimal) -> str:
    """S (standard) for a positive rate; E (exempt, with its reason) at 0 % —
    French water bills have no zero-rated supplies (Z), and O (outside scope)
    may not be mixed with other categories (BR-O-11)."""
    return "S" if rate > 0 else "E"


def _d(day: date) -> str:
    return day.strftime("%Y%m%d")


class _Builder:
    def __init__(self) -> None:
        self.root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    @staticmethod
    def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
        prefix, name = tag.split(":")
        el = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
        if text is not None:
            el.text = text
        return el

    def date(self, parent: etree._Element, tag: str, day: date) -> None:
        holder = self.sub(parent, tag)
        self.sub(holder, "udt:DateTimeString", _d(day), format="102")


def _business_process(doc: InvoiceDocument) -> str:
    """BT-23 *cadre de facturation*: B1 goods (water is a good), S1 services, M1 mixed."""
    services = {line.service for line in doc.lines}
    goods = "water" in services
    others = bool(services - {"water"})
    return "M1" if goods and others else "B1" if goods else "S1"


def facturx_xml(doc: InvoiceDocument) -> bytes:
    """The EN 16931 CII XML of ``doc`` (UTF-8 bytes, with XML declaration)."""
    b = _Builder()
    sub = b.sub
    seller, buyer = doc.seller, doc.buyer

    context = sub(b.root, "rsm:ExchangedDocumentContext")
    sub(sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID",
        _business_process(doc))  # fmt: skip
    sub(sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    header = sub(b.root, "rsm:ExchangedDocument")
    sub(header, "ram:ID", doc.number)
    sub(header, "ram:TypeCode", TYPE_CODES[doc.kind])
    b.date(header, "ram:IssueDateTime", doc.issue_date)
    notes: list[tuple[str, str]] = [("BAR", "B2B")]
    if doc.credit_note_of is not None:
        notes.append(("ACD", f"Motif de l'avoir : {doc.credit_note_of.reason}"))
    notes.append(
        (
            "PMD",
            doc.late_payment_mentions
            or "Pénalités de retard : trois fois le taux d'intérêt légal.",
        )
    )
    notes.append(("PMT", "Indemnité forfaitaire pour frais de recouvrement : 40 €."))
    notes.append(("AAB", "Pas d'escompte pour paiement anticipé."))
    notes.append(
        (
            "REG",
            f"{seller.name}, {seller.legal_form}, SIRET {seller.siret}. Médiateur : "
            f"{seller.mediator.name}, {seller.mediator.website}.",
        )
    )
    for code, text in notes:
        note = sub(header, "ram:IncludedNote")
        sub(note, "ram:Content", text)
        sub(note, "ram:SubjectCode", code)

    transaction = sub(b.root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(doc.lines, start=1):
        _line(b, transaction, index, line)

    agreement = sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    buyer_reference = buyer.chorus_service_code if buyer.public_sector else ""
    if buyer_reference:
        sub(agreement, "ram:BuyerReference", buyer_reference)
    _party(b, agreement, "ram:SellerTradeParty", seller.name, seller.siren, seller.siret,
           seller.vat_number, seller.address_lines, seller.postcode, seller.city,
           seller.country, seller.email)  # fmt: skip
    _party(b, agreement, "ram:BuyerTradeParty", buyer.name, buyer.siren, buyer.siret,
           buyer.vat_number, buyer.address_lines, buyer.postcode, buyer.city,
           buyer.country, buyer.email)  # fmt: skip
    if buyer.chorus_commitment_number:
        order = sub(agreement, "ram:BuyerOrderReferencedDocument")
        sub(order, "ram:IssuerAssignedID", buyer.chorus_commitment_number)
    contract = sub(agreement, "ram:ContractReferencedDocument")
    sub(contract, "ram:IssuerAssignedID", buyer.account_number)

    delivery = sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    ship_to = sub(delivery, "ram:ShipToTradeParty")
    sub(ship_to, "ram:ID", doc.service_point.reference)

    settlement = sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    payment = doc.payment
    if payment.direct_debit:
        sub(settlement, "ram:CreditorReferenceID", seller.sepa_creditor_id)
    if payment.transfer_reference:
        sub(settlement, "ram:PaymentReference", payment.transfer_reference)
    sub(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if not doc.is_credit_note:
        means = sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        if payment.direct_debit:
            sub(means, "ram:TypeCode", "59")
            sub(means, "ram:Information", "Prélèvement SEPA")
        else:
            sub(means, "ram:TypeCode", "58")
            sub(means, "ram:Information", "Virement SEPA")
            account = sub(means, "ram:PayeePartyCreditorFinancialAccount")
            sub(account, "ram:IBANID", payment.iban.replace(" ", ""))
            if payment.bic:
                bank = sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
                sub(bank, "ram:BICID", payment.bic)
    exempt_reasons = {
        line.vat_rate: line.vat_exemption_reason or DEFAULT_EXEMPTION
        for line in doc.lines
        if line.vat_rate == 0
    }
    for vat in doc.vat:
        tax = sub(settlement, "ram:ApplicableTradeTax")
        sub(tax, "ram:CalculatedAmount", _q(vat.amount))
        sub(tax, "ram:TypeCode", "VAT")
        if _category(vat.rate) == "E":
            sub(tax, "ram:ExemptionReason", exempt_reasons.get(vat.rate, DEFAULT_EXEMPTION))
        sub(tax, "ram:BasisAmount", _q(vat.base))
        sub(tax, "ram:CategoryCode", _category(vat.rate))
        sub(tax, "ram:RateApplicablePercent", _rate(vat.rate))
    period = sub(settlement, "ram:BillingSpecifiedPeriod")
    b.date(period, "ram:StartDateTime", doc.period_start)
    b.date(period, "ram:EndDateTime", doc.period_end)
    terms = sub(settlement, "ram:SpecifiedTradePaymentTerms")
    if doc.is_credit_note:
        description = "Avoir porté au crédit du compte client."
    elif payment.direct_debit:
        description = f"Prélèvement SEPA le {payment.debit_date:%d/%m/%Y}."
    else:
        description = f"Paiement à réception, au plus tard le {doc.due_date:%d/%m/%Y}."
    sub(terms, "ram:Description", description)
    b.date(terms, "ram:DueDateDateTime", doc.due_date)
    if payment.direct_debit and not doc.is_credit_note:
        sub(terms, "ram:DirectDebitMandateID", payment.mandate_reference)

    sums = sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    sub(sums, "ram:LineTotalAmount", _q(doc.total_excl_vat))
    sub(sums, "ram:TaxBasisTotalAmount", _q(doc.total_excl_vat))
    sub(sums, "ram:TaxTotalAmount", _q(doc.total_vat), currencyID=doc.currency)
    sub(sums, "ram:GrandTotalAmount", _q(doc.total_incl_vat))
    sub(sums, "ram:TotalPrepaidAmount", _q(doc.already_paid))
    sub(sums, "ram:DuePayableAmount", _q(doc.amount_due))
    if doc.credit_note_of is not None:
        ref = sub(settlement, "ram:InvoiceReferencedDocument")
        sub(ref, "ram:IssuerAssignedID", doc.credit_note_of.number)
        issued = sub(ref, "ram:FormattedIssueDateTime")
        sub(issued, "qdt:DateTimeString", _d(doc.credit_note_of.issue_date), format="102")

    return etree.tostring(b.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _party(
    b: _Builder,
    parent: etree._Element,
    tag: str,
    name: str,
    siren: str,
    siret: str,
    vat_number: str,
    address_lines: tuple[str, ...],
    postcode: str,
    city: str,
    country: str,
    email: str,
) -> None:
    sub = b.sub
    party = sub(parent, tag)
    if siret:
        sub(party, "ram:GlobalID", siret, schemeID="0009")  # BT-29/46: SIRET
    sub(party, "ram:Name", name)
    if siren:
        legal = sub(party, "ram:SpecifiedLegalOrganization")
        sub(legal, "ram:ID", siren, schemeID="0002")  # BT-30/47: SIREN
    address = sub(party, "ram:PostalTradeAddress")
    sub(address, "ram:PostcodeCode", postcode)
    for line_tag, text in zip(
        ("ram:LineOne", "ram:LineTwo", "ram:LineThree"), address_lines, strict=False
    ):
        sub(address, line_tag, text)
    sub(address, "ram:CityName", city)
    sub(address, "ram:CountryID", country)
    if siren:
        # BT-34/49: electronic address on the French e-invoicing directory (scheme 0225).
        uri = sub(party, "ram:URIUniversalCommunication")
        sub(uri, "ram:URIID", siren, schemeID="0225")
    elif email:
        uri = sub(party, "ram:URIUniversalCommunication")
        sub(uri, "ram:URIID", email, schemeID="EM")
    if vat_number:
        tax = sub(party, "ram:SpecifiedTaxRegistration")
        sub(tax, "ram:ID", vat_number, schemeID="VA")


def _line(b: _Builder, parent: etree._Element, index: int, line: DocumentLine) -> None:
    sub = b.sub
    item = sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    sub(sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
    product = sub(item, "ram:SpecifiedTradeProduct")
    sub(product, "ram:SellerAssignedID", line.code)
    sub(product, "ram:Name", line.label)
    agreement = sub(item, "ram:SpecifiedLineTradeAgreement")
    price = sub(agreement, "ram:NetPriceProductTradePrice")
    sub(price, "ram:ChargeAmount", _price(line.unit_price))
    delivery = sub(item, "ram:SpecifiedLineTradeDelivery")
    sub(delivery, "ram:BilledQuantity", _quantity(line.quantity),
        unitCode=UNIT_CODES.get(line.unit, "C62"))  # fmt: skip
    settlement = sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = sub(settlement, "ram:ApplicableTradeTax")
    sub(tax, "ram:TypeCode", "VAT")
    sub(tax, "ram:CategoryCode", _category(line.vat_rate))
    sub(tax, "ram:RateApplicablePercent", _rate(line.vat_rate))
    period = sub(settlement, "ram:BillingSpecifiedPeriod")
    b.date(period, "ram:StartDateTime", line.period_start)
    b.date(period, "ram:EndDateTime", line.period_end)
    sums = sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    sub(sums, "ram:LineTotalAmount", _q(line.amount_excl_vat))


# --- PDF/A-3 ----------------------------------------------------------------


def render_facturx(doc: InvoiceDocument, *, check_xsd: bool = False) -> bytes:
    """The bill as a Factur-X PDF/A-3 with ``factur-x.xml`` (EN 16931) embedded.

    The XML is not re-validated by default (tests and the billing run call
    :func:`validate_facturx_xml`); pass ``check_xsd=True`` to have the library
    check it against the XSD before embedding.
    """
    kind = "Avoir" if doc.is_credit_note else "Facture"
    return facturx_lib.generate_from_binary(
        render_pdf(doc, pdfa=True),
        facturx_xml(doc),
        flavor="factur-x",
        level="en16931",
        check_xsd=check_xsd,
        check_schematron=False,
        pdf_metadata={
            "author": doc.seller.name,
            "keywords": "Factur-X, facture, eau",
            "title": f"{doc.seller.name} : {kind} {doc.number}",
            "subject": f"{kind} {doc.number} du {doc.issue_date:%d/%m/%Y} émise par "
            f"{doc.seller.name}",
        },
        lang="fr-FR",
    )


# --- validation -------------------------------------------------------------

SCHEMATRONS = {
    "EN16931": "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
    "FR-CTC": "xsd_and_schematron/cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
}
SVRL = "http://purl.oclc.org/dsdl/svrl"


@cache
def _saxon():
    """One Saxon processor per process (saxonche does not like several)."""
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@cache
def _schematron(name: str):
    """The compiled XSLT of a shipped schematron, once per process (≈ 1–3 s each).

    Compiled from its file so that ``document('…codedb.xml')`` resolves next to
    it, offline (the library would point it at a GitHub URL).
    """
    path = importlib.resources.files(facturx_lib.__name__).joinpath(SCHEMATRONS[name])
    compiler = _saxon().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(path))


def _schematron_failures(name: str, xml: bytes) -> list[str]:
    proc = _saxon()
    node = proc.parse_xml(xml_text=xml.decode("utf-8"))
    svrl = _schematron(name).transform_to_string(xdm_node=node)
    report = etree.fromstring(svrl.encode("utf-8"))
    failures = []
    for fired in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        if fired.get("flag", "fatal") == "warning" or fired.get("role") == "warning":
            continue
        text = " ".join("".join(fired.findtext(f"{{{SVRL}}}text") or "").split())
        rule = fired.get("id") or text.split(" ", 1)[0]
        failures.append(f"{name} {rule}: {text}")
    return failures


def _house_rules(tree: etree._Element) -> list[str]:
    """Robinet's own rules on top of EN 16931 and the French CTC."""
    failures = []
    ns = {"ram": RAM, "rsm": RSM}
    if not tree.xpath("//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime", namespaces=ns):
        failures.append("ROBINET BILL-8/BT-9: the due date is missing")
    return failures


def validate_facturx_xml(xml: bytes) -> list[str]:
    """Failed rules of the XML: XSD (EN 16931), EN 16931 and French CTC schematrons.

    Each entry starts with its source and rule id (``"FR-CTC BR-FR-10/BT-30: …"``,
    ``"EN16931 BR-CO-25: …"``, ``"XSD: …"``). Empty list: valid. Warnings of the
    schematrons are not failures. Fully offline.
    """
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [f"XML: {exc}"]
    failures = []
    try:
        facturx_lib.xml_check_xsd(tree, flavor="factur-x", level="en16931")
    except Exception as exc:  # the library raises a bare Exception with the XSD error
        failures.append(f"XSD: {exc}")
    for name in SCHEMATRONS:
        try:
            failures.extend(_schematron_failures(name, xml))
        except Exception as exc:  # saxonche: a value the rules cannot even read (bad decimal)
            failures.append(f"{name}: schematron could not run: {exc}")
    failures.extend(_house_rules(tree))
    return failures
