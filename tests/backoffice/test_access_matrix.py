"""Every back-office screen and API read, for every role and for a visitor (issue 13, ORG-2, ORG-4).

The pages are found from the URL configuration itself, so a new screen is
checked the day it is added: a visitor is sent to the login page (the API
answers 401), a staff member gets the page, a refusal or a redirection —
never a server error — and the collection agency's own users open nothing
but their agency's screens.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from robinet.api.urls import api
from robinet.organisation import services as organisation_services
from robinet.organisation.roles import Role

pytestmark = pytest.mark.django_db

PUBLIC = ("login/", "i18n/", "espace-client/", "static/")
# What the agency's own staff may open besides their home page and profile (ORG-4).
AGENCY_PAGES = re.compile(r"^/(collections/agencies/|$|profile/)")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def screens() -> list[str]:
    """The back-office pages that take no parameter (detail pages are tested with their data)."""
    found = []
    for route in _walk(get_resolver().url_patterns):
        if "<" in route or "(" in route or route.startswith(("admin/", "api/", *PUBLIC)):
            continue
        if route.startswith("logout"):
            continue
        found.append("/" + route.lstrip("^").rstrip("$"))
    return sorted(set(found))


def api_reads() -> list[str]:
    schema = api.get_openapi_schema()
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "get" in operations and "{" not in path
    )


def test_the_matrix_covers_the_back_office():
    assert len(screens()) > 80
    assert len(api_reads()) > 30


def test_a_visitor_is_sent_to_the_login_page_and_the_api_refuses_it(db):
    client = Client()
    for url in screens():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    for path in api_reads():
        assert client.get(path).status_code == 401, path


@pytest.mark.parametrize("role", list(Role))
def test_every_role_opens_or_is_refused_never_an_error(role, org, make_user):
    user = make_user(f"user-{role.value}", role, org.centres[0])
    client = Client()
    client.force_login(user)
    opened, failed = [], []
    for url in screens():
        response = client.get(url)
        if response.status_code >= 500 or response.status_code not in (200, 302, 403, 404, 405):
            failed.append((url, response.status_code))
        elif response.status_code == 200:
            opened.append(url)
    assert failed == []
    if role == Role.EXTERNAL_AGENCY:
        assert [url for url in opened if not AGENCY_PAGES.match(url)] == []
    token = organisation_services.api_token_create(user=user)
    headers = {"Authorization": f"Bearer {token}"}
    errors = [
        (path, status)
        for path in api_reads()
        if (status := client.get(path, headers=headers).status_code) >= 500
    ]
    assert errors == []
