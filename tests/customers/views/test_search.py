"""Customer search screen (customers:search): live htmx results, plain GET without JS."""

import pytest

from robinet.customers.selectors import SEARCH_LIMIT
from tests.backoffice.helpers import make_person, make_service_point, move_in

pytestmark = pytest.mark.django_db


def test_search_page_has_a_live_search_box(web, officer):
    response = web.login(officer).get("customers:search")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="keyup changed delay:250ms, search"' in html
    assert 'hx-get="/customers/"' in html
    assert '<form method="get" action="/customers/" role="search"' in html
    assert "Tapez au moins deux caractères" in html


def test_search_without_js_renders_the_whole_page(web, officer, person):
    response = web.login(officer).get("customers:search", data={"q": "lefevre"})
    html = response.content.decode()
    assert "<html" in html
    assert "Hélène Lefèvre" in html
    assert f'href="/customers/{person.number}/"' in html


def test_htmx_search_returns_only_the_results_fragment(web, officer, person):
    response = web.login(officer).get("customers:search", htmx=True, data={"q": "hélène LEFEVRE"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "navbar" not in html
    assert 'id="results-table"' in html
    assert person.number in html
    assert "1 client trouvé" in html


def test_results_show_class_centre_status_and_service_point_address(web, org, officer, person):
    service_point = make_service_point(org.centres[0], street_number="5", street="allée des Saules")
    move_in(person, service_point)
    html = (
        web.login(officer)
        .get("customers:search", htmx=True, data={"q": "lefevre"})
        .content.decode()
    )
    assert "Particulier" in html
    assert "Centre 1.1" in html
    assert "Actif" in html
    assert "5 allée des Saules, 67000 Strasbourg" in html


def test_results_fall_back_to_the_party_address(web, officer, person):
    html = (
        web.login(officer)
        .get("customers:search", htmx=True, data={"q": "lefevre"})
        .content.decode()
    )
    assert "12 rue des Tanneurs, 67000" in html


def test_no_result(web, officer, person):
    html = (
        web.login(officer).get("customers:search", htmx=True, data={"q": "zzzz"}).content.decode()
    )
    assert "Aucun client ne correspond à « zzzz »." in html


def test_more_than_the_limit_asks_to_refine(web, org, officer):
    for i in range(SEARCH_LIMIT + 1):
        make_person(org.centres[0], first_name=f"Jean{i:02d}", email="", name="Martin")
    html = (
        web.login(officer).get("customers:search", htmx=True, data={"q": "martin"}).content.decode()
    )
    assert "affinez votre recherche" in html
    assert html.count('<a class="mono" href="/customers/') == SEARCH_LIMIT


def test_search_sees_only_the_users_centres(web, org, officer):
    make_person(org.centres[1], name="Dupuis", email="")
    html = (
        web.login(officer).get("customers:search", htmx=True, data={"q": "dupuis"}).content.decode()
    )
    assert "Aucun client" in html


def test_search_is_denied_without_the_permission(web, agency_user):
    assert web.login(agency_user).get("customers:search", data={"q": "x"}).status_code == 403
