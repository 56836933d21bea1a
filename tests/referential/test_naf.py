"""NAF rév. 2 sub-classes: validation, normalisation, labels."""

import re

import pytest

from robinet.referential import naf_choices, naf_get, naf_is_valid, naf_normalize


def test_official_count():
    codes = [code for code, _ in naf_choices()]
    assert len(codes) == 732
    assert all(re.fullmatch(r"\d{2}\.\d{2}[A-Z]", code) for code in codes)
    assert codes == sorted(codes)


def test_public_administration():
    assert naf_is_valid("84.11Z")
    assert naf_get("84.11Z") == "Administration publique générale"


def test_water_supply():
    assert naf_is_valid("36.00Z")
    assert naf_get("36.00Z") == "Captage, traitement et distribution d'eau"


def test_labels_have_single_spaces():
    assert all("  " not in label and label == label.strip() for _, label in naf_choices())


@pytest.mark.parametrize(
    "code", ["99.99Z", "84.11", "8411", "84.1", "84", "84.11ZZ", "84-11Z", "", " 84.11Z", "84.11z"]
)
def test_invalid_codes(code):
    assert not naf_is_valid(code)


def test_is_valid_is_strict_on_form():
    # User input goes through naf_normalize first; stored values are canonical.
    assert not naf_is_valid("8411Z")


@pytest.mark.parametrize("raw", ["8411Z", "84.11Z", "84.11z", " 8411z ", "84 11Z", "84.11 Z"])
def test_normalize(raw):
    assert naf_normalize(raw) == "84.11Z"


@pytest.mark.parametrize("raw", ["99.99Z", "9999Z", "84.11", "8411", "", "84.11ZZ", "x84.11Z"])
def test_normalize_rejects(raw):
    assert naf_normalize(raw) is None


def test_get_accepts_loose_forms_and_rejects_unknown():
    assert naf_get("3600z") == "Captage, traitement et distribution d'eau"
    assert naf_get("99.99Z") is None
    assert naf_get("84.11") is None


def test_choices_for_select():
    assert ("36.00Z", "36.00Z – Captage, traitement et distribution d'eau") in naf_choices()
