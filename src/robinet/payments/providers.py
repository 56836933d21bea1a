"""Payment-service providers for card payments (PAY-2): the interface and the local test one.

A provider does two things for Robinet:

* :meth:`CardProvider.start_checkout` — open a checkout for an amount and
  answer the provider's reference and the URL of its hosted payment page;
* :meth:`CardProvider.parse_callback` — verify and read the server-to-server
  notification the provider sends when the card is paid or declined.

Providers are registered by name (:func:`register`) and the one in use is
chosen by the ``ROBINET_CARD_PROVIDER`` setting; its secret comes from
``ROBINET_CARD_PROVIDER_SECRET``. A real provider (Payzen, Stripe, Monetico…)
is one more subclass registered under its name.

The ``test`` provider is fully local: its hosted page is a Robinet view, and
its callbacks are JSON bodies signed with HMAC-SHA256 in the
``X-Robinet-Signature`` header (hex digest of the raw body).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from robinet.core.exceptions import ApplicationError

SIGNATURE_HEADER = "X-Robinet-Signature"
PAID = "paid"
DECLINED = "declined"


@dataclass(frozen=True)
class Checkout:
    reference: str
    redirect_url: str


@dataclass(frozen=True)
class CallbackEvent:
    """What a provider's notification says. ``signature_valid`` False: ignore it entirely."""

    reference: str
    status: str  # "paid" | "declined"
    amount: Decimal | None
    signature_valid: bool


class ProviderNotConfigured(ApplicationError):  # noqa: N818 - reads as a sentence
    http_status = 503


class CardProvider(ABC):
    """The interface every payment-service provider implements."""

    name: str = ""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    @abstractmethod
    def start_checkout(
        self, *, account_number: str, amount: Decimal, invoice_number: str, return_url: str
    ) -> Checkout:
        """Open a checkout; return the provider's reference and the hosted page's URL."""

    @abstractmethod
    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackEvent:
        """Verify the signature of a raw notification and read it (never raises on bad input:
        an unreadable or unsigned body is an event with ``signature_valid=False``)."""


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


class TestProvider(CardProvider):
    """A local provider for the demo and the tests: no traffic leaves Robinet."""

    __test__ = False  # not a pytest test class
    name = "test"

    def start_checkout(self, *, account_number, amount, invoice_number, return_url) -> Checkout:
        reference = "TEST-" + secrets.token_hex(8).upper()
        url = reverse("payments:card-test-provider", args=[reference])
        return Checkout(reference=reference, redirect_url=url)

    def callback_body(self, *, reference: str, status: str, amount: Decimal) -> tuple[bytes, dict]:
        """The signed notification the hosted page sends (also used by the tests)."""
        body = json.dumps(
            {"reference": reference, "status": status, "amount": str(amount)}, sort_keys=True
        ).encode()
        return body, {SIGNATURE_HEADER: sign(self.secret, body)}

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackEvent:
        given = _header(headers, SIGNATURE_HEADER)
        valid = bool(given) and hmac.compare_digest(given, sign(self.secret, body))
        try:
            data = json.loads(body.decode())
            reference = str(data["reference"])
            status = str(data["status"])
            amount = Decimal(str(data["amount"]))
        except (ValueError, KeyError, TypeError, InvalidOperation, UnicodeDecodeError):
            return CallbackEvent("", "", None, False)
        if status not in (PAID, DECLINED) or not amount.is_finite():
            return CallbackEvent(reference, status, None, False)
        return CallbackEvent(reference, status, amount, valid)


_REGISTRY: dict[str, type[CardProvider]] = {}


def register(cls: type[CardProvider]) -> type[CardProvider]:
    _REGISTRY[cls.name] = cls
    return cls


register(TestProvider)


def provider_names() -> list[str]:
    return sorted(_REGISTRY)


def get_provider(name: str | None = None) -> CardProvider:
    """The provider ``name`` (default: the configured one) with the configured secret."""
    name = settings.ROBINET_CARD_PROVIDER if name is None else name
    cls = _REGISTRY.get(name or "")
    if cls is None:
        raise ProviderNotConfigured(
            _("Le paiement par carte n'est pas configuré (prestataire « %(name)s »).")
            % {"name": name or "—"},
            code="card_provider_unknown",
        )
    return cls(settings.ROBINET_CARD_PROVIDER_SECRET)


# --- the test provider's notification, sent to our own callback endpoint ------------------------

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


class DeliveryFailed(Exception):  # noqa: N818 - reads as a sentence
    pass


def deliver_callback(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST the signed notification to ``url`` like a provider's server would; local hosts only
    (the test provider never sends anything off the machine). Returns the HTTP status."""
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOCAL_HOSTS:
        raise DeliveryFailed(_("Le prestataire de test n'envoie ses notifications qu'en local."))
    request = urllib.request.Request(  # noqa: S310 - scheme and host checked above
        url, data=body, headers={**headers, "Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(
            _("Notification refusée par Robinet (HTTP %(status)s).") % {"status": exc.code}
        ) from None
    except (urllib.error.URLError, TimeoutError) as exc:
        raise DeliveryFailed(
            _("Notification non délivrée : %(reason)s.") % {"reason": exc}
        ) from None
