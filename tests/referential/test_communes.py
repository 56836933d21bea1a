"""French communes reference data: look-ups, postcodes, autocompletion."""

import pytest

from robinet.referential import (
    Commune,
    commune_get,
    commune_matches,
    communes_for_postcode,
    communes_in_departments,
    search_communes,
)
from robinet.referential.communes import _index


def test_strasbourg():
    strasbourg = commune_get("67482")
    assert strasbourg is not None
    assert strasbourg.name == "Strasbourg"
    assert strasbourg.department == "67"
    assert strasbourg.region == "44"
    assert strasbourg.postcodes == ("67000", "67100", "67200")
    assert strasbourg.population > 250_000
    assert not strasbourg.is_arrondissement


def test_paris_and_its_arrondissements():
    paris = commune_get("75056")
    assert paris.name == "Paris"
    assert "75116" in paris.postcodes
    first = commune_get("75101")
    assert first.name == "Paris 1er Arrondissement"
    assert first.parent == "75056"
    assert first.is_arrondissement
    assert first.postcodes == ("75001",)


def test_lyon_and_marseille():
    assert commune_get("69123").name == "Lyon"
    assert commune_get("69381").parent == "69123"
    assert commune_get("13055").name == "Marseille"
    assert commune_get("13201").parent == "13055"


def test_overseas_and_corsica():
    saint_denis = commune_get("97411")
    assert saint_denis.name == "Saint-Denis"
    assert saint_denis.department == "974"
    assert "97400" in saint_denis.postcodes
    ajaccio = commune_get("2A004")
    assert ajaccio.name == "Ajaccio"
    assert ajaccio.department == "2A"
    assert "20000" in ajaccio.postcodes


def test_get_tolerates_case_and_spaces():
    assert commune_get(" 2a004 ") == commune_get("2A004")


@pytest.mark.parametrize("code", ["", "00000", "99999", "67", "hello"])
def test_unknown_codes(code):
    assert commune_get(code) is None


def test_only_current_communes_and_arrondissements():
    # 34 969 communes actuelles + 45 arrondissements municipaux (millésime 2026).
    index = _index()
    assert len(index.by_insee) == 35_014
    assert sum(1 for c in index.by_insee.values() if c.is_arrondissement) == 45


def test_commune_is_frozen():
    commune = commune_get("67482")
    assert isinstance(commune, Commune)
    with pytest.raises(AttributeError):
        commune.name = "Strass"


def test_postcode_to_communes():
    assert [c.insee for c in communes_for_postcode("67000")] == ["67482"]
    # Several communes share a postcode; the biggest comes first.
    shared = communes_for_postcode("97400")
    assert shared[0].insee == "97411"
    # Paris and its arrondissement both use 75001.
    assert [c.insee for c in communes_for_postcode("75001")] == ["75056", "75101"]


def test_postcode_shared_by_small_communes_sorted_by_population():
    communes = communes_for_postcode("01400")
    assert len(communes) > 1
    populations = [c.population for c in communes]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize("postcode", ["", "00000", "6700", "abcde"])
def test_unknown_postcodes(postcode):
    assert communes_for_postcode(postcode) == []


def test_commune_matches():
    assert commune_matches("67482", "67100")
    assert commune_matches("67482", " 67200 ")
    assert not commune_matches("67482", "68000")
    assert commune_matches("75056", "75116")
    assert commune_matches("75116", "75116")
    assert not commune_matches("75101", "75002")
    assert not commune_matches("99999", "67000")
    assert not commune_matches("67482", "")


def test_communes_in_departments():
    corsica = communes_in_departments(["2A", "2b"])
    assert corsica[0].name == "Ajaccio"
    assert corsica[1].name == "Bastia"
    assert {c.department for c in corsica} == {"2A", "2B"}
    populations = [c.population for c in corsica]
    assert populations == sorted(populations, reverse=True)


def test_communes_in_departments_pads_and_accepts_overseas():
    ain = communes_in_departments(["1"])
    assert ain
    assert all(c.department == "01" for c in ain)
    assert communes_in_departments(["974"])[0].insee == "97411"
    assert communes_in_departments([]) == []
    assert communes_in_departments(["00"]) == []


def test_search_by_name_is_accent_and_case_insensitive():
    assert search_communes("strasb")[0].insee == "67482"
    assert search_communes("SAINT ETIENNE")[0].insee == "42218"
    assert search_communes("saint-étienne")[0].insee == "42218"
    assert search_communes("St Étienne")[0].insee == "42218"
    assert search_communes("evry c")[0].name == "Évry-Courcouronnes"


def test_search_exact_name_first_then_population():
    results = search_communes("saint-denis", limit=5)
    # Several Saint-Denis exist: exact names first, biggest first.
    assert [c.insee for c in results[:2]] == ["97411", "93066"]
    assert all(c.name == "Saint-Denis" for c in results[:4])
    assert search_communes("ajac")[0].name == "Ajac"
    assert search_communes("ajacc")[0].insee == "2A004"


def test_search_ignores_leading_article():
    assert search_communes("rochelle")[0].insee == "17300"
    assert search_communes("la rochelle")[0].insee == "17300"
    assert search_communes("havre")[0].insee == "76351"


def test_search_by_postcode_prefix():
    assert [c.insee for c in search_communes("67000")] == ["67482"]
    paris = search_communes("750", limit=5)
    assert paris[0].insee == "75056"
    assert all(any(pc.startswith("750") for pc in c.postcodes) for c in paris)
    assert len(search_communes("75")) == 20


def test_search_limit_and_empty():
    assert len(search_communes("a", limit=3)) == 3
    assert search_communes("a", limit=0) == []
    assert search_communes("") == []
    assert search_communes("   ") == []
    assert search_communes("-'") == []
    assert search_communes("zzzzzz") == []
