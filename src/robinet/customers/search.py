"""Search keys: accent- and case-insensitive text shared by the search and the bulk loaders."""

import re
from collections.abc import Iterable, Mapping

from unidecode import unidecode

_NON_WORD = re.compile(r"[^a-z0-9@.+]+")


def normalize(text: str) -> str:
    """Lower-case ASCII with single spaces: ``"Hélène  D'Aubigné"`` → ``"helene d aubigne"``."""
    return _NON_WORD.sub(" ", unidecode(text or "").lower()).strip()


def phone_digits(phone: str) -> str:
    """National significant digits of a French number, for matching what people type."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def build_search_text(parts: Iterable[str], phones: Iterable[str] = ()) -> str:
    """The text the search scans: names, numbers, addresses, e-mail, serials, SIRET, phones.

    Phones are stored as national digits (``0612345678``); the search turns a
    phone typed in any form into the same digits.
    """
    # Part by part: unidecode only walks the parts that are not plain ASCII.
    tokens = [normalize(p) for p in parts if p]
    for phone in phones:
        digits = phone_digits(phone)
        if digits:
            tokens.append(digits)
    return " " + " ".join(t for t in tokens if t) + " "


def account_search_text(
    party: Mapping[str, str], number: str, contract_parts: Iterable[str] = ()
) -> str:
    """The search text of one account: its party, its number, its contracts' places and meters."""
    parts = [
        party["name"], party["first_name"], party["name_complement"], number, party["siret"],
        party["email"], party["address_line"], party["postcode"], party["city"], *contract_parts,
    ]  # fmt: skip
    return build_search_text(parts, [party["mobile"], party["landline"]])
