"""Tariffs through the JSON API (BILL-1, read only): list, definition, YAML export."""

from pathlib import Path

import pytest

from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from robinet.tariffs.schema import dump_tariff, load_yaml
from tests.billing import factories
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "tariffs"


@pytest.fixture
def api(officer):
    return ApiClient(api_token_create(user=officer))


@pytest.fixture
def tariff(db):
    return factories.tariff()


@pytest.fixture
def seasonal(db):
    return factories.tariff((EXAMPLES / "LITTORAL-SAISON-2026.yaml").read_text(encoding="utf-8"))


def test_bill_1_list_with_zone_and_validity(api, tariff, seasonal):
    body = api.get("/tariffs").json()
    assert [t["code"] for t in body] == sorted([tariff.code, seasonal.code])
    strasbourg = next(t for t in body if t["code"] == tariff.code)
    assert strasbourg["zone"] == ["67482"]
    assert (strasbourg["valid_from"], strasbourg["valid_to"]) == ("2024-01-01", None)
    assert strasbourg["deliberation"].startswith("Délibération")
    assert [t["code"] for t in api.get("/tariffs", commune="67482").json()] == [tariff.code]
    assert api.get("/tariffs", commune="99999").json() == []
    assert api.get("/tariffs", on="2023-06-01", commune="67482").json() == []
    assert len(api.get("/tariffs", on="2025-06-01", commune="67482").json()) == 1


def test_bill_1_definition_is_the_export_in_json(api, tariff, seasonal):
    body = api.get(f"/tariffs/{tariff.code}").json()
    assert body["zone"] == ["67482"]
    assert body["valid_from"] == "2024-01-01"
    assert body["rounding"] == "line"
    abo, conso = body["components"][0], body["components"][1]
    assert abo["annual_price_by_diameter"] == {"15": "36.50", "20": "60.00", "30": "95.00"}
    assert conso["blocks"] == [
        {"up_to": "30", "unit_price": "1.1000"},
        {"up_to": None, "unit_price": "1.6500"},
    ]
    assert conso["vat_rate"] == "5.5"
    # Seasons keep the YAML's names (from / to).
    littoral = api.get(f"/tariffs/{seasonal.code}").json()
    expected = dump_tariff(load_yaml((EXAMPLES / "LITTORAL-SAISON-2026.yaml").read_text()))
    season = next(c for c in littoral["components"] if c.get("seasons"))["seasons"][0]
    assert (season["from"], season["to"]) == ("06-01", "10-31")
    assert _set(littoral["components"]) == _set(expected["components"])


def _set(value):
    """Without the optional keys left empty (the JSON schema lists them all)."""
    if isinstance(value, dict):
        return {k: _set(v) for k, v in value.items() if v not in (None, "")}
    if isinstance(value, list):
        return [_set(v) for v in value]
    return value


def test_bill_1_yaml_export_reads_back(api, tariff):
    response = api.get(f"/tariffs/{tariff.code}/yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/yaml")
    assert load_yaml(response.content.decode()) == load_yaml(factories.TARIFF_YAML)


def test_unknown_tariff_is_404(api, tariff):
    response = api.get("/tariffs/NOPE-2026")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api.get("/tariffs/NOPE-2026/yaml").status_code == 404


def test_tariffs_need_the_permission_and_a_token(org, make_user, tariff):
    agency = make_user("agency", Role.EXTERNAL_AGENCY, org.region)
    client = ApiClient(api_token_create(user=agency))
    assert client.get("/tariffs").status_code == 403
    assert client.get(f"/tariffs/{tariff.code}").json()["code"] == "permission_denied"
    assert client.get(f"/tariffs/{tariff.code}/yaml").status_code == 403
    assert ApiClient(None).get("/tariffs").status_code == 401
