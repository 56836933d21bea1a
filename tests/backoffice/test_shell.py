"""The back-office shell: login, menu, logout, profile and API token, 403 page, static files."""

from pathlib import Path

import pytest

from robinet.organisation.models import ApiToken
from robinet.organisation.roles import Role

pytestmark = pytest.mark.django_db

VENDOR = (
    Path(__file__).resolve().parents[2] / "src" / "robinet" / "backoffice" / "static" / "vendor"
)


def test_login_page_is_french_and_accessible(web):
    response = web.get("login")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Connexion" in html
    assert 'for="id_username"' in html
    assert 'for="id_password"' in html


def test_login_with_wrong_password_says_so(web, officer):
    response = web.post("login", data={"username": "officer", "password": "nope"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.content.decode()


def test_login_then_home(web, officer):
    response = web.post("login", data={"username": "officer", "password": "pw-officer"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = web.get("backoffice:home")
    assert home.status_code == 200
    assert "Rechercher un client" in home.content.decode()


def test_every_page_requires_login(web, org):
    for name in ("backoffice:home", "backoffice:profile", "customers:search", "customers:quality"):
        response = web.get(name)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/?next="), name


def test_htmx_request_without_session_redirects_the_whole_page(web, org):
    response = web.get("customers:search", htmx=True, data={"q": "dupont"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/login/?next=")


def test_menu_shows_only_what_the_user_may_open(web, officer, agency_user):
    html = web.login(officer).get("backoffice:home").content.decode()
    assert 'href="/customers/"' in html
    assert "Qualité des données" in html
    html = web.login(agency_user).get("backoffice:home").content.decode()
    assert 'href="/customers/"' not in html
    assert "Qualité des données" not in html
    assert "aucune habilitation" in html


def test_active_menu_entry(web, officer):
    html = web.login(officer).get("customers:quality").content.decode()
    # The entry is active in its dropdown, and so is the dropdown's button.
    assert 'class="dropdown-item active" href="/customers/quality/" aria-current="page"' in html
    assert 'class="dropdown-item" href="/customers/"' in html
    assert "dropdown-toggle btn btn-link active" in html


def test_logout_is_a_post_form(web, officer):
    web.login(officer)
    html = web.get("backoffice:home").content.decode()
    assert '<form method="post" action="/logout/">' in html
    assert web.get("logout").status_code == 405
    response = web.post("logout")
    assert response.status_code == 302
    assert web.get("backoffice:home").status_code == 302


def test_profile_lists_roles_and_entities(web, org, officer, make_user):
    from robinet.organisation.services import role_grant

    role_grant(actor=None, user=officer, role=Role.AUDITOR, entity=org.agencies[1])
    html = web.login(officer).get("backoffice:profile").content.decode()
    assert "Chargé(e) de gestion clientèle" in html
    assert "Centre 1.1" in html
    assert "CT11" in html
    assert "Auditeur (lecture seule)" in html
    assert "Agence 2" in html


def test_profile_creates_an_api_token_shown_once(web, officer):
    web.login(officer)
    response = web.post("backoffice:profile")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "il ne sera plus jamais affiché" in html
    token = ApiToken.objects.get(user=officer)
    shown = html.split('id="new-token" class="form-control mono" type="text" readonly value="')[1]
    key = shown.split('"')[0]
    assert key.startswith(token.prefix)
    # A later visit does not show it again.
    assert key not in web.get("backoffice:profile").content.decode()


def test_permission_denied_page_is_french(web, agency_user):
    response = web.login(agency_user).get("customers:search")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Accès refusé" in html
    assert "habilitation" in html


@pytest.mark.parametrize(
    "path",
    [
        "vendor/bootstrap-5.3.9/css/bootstrap.min.css",
        "vendor/bootstrap-5.3.9/js/bootstrap.bundle.min.js",
        "vendor/htmx-2.0.11/htmx.min.js",
        "vendor/bootstrap-icons-1.13.2/font/bootstrap-icons.min.css",
        "backoffice/app.css",
        "backoffice/app.js",
    ],
)
def test_static_files_are_served_without_a_cdn(web, path):
    response = web.get(f"/static/{path}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) > 100


def test_pages_load_nothing_from_another_host(web, officer):
    html = web.login(officer).get("backoffice:home").content.decode()
    assert 'src="http' not in html
    assert 'href="http' not in html
    assert '<script src="/static/vendor/htmx-2.0.11/htmx.min.js"></script>' in html


def test_vendored_libraries_carry_their_licence():
    for library in ("bootstrap-5.3.9", "htmx-2.0.11", "bootstrap-icons-1.13.2"):
        licence = (VENDOR / library / "LICENSE").read_text()
        assert "Permission" in licence or "BSD" in licence or "Zero-Clause" in licence, library
