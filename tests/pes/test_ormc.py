"""The PES V2 writer, pure (issue 7): schema validation, keys, texts, line spreading."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from robinet.core.exceptions import ApplicationError
from robinet.pes import ormc
from robinet.pes.conf import DEFAULT_IMPUTATIONS, PesSettings, _imputation, parse_imputations
from robinet.pes.services import debtor_category, piece_lines

HEADER = ormc.Header(
    filename="PES_123_01_2026_0000001_0000000.xml",
    created_on=dt.date(2026, 2, 15),
    id_post="067001",
    id_coll="20001234500017",
    cod_col="123",
    cod_bud="01",
    budget_label="Régie des eaux",
)
DEBTOR = ormc.Debtor(
    category="01",
    legal_nature="01",
    name="Lefèvre — Œuvre",
    first_name="Hélène",
    civility="Mme",
    street="12 rue des Tanneurs",
    postcode="67000",
    city="Strasbourg",
)


def piece(**overrides):
    values = {
        "piece": 1,
        "object": "Facture FAC-2026-000001",
        "debtor": DEBTOR,
        "lines": (
            ormc.Line("Eau", "70111", "EAU", Decimal("40.00"), Decimal("2.20"), Decimal("5.5")),
        ),
        "invoice_number": "FAC-2026-000001",
        "debt_number": "2026000000001",
        "asp_date": dt.date(2026, 2, 15),
    }
    return ormc.Piece(**{**values, **overrides})


def bordereau(*pieces, kind=ormc.ORMC):
    return ormc.Bordereau(
        kind=kind,
        year=2026,
        number=1,
        issued_on=dt.date(2026, 2, 15),
        object="Facturation",
        pieces=pieces or (piece(),),
    )


def test_file_is_iso_8859_1_and_valid():
    content = ormc.build(HEADER, [bordereau()])
    assert content.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    root = etree.fromstring(content)
    assert root.tag == f"{{{ormc.NAMESPACE}}}PES_Aller"
    assert (
        root.find(".//Nom").get("V") == "Lefèvre -- OEuvre"
    )  # Latin-1 kept, the rest transliterated
    assert root.find(".//MtBordHt").get("V") == "40.00"
    assert root.find(".//MtBordTVA").get("V") == "2.20"
    assert root.find(".//TxTva").get("V") == "5.50"


def test_schema_refuses_what_hélios_would():
    bad = ormc.Debtor(**{**DEBTOR.__dict__, "postcode": "6700"})
    with pytest.raises(ApplicationError) as exc:
        ormc.build(HEADER, [bordereau(piece(debtor=bad))])
    assert exc.value.code == "pes_invalid"
    with pytest.raises(ApplicationError):
        ormc.build(ormc.Header(**{**HEADER.__dict__, "id_coll": "123"}), [bordereau()])


def test_no_pieces_and_non_positive_lines_are_refused():
    with pytest.raises(ApplicationError) as exc:
        ormc.build(HEADER, [ormc.Bordereau(ormc.ORMC, 2026, 1, dt.date(2026, 2, 15), "x")])
    assert exc.value.code == "pes_empty"
    zero = ormc.Line("Eau", "70111", "EAU", Decimal("0.00"))
    with pytest.raises(ApplicationError):
        ormc.build(HEADER, [bordereau(piece(lines=(zero,)))])


def test_reduction_is_tied_to_its_title():
    reduction = piece(original_year=2026, original_piece=7, debt_number="")
    root = etree.fromstring(ormc.build(HEADER, [bordereau(reduction, kind=ormc.REDUCTION)]))
    assert root.find(".//TypFic").get("V") == "PESALR1"
    assert root.find(".//RattachPiece/IdPceOrig").get("V") == "7"
    assert root.find(".//RattachPiece/ExerRat").get("V") == "2026"


def test_keys_of_the_avis_des_sommes_a_payer():
    assert ormc.key_mod23(2026, "1", "2026000000001") in ormc.KEY23
    # "26" + "1" + "00" + the debt number on 13 digits, modulo 23.
    assert ormc.key_mod23(2026, "1", "2026000000001") == ormc.KEY23[261002026000000001 % 23]
    key = ormc.key_mod11("123", "0000001", 2026, "1", "2026000000001")
    assert key.isdigit()
    assert len(key) == 1


@given(st.text(max_size=80))
def test_text_is_always_latin_1_and_bounded(value):
    result = ormc.text(value, 38)
    assert len(result) <= 38
    result.encode("iso-8859-1")


def test_debtor_categories():
    assert debtor_category("person", "individual") == ("01", "01")
    assert debtor_category("person", "farmer") == ("01", "02")
    assert debtor_category("company", "professional") == ("60", "03")
    assert debtor_category("company", "local_authority") == ("23", "09")
    assert debtor_category("company", "administration") == ("20", "07")


def test_imputation_falls_back_from_the_most_specific_key():
    config = PesSettings(
        "067001", "20001234500017", "123", "01", "", "M49", "R", "15",
        {k: _imputation(v) for k, v in {**DEFAULT_IMPUTATIONS,
         **parse_imputations("water.operator.ABO-EAU=70128:ABON")}.items()},
    )  # fmt: skip
    assert config.imputation("water", "operator", "ABO-EAU").account == "70128"
    assert config.imputation("water", "operator", "CONSO-EAU").account == "70111"
    assert config.imputation("sanitation", "water_agency", "X").account == "706129"
    assert config.imputation("unknown", "other", "X").account == "7068"


CONFIG = PesSettings(
    "067001", "20001234500017", "123", "01", "", "M49", "R", "15",
    {k: _imputation(v) for k, v in DEFAULT_IMPUTATIONS.items()},
)  # fmt: skip
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)


@given(
    st.lists(
        st.tuples(st.sampled_from(["water", "sanitation", "public_bodies"]), cents,
                  st.sampled_from(["5.50", "10.00", "20.00"])),
        min_size=1, max_size=8,
    ),
    st.integers(min_value=1, max_value=100),
)  # fmt: skip
def test_lines_always_add_up_to_what_is_titled(lines, percent):
    """HT + VAT of the title's lines is exactly what is due, whatever the spread (issue 7)."""
    rows = [
        SimpleNamespace(service=s, beneficiary="operator", component_code="C", label=s,
                        amount_excl_vat=a, vat_rate=Decimal(r))
        for s, a, r in lines
    ]  # fmt: skip
    bases: dict[Decimal, Decimal] = {}
    for row in rows:
        bases[row.vat_rate] = bases.get(row.vat_rate, Decimal(0)) + row.amount_excl_vat
    breakdown = [
        {"rate": str(r), "base": str(b), "amount": str((b * r / 100).quantize(Decimal("0.01")))}
        for r, b in bases.items()
    ]
    total = sum(b for b in bases.values()) + sum(Decimal(v["amount"]) for v in breakdown)
    due = (total * percent / 100).quantize(Decimal("0.01"))
    invoice = SimpleNamespace(vat_breakdown=breakdown)
    result = piece_lines(invoice, rows, CONFIG, due=due)
    if result is None:
        return  # a rounding left an imputation non-positive: refused, never wrong
    assert sum(x.amount_excl_vat + x.vat for x in result) == due
    assert all(x.amount_excl_vat > 0 and x.vat >= 0 for x in result)
