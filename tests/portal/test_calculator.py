"""BILL-11 on the portal: the public bill calculator (no login)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from robinet.billing.selectors import simulate
from tests.billing import factories as billing_factories
from tests.portal import test_home

URL = "/espace-client/simulateur/"

sign_in_pages = test_home.sign_in_pages


@pytest.fixture
def tariff(db):
    return billing_factories.tariff()


def test_bill_11_calculator_is_public_and_lists_published_communes(client, tariff):
    assert reverse("portal:calculator") == URL
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="67482">Strasbourg (67)</option>' in html
    assert '<label class="form-label" for="id_volume">' in html or 'for="id_volume"' in html


def test_bill_11_a_year_of_120_m3_in_strasbourg_to_the_cent(client, tariff):
    response = client.get(URL, {"commune": "67482", "diameter": "15", "volume": "120"})
    assert response.status_code == 200
    html = response.content.decode()
    # 36,50 + 30 × 1,10 + 90 × 1,65 + 120 × 0,39 = 264,80 HT at 5,5 % (VAT 14,56)
    # + 120 × 2,05 = 246,00 HT at 10 % (VAT 24,60): 510,80 HT, 549,96 TTC, 4,58 €/m³
    assert "549,96 € TTC par an" in html
    assert "soit 4,58 € TTC le m³" in html
    assert "510,80 €" in html
    assert "Abonnement eau potable" in html
    assert "Assainissement collectif" in html
    assert "1 an" in html
    assert "90 m³" in html
    assert "du 04/03/2026 au 03/03/2027" in html
    bill = simulate(
        tariff_code=tariff.code,
        volume=Decimal(120),
        start=dt.date(2026, 3, 4),
        end=dt.date(2027, 3, 3),
        diameter_mm=15,
    )
    assert bill.total_incl_vat == Decimal("549.96")


def test_bill_11_errors_are_shown_next_to_each_field(client, tariff):
    response = client.get(URL, {"commune": "", "diameter": "15", "volume": "-3"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "id_commune_errors" in html
    assert "id_volume_errors" in html
    assert 'role="alert"' in html


def test_bill_11_an_unpublished_commune_or_diameter_is_refused(client, tariff):
    response = client.get(URL, {"commune": "75056", "diameter": "15", "volume": "120"})
    assert response.status_code == 422
    assert "id_commune_errors" in response.content.decode()
    response = client.get(URL, {"commune": "67482", "diameter": "12", "volume": "120"})
    assert response.status_code == 422
    assert "id_diameter_errors" in response.content.decode()


def test_bill_11_a_diameter_without_price_is_an_error_on_the_diameter(client, tariff):
    """The tariff prices 15, 20 and 30 mm meters only: the customer is told which."""
    response = client.get(URL, {"commune": "67482", "diameter": "40", "volume": "120"})
    assert response.status_code == 422
    html = response.content.decode()
    errors = html.split('id="id_diameter_errors"')[1].split("</div>")[0]
    assert "15, 20, 30 mm" in errors


def test_bill_11_without_published_tariff(client, db):
    html = client.get(URL).content.decode()
    assert "Aucun tarif n'est publié" in html
