"""Staff two-factor authentication: a TOTP authenticator app as second factor (issue 13).

django-otp keeps the devices (``TOTPDevice``) and the verified state of the
session. A staff member who has enrolled a device must enter a code after the
password before any page opens (:class:`SecondFactorMiddleware`); with
``ROBINET_STAFF_2FA_REQUIRED`` on, one who has not is sent to enrol first.
The API (tokens) and the customer portal (its own users) are not concerned.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from robinet.core import audit

# Paths a half-logged-in staff member may still reach.
OPEN_PREFIXES = ("/login/", "/logout/", "/static/", "/api/", "/espace-client/", "/i18n/")
DEVICE_NAME = "Application d'authentification"


def has_device(user) -> bool:
    return any(devices_for_user(user, confirmed=True))


def enrolment_start(user) -> TOTPDevice:
    """A new, unconfirmed device (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code to scan with the app (inline, no script)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#212529")


def secret_text(device: TOTPDevice) -> str:
    """The key in base 32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def enrolment_confirm(request, device: TOTPDevice, code: str) -> bool:
    """Confirm the device with a first code from the app; the session counts as verified."""
    if not device.verify_token(_clean(code)):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    otp_login(request, device)
    audit.record(actor=request.user, verb="two_factor_enabled", target=request.user)
    return True


def verify(request, code: str) -> bool:
    """The second step of a login: a code from one of the user's confirmed devices."""
    for device in devices_for_user(request.user, confirmed=True):
        if device.verify_token(_clean(code)):
            otp_login(request, device)
            return True
    return False


def disable(request, code: str) -> bool:
    """Remove the second factor, proved by a current code."""
    devices = list(devices_for_user(request.user, confirmed=True))
    if not any(device.verify_token(_clean(code)) for device in devices):
        return False
    TOTPDevice.objects.filter(user=request.user).delete()
    audit.record(actor=request.user, verb="two_factor_disabled", target=request.user)
    return True


class SecondFactorMiddleware:
    """After the password, the code: no back-office page until the session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
        ):
            target = request.get_full_path()
            if has_device(user):
                return redirect(f"{reverse('login-code')}?{urlencode({'next': target})}")
            if settings.ROBINET_STAFF_2FA_REQUIRED and request.path != reverse(
                "backoffice:profile"
            ):
                return redirect(reverse("backoffice:profile") + "#two-factor")
        return self.get_response(request)
