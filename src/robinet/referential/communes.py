"""French communes (INSEE codes, postcodes, population), read once from ``data/communes.csv.gz``.

The file also holds the arrondissements municipaux of Paris, Lyon and Marseille
(``75101``…, ``69381``…, ``13201``…), whose ``parent`` is the commune's code.
"""

import bisect
import csv
import gzip
import heapq
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from unidecode import unidecode


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    department: str
    region: str
    postcodes: tuple[str, ...]
    population: int
    # INSEE code of the commune an arrondissement municipal belongs to, else "".
    parent: str = ""

    @property
    def is_arrondissement(self) -> bool:
        return bool(self.parent)


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# What people type for "Saint-", "Sainte-": "St Denis", "Ste Marie".
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
_ARTICLES = ("le ", "la ", "les ", "l ")


def _search_key(text: str) -> str:
    words = _NON_ALNUM.sub(" ", unidecode(text).lower()).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def _rank(c: Commune) -> tuple[int, str, str]:
    # Biggest first, then a stable order.
    return (-c.population, c.name, c.insee)


@dataclass(frozen=True)
class _Index:
    by_insee: dict[str, Commune]
    by_postcode: dict[str, list[Commune]]
    by_department: dict[str, list[Commune]]
    # Sorted, for prefix look-ups by bisection.
    postcodes: list[str]


@cache
def _index() -> _Index:
    raw = (files(__package__) / "data" / "communes.csv.gz").read_bytes()
    reader = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    if next(reader) != [
        "insee",
        "name",
        "department",
        "region",
        "postcodes",
        "population",
        "parent",
    ]:
        raise ValueError("unexpected columns in communes.csv.gz")
    by_insee: dict[str, Commune] = {}
    by_postcode: dict[str, list[Commune]] = {}
    by_department: dict[str, list[Commune]] = {}
    for insee, name, department, region, postcodes, population, parent in reader:
        commune = Commune(
            insee, name, department, region, tuple(postcodes.split()), int(population), parent
        )
        by_insee[insee] = commune
        by_department.setdefault(department, []).append(commune)
        for postcode in commune.postcodes:
            by_postcode.setdefault(postcode, []).append(commune)
    for group in (*by_postcode.values(), *by_department.values()):
        group.sort(key=_rank)
    return _Index(by_insee, by_postcode, by_department, sorted(by_postcode))


@cache
def _names() -> list[tuple[str, str]]:
    """Sorted ``(search key, insee)`` pairs; built apart, only autocompletion needs it."""
    names = []
    for commune in _index().by_insee.values():
        key = _search_key(commune.name)
        names.append((key, commune.insee))
        # "Rochelle" finds "La Rochelle", "Havre" finds "Le Havre".
        for article in _ARTICLES:
            if key.startswith(article):
                names.append((key[len(article) :], commune.insee))
    names.sort()
    return names


def _clean_code(code: str) -> str:
    return (code or "").strip().upper()


def commune_get(insee: str) -> Commune | None:
    """The commune (or arrondissement municipal) with this INSEE code, e.g. ``"2A004"``."""
    return _index().by_insee.get(_clean_code(insee))


def communes_for_postcode(postcode: str) -> list[Commune]:
    """Communes served by a postcode, biggest first (arrondissements included)."""
    return list(_index().by_postcode.get((postcode or "").strip(), ()))


def commune_matches(insee: str, postcode: str) -> bool:
    """Whether ``postcode`` is one of the postcodes of commune ``insee``."""
    commune = commune_get(insee)
    return commune is not None and (postcode or "").strip() in commune.postcodes


def _clean_department(code: str) -> str:
    code = _clean_code(code)
    # "1" → "01": departments are two characters (three overseas).
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code


def communes_in_departments(departments: Iterable[str]) -> list[Commune]:
    """All communes of these departments (``"67"``, ``"2A"``, ``"974"``), biggest first."""
    index = _index()
    wanted = {_clean_department(d) for d in departments}
    found = [c for d in wanted for c in index.by_department.get(d, ())]
    found.sort(key=_rank)
    return found


def _prefix_range(sorted_keys: list, prefix, key=None) -> Iterable:
    start = bisect.bisect_left(sorted_keys, prefix, key=key)
    for i in range(start, len(sorted_keys)):
        item = sorted_keys[i]
        if not (key(item) if key else item).startswith(prefix):
            break
        yield item


def search_communes(prefix: str, limit: int = 20) -> list[Commune]:
    """Communes whose name or one of whose postcodes starts with ``prefix``, for autocompletion.

    Accents, case and punctuation are ignored (``"saint etienne"`` finds
    Saint-Étienne, ``"st"`` stands for ``"saint"``); digits search postcodes.
    Exact name matches come first, then the most populated.
    """
    if limit <= 0:
        return []
    index = _index()
    text = (prefix or "").strip()
    if text.isdigit():
        found = {c for pc in _prefix_range(index.postcodes, text) for c in index.by_postcode[pc]}
        exact = set()
    else:
        key = _search_key(text)
        if not key:
            return []
        # A trailing "st" may be the start of "Stains" as well as "Saint".
        raw_key = " ".join(_NON_ALNUM.sub(" ", unidecode(text).lower()).split())
        found, exact = set(), set()
        for k in {key, raw_key}:
            for name_key, insee in _prefix_range(_names(), k, key=lambda item: item[0]):
                commune = index.by_insee[insee]
                found.add(commune)
                if name_key == k:
                    exact.add(commune)
    return heapq.nsmallest(limit, found, key=lambda c: (c not in exact, *_rank(c)))
