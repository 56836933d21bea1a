"""Staff two-factor authentication in a real browser: enrol on the profile by the key shown,
log out, log in again with the password and then a code (issue 13), on a phone."""

import re
import time

import pytest
import time_machine
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(page) -> None:
    page.goto("/")
    page.get_by_label("Nom d’utilisateur").fill("officer")
    page.get_by_label("Mot de passe").fill("pw-officer")
    page.get_by_role("button", name="Se connecter").click()


def test_an_officer_enrols_an_app_then_needs_a_code_after_the_password(new_page, officer):
    page = new_page(width=390, height=844)
    log_in(page)
    expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_be_visible()

    page.goto("/profile/")
    page.get_by_role("button", name="Configurer la double authentification").click()
    expect(page.get_by_role("img", name="QR code de configuration")).to_be_visible()
    key = page.get_by_test_id("otp-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert key  # the key shown is the device's, in base 32
    page.get_by_label("Code", exact=True).fill(current_code(device))
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_text("Double authentification activée.")).to_be_visible()

    page.context.clear_cookies()
    log_in(page)
    expect(page.get_by_role("heading", name="Code de vérification")).to_be_visible()
    page.goto("/customers/")  # nothing opens before the code
    expect(page).to_have_url(re.compile(r"/login/code/\?next=%2Fcustomers%2F$"))
    # a code is good once: the one used to enrol is spent, so take the next 30-second one
    with time_machine.travel(time.time() + 30, tick=True):
        page.get_by_label("Code").fill(current_code(device))
        page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
