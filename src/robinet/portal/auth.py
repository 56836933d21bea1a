"""Portal accounts: sign-up, proof of an account, sign-in, password reset (PORTAL-1, security).

Every function here is a service: the views only translate forms into calls
and :class:`~robinet.core.exceptions.ApplicationError` into messages.

Rules kept here:

* **Proof of an account.** A customer links an account with its number and
  the number of one of its invoices, or with a 6-digit code sent to the
  e-mail or the mobile on file (15 minutes, 5 attempts, one live code per
  account). Every failure gives the same message (:data:`PROOF_FAILED`), so
  nobody learns whether a customer number exists; 5 failed proofs of one
  number in 15 minutes refuse that number for 15 minutes.
* **Sign-in.** 5 failures for an e-mail within 15 minutes lock it 15 minutes
  (``PortalUser.locked_until``; counted on :class:`LoginAttempt` rows, so an
  unknown e-mail behaves the same); more than 20 failures from one address
  in 15 minutes refuse that address for 15 minutes. Same message whether the
  e-mail exists or not.
* **One-time secrets** are random, sent once, stored only as SHA-256
  (:class:`PortalToken`), single-use and dated (e-mail 48 h, reset 1 h).
* **Unverified e-mail.** The user may sign in and read, but every action
  calls :func:`require_verified` first.

The portal acts as the system (``actor=None``) in the audit trail; the portal
user is recorded in ``data``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from robinet.billing.models import Invoice
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError
from robinet.customers.models import CustomerAccount
from robinet.portal.models import AccountLink, LoginAttempt, PortalToken, PortalUser, TokenPurpose

WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
MAX_PROOF_FAILURES = 5
CODE_LIFETIME = dt.timedelta(minutes=15)
CODE_ATTEMPTS = 5
MAX_CODES_PER_DAY = 5
#: code requests from one address in an hour (each may cost an SMS)
MAX_CODE_REQUESTS_PER_IP = 10
VERIFY_LIFETIME = dt.timedelta(hours=48)
RESET_LIFETIME = dt.timedelta(hours=1)

#: a URL builder: the raw secret in, the absolute link out (the view knows the host)
UrlFor = Callable[[str], str]


def proof_failed_message() -> str:
    return _(
        "Nous n'avons pas pu vérifier ce compte. Vérifiez le numéro client et le numéro "
        "de facture ou le code reçu."
    )


def login_failed_message() -> str:
    return _("Adresse e-mail ou mot de passe incorrect.")


def invalid_link_message() -> str:
    return _("Ce lien n'est plus valable : il a déjà servi ou il a expiré.")


def too_many_attempts_message() -> str:
    return _("Trop de tentatives. Réessayez dans 15 minutes.")


# --- one-time secrets -------------------------------------------------------------------


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _code_hash(account: CustomerAccount, code: str, created_at: dt.datetime) -> str:
    # a 6-digit code is not unique: salt it with the account and the moment it was issued
    return hash_secret(f"link_code:{account.pk}:{created_at.timestamp():.6f}:{code}")


def issue_token(*, user: PortalUser, purpose: str, lifetime: dt.timedelta) -> str:
    """A fresh secret for ``user``; the earlier live ones of the same purpose are spent."""
    moment = clock.now()
    PortalToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(
        used_at=moment
    )
    raw = secrets.token_urlsafe(32)
    PortalToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=hash_secret(raw),
        created_at=moment,
        expires_at=moment + lifetime,
    )
    return raw


def live_token(raw: str, purpose: str) -> PortalToken | None:
    """The unused, unexpired token behind ``raw``, or None."""
    if not raw:
        return None
    return (
        PortalToken.objects.select_related("user")
        .filter(
            token_hash=hash_secret(raw),
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=clock.now(),
            user__is_active=True,
        )
        .first()
    )


def _consume(raw: str, purpose: str) -> PortalToken:
    token = live_token(raw, purpose)
    if token is None:
        raise ApplicationError(invalid_link_message(), code="token_invalid")
    updated = PortalToken.objects.filter(pk=token.pk, used_at__isnull=True).update(
        used_at=clock.now()
    )
    if not updated:  # spent meanwhile by a concurrent request
        raise ApplicationError(invalid_link_message(), code="token_invalid")
    return token


# --- proof of an account ----------------------------------------------------------------


def _normalise_number(value: str) -> str:
    return (value or "").strip().upper()


def _proof_refused(account_number: str, ip: str | None) -> bool:
    since = clock.now() - WINDOW
    key = f"proof:{_normalise_number(account_number)}"
    if (
        LoginAttempt.objects.filter(email=key, at__gte=since, succeeded=False).count()
        >= MAX_PROOF_FAILURES
    ):
        return True
    return _ip_refused(ip)


def _record_proof(account_number: str, ip: str | None, succeeded: bool) -> None:
    LoginAttempt.objects.create(
        email=f"proof:{_normalise_number(account_number)}"[:254],
        ip=ip,
        at=clock.now(),
        succeeded=succeeded,
    )


def request_link_code(
    *, account_number: str, channel: str, user: PortalUser | None = None, ip: str | None = None
) -> None:
    """Send a 6-digit code to the e-mail (``channel="email"``) or mobile (``"sms"``) on file.

    Says nothing back: an unknown number, an account without that contact,
    too many codes today for the account or too many requests from the
    address all end silently (the page shows the same notice).
    """
    if ip:
        since = clock.now() - dt.timedelta(hours=1)
        requests = LoginAttempt.objects.filter(email="code-request", ip=ip, at__gte=since)
        if requests.count() >= MAX_CODE_REQUESTS_PER_IP:
            return
        LoginAttempt.objects.create(email="code-request", ip=ip, at=clock.now(), succeeded=True)
    account = (
        CustomerAccount.objects.select_related("party")
        .filter(number=_normalise_number(account_number), status="active")
        .first()
    )
    if account is None:
        return
    party = account.party
    to = party.email if channel == "email" else party.mobile if channel == "sms" else ""
    if not to or party.anonymised_at:
        return
    moment = clock.now()
    live = PortalToken.objects.filter(purpose=TokenPurpose.LINK_CODE, account=account)
    if live.filter(created_at__gte=moment - dt.timedelta(days=1)).count() >= MAX_CODES_PER_DAY:
        return
    live.filter(used_at__isnull=True).update(used_at=moment)
    code = f"{secrets.randbelow(1_000_000):06d}"
    PortalToken.objects.create(
        user=user,
        account=account,
        purpose=TokenPurpose.LINK_CODE,
        token_hash=_code_hash(account, code, moment),
        created_at=moment,
        expires_at=moment + CODE_LIFETIME,
    )
    text = _(
        "Votre code pour rattacher le compte %(number)s à votre espace client : %(code)s. "
        "Il est valable 15 minutes. Ne le communiquez à personne."
    ) % {"number": account.number, "code": code}
    if channel == "email":
        send_mail(_("Votre code de rattachement"), text, None, [to])
    else:
        from robinet.collections.notices.sms import SmsMessage, get_sms_backend, to_gsm

        get_sms_backend(fail_silently=True).send_messages([SmsMessage(to=to, body=to_gsm(text))])


def _check_code(account: CustomerAccount, code: str) -> bool:
    token = (
        PortalToken.objects.filter(
            purpose=TokenPurpose.LINK_CODE,
            account=account,
            used_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .order_by("-created_at")
        .first()
    )
    if token is None:
        return False
    if secrets.compare_digest(
        token.token_hash, _code_hash(account, code.strip(), token.created_at)
    ):
        PortalToken.objects.filter(pk=token.pk).update(used_at=clock.now())
        return True
    token.attempts += 1
    token.used_at = clock.now() if token.attempts >= CODE_ATTEMPTS else None
    token.save(update_fields=["attempts", "used_at"])
    return False


def prove_account(
    *, account_number: str, invoice_number: str = "", code: str = "", ip: str | None = None
) -> tuple[CustomerAccount, str]:
    """The account proven by an invoice number or a code, and the method; else the generic error."""
    failed = ApplicationError(proof_failed_message(), code="proof_failed")
    if _proof_refused(account_number, ip):
        raise ApplicationError(too_many_attempts_message(), code="proof_throttled")
    account = (
        CustomerAccount.objects.filter(number=_normalise_number(account_number), status="active")
        .select_related("party")
        .first()
    )
    method = ""
    if account is not None:
        if invoice_number.strip():
            if Invoice.objects.filter(
                account=account, number=invoice_number.strip().upper()
            ).exists():
                method = "invoice"
        elif code.strip() and _check_code(account, code):
            method = "code"
    _record_proof(account_number, ip, bool(method))
    if not method:
        raise failed
    return account, method


# --- sign-up and e-mail verification ----------------------------------------------------


def _validate_new_password(password: str, user: PortalUser, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(
            _("Ce mot de passe ne convient pas."),
            code="password_invalid",
            fields={field: exc.messages},
        ) from exc


def send_verification(user: PortalUser, url_for: UrlFor) -> None:
    """E-mail the link that proves the address (48 hours)."""
    raw = issue_token(user=user, purpose=TokenPurpose.VERIFY_EMAIL, lifetime=VERIFY_LIFETIME)
    body = render_to_string(
        "portal/auth/email/verify.txt", {"user": user, "url": url_for(raw), "hours": 48}
    )
    send_mail(_("Confirmez votre adresse e-mail"), body, None, [user.email])


def signup(
    *,
    email: str,
    password: str,
    account_number: str,
    invoice_number: str = "",
    code: str = "",
    url_for: UrlFor,
    ip: str | None = None,
) -> PortalUser:
    """Create a portal user linked to the proven account, and send the verification link."""
    email = email.strip().lower()
    candidate = PortalUser(email=email)
    _validate_new_password(password, candidate)
    if PortalUser.objects.filter(email=email).exists():
        raise ApplicationError(
            _("Cette adresse ne peut pas être utilisée pour une inscription."),
            code="email_taken",
            fields={
                "email": [
                    _(
                        "Si vous avez déjà un espace client, connectez-vous ou demandez "
                        "un nouveau mot de passe."
                    )
                ]
            },
        )
    # outside the transaction: a failed proof is counted even though it raises
    account, method = prove_account(
        account_number=account_number, invoice_number=invoice_number, code=code, ip=ip
    )
    with transaction.atomic():
        moment = clock.now()
        user = PortalUser.objects.create(
            email=email, password=make_password(password), created_at=moment
        )
        AccountLink.objects.create(user=user, account=account, linked_at=moment, method=method)
        audit.record(
            actor=None,
            verb="portal.signup",
            target=user,
            data={"portal_user": user.pk, "account": account.number, "method": method},
        )
        send_verification(user, url_for)
    return user


@transaction.atomic
def verify_email(raw: str) -> PortalUser:
    token = _consume(raw, TokenPurpose.VERIFY_EMAIL)
    user = token.user
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        user.save(update_fields=["email_verified_at"])
        audit.record(
            actor=None, verb="portal.email_verified", target=user, data={"portal_user": user.pk}
        )
    return user


def is_verified(user: PortalUser | None) -> bool:
    return bool(user and user.email_verified_at)


def require_verified(user: PortalUser) -> None:
    """Actions of the portal call this first: an unverified e-mail may read, not act."""
    if not is_verified(user):
        raise ApplicationError(
            _(
                "Confirmez d'abord votre adresse e-mail avec le lien que nous vous avons envoyé "
                "(vous pouvez le demander à nouveau depuis votre profil)."
            ),
            code="email_not_verified",
            http_status=403,
        )


# --- sign-in ----------------------------------------------------------------------------

_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _ip_refused(ip: str | None) -> bool:
    if not ip:
        return False
    since = clock.now() - WINDOW
    return (
        LoginAttempt.objects.filter(ip=ip, at__gte=since, succeeded=False).count()
        > MAX_FAILURES_PER_IP
    )


def _email_failures(email: str) -> int:
    since = clock.now() - WINDOW
    last_success = (
        LoginAttempt.objects.filter(email=email, succeeded=True, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    failures = LoginAttempt.objects.filter(email=email, succeeded=False, at__gte=since)
    if last_success is not None:
        failures = failures.filter(at__gt=last_success)
    return failures.count()


def authenticate(*, email: str, password: str, ip: str | None = None) -> PortalUser:
    """The user behind the e-mail and password, or an ApplicationError (the same for all)."""
    email = (email or "").strip().lower()
    moment = clock.now()
    user = PortalUser.objects.filter(email=email).first()
    if (
        _ip_refused(ip)
        or _email_failures(email) >= MAX_FAILURES_PER_EMAIL
        or (user is not None and user.locked_until and user.locked_until > moment)
    ):
        # counted against the address, not the e-mail: the lock lasts 15 minutes, it is
        # not prolonged by whoever keeps trying
        LoginAttempt.objects.create(email="", ip=ip, at=moment, succeeded=False)
        raise ApplicationError(too_many_attempts_message(), code="throttled")
    good = check_password(password, user.password if user else _dummy_hash())
    if user is None or not good or not user.is_active:
        LoginAttempt.objects.create(email=email[:254], ip=ip, at=moment, succeeded=False)
        if user is not None:
            user.failed_logins = _email_failures(email)
            fields = ["failed_logins"]
            if user.failed_logins >= MAX_FAILURES_PER_EMAIL:
                user.locked_until = moment + LOCK_DURATION
                fields.append("locked_until")
                audit.record(
                    actor=None, verb="portal.locked", target=user, data={"portal_user": user.pk}
                )
            user.save(update_fields=fields)
        raise ApplicationError(login_failed_message(), code="login_failed")
    LoginAttempt.objects.create(email=email[:254], ip=ip, at=moment, succeeded=True)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = moment
    user.save(update_fields=["failed_logins", "locked_until", "last_login_at"])
    return user


# --- passwords --------------------------------------------------------------------------


def request_password_reset(*, email: str, url_for: UrlFor) -> None:
    """E-mail a one-hour link if the address is a portal user's; silent otherwise."""
    user = PortalUser.objects.filter(email=(email or "").strip().lower(), is_active=True).first()
    if user is None:
        return
    raw = issue_token(user=user, purpose=TokenPurpose.RESET_PASSWORD, lifetime=RESET_LIFETIME)
    body = render_to_string("portal/auth/email/reset.txt", {"user": user, "url": url_for(raw)})
    send_mail(_("Choisir un nouveau mot de passe"), body, None, [user.email])


@transaction.atomic
def reset_password(*, raw: str, password: str) -> PortalUser:
    """Set the password from a reset link (validated first, then the link is spent).

    The link proves the address too, so the e-mail counts as verified; the
    lock is lifted.
    """
    token = live_token(raw, TokenPurpose.RESET_PASSWORD)
    if token is None:
        raise ApplicationError(invalid_link_message(), code="token_invalid")
    _validate_new_password(password, token.user)
    token = _consume(raw, TokenPurpose.RESET_PASSWORD)
    user = token.user
    user.password = make_password(password)
    user.locked_until = None
    user.failed_logins = 0
    user.email_verified_at = user.email_verified_at or clock.now()
    user.save(update_fields=["password", "locked_until", "failed_logins", "email_verified_at"])
    audit.record(
        actor=None, verb="portal.password_reset", target=user, data={"portal_user": user.pk}
    )
    return user


@transaction.atomic
def change_password(*, user: PortalUser, current: str, new: str) -> PortalUser:
    if not check_password(current, user.password):
        raise ApplicationError(
            _("Mot de passe actuel incorrect."),
            code="password_wrong",
            fields={"current_password": [_("Mot de passe actuel incorrect.")]},
        )
    _validate_new_password(new, user, field="new_password")
    user.password = make_password(new)
    user.save(update_fields=["password"])
    audit.record(
        actor=None, verb="portal.password_changed", target=user, data={"portal_user": user.pk}
    )
    return user


# --- profile ----------------------------------------------------------------------------


def link_account(
    *,
    user: PortalUser,
    account_number: str,
    invoice_number: str = "",
    code: str = "",
    ip: str | None = None,
) -> AccountLink:
    """Link one more account to ``user`` (a landlord holds several), with the same proofs."""
    require_verified(user)
    account, method = prove_account(
        account_number=account_number, invoice_number=invoice_number, code=code, ip=ip
    )
    if AccountLink.objects.filter(user=user, account=account).exists():
        raise ApplicationError(
            _("Ce compte est déjà rattaché à votre espace client."), code="already_linked"
        )
    with transaction.atomic():
        link = AccountLink.objects.create(
            user=user, account=account, linked_at=clock.now(), method=method
        )
        audit.record(
            actor=None,
            verb="portal.account_linked",
            target=account,
            data={"portal_user": user.pk, "method": method},
        )
    return link


@transaction.atomic
def unlink_account(*, user: PortalUser, account: CustomerAccount) -> None:
    """Remove a link (``account`` comes from ``access.account_for``); never the last one."""
    require_verified(user)
    links = AccountLink.objects.select_for_update().filter(user=user)
    if links.count() <= 1:
        raise ApplicationError(
            _("Votre espace client doit garder au moins un compte."), code="last_link"
        )
    links.filter(account=account).delete()
    audit.record(
        actor=None, verb="portal.account_unlinked", target=account, data={"portal_user": user.pk}
    )


def set_language(*, user: PortalUser, language: str) -> PortalUser:
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes:
        raise ApplicationError(
            _("Langue inconnue."), code="invalid", fields={"language": [_("Langue inconnue.")]}
        )
    user.language = language
    user.save(update_fields=["language"])
    return user
