"""Staff two-factor authentication with a TOTP app (issue 13): enrol, log in with a code,
required mode, API tokens untouched, no open redirect."""

import time

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from robinet.core.models import AuditEvent
from robinet.organisation import services as organisation_services

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def enrolled(officer):
    return TOTPDevice.objects.create(user=officer, name="app", confirmed=True)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_officer_enrols_an_app_from_the_profile(officer):
    client = logged_in(officer)
    page = client.post("/profile/", {"action": "2fa-start"})
    assert "<svg" in page.content.decode()  # the QR code, inline, no script
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed

    wrong = client.post("/profile/", {"action": "2fa-confirm", "code": "000000"})
    assert "Code incorrect" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    # a wrong code holds the next attempt back a little (django-otp's throttling)
    with time_machine.travel(time.time() + 5, tick=False):
        done = client.post("/profile/", {"action": "2fa-confirm", "code": code(device)})
    assert "Double authentification activée" in done.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(verb="two_factor_enabled").exists()
    assert client.get("/").status_code == 200  # this session is verified already


def test_after_the_password_no_page_opens_without_the_code(officer, enrolled):
    client = logged_in(officer)
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"] == "/login/code/?next=%2Fcustomers%2F"
    assert client.get("/admin/").status_code == 302

    refused = client.post("/login/code/", {"code": "123 456", "next": "/customers/"})
    assert refused.status_code == 400
    assert client.get("/customers/").status_code == 302

    with time_machine.travel(time.time() + 5, tick=False):
        accepted = client.post("/login/code/", {"code": code(enrolled), "next": "/customers/"})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200


def test_a_code_is_good_once(officer, enrolled):
    token = code(enrolled)
    first, second = logged_in(officer), logged_in(officer)
    assert first.post("/login/code/", {"code": token}).status_code == 302
    assert second.post("/login/code/", {"code": token}).status_code == 400


def test_the_next_page_stays_on_the_site(officer, enrolled):
    client = logged_in(officer)
    response = client.post(
        "/login/code/", {"code": code(enrolled), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_disabling_takes_a_current_code(officer, enrolled):
    client = logged_in(officer)
    client.post("/login/code/", {"code": code(enrolled)})
    kept = client.post("/profile/", {"action": "2fa-disable", "code": "000000"})
    assert "reste active" in kept.content.decode()
    with time_machine.travel(time.time() + 35, tick=False):
        client.post("/profile/", {"action": "2fa-disable", "code": code(enrolled)})
    assert not TOTPDevice.objects.filter(user=officer).exists()


def test_required_mode_sends_a_member_without_a_device_to_enrol(officer, settings):
    settings.ROBINET_STAFF_2FA_REQUIRED = True
    client = logged_in(officer)
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"] == "/profile/#two-factor"
    assert client.get("/profile/").status_code == 200


def test_api_tokens_are_not_asked_for_a_code(officer, enrolled):
    token = organisation_services.api_token_create(user=officer)
    response = Client().get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code != 302
