"""BILL-8 invoice PDF: the legal mentions of a French water bill, read back with pypdf."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from pypdf import PdfReader

from robinet.billing.documents import InvoiceDocument, litre_price, render_pdf, vat_breakdown
from robinet.billing.documents.pdf import (
    fonts_embeddable,
    fr_money,
    fr_quantity,
    fr_rate,
    fr_unit_price,
)
from robinet.billing.documents.sample import (
    ABNORMAL_NOTICE,
    sample_credit_note,
    sample_invoice,
)

D = Decimal


def pdf_text(doc: InvoiceDocument, **kwargs: bool) -> str:
    """All pages' text on one line: every run of spaces, no-break spaces and line
    breaks becomes one space (pypdf puts each drawn string on its own line)."""
    reader = PdfReader(io.BytesIO(render_pdf(doc, **kwargs)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


@pytest.fixture(scope="module")
def invoice() -> InvoiceDocument:
    return sample_invoice()


@pytest.fixture(scope="module")
def text(invoice: InvoiceDocument) -> str:
    return pdf_text(invoice)


def test_bill_8_three_headings_named_exactly(text):
    for heading in (
        "Distribution de l'eau",
        "Collecte et traitement des eaux usées",
        "Organismes publics",
    ):
        assert heading in text
    assert "Autres prestations" not in text  # only when there are "other" lines


def test_bill_8_other_services_get_their_own_heading():
    assert "Autres prestations" in pdf_text(sample_invoice(extra_lines=1))


def test_bill_8_one_line_per_component_with_beneficiary(text, invoice):
    for line in invoice.lines:
        assert line.label in text
    assert "Exploitant" in text
    assert "Collectivité" in text
    assert "Agence de l'eau" in text


def test_bill_8_component_quantity_unit_price_amount_vat_rate(text):
    # Consommation eau (tarif 2026): 32 m³ × 1,465 € = 46,88 € at 5,5 %.
    assert re.search(r"Consommation eau \(tarif 2026\).*32 m³ 1,465 € 46,88 € 5,5 %", text)
    # Abonnement assainissement: half a year at 36 € = 18 € at 10 %.
    assert re.search(r"Abonnement assainissement.*0,5 an 36,00 € 18,00 € 10 %", text)


def test_bill_8_vat_per_rate_and_totals(text, invoice):
    for vat in invoice.vat:
        label = f"TVA à {fr_rate(vat.rate)} sur {fr_money(vat.base)} {fr_money(vat.amount)}"
        assert label.replace("\xa0", " ") in text
    assert "Total hors TVA 300,96 €" in text
    assert "Total TVA 23,16 €" in text
    assert "Total TTC 324,12 €" in text


def test_bill_8_price_per_litre_with_fixed_charge_beside_it(text, invoice):
    # (324,12 − 45,12) / (62 × 1000) = 0,0045 €
    assert invoice.fixed_incl_vat == D("45.12")
    assert litre_price(invoice.total_incl_vat, invoice.fixed_incl_vat, invoice.volume) == D(
        "0.0045"
    )
    assert "Prix du litre TTC 0,0045 € + abonnements 45,12 € TTC" in text
    assert "Prix moyen du m³ TTC 5,23 €" in text


def test_bill_8_no_litre_price_without_volume():
    assert litre_price(D("40.00"), D("40.00"), D("0")) is None


def test_bill_8_customer_service_point_meter_and_indexes(text, invoice):
    assert invoice.buyer.name in text
    assert "N° de compte client C-0012345" in text
    assert "PDS-25290-00417" in text
    assert "n° I19BA123456, diamètre 15 mm" in text
    assert "Ancien index 1204 m³ relevé le 29/09/2025" in text
    assert "Nouvel index 1266 m³ relevé le 30/03/2026" in text
    assert "estimé" not in text


def test_bill_8_estimated_index_says_estime_with_method():
    text = pdf_text(sample_invoice(estimated=True))
    assert "1266 m³ estimé le 30/03/2026" in text
    assert "Index estimé : moyenne journalière de vos 12 derniers mois" in text


def test_bill_8_period_and_volume_of_each_tariff_period(text):
    assert "Tarif 2025 : du 01/10/2025 au 31/12/2025 30 m³" in text
    assert "Tarif 2026 : du 01/01/2026 au 31/03/2026 32 m³" in text
    assert "Volume facturé 62 m³" in text


def test_bill_8_service_contacts_opening_hours_emergency_and_mediator(text, invoice):
    seller = invoice.seller
    assert f"Service clients : {seller.phone}" in text
    assert "du lundi au vendredi, 8 h 30 – 12 h et 13 h 30 – 17 h" in text
    assert f"Urgence 24 h/24 – 7 j/7 : {seller.emergency_phone}" in text
    assert "12 rue de la Source" in text
    assert "Médiation de l'eau" in text
    assert "www.mediation-eau.fr" in text


def test_bill_8_due_date_and_transfer_payment_means(text):
    assert "À payer avant le 08/05/2026" in text
    assert "Échéance : à payer avant le 08/05/2026" in text
    body = text
    assert "IBAN FR7630001007941234567890185" in body
    assert "BIC BDFEFRPPCCT" in body
    assert "référence F2026-000123 C-0012345" in body


def test_bill_8_direct_debit_date_and_mandate():
    body = pdf_text(sample_invoice(direct_debit=True))
    assert "Prélevé le 08/05/2026" in body
    assert "prélèvement SEPA de 324,12 € le 08/05/2026" in body
    assert "RUM-C0012345-01" in body
    assert "ICS FR12ZZZ123456" in body


def test_meter_5_notice_printed_when_present():
    body = pdf_text(sample_invoice(abnormal=True))
    assert "Consommation anormalement élevée" in body
    assert ABNORMAL_NOTICE[:120] in body
    assert "écrêtement" in body


def test_meter_5_notice_absent_otherwise(text):
    assert "anormalement" not in text
    assert "écrêtement" not in text


def test_b2b_late_payment_mentions_only_for_professionals(text):
    assert "indemnité forfaitaire" not in text
    body = pdf_text(sample_invoice(professional=True))
    assert "indemnité forfaitaire pour frais de recouvrement de 40 €" in body
    assert "SIRET 81234567800021" in body


def test_public_sector_shows_chorus_references():
    text = pdf_text(sample_invoice(public_sector=True))
    assert "Chorus Pro — service : SERV-EAU-01 — engagement : EJ2026-000451" in text


def test_french_number_formatting_of_amounts():
    assert fr_money(D("1584.12")) == "1\u00a0584,12\u00a0€"
    assert fr_money(D("0.005")) == "0,01\u00a0€"  # half-up, not banker's rounding
    assert fr_money(D("-0.001")) == "0,00\u00a0€"  # never "-0,00"
    assert fr_unit_price(D("1.4650")) == "1,465\u00a0€"
    assert fr_unit_price(D("48")) == "48,00\u00a0€"
    assert fr_quantity(D("0.5")) == "0,5"
    assert fr_rate(D("5.5")) == "5,5\u00a0%"
    text = pdf_text(sample_invoice(extra_lines=30))
    assert "Total TTC 1 584,12 €" in text
    assert "1584.12" not in text


def test_bill_8_long_invoice_continues_on_a_second_page():
    doc = sample_invoice(extra_lines=30)
    reader = PdfReader(io.BytesIO(render_pdf(doc)))
    assert len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    for i in (1, 30):
        assert f"Intervention technique n° {i}" in text
    assert "suite" in reader.pages[1].extract_text()


def test_bill_8_sample_invoice_fits_one_page():
    for doc in (sample_invoice(abnormal=True, estimated=True), sample_credit_note()):
        assert len(PdfReader(io.BytesIO(render_pdf(doc))).pages) == 1


def test_bill_6_credit_note_title_reference_reason_and_positive_amounts():
    doc = sample_credit_note()
    text = pdf_text(doc)
    assert "Avoir" in text
    assert "Avoir n° A2026-000007" in text
    assert "Rectifie la facture n° F2026-000123 du 08/04/2026" in text
    assert "Motif : Index relevé erroné" in text
    assert "Montant en votre faveur" in text
    assert "Total de l'avoir TTC 324,12 €" in text
    assert "-324" not in text
    assert "−324" not in text
    assert "Montant à payer" not in text


def test_pdf_is_deterministic():
    doc = sample_invoice(abnormal=True)
    assert render_pdf(doc) == render_pdf(doc)


def test_pdf_euro_and_accents_survive_standard_fonts(text):
    assert "€" in text
    assert "Échéance" in text
    assert "m³" in text


@pytest.mark.skipif(not fonts_embeddable(), reason="DejaVu Sans not installed")
def test_pdfa_base_embeds_fonts_and_declares_srgb_output_intent():
    reader = PdfReader(io.BytesIO(render_pdf(sample_invoice(), pdfa=True)))
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]


def test_document_refuses_totals_that_do_not_add_up(invoice):
    with pytest.raises(ValueError, match="does not add up"):
        replace(invoice, total_incl_vat=invoice.total_incl_vat + D("0.01"))


def test_document_refuses_floats(invoice):
    with pytest.raises(TypeError, match="Decimal"):
        replace(invoice, volume=62.0)


def test_bill_6_credit_note_must_reference_an_invoice(invoice):
    with pytest.raises(ValueError, match="BILL-6"):
        replace(invoice, kind="credit_note")


def test_bill_8_fixed_charges_only_bill_without_meter_or_history():
    doc = sample_invoice()
    fixed = tuple(line for line in doc.lines if line.unit == "year")
    vat = vat_breakdown(fixed)
    excl = sum((line.amount_excl_vat for line in fixed), D(0))
    tax = sum((v.amount for v in vat), D(0))
    bare = replace(
        doc,
        meter=None,
        readings=None,
        tariff_periods=(),
        lines=fixed,
        vat=vat,
        total_excl_vat=excl,
        total_vat=tax,
        total_incl_vat=excl + tax,
        amount_due=None,
        volume=D(0),
        price_per_litre_incl_vat=None,
        price_per_m3_incl_vat=None,
        consumption_history=(),
    )
    text = pdf_text(bare)
    assert "Distribution de l'eau" in text
    assert "Collecte et traitement des eaux usées" in text
    assert "Prix du litre" not in text
    assert f"Total TTC {fr_money(excl + tax)}".replace("\xa0", " ") in text
