"""The demo's identifier helpers produce what the reference validators accept (CUST-3, CUST-5, CUST-6)."""

import random

import phonenumbers
import pytest
from schwifty import IBAN
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from robinet.demo import identifiers


def test_cust3_random_siren_and_siret_pass_luhn():
    rnd = random.Random(1)
    for _ in range(2000):
        siren = identifiers.random_siren(rnd)
        assert stdnum_siren.is_valid(siren)
        assert stdnum_siret.is_valid(identifiers.siret(siren, rnd.randrange(1, 10_000)))


@pytest.mark.parametrize("head", ["1", "2", "7", "8"])
def test_cust3_siren_with_a_given_head(head):
    rnd = random.Random(head)
    for _ in range(200):
        siren = identifiers.random_siren(rnd, head)
        assert siren.startswith(head)
        assert stdnum_siren.is_valid(siren)


def test_cust3_commune_siren_is_insee_s():
    # Strasbourg (67482) is registered as 216 704 825.
    assert identifiers.commune_siren("67482") == "216704825"
    assert stdnum_siren.is_valid(identifiers.commune_siren("57463"))


def test_cust6_french_iban_has_valid_checksums_and_rib_key():
    rnd = random.Random(2)
    for _ in range(1000):
        bank = rnd.choice(identifiers.BANKS)[0]
        iban = identifiers.french_iban(
            bank, f"{rnd.randrange(100_000):05d}", f"{rnd.randrange(10**11):011d}"
        )
        parsed = IBAN(iban, validate_bban=True)
        assert parsed.country_code == "FR"
        assert parsed.bic is not None


def test_cust6_bank_bics_come_from_the_registry():
    bics = identifiers.bank_bics()
    assert set(bics) == {bank for bank, _weight in identifiers.BANKS}
    assert bics["10278"].startswith("CMCIFR")  # Crédit Mutuel


def test_cust5_phone_heads_give_valid_numbers_of_the_right_type():
    mobiles, landlines, voip = identifiers.phone_heads()
    assert mobiles
    assert landlines
    assert voip
    rnd = random.Random(3)
    for heads, kinds in (
        (mobiles, {phonenumbers.PhoneNumberType.MOBILE}),
        (landlines, {phonenumbers.PhoneNumberType.FIXED_LINE}),
        (voip, {phonenumbers.PhoneNumberType.VOIP}),
    ):
        for head in heads:
            number = phonenumbers.parse(f"+33{head}{rnd.randrange(10**6):06d}")
            assert phonenumbers.is_valid_number(number)
            assert phonenumbers.number_type(number) in kinds
