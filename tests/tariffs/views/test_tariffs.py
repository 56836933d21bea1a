"""Tariff screens (BILL-1, BILL-1a, BILL-11): list, detail, YAML entry, export, simulation."""

import pytest

from robinet.core.models import AuditEvent
from robinet.tariffs.models import TariffVersion
from tests.billing.factories import TARIFF_YAML

pytestmark = pytest.mark.django_db

NEW_YAML = TARIFF_YAML.replace("STRASBOURG-2026", "NOUVEAU-2026").replace('["67482"]', '["67001"]')


def test_list_and_detail_render_for_the_billing_officer(web, billing_officer, tariff):
    web.login(billing_officer)
    page = web.get("tariffs:list").content.decode()
    assert "STRASBOURG-2026" in page
    assert "67482" in page
    assert "Délibération n° 2023-42" in page
    detail = web.get("tariffs:detail", tariff.code).content.decode()
    assert 'id="component-3"' in detail  # four components
    assert "Abonnement eau potable" in detail
    assert "Agence de l&#x27;eau" in detail
    assert "Exporter en YAML" in detail
    assert 'id="tariff-history"' in detail


def test_detail_shows_the_bill_1a_warnings_with_the_computation(web, billing_officer):
    from tests.billing.factories import tariff as make_tariff

    heavy = NEW_YAML.replace('{"15": "36.50"', '{"15": "536.50"')
    version = make_tariff(heavy)
    web.login(billing_officer)
    page = web.get("tariffs:detail", version.code).content.decode()
    assert 'id="tariff-warnings"' in page
    assert "Part fixe eau potable trop élevée" in page
    assert "plafond 30" in page


def test_export_downloads_the_yaml(web, billing_officer, tariff):
    web.login(billing_officer)
    response = web.get("tariffs:export", tariff.code)
    assert response["Content-Disposition"] == 'attachment; filename="STRASBOURG-2026.yaml"'
    assert "code: STRASBOURG-2026" in response.content.decode()


def test_tariffs_are_refused_without_the_permission(web, agency_user, auditor, tariff):
    web.login(agency_user)
    assert web.get("tariffs:list").status_code == 403
    assert web.get("tariffs:detail", tariff.code).status_code == 403
    web.login(auditor)
    assert web.get("tariffs:list").status_code == 200
    assert web.get("tariffs:create").status_code == 403
    assert web.post("tariffs:create", data={"document": NEW_YAML}).status_code == 403
    assert not TariffVersion.objects.filter(code="NOUVEAU-2026").exists()


def test_create_is_prefilled_with_the_example_and_saves(web, billing_officer):
    web.login(billing_officer)
    form = web.get("tariffs:create").content.decode()
    assert "EXAMPLE-2026" in form
    response = web.post("tariffs:create", data={"document": NEW_YAML})
    assert response.status_code == 302
    assert response["Location"] == "/tariffs/NOUVEAU-2026/"
    assert AuditEvent.objects.filter(verb="tariff_created").count() == 1


def test_a_bad_price_names_the_field_path_and_saves_nothing(web, billing_officer):
    web.login(billing_officer)
    bad = NEW_YAML.replace('unit_price: "1.6500"', 'unit_price: "un euro"')
    events = AuditEvent.objects.count()
    response = web.post("tariffs:create", data={"document": bad})
    page = response.content.decode()
    assert response.status_code == 422
    assert "components[1].blocks[1].unit_price" in page
    assert "un euro" in page  # the document typed is kept in the textarea
    assert not TariffVersion.objects.filter(code="NOUVEAU-2026").exists()
    assert AuditEvent.objects.count() == events


def test_an_existing_code_is_refused_on_create(web, billing_officer, tariff):
    web.login(billing_officer)
    response = web.post("tariffs:create", data={"document": TARIFF_YAML})
    assert response.status_code == 422
    assert "existe déjà" in response.content.decode()


def test_edit_is_prefilled_with_the_export_and_replaces(web, billing_officer, tariff):
    web.login(billing_officer)
    form = web.get("tariffs:edit", tariff.code).content.decode()
    assert "code: STRASBOURG-2026" in form
    changed = TARIFF_YAML.replace('"1.1000"', '"1.2000"')
    response = web.post("tariffs:edit", tariff.code, data={"document": changed})
    assert response.status_code == 302
    tariff.refresh_from_db()
    assert tariff.definition["components"][1]["blocks"][0]["unit_price"] == "1.2000"
    detail = web.get("tariffs:detail", tariff.code).content.decode()
    assert "Tarif modifié" in detail


SIMULATION = {
    "tariff": "STRASBOURG-2026",
    "volume": "120",
    "start": "2025-01-01",
    "end": "2025-12-31",
    "diameter": "15",
    "dwellings": "1",
}


def test_simulation_shows_lines_under_the_three_headings_and_prices(web, billing_officer, tariff):
    web.login(billing_officer)
    assert web.get("tariffs:simulate").status_code == 200
    page = web.get("tariffs:simulate", data=SIMULATION).content.decode()
    for heading in (
        "Distribution de l&#x27;eau",
        "Collecte et traitement des eaux usées",
        "Organismes publics",
    ):
        assert heading in page
    # 36.50 + 30×1.10 + 90×1.65 + 120×0.39 + 120×2.05 = 510.80 HT
    assert "510,80 €" in page
    assert 'id="simulation-price-m3"' in page
    assert 'id="simulation-price-litre"' in page
    fragment = web.get("tariffs:simulate", htmx=True, data=SIMULATION).content.decode()
    assert "<html" not in fragment
    assert "510,80 €" in fragment


def test_simulation_errors_are_shown(web, billing_officer, tariff):
    web.login(billing_officer)
    page = web.get(
        "tariffs:simulate", data={**SIMULATION, "end": "2024-12-31", "volume": "-1"}
    ).content.decode()
    assert "La fin de période précède son début." in page
    assert 'id="simulation-total-incl"' not in page


@pytest.mark.parametrize(
    "example",
    [
        "EXAMPLE-2026",
        "INDUSTRIE-DEGRESSIVE-2026",
        "LITTORAL-SAISON-2026",
        "VILLE-PROGRESSIVE-2026",
    ],
)
def test_every_documented_example_renders(web, billing_officer, example):
    from pathlib import Path

    from tests.billing.factories import tariff as make_tariff

    text = (Path(__file__).parents[3] / "docs/examples/tariffs" / f"{example}.yaml").read_text()
    version = make_tariff(text)
    web.login(billing_officer)
    page = web.get("tariffs:detail", version.code).content.decode()
    assert version.code in page
    diameter = "40" if example.startswith("INDUSTRIE") else "15"  # priced from 40 mm only
    simulation = {
        **SIMULATION,
        "tariff": version.code,
        "start": "2026-01-01",
        "end": "2026-12-31",
        "diameter": diameter,
    }
    page = web.get("tariffs:simulate", data=simulation).content.decode()
    assert 'id="simulation-total-incl"' in page
