"""Valid synthetic identifiers for the demo: SIREN/SIRET, French IBAN with RIB key, phones.

Computed with integer arithmetic (the generator makes millions of them); the
tests check a sample with the reference validators (``stdnum``, ``schwifty``,
``phonenumbers``).
"""

import random
from functools import cache

import phonenumbers

# Luhn: the value a digit contributes when it is doubled.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
# La Poste's establishments follow another rule (sum of digits): never generate it.
_LA_POSTE_SIREN = "356000000"


def luhn_check_digit(digits: str) -> str:
    """The digit to append to ``digits`` so that the whole passes the Luhn check."""
    total = 0
    # The digit appended will be in position 1 (not doubled), so the last
    # digit of ``digits`` is doubled.
    double = True
    for ch in reversed(digits):
        d = ord(ch) - 48
        total += _DOUBLED[d] if double else d
        double = not double
    return chr(48 + (10 - total % 10) % 10)


def siren(body: str) -> str:
    """A valid SIREN from its first 8 digits."""
    value = body + luhn_check_digit(body)
    if value == _LA_POSTE_SIREN:  # pragma: no cover - excluded by the callers' prefixes
        raise ValueError("La Poste's SIREN is not generated")
    return value


def siret(siren_: str, establishment: int) -> str:
    """A valid SIRET: SIREN + NIC whose 4 first digits are ``establishment``, last one the key."""
    body = f"{siren_}{establishment:04d}"
    return body + luhn_check_digit(body)


def random_siren(rnd: random.Random, first: str = "") -> str:
    """A random valid SIREN, starting with ``first`` (companies: 3–9; communes: 21…)."""
    body = first + "".join(str(rnd.randrange(10)) for _ in range(8 - len(first)))
    if not first and body[0] in "012":
        body = str(rnd.randrange(3, 10)) + body[1:]
    return siren(body)


def commune_siren(insee: str) -> str:
    """The SIREN of a commune, as INSEE builds it: ``21`` + department + ``0`` + commune number."""
    return siren(f"21{insee[:2]}0{insee[2:]}")


# --- Bank details ----------------------------------------------------------------------

# French banks present in Alsace-Moselle, with the weight of their customers.
BANKS = (
    ("10278", 34),  # Crédit Mutuel
    ("17206", 14),  # Crédit Agricole Alsace Vosges
    ("14707", 10),  # Banque Populaire Alsace Lorraine Champagne
    ("30087", 8),  # CIC Est
    ("20041", 9),  # La Banque Postale
    ("30003", 8),  # Société Générale
    ("30004", 8),  # BNP Paribas
    ("30002", 5),  # LCL
    ("30076", 4),  # Crédit du Nord
)


def rib_key(bank: str, branch: str, account: str) -> str:
    """The two-digit RIB key of a French bank account (account number all digits)."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def french_iban(bank: str, branch: str, account: str) -> str:
    """The IBAN ``FRkk`` + bank (5) + branch (5) + account (11) + RIB key (2)."""
    bban = f"{bank}{branch}{account}{rib_key(bank, branch, account)}"
    # ISO 13616 check digits: BBAN + "FR00" as digits (F=15, R=27), mod 97.
    check = 98 - int(bban + "152700") % 97
    return f"FR{check:02d}{bban}"


@cache
def bank_bics() -> dict[str, str]:
    """BIC of each bank in :data:`BANKS`, from ``schwifty``'s bank registry."""
    from schwifty import IBAN

    bics = {}
    for bank, _weight in BANKS:
        bic = IBAN(french_iban(bank, "00001", "00000000001")).bic
        if bic is None:  # pragma: no cover - registry change
            raise LookupError(f"no BIC known for French bank {bank}")
        bics[bank] = str(bic)
    return bics


# --- Phones ------------------------------------------------------------------------------

# The first three national digits of the numbers handed out. Mobiles 06/07;
# landlines of Alsace-Moselle (03 88 / 03 90 Bas-Rhin, 03 89 / 03 69 Haut-Rhin,
# 03 87 / 03 72 Moselle) and 09 (VoIP boxes).
_MOBILE_CANDIDATES = [f"6{n:02d}" for n in range(100)] + [f"7{n:02d}" for n in range(100)]
_LANDLINE_CANDIDATES = ["388", "390", "389", "369", "387", "372"] + [
    f"9{n:02d}" for n in range(100)
]


def _valid_heads(candidates: list[str]) -> tuple[str, ...]:
    """Heads for which any 6 following digits form a valid number (FR patterns are 3-deep)."""
    heads = []
    for head in candidates:
        if all(
            phonenumbers.is_valid_number(phonenumbers.parse(f"+33{head}{tail}"))
            for tail in ("000000", "999999")
        ):
            heads.append(head)
    return tuple(heads)


@cache
def phone_heads() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(mobile heads, local landline heads, VoIP heads) checked against ``phonenumbers``."""
    mobiles = _valid_heads(_MOBILE_CANDIDATES)
    landlines = _valid_heads(_LANDLINE_CANDIDATES)
    return (
        mobiles,
        tuple(h for h in landlines if h[0] == "3"),
        tuple(h for h in landlines if h[0] == "9"),
    )
