"""Pure rules of the customer file, property-tested (CUST-2…5, search normalisation)."""

import string

from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from robinet.customers import rules
from robinet.customers.choices import (
    CLASSES_WITH_SIRET,
    PERSON_CIVILITIES,
    CustomerClass,
    PartyKind,
    SiteType,
)
from robinet.customers.search import build_search_text, normalize

civilities = st.sampled_from(["", "M.", "Mme", "M. et Mme", "SA", "SARL", "ETS", "SDC", "CNE"])
parties = st.fixed_dictionaries({
    "kind": st.sampled_from(PartyKind.values),
    "civility": civilities,
    "siret": st.sampled_from(["", "73282932000074"]),
    "name_complement": st.sampled_from(["", "géré par FONCIA", "Résidence"]),
})  # fmt: skip
accounts = st.fixed_dictionaries({
    "customer_class": st.sampled_from(CustomerClass.values),
    "naf_code": st.sampled_from(["", "84.11Z"]),
    "site_type": st.sampled_from(["", *SiteType.values]),
})  # fmt: skip


@given(parties, accounts)
def test_cust2_to_4_accepted_combinations_keep_every_invariant(party, account):
    """Whatever the combination, one the rules accept satisfies CUST-2, CUST-3 and CUST-4."""
    if rules.check_consistency(party, account):
        return
    if account["customer_class"] == CustomerClass.INDIVIDUAL:
        assert party["kind"] == PartyKind.PERSON
    if party["kind"] == PartyKind.COMPANY:
        assert party["civility"] not in PERSON_CIVILITIES
    else:
        assert not party["siret"]
    if account["customer_class"] in CLASSES_WITH_SIRET:
        assert party["kind"] == PartyKind.COMPANY
        assert party["siret"]
        assert account["naf_code"]
        assert account["site_type"]
    if account["customer_class"] == CustomerClass.SYNDIC:
        assert party["civility"] == "SDC"
        assert not party["siret"]
        assert not account["naf_code"]
        assert account["site_type"] == SiteType.RESIDENTIAL_BUILDING
        assert party["name_complement"].startswith("géré par")


@given(
    st.text(alphabet=string.digits, min_size=8, max_size=8),
    st.text(alphabet=string.digits, min_size=4, max_size=4),
)
def test_cust3_siret_with_a_right_key_is_accepted_and_any_other_key_refused(siren_body, nic_body):
    siren = siren_body + luhn.calc_check_digit(siren_body)  # the SIREN has its own key
    body = siren + nic_body
    good = body + luhn.calc_check_digit(body)
    assert rules.normalize_siret(" ".join([good[:3], good[3:6], good[6:9], good[9:]])) == good
    bad = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
    try:
        rules.normalize_siret(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{bad} accepted")


@given(
    st.integers(min_value=10, max_value=38),
    st.integers(min_value=0, max_value=999_999),
    st.sampled_from(["0", "+33", "+33 ", "0033"]),
    st.sampled_from(["", " ", ".", "-"]),
)
def test_cust5_a_mobile_in_any_usual_form_normalises_to_one_e164(block, rest, prefix, separator):
    digits = f"6{block:02d}{rest:06d}"  # 06 10… to 06 38…: allocated mobile blocks
    rest_pairs = separator.join(digits[i : i + 2] for i in range(1, 9, 2))
    typed = f"{prefix}{digits[0]}{separator}{rest_pairs}"
    assert rules.normalize_phone(typed, mobile=True) == "+33" + digits


@given(st.text())
def test_search_normalisation_is_idempotent_and_plain(text):
    once = normalize(text)
    assert normalize(once) == once
    assert set(once) <= set(string.ascii_lowercase + string.digits + "@.+ ")
    assert "  " not in once


@given(st.lists(st.text(), max_size=8))
def test_search_text_has_every_word_between_spaces(parts):
    text = build_search_text(parts)
    assert text.startswith(" ")
    assert text.endswith(" ")
    for part in parts:
        for word in normalize(part).split():
            assert f" {word} " in text
