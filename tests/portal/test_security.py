"""PORTAL-1 security: CSRF, cookies, separation from the back-office, lockout, one-time tokens."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from robinet.core import clock
from robinet.portal import auth
from robinet.portal.access import SESSION_KEY
from robinet.portal.models import PortalToken, TokenPurpose
from tests.portal.conftest import NOW, PASSWORD
from tests.portal.test_auth import make_invoice

pytestmark = pytest.mark.urls("tests.portal.test_auth_views")


def link_in(message) -> str:
    return re.search(r"https?://testserver(\S+)", message.body).group(1)


def csrf_client(url: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.get(url)
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("portal:login", {"email": "helene.lefevre@example.fr", "password": PASSWORD}),
        ("portal:signup", {"email": "a@example.fr", "password": PASSWORD}),
        ("portal:signup-code", {"code-account_number": "C1", "code-channel": "email"}),
        ("portal:password-reset", {"email": "helene.lefevre@example.fr"}),
    ],
)
def test_portal1_csrf_is_enforced_on_the_public_forms(customer, name, data):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse(name), data).status_code == 403


def test_portal1_csrf_token_lets_the_login_through(customer):
    client, token = csrf_client(reverse("portal:login"))
    response = client.post(
        reverse("portal:login"),
        {"email": customer.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "name",
    [
        "portal:logout",
        "portal:link-account",
        "portal:link-code",
        "portal:password-change",
        "portal:language",
        "portal:verify-resend",
    ],
)
def test_portal1_csrf_is_enforced_on_the_signed_in_forms(customer, name):
    client, token = csrf_client(reverse("portal:login"))
    client.post(
        reverse("portal:login"),
        {"email": customer.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert client.session[SESSION_KEY] == customer.pk
    assert client.post(reverse(name), {"lang-language": "en"}).status_code == 403


def test_portal1_csrf_is_enforced_on_unlink(customer, household):
    client, token = csrf_client(reverse("portal:login"))
    client.post(
        reverse("portal:login"),
        {"email": customer.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    response = client.post(reverse("portal:unlink-account", args=[household.number]))
    assert response.status_code == 403


# --- session ------------------------------------------------------------------------------


def test_portal1_session_cookie_is_httponly_and_the_key_changes_at_login(client, customer):
    client.get(reverse("portal:login"))
    client.session.save()
    before = client.session.session_key
    response = client.post(reverse("portal:login"), {"email": customer.email, "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie.value != before  # no session fixation
    assert client.session.get_expiry_age() == 1800


@pytest.mark.parametrize("path", ["/", "/customers/", "/cases/"])
def test_portal1_a_portal_session_opens_no_back_office_page(portal, path):
    response = portal.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_portal1_a_portal_session_opens_no_api(portal):
    assert portal.get("/api/v1/invoices").status_code == 401


def test_portal1_a_locked_account_cannot_sign_in_even_with_the_right_password(client, customer):
    customer.locked_until = NOW + dt.timedelta(minutes=10)
    customer.save()
    response = client.post(reverse("portal:login"), {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_portal1_an_address_with_too_many_failures_is_refused(client, customer):
    for n in range(21):
        client.post(reverse("portal:login"), {"email": f"essai{n}@example.fr", "password": "faux"})
    response = client.post(reverse("portal:login"), {"email": customer.email, "password": PASSWORD})
    assert SESSION_KEY not in client.session
    assert "Trop de tentatives" in response.content.decode()
    other = Client(REMOTE_ADDR="192.0.2.50")
    other.post(reverse("portal:login"), {"email": customer.email, "password": PASSWORD})
    assert other.session[SESSION_KEY] == customer.pk


# --- one-time tokens ----------------------------------------------------------------------


def test_portal1_stored_tokens_are_hashes_of_the_links(household, mailoutbox):
    invoice = make_invoice(household)
    client = Client()
    client.post(
        reverse("portal:signup"),
        {
            "email": "nouveau@example.fr",
            "password": PASSWORD,
            "account_number": household.number,
            "invoice_number": invoice.number,
        },
    )
    raw = link_in(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    client.post(reverse("portal:password-reset"), {"email": "nouveau@example.fr"})
    raw_reset = link_in(mailoutbox[1]).rstrip("/").rsplit("/", 1)[1]
    stored = set(PortalToken.objects.values_list("token_hash", flat=True))
    assert raw not in stored
    assert raw_reset not in stored
    assert {auth.hash_secret(raw), auth.hash_secret(raw_reset)} <= stored
    assert len(raw) >= 40  # 32 random bytes


def test_portal1_verification_link_is_single_use(client, household, mailoutbox):
    invoice = make_invoice(household)
    client.post(
        reverse("portal:signup"),
        {
            "email": "nouveau@example.fr",
            "password": PASSWORD,
            "account_number": household.number,
            "invoice_number": invoice.number,
        },
    )
    link = link_in(mailoutbox[0])
    assert client.get(link).status_code == 200
    assert client.get(link).status_code == 400


def test_portal1_verification_link_expires(client, household, mailoutbox):
    invoice = make_invoice(household)
    client.post(
        reverse("portal:signup"),
        {
            "email": "nouveau@example.fr",
            "password": PASSWORD,
            "account_number": household.number,
            "invoice_number": invoice.number,
        },
    )
    with clock.as_of(NOW + dt.timedelta(hours=49)):
        assert client.get(link_in(mailoutbox[0])).status_code == 400


def test_portal1_reset_link_is_single_use_and_expires(client, customer, mailoutbox):
    client.post(reverse("portal:password-reset"), {"email": customer.email})
    client.post(reverse("portal:password-reset"), {"email": customer.email})
    first, second = link_in(mailoutbox[0]), link_in(mailoutbox[1])
    assert client.get(first).status_code == 400  # replaced by the second
    with clock.as_of(NOW + dt.timedelta(minutes=61)):
        assert client.get(second).status_code == 400
        assert client.post(second, {"password": "Encore-un-autre-secret-99"}).status_code == 400
    assert client.post(second, {"password": "Encore-un-autre-secret-99"}).status_code == 302
    assert Client().post(second, {"password": "Et-encore-un-autre-77"}).status_code == 400
    raw = second.rstrip("/").rsplit("/", 1)[1]
    token = PortalToken.objects.get(token_hash=auth.hash_secret(raw))
    assert token.used_at == NOW


def test_portal1_a_code_is_never_stored_in_clear(household, mailoutbox):
    auth.request_link_code(account_number=household.number, channel="email")
    code = re.search(r"\b(\d{6})\b", mailoutbox[0].body).group(1)
    token = PortalToken.objects.get(purpose=TokenPurpose.LINK_CODE)
    assert code not in token.token_hash
    assert token.token_hash != auth.hash_secret(code)
