"""The French wording of notices and its guardrails (COLL-1, COLL-4), property-tested."""

import re
import unicodedata
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.collections.notices import wording as wd
from robinet.collections.notices.document import Agency, Recipient, sample_document

# The test's own lists, written independently of the module's patterns.
CUTOFF_WORDS = (
    "coupure",
    "couper",
    "coupe ",
    "suspension",
    "suspendre",
    "suspendu",
    "interrompre",
    "interruption",
    "reduction du debit",
    "reduire le debit",
    "debit reduit",
    "fermeture du branchement",
    "restriction",
    "restreindre",
    "resiliation",
)
FEE_WORDS = ("frais", "indemnite", "interet", "penalite")


def plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def amount(value) -> str:
    """An amount as the plain-text letter prints it (no-break spaces made plain)."""
    return wd.fr_amount(value).replace("\u00a0", " ")


def cutoff_words(text: str) -> list[str]:
    t = plain(text) + " "
    return [w for w in CUTOFF_WORDS if w in t]


def fee_words(text: str, *, agency: bool) -> list[str]:
    t = plain(text)
    if agency:  # the exact legal texts an agency letter must carry (CPCE R124-4)
        for legal in wd.LEGAL_WHITELIST:
            t = t.replace(plain(legal), "")
    return [w for w in FEE_WORDS if re.search(rf"\b{w}", t)]


documents = st.builds(
    sample_document,
    items=st.integers(1, 4),
    formal_notice=st.booleans(),
    restriction=st.booleans(),
    main_residence=st.booleans(),
    professional=st.booleans(),
    fees=st.booleans(),
    fsl=st.none() | st.booleans(),
    agency=st.booleans(),
    nec=st.booleans(),
)


@given(documents)
def test_coll_4_no_cutoff_wording_unless_allowed_fr_casf_l115_3_fr_nec(doc):
    text = wd.letter_text(doc)
    if doc.main_residence or "FR-NEC" in doc.rules or "restriction" not in doc.actions:
        assert not doc.cutoff_wording_allowed
    if not doc.cutoff_wording_allowed:
        assert cutoff_words(text) == []
    else:
        assert "restriction" in plain(text)
        assert wd.fr_long_date(doc.restriction_on) in text
        assert "article L115-3 du Code de l'action sociale et des familles" in text


@given(documents)
def test_coll_1_no_fee_wording_without_fee_lines_fr_cpce_l111_8(doc):
    text = wd.letter_text(doc)
    if not doc.fees:
        assert fee_words(text, agency=doc.agency_mentions) == []
        assert doc.amount_to_pay == doc.total_due


@given(documents)
def test_coll_1_formal_notice_mentions(doc):
    text = wd.letter_text(doc)
    if doc.formal_notice:
        assert text.startswith("MISE EN DEMEURE")
        assert "vaut mise en demeure au sens de l'article 1344 du Code civil" in text
        assert f"dans un délai de {doc.delay_days} jours" in text
        assert "contentieux" in text
        assert "injonction de payer" in text
    else:
        assert "MISE EN DEMEURE" not in text
        assert "injonction" not in text


@given(documents)
def test_coll_1_fsl_information_fr_d2008_780_art2(doc):
    text = wd.letter_text(doc)
    mentions = ("Fonds de solidarité pour le logement", "services sociaux", "CCAS")
    if doc.fsl_information:
        assert all(m in text for m in mentions)
    else:
        assert not any(m in text for m in mentions)


@given(documents)
def test_coll_1_professional_fees_one_indemnity_per_invoice_fr_ccom_l441_10(doc):
    text = wd.letter_text(doc)
    if doc.fees:
        assert doc.professional
        assert not doc.main_residence
        for item in doc.items:
            assert f"{wd.INDEMNITY_LABEL}, facture {item.document_number} : 40,00" in text
        assert text.count(wd.INDEMNITY_LABEL + ",") == len(doc.items)
        assert "Intérêts de retard au taux annuel de 12,15" in text
        assert amount(doc.amount_to_pay) in text


@given(documents)
def test_coll_1_agency_mentions_fr_cpce_r124_4(doc):
    text = wd.letter_text(doc)
    if doc.agency_mentions:
        assert doc.agency.name in text  # 1° the agency
        assert "activité de recouvrement amiable" in text
        assert f"Créancier : {doc.utility.name}" in text  # 2° the creditor
        assert f"Montant dû en principal : {amount(doc.total_due)}" in text  # 3°
        if doc.fees:
            assert f"Intérêts de retard : {amount(doc.interest_total)}" in text
        else:
            assert wd.AGENCY_NO_ACCESSORIES in text
        assert "modalités de paiement" in text  # 4°
        assert wd.L111_8_REPRODUCTION in text  # 5°
    else:
        assert "L111-8" not in text


@given(documents)
def test_coll_1_every_letter_says_how_to_pay_and_where_to_get_help(doc):
    text = wd.letter_text(doc)
    u = doc.utility
    assert u.website in text
    assert u.iban in text
    assert "chèque" in text
    assert "accueil" in text
    assert "prélèvement automatique" in text
    assert f"Appelez-nous au {u.phone}" in text
    assert "échéancier" in text
    assert wd.fr_date(doc.pay_by) in text
    assert u.mediator.name in text


# --- check_wording ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "Sans paiement, nous procéderons à la coupure de l'eau.",
        "Nous pourrons couper votre alimentation.",
        "La fourniture sera suspendue.",
        "Nous pourrons interrompre le service.",
        "Une réduction du débit sera appliquée.",
        "Nous pourrons réduire votre débit.",
        "Fermeture du branchement prévue.",
        "Une restriction pourra intervenir.",
        "Résiliation de votre contrat.",
        "Pose d'une pastille.",
    ],
)
def test_coll_4_check_wording_names_the_cutoff_phrase_fr_casf_l115_3(phrase):
    doc = sample_document()
    with pytest.raises(ValueError, match="no cut-off wording") as error:
        wd.check_wording(doc, "Madame, Monsieur,\n" + phrase)
    assert "FR-CASF-L115-3" in str(error.value)


@pytest.mark.parametrize(
    "phrase",
    [
        "Des frais de relance de 10 € s'ajoutent.",
        "Une indemnité forfaitaire est due.",
        "Des intérêts de retard courent.",
        "Une pénalité de retard s'applique.",
    ],
)
def test_coll_1_check_wording_names_the_fee_phrase_fr_cpce_l111_8(phrase):
    doc = sample_document()
    with pytest.raises(ValueError, match="FR-CPCE-L111-8: no fee wording"):
        wd.check_wording(doc, phrase)


def test_coll_1_legal_reproduction_allowed_only_exact_and_only_on_agency_letters():
    agency = sample_document(agency=True)
    wd.check_wording(agency, f"« {wd.L111_8_REPRODUCTION} » {wd.AGENCY_NO_ACCESSORIES}")
    # A paraphrase is not the legal text.
    with pytest.raises(ValueError, match="frais"):
        wd.check_wording(agency, "Les frais de recouvrement restent à la charge du créancier.")
    # Without the agency mentions the reproduction has no reason to be there.
    with pytest.raises(ValueError, match="frais"):
        wd.check_wording(sample_document(), wd.L111_8_REPRODUCTION)


def test_coll_4_names_and_addresses_are_data_not_wording():
    doc = replace(
        sample_document(agency=True),
        recipient=Recipient("M. Jean Coupé", ("3 rue de la Coupure",), "25290", "Ornans"),
        agency=Agency("Frais & Associés", ("1 place de la Restriction",), "25000", "Besançon"),
    )
    text = wd.letter_text(doc)  # does not raise
    assert "rue de la Coupure" not in text  # the recipient is in the address window, not here
    assert "Frais & Associés" in text
    with pytest.raises(ValueError):
        wd.check_wording(doc, "M. Jean Coupé, nous allons couper l'eau.")


def test_coll_4_a_level_label_is_wording_not_data_fr_casf_l115_3():
    from robinet.collections.notices.pdf import render_notice_pdf

    doc = replace(sample_document(), level_label="Avis avant coupure")
    with pytest.raises(ValueError, match="coupure"):
        render_notice_pdf(doc)


def test_coll_4_allowed_restriction_sentence_is_neutral():
    doc = sample_document(
        main_residence=False, professional=True, formal_notice=True, restriction=True
    )
    assert doc.cutoff_wording_allowed
    text = wd.letter_text(doc)
    sentence = next(t for t in wd.consequences(doc) if "restriction" in t)
    assert "n'est pas une résidence principale" in sentence
    assert "règlement du service" in sentence
    assert "coupure" not in text.lower()
    # Even then, fees stay out unless there are fee lines.
    assert not doc.fees
    assert fee_words(text, agency=False) == []


def test_coll_1_reminder_is_courteous_and_gives_the_deadline():
    doc = sample_document(items=1)
    text = wd.letter_text(doc)
    assert text.startswith(wd.REMINDER_TITLE)
    assert "Il s'agit peut-être d'un simple oubli." in text
    assert "paiement de la facture ci-dessous" in text
    assert f"au plus tard le {wd.fr_long_date(doc.pay_by)}" in text
    assert wd.subject(doc) == "Relance : facture(s) impayée(s) — compte 000123"
    formal = sample_document(formal_notice=True)
    assert wd.subject(formal).startswith("Mise en demeure : ")


def test_coll_1_french_formatting():
    from datetime import date
    from decimal import Decimal

    assert wd.fr_amount(Decimal("1234.5")) == "1\u00a0234,50\u00a0€"
    assert wd.fr_long_date(date(2026, 3, 1)) == "1er mars 2026"
    assert wd.fr_long_date(date(2026, 8, 15)) == "15 août 2026"
    assert wd.fr_rate(Decimal("12.15")) == "12,15\u00a0%"
