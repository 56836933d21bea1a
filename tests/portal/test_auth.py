"""PORTAL-1 services: proof of an account, sign-up, verification, sign-in lockout, passwords."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.hashers import check_password

from robinet.billing.models import Invoice
from robinet.collections.notices import sms
from robinet.core import clock
from robinet.core.exceptions import ApplicationError
from robinet.core.models import AuditEvent
from robinet.portal import auth
from robinet.portal.models import AccountLink, LoginAttempt, PortalToken, PortalUser, TokenPurpose
from tests.portal.conftest import NOW, PASSWORD, make_portal_user


def url_for(raw):
    return f"https://eau.example/espace-client/lien/{raw}/"


def make_invoice(account, number="FAC-2026-0000042"):
    contract = account.contracts.first()
    return Invoice.objects.create(
        number=number,
        series="FAC",
        year=2026,
        sequence=int(number[-7:]),
        kind="periodic",
        account=account,
        contract=contract,
        service_point=contract.service_point if contract else None,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        issue_date=dt.date(2026, 1, 10),
        due_date=dt.date(2026, 1, 25),
        volume=D("120.000"),
        total_excl_vat=D("300.00"),
        total_vat=D("16.50"),
        total_incl_vat=D("316.50"),
        created_at=NOW,
    )


def link_from(message) -> str:
    return re.search(r"/lien/([^/\s]+)/", message.body).group(1)


def code_from(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def at(delta: dt.timedelta):
    return clock.as_of(NOW + delta)


def signup(account, *, email="Nouvel.Abonne@Example.fr", **proof):
    proof.setdefault("account_number", account.number)
    return auth.signup(email=email, password=PASSWORD, url_for=url_for, ip="10.0.0.1", **proof)


@pytest.fixture
def invoice(household):
    return make_invoice(household)


@pytest.fixture(autouse=True)
def sms_outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


# --- sign-up ------------------------------------------------------------------------------


def test_portal1_signup_with_an_invoice_number_links_the_account(household, invoice, mailoutbox):
    user = signup(household, invoice_number=invoice.number.lower())

    assert user.email == "nouvel.abonne@example.fr"  # lower-cased
    assert user.email_verified_at is None
    assert check_password(PASSWORD, user.password)
    link = AccountLink.objects.get(user=user)
    assert (link.account, link.method) == (household, "invoice")
    assert AuditEvent.objects.filter(verb="portal.signup", target_id=str(user.pk)).exists()
    (message,) = mailoutbox
    assert message.to == ["nouvel.abonne@example.fr"]
    raw = link_from(message)
    token = PortalToken.objects.get(user=user, purpose=TokenPurpose.VERIFY_EMAIL)
    assert token.token_hash != raw
    assert token.token_hash == auth.hash_secret(raw)
    assert token.expires_at == NOW + dt.timedelta(hours=48)


@pytest.mark.parametrize("case", ["unknown_number", "wrong_invoice", "neighbours_invoice"])
def test_portal1_signup_failures_give_one_message(case, household, neighbour, invoice):
    """PORTAL-1: whether the number exists is never revealed."""
    other = make_invoice(neighbour, "FAC-2026-0000099")
    proof = {
        "unknown_number": {"account_number": "C99999999", "invoice_number": invoice.number},
        "wrong_invoice": {"invoice_number": "FAC-2026-0000001"},
        "neighbours_invoice": {"invoice_number": other.number},
    }[case]
    with pytest.raises(ApplicationError) as exc:
        signup(household, **proof)
    assert exc.value.message == auth.proof_failed_message()
    assert exc.value.code == "proof_failed"
    assert not PortalUser.objects.filter(email="nouvel.abonne@example.fr").exists()


def test_portal1_signup_runs_the_password_validators(household, invoice):
    with pytest.raises(ApplicationError) as exc:
        auth.signup(
            email="a@example.fr",
            password="123",
            account_number=household.number,
            invoice_number=invoice.number,
            url_for=url_for,
        )
    assert "password" in exc.value.fields


def test_portal1_signup_refuses_an_email_already_registered(customer, household, invoice):
    with pytest.raises(ApplicationError) as exc:
        signup(household, email="HELENE.lefevre@example.fr", invoice_number=invoice.number)
    assert "email" in exc.value.fields


def test_portal1_proof_failures_are_throttled_per_customer_number(household, invoice):
    for _n in range(auth.MAX_PROOF_FAILURES):
        with pytest.raises(ApplicationError):
            signup(household, invoice_number="FAC-0")
    with pytest.raises(ApplicationError) as exc:
        signup(household, invoice_number=invoice.number)  # even the right one
    assert exc.value.code == "proof_throttled"
    with at(dt.timedelta(minutes=16)):
        assert signup(household, invoice_number=invoice.number)


# --- codes --------------------------------------------------------------------------------


def test_portal1_code_by_email_links_the_account(household, mailoutbox):
    auth.request_link_code(account_number=household.number, channel="email")
    (message,) = mailoutbox
    assert message.to == [household.party.email]
    code = code_from(message.body)
    token = PortalToken.objects.get(purpose=TokenPurpose.LINK_CODE)
    assert token.account == household
    assert code not in token.token_hash
    assert token.expires_at == NOW + dt.timedelta(minutes=15)

    user = signup(household, code=code)
    assert AccountLink.objects.get(user=user).method == "code"


def test_portal1_code_by_sms_goes_to_the_mobile_on_file(household, sms_outbox):
    household.party.mobile = "0612345678"
    household.party.save()
    auth.request_link_code(account_number=household.number, channel="sms")
    (message,) = sms_outbox
    assert message.to == "0612345678"
    assert signup(household, code=code_from(message.body))


def test_portal1_code_request_is_silent_for_unknown_numbers_and_missing_contacts(
    household, mailoutbox, sms_outbox
):
    auth.request_link_code(account_number="C99999999", channel="email")
    auth.request_link_code(account_number=household.number, channel="sms")  # no mobile
    assert mailoutbox == []
    assert sms_outbox == []
    assert not PortalToken.objects.exists()


def test_portal1_code_expires_after_15_minutes(household, mailoutbox):
    auth.request_link_code(account_number=household.number, channel="email")
    code = code_from(mailoutbox[0].body)
    with at(dt.timedelta(minutes=15, seconds=1)), pytest.raises(ApplicationError):
        signup(household, code=code)


def test_portal1_code_is_burnt_after_5_wrong_attempts(household, mailoutbox):
    auth.request_link_code(account_number=household.number, channel="email")
    code = code_from(mailoutbox[0].body)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _n in range(auth.CODE_ATTEMPTS):
        with pytest.raises(ApplicationError):
            signup(household, code=wrong)
    LoginAttempt.objects.all().delete()  # leave the per-number throttle out of it
    with pytest.raises(ApplicationError):
        signup(household, code=code)


def test_portal1_code_is_single_use_and_a_new_one_replaces_the_old(household, mailoutbox):
    auth.request_link_code(account_number=household.number, channel="email")
    first = code_from(mailoutbox[0].body)
    auth.request_link_code(account_number=household.number, channel="email")
    second = code_from(mailoutbox[1].body)
    if first != second:
        with pytest.raises(ApplicationError):
            signup(household, code=first)
    signup(household, code=second)
    with pytest.raises(ApplicationError):
        signup(household, email="autre@example.fr", code=second)


def test_portal1_codes_are_capped_per_day(household, mailoutbox):
    for _n in range(auth.MAX_CODES_PER_DAY + 2):
        auth.request_link_code(account_number=household.number, channel="email")
    assert len(mailoutbox) == auth.MAX_CODES_PER_DAY


def test_portal1_code_requests_are_capped_per_address(household, neighbour, mailoutbox):
    for _n in range(auth.MAX_CODE_REQUESTS_PER_IP):
        auth.request_link_code(account_number="C99999999", channel="email", ip="192.0.2.9")
    auth.request_link_code(account_number=household.number, channel="email", ip="192.0.2.9")
    assert mailoutbox == []
    auth.request_link_code(account_number=household.number, channel="email", ip="192.0.2.10")
    assert len(mailoutbox) == 1


# --- e-mail verification ------------------------------------------------------------------


def test_portal1_verification_link_marks_the_email_once(household, invoice, mailoutbox):
    user = signup(household, invoice_number=invoice.number)
    with pytest.raises(ApplicationError):
        auth.require_verified(user)
    raw = link_from(mailoutbox[0])

    verified = auth.verify_email(raw)
    assert verified == user
    assert verified.email_verified_at == NOW
    auth.require_verified(verified)
    with pytest.raises(ApplicationError):
        auth.verify_email(raw)  # single use


def test_portal1_verification_link_expires_after_48_hours(household, invoice, mailoutbox):
    signup(household, invoice_number=invoice.number)
    with at(dt.timedelta(hours=48, seconds=1)), pytest.raises(ApplicationError):
        auth.verify_email(link_from(mailoutbox[0]))


# --- sign-in ------------------------------------------------------------------------------


def test_portal1_sign_in_records_the_login_and_resets_the_counter(customer):
    with pytest.raises(ApplicationError):
        auth.authenticate(email=customer.email, password="faux", ip="10.0.0.1")
    customer.refresh_from_db()
    assert customer.failed_logins == 1

    user = auth.authenticate(email=" Helene.Lefevre@example.fr ", password=PASSWORD, ip="10.0.0.1")
    assert user == customer
    user.refresh_from_db()
    assert (user.failed_logins, user.last_login_at) == (0, NOW)


def test_portal1_same_message_whether_the_email_exists_or_not(customer):
    messages = set()
    for email in (customer.email, "personne@example.fr"):
        with pytest.raises(ApplicationError) as exc:
            auth.authenticate(email=email, password="faux", ip="10.0.0.1")
        messages.add(exc.value.message)
    assert messages == {auth.login_failed_message()}


def test_portal1_five_failures_lock_the_account_for_15_minutes(customer):
    for _n in range(5):
        with pytest.raises(ApplicationError):
            auth.authenticate(email=customer.email, password="faux", ip="10.0.0.1")
    customer.refresh_from_db()
    assert customer.locked_until == NOW + dt.timedelta(minutes=15)
    assert AuditEvent.objects.filter(verb="portal.locked").exists()
    with pytest.raises(ApplicationError) as exc:
        auth.authenticate(email=customer.email, password=PASSWORD, ip="10.0.0.2")
    assert exc.value.code == "throttled"
    with at(dt.timedelta(minutes=15, seconds=1)):
        assert auth.authenticate(email=customer.email, password=PASSWORD, ip="10.0.0.2")


def test_portal1_trying_during_the_lock_does_not_prolong_it(customer):
    for _n in range(5):
        with pytest.raises(ApplicationError):
            auth.authenticate(email=customer.email, password="faux", ip="10.0.0.1")
    with at(dt.timedelta(minutes=14)), pytest.raises(ApplicationError):
        auth.authenticate(email=customer.email, password=PASSWORD, ip="10.0.0.1")
    with at(dt.timedelta(minutes=15, seconds=1)):
        assert auth.authenticate(email=customer.email, password=PASSWORD, ip="10.0.0.1")


def test_portal1_an_unknown_email_is_throttled_like_a_known_one(db):
    for _n in range(5):
        with pytest.raises(ApplicationError):
            auth.authenticate(email="personne@example.fr", password="faux", ip="10.0.0.1")
    with pytest.raises(ApplicationError) as exc:
        auth.authenticate(email="personne@example.fr", password="faux", ip="10.0.0.1")
    assert exc.value.message == auth.too_many_attempts_message()


def test_portal1_a_success_resets_the_failure_count(customer):
    for _round in range(2):
        for _n in range(4):
            with pytest.raises(ApplicationError):
                auth.authenticate(email=customer.email, password="faux", ip="10.0.0.1")
        auth.authenticate(email=customer.email, password=PASSWORD, ip="10.0.0.1")


def test_portal1_more_than_20_failures_from_one_address_refuse_it(customer):
    for n in range(21):
        with pytest.raises(ApplicationError):
            auth.authenticate(email=f"essai{n}@example.fr", password="faux", ip="192.0.2.7")
    with pytest.raises(ApplicationError) as exc:
        auth.authenticate(email=customer.email, password=PASSWORD, ip="192.0.2.7")
    assert exc.value.code == "throttled"
    assert auth.authenticate(email=customer.email, password=PASSWORD, ip="192.0.2.8")
    with at(dt.timedelta(minutes=16)):
        assert auth.authenticate(email=customer.email, password=PASSWORD, ip="192.0.2.7")


def test_portal1_an_inactive_user_cannot_sign_in(customer):
    customer.is_active = False
    customer.save()
    with pytest.raises(ApplicationError) as exc:
        auth.authenticate(email=customer.email, password=PASSWORD)
    assert exc.value.message == auth.login_failed_message()


# --- passwords ----------------------------------------------------------------------------


def test_portal1_password_reset_mail_only_for_a_known_email(customer, mailoutbox):
    auth.request_password_reset(email="personne@example.fr", url_for=url_for)
    assert mailoutbox == []
    auth.request_password_reset(email="HELENE.LEFEVRE@example.fr", url_for=url_for)
    (message,) = mailoutbox
    token = PortalToken.objects.get(purpose=TokenPurpose.RESET_PASSWORD)
    assert token.expires_at == NOW + dt.timedelta(hours=1)
    assert token.token_hash == auth.hash_secret(link_from(message))


def test_portal1_password_reset_sets_the_password_once(customer, mailoutbox):
    auth.request_password_reset(email=customer.email, url_for=url_for)
    raw = link_from(mailoutbox[0])
    with pytest.raises(ApplicationError) as exc:
        auth.reset_password(raw=raw, password="court")
    assert "password" in exc.value.fields
    user = auth.reset_password(raw=raw, password="Encore-un-autre-secret-99")
    assert check_password("Encore-un-autre-secret-99", user.password)
    with pytest.raises(ApplicationError):
        auth.reset_password(raw=raw, password="Et-encore-un-autre-77")


def test_portal1_password_reset_link_expires_after_an_hour(customer, mailoutbox):
    auth.request_password_reset(email=customer.email, url_for=url_for)
    with at(dt.timedelta(hours=1, seconds=1)), pytest.raises(ApplicationError):
        auth.reset_password(raw=link_from(mailoutbox[0]), password="Encore-un-autre-secret-99")


def test_portal1_change_password_needs_the_current_one(customer):
    with pytest.raises(ApplicationError) as exc:
        auth.change_password(user=customer, current="faux", new="Encore-un-autre-secret-99")
    assert "current_password" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        auth.change_password(user=customer, current=PASSWORD, new="123")
    assert "new_password" in exc.value.fields
    auth.change_password(user=customer, current=PASSWORD, new="Encore-un-autre-secret-99")
    assert check_password("Encore-un-autre-secret-99", customer.password)


# --- profile ------------------------------------------------------------------------------


def test_portal1_a_landlord_links_a_second_account(customer, neighbour):
    invoice = make_invoice(neighbour)
    link = auth.link_account(
        user=customer, account_number=neighbour.number, invoice_number=invoice.number
    )
    assert link.method == "invoice"
    assert set(customer.links.values_list("account", flat=True)) == {
        neighbour.pk,
        customer.links.exclude(account=neighbour).get().account_id,
    }
    with pytest.raises(ApplicationError) as exc:
        auth.link_account(
            user=customer, account_number=neighbour.number, invoice_number=invoice.number
        )
    assert exc.value.code == "already_linked"


def test_portal1_linking_needs_a_verified_email(customer, neighbour):
    customer.email_verified_at = None
    customer.save()
    invoice = make_invoice(neighbour)
    with pytest.raises(ApplicationError) as exc:
        auth.link_account(
            user=customer, account_number=neighbour.number, invoice_number=invoice.number
        )
    assert exc.value.code == "email_not_verified"


def test_portal1_unlink_keeps_the_last_account(household, neighbour):
    user = make_portal_user("bailleur@example.fr", household, neighbour)
    auth.unlink_account(user=user, account=neighbour)
    assert list(user.links.values_list("account", flat=True)) == [household.pk]
    with pytest.raises(ApplicationError) as exc:
        auth.unlink_account(user=user, account=household)
    assert exc.value.code == "last_link"


def test_portal1_language_is_fr_or_en(customer):
    auth.set_language(user=customer, language="en")
    customer.refresh_from_db()
    assert customer.language == "en"
    with pytest.raises(ApplicationError):
        auth.set_language(user=customer, language="de")
