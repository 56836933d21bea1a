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


def build_search_text(parts: Iterable[str]) -> str:
    """The words the text search scans, accent- and case-free, between spaces."""
    # Part by part: unidecode only walks the parts that are not plain ASCII.
    tokens = [normalize(p) for p in parts if p]
    return " " + " ".join(t for t in tokens if t) + " "


def account_search_text(party: Mapping[str, str], contract_places: Iterable[str] = ()) -> str:
    """The words of one account: its party's names and address, its service points' addresses.

    Identifiers (customer and contract numbers, phones, e-mail, SIRET, meter
    serials) are not words: the search finds them by exact look-ups on their
    own indexes, which keeps the text index small (each identifier would be a
    key of its own).
    """
    parts = [
        party["name"], party["first_name"], party["name_complement"],
        party["address_line"], party["postcode"], party["city"], *contract_places,
    ]  # fmt: skip
    return build_search_text(parts)
