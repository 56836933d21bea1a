"""A realistic sample :class:`InvoiceDocument`, for tests, the bench and previews.

A half-year bill of a household (or, with ``professional=True``, a
business; with ``public_sector=True``, a town hall on Chorus Pro) of the
*Régie des Eaux du Val de Loue*, 62 m³ across a tariff change on 1 January.
Figures are computed, not typed, so they always add up.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from robinet.core.money import round_money

from .data import (
    Buyer,
    ConsumptionPoint,
    CreditNoteReference,
    DocumentLine,
    InvoiceDocument,
    Mediator,
    MeterInfo,
    PaymentInfo,
    Readings,
    Seller,
    ServicePointInfo,
    TariffPeriod,
    litre_price,
    m3_price,
    vat_breakdown,
)

D = Decimal

MEDIATOR = Mediator(
    name="Médiation de l'eau",
    address_lines=("BP 40463",),
    postcode="75366",
    city="Paris Cedex 08",
    website="www.mediation-eau.fr",
)

SELLER = Seller(
    name="Régie des Eaux du Val de Loue",
    legal_form="Régie publique dotée de l'autonomie financière et de la personnalité morale",
    address_lines=("12 rue de la Source",),
    postcode="25290",
    city="Ornans",
    siren="200012345",
    siret="20001234500017",
    vat_number="FR45200012345",
    phone="03 81 00 12 34",
    opening_hours="du lundi au vendredi, 8 h 30 – 12 h et 13 h 30 – 17 h",
    emergency_phone="03 81 00 99 99",
    email="contact@eaux-val-de-loue.fr",
    website="www.eaux-val-de-loue.fr",
    mediator=MEDIATOR,
    iban="FR7630001007941234567890185",
    bic="BDFEFRPPCCT",
    sepa_creditor_id="FR12ZZZ123456",
)

HOUSEHOLD = Buyer(
    name="Mme Élodie Lefèvre",
    account_number="C-0012345",
    address_lines=("8 chemin des Écureuils",),
    postcode="25290",
    city="Ornans",
    email="elodie.lefevre@example.fr",
)

BUSINESS = Buyer(
    name="Fromagerie Comtoise SARL",
    account_number="C-0023456",
    address_lines=("Zone artisanale des Prés", "3 rue du Comté"),
    postcode="25290",
    city="Ornans",
    is_professional=True,
    siren="812345678",
    siret="81234567800021",
    vat_number="FR32812345678",
    email="compta@fromagerie-comtoise.fr",
)

TOWN_HALL = Buyer(
    name="Commune de Montgesoye",
    account_number="C-0034567",
    address_lines=("Mairie", "1 place de l'Église"),
    postcode="25111",
    city="Montgesoye",
    public_sector=True,
    siren="212503970",
    siret="21250397000013",
    vat_number="",
    chorus_service_code="SERV-EAU-01",
    chorus_commitment_number="EJ2026-000451",
    email="mairie@montgesoye.fr",
)

LATE_PAYMENT = (
    "En cas de retard de paiement, des pénalités au taux de trois fois le taux d'intérêt "
    "légal sont exigibles, ainsi qu'une indemnité forfaitaire pour frais de recouvrement "
    "de 40 € (articles L441-10 et D441-5 du code de commerce). Pas d'escompte pour "
    "paiement anticipé."
)

ABNORMAL_NOTICE = (
    "Votre consommation de 62 m³ dépasse le double de votre consommation moyenne des trois "
    "dernières années (24 m³). Cette augmentation peut révéler une fuite après compteur. "
    "Si une fuite sur canalisation est réparée par un plombier, vous pouvez, dans le mois, "
    "nous adresser l'attestation de réparation pour bénéficier de l'écrêtement de votre "
    "facture (article L2224-12-4 du CGCT), ou demander la vérification de votre compteur."
)


def _line(
    code: str,
    label: str,
    service: str,
    beneficiary: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal,
    vat_rate: Decimal,
    start: date,
    end: date,
) -> DocumentLine:
    amount = round_money(quantity * unit_price)
    return DocumentLine(
        code=code,
        label=label,
        service=service,  # type: ignore[arg-type]
        beneficiary=beneficiary,  # type: ignore[arg-type]
        period_start=start,
        period_end=end,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        amount_excl_vat=amount,
        vat_rate=vat_rate,
    )


def sample_invoice(
    *,
    professional: bool = False,
    public_sector: bool = False,
    estimated: bool = False,
    abnormal: bool = False,
    direct_debit: bool = False,
    extra_lines: int = 0,
    exempt_line: bool = False,
) -> InvoiceDocument:
    """A half-year water bill; the flags switch on the variants tests need."""
    start, change, end = date(2025, 10, 1), date(2026, 1, 1), date(2026, 3, 31)
    issue = date(2026, 4, 8)
    buyer = TOWN_HALL if public_sector else BUSINESS if professional else HOUSEHOLD
    v1, v2 = D("30"), D("32")
    half = D("0.5")
    lines = [
        _line("ABO-EAU", "Abonnement eau", "water", "operator", half, "year", D("48.00"), D("5.5"), start, end),
        _line("CONSO-EAU-25", "Consommation eau (tarif 2025)", "water", "operator", v1, "m3", D("1.4210"), D("5.5"), start, change - timedelta(days=1)),
        _line("CONSO-EAU-26", "Consommation eau (tarif 2026)", "water", "operator", v2, "m3", D("1.4650"), D("5.5"), change, end),
        _line("SURT-COM", "Part communale", "water", "authority", v1 + v2, "m3", D("0.2500"), D("5.5"), start, end),
        _line("ABO-ASS", "Abonnement assainissement", "sanitation", "authority", half, "year", D("36.00"), D("10"), start, end),
        _line("CONSO-ASS", "Collecte et traitement", "sanitation", "authority", v1 + v2, "m3", D("1.8900"), D("10"), start, end),
        _line("RED-POLL", "Lutte contre la pollution", "public_bodies", "water_agency", v1 + v2, "m3", D("0.3300"), D("5.5"), start, end),
        _line("RED-MOD", "Modernisation des réseaux de collecte", "public_bodies", "water_agency", v1 + v2, "m3", D("0.1850"), D("10"), start, end),
        _line("RED-PREL", "Préservation des ressources en eau", "public_bodies", "water_agency", v1 + v2, "m3", D("0.0780"), D("5.5"), start, end),
    ]  # fmt: skip
    for i in range(extra_lines):
        lines.append(
            _line(f"PREST-{i + 1:02d}", f"Intervention technique n° {i + 1}", "other", "operator",
                  D("1"), "unit", D("35.00"), D("20"), start, end)
        )  # fmt: skip
    if exempt_line:
        lines.append(
            replace(
                _line("DEBOURS", "Frais de timbre (débours)", "other", "other", D("1"), "unit",
                      D("2.50"), D("0"), start, end),
                vat_exemption_reason="Débours (article 267 II 2° du CGI)",
            )
        )  # fmt: skip
    lines_t = tuple(lines)
    vat = vat_breakdown(lines_t)
    total_excl = sum((x.amount_excl_vat for x in lines_t), D(0))
    total_vat = sum((v.amount for v in vat), D(0))
    total_incl = total_excl + total_vat
    fixed = sum(
        (
            round_money(x.amount_excl_vat * (1 + x.vat_rate / 100))
            for x in lines_t
            if x.unit == "year"
        ),
        D(0),
    )
    volume = v1 + v2
    professional_like = buyer.needs_facturx
    return InvoiceDocument(
        kind="invoice",
        number="F2026-000123",
        issue_date=issue,
        due_date=date(2026, 5, 8),
        period_start=start,
        period_end=end,
        seller=SELLER,
        buyer=buyer,
        service_point=ServicePointInfo(
            reference="PDS-25290-00417", address="8 chemin des Écureuils, 25290 Ornans"
        ),
        meter=MeterInfo(serial="I19BA123456", diameter_mm=15),
        readings=Readings(
            old_index=1204,
            old_date=date(2025, 9, 29),
            new_index=1266,
            new_date=date(2026, 3, 30),
            estimated=estimated,
            estimation_method=("moyenne journalière de vos 12 derniers mois" if estimated else ""),
        ),
        tariff_periods=(
            TariffPeriod("Tarif 2025", "T2025", start, date(2025, 12, 31), v1),
            TariffPeriod("Tarif 2026", "T2026", change, end, v2),
        ),
        lines=lines_t,
        vat=vat,
        total_excl_vat=total_excl,
        total_vat=total_vat,
        total_incl_vat=total_incl,
        volume=volume,
        fixed_incl_vat=fixed,
        price_per_litre_incl_vat=litre_price(total_incl, fixed, volume),
        price_per_m3_incl_vat=m3_price(total_incl, volume),
        payment=PaymentInfo(
            direct_debit=direct_debit,
            iban=SELLER.iban,
            bic=SELLER.bic,
            mandate_reference="RUM-C0012345-01" if direct_debit else "",
            debit_date=date(2026, 5, 8) if direct_debit else None,
            transfer_reference="F2026-000123 C-0012345",
        ),
        consumption_history=(
            ConsumptionPoint("S1 2023", D("22")),
            ConsumptionPoint("S2 2023", D("25")),
            ConsumptionPoint("S1 2024", D("23")),
            ConsumptionPoint("S2 2024", D("26")),
            ConsumptionPoint("S1 2025", D("24")),
            ConsumptionPoint("S2 2025", D("62")),
        ),
        abnormal_consumption_notice=ABNORMAL_NOTICE if abnormal else None,
        late_payment_mentions=LATE_PAYMENT if professional_like else "",
        legal_notes=(
            "Tarifs fixés par délibération du conseil d'administration du 4 décembre 2025.",
            "Les redevances de l'agence de l'eau Rhône Méditerranée Corse sont reversées "
            "intégralement à l'agence.",
        ),
    )


def sample_credit_note(**kwargs: bool) -> InvoiceDocument:
    """A credit note cancelling :func:`sample_invoice` (BILL-6), amounts positive."""
    invoice = sample_invoice(**kwargs)
    return replace(
        invoice,
        kind="credit_note",
        number="A2026-000007",
        issue_date=date(2026, 4, 20),
        due_date=date(2026, 4, 20),
        credit_note_of=CreditNoteReference(
            number=invoice.number,
            issue_date=invoice.issue_date,
            reason="Index relevé erroné : facture annulée et remplacée",
        ),
        abnormal_consumption_notice=None,
        payment=replace(invoice.payment, direct_debit=False, mandate_reference="", debit_date=None),
    )
