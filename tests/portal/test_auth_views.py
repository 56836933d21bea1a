"""PORTAL-1 pages: sign-up, verification, sign-in/out, password reset, profile.

This module also serves as the URLconf of the portal's auth tests: the site's
URLs, with stand-ins for the portal pages other modules provide (the base
template links to them) when they are not there yet.
"""

import re

import pytest
from django.http import HttpResponse
from django.urls import include, path, reverse

from robinet import urls as site_urls
from robinet.portal import urls as portal_urls
from robinet.portal.access import SESSION_KEY
from robinet.portal.models import AccountLink, PortalUser
from tests.portal.conftest import NOW, PASSWORD, logged_in, make_portal_user
from tests.portal.test_auth import code_from, make_invoice


def _stand_in(request, *args, **kwargs):
    return HttpResponse("page")


_present = {p.name for p in portal_urls.urlpatterns}
_stand_ins = [
    path(f"_page/{name}/", _stand_in, name=name)
    for name in ("home", "calculator", "bills", "requests", "actions")
    if name not in _present
]
urlpatterns = [
    path("espace-client/", include((portal_urls.urlpatterns + _stand_ins, "portal"))),
    *[p for p in site_urls.urlpatterns if str(p.pattern) != "espace-client/"],
]

pytestmark = pytest.mark.urls(__name__)

NEW_PASSWORD = "Encore-un-autre-secret-99"


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


@pytest.fixture
def invoice(household):
    return make_invoice(household)


def signup_data(account, **extra):
    return {
        "email": "Nouvel.Abonne@example.fr",
        "password": PASSWORD,
        "account_number": account.number,
        "invoice_number": "",
        "code": "",
        **extra,
    }


# --- sign-up ------------------------------------------------------------------------------


def test_portal1_signup_page_labels_every_field(client, db):
    response = client.get(reverse("portal:signup"))
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("email", "password", "account_number", "invoice_number", "code"):
        assert f'<label class="form-label" for="id_{field}">' in html
    assert '<label class="form-label" for="id_code-account_number">' in html
    assert "<legend" in html  # the channel radios are grouped


def test_portal1_signup_with_an_invoice_signs_in_and_mails_the_link(
    client, household, invoice, mailoutbox
):
    response = client.post(
        reverse("portal:signup"), signup_data(household, invoice_number=invoice.number)
    )
    assert response.status_code == 302
    assert response.url == reverse("portal:profile")
    user = PortalUser.objects.get(email="nouvel.abonne@example.fr")
    assert client.session[SESSION_KEY] == user.pk
    assert client.session.get_expiry_age() == 1800
    link = link_in(mailoutbox[0])
    assert link.startswith("http://testserver/espace-client/verification/")

    profile = client.get(reverse("portal:profile"))
    assert "Confirmez votre adresse e-mail" in profile.content.decode()  # the banner
    client.get(link)
    user.refresh_from_db()
    assert user.email_verified_at == NOW


def test_portal1_signup_failure_is_announced_and_generic(client, household, neighbour):
    response = client.post(
        reverse("portal:signup"), signup_data(household, invoice_number="FAC-2026-0000001")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Nous n&#x27;avons pas pu vérifier ce compte" in html
    unknown = client.post(
        reverse("portal:signup"), signup_data(household, account_number="C0", invoice_number="X")
    )
    assert "Nous n&#x27;avons pas pu vérifier ce compte" in unknown.content.decode()


def test_portal1_signup_needs_an_invoice_or_a_code(client, household):
    response = client.post(reverse("portal:signup"), signup_data(household))
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_invoice_number_errors"' in html


def test_portal1_signup_code_answer_is_the_same_for_any_number(client, household, mailoutbox):
    answers = []
    for number in (household.number, "C99999999"):
        response = client.post(
            reverse("portal:signup-code"),
            {"code-account_number": number, "code-channel": "email"},
            follow=True,
        )
        answers.append([str(m) for m in response.context["messages"]])
    assert answers[0] == answers[1]
    assert len(mailoutbox) == 1
    response = client.post(
        reverse("portal:signup"), signup_data(household, code=code_from(mailoutbox[0].body))
    )
    assert response.status_code == 302
    assert AccountLink.objects.get(user__email="nouvel.abonne@example.fr").method == "code"


def test_portal1_signup_code_is_post_only(client, db):
    assert client.get(reverse("portal:signup-code")).status_code == 405


def test_portal1_spent_verification_link_says_so(client, db):
    response = client.get(reverse("portal:verify", args=["pas-un-jeton"]))
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_portal1_resend_verification(customer, mailoutbox):
    customer.email_verified_at = None
    customer.save()
    response = logged_in(customer).post(reverse("portal:verify-resend"))
    assert response.status_code == 302
    assert "/espace-client/verification/" in mailoutbox[0].body


# --- sign-in and sign-out -----------------------------------------------------------------


def test_portal1_sign_in_starts_a_30_minute_portal_session(client, customer):
    response = client.post(reverse("portal:login"), {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert client.session[SESSION_KEY] == customer.pk
    assert client.session.get_expiry_age() == 1800
    customer.refresh_from_db()
    assert customer.last_login_at == NOW


def test_portal1_failed_sign_in_is_generic_and_announced(client, customer):
    texts = []
    for email in (customer.email, "personne@example.fr"):
        response = client.post(reverse("portal:login"), {"email": email, "password": "faux"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'role="alert"' in html
        texts.append(re.search(r'role="alert".*?</div>', html, re.S).group(0))
    assert texts[0] == texts[1]
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/espace-client/profil/", "/espace-client/profil/"),
        ("https://evil.example/espace-client/", None),
        ("//evil.example/espace-client/", None),
        ("/customers/", None),
    ],
)
def test_portal1_next_is_honoured_only_for_portal_urls(client, customer, next_url, expected):
    page = client.get(reverse("portal:login"), {"next": next_url})
    assert (f'value="{next_url}"' in page.content.decode()) == (expected is not None)
    response = client.post(
        reverse("portal:login"), {"email": customer.email, "password": PASSWORD, "next": next_url}
    )
    assert response.url == (expected or reverse("portal:home"))


def test_portal1_sign_out_is_post_only(portal):
    assert portal.get(reverse("portal:logout")).status_code == 405
    response = portal.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert response.url == reverse("portal:login")
    assert SESSION_KEY not in portal.session
    assert portal.get(reverse("portal:profile")).status_code == 302


def test_portal1_locked_account_sees_the_throttle_message(client, customer):
    for _n in range(5):
        client.post(reverse("portal:login"), {"email": customer.email, "password": "faux"})
    response = client.post(reverse("portal:login"), {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Trop de tentatives" in response.content.decode()


# --- password reset -----------------------------------------------------------------------


def test_portal1_password_reset_flow(client, customer, mailoutbox):
    other_session = logged_in(customer)
    assert other_session.get(reverse("portal:profile")).status_code == 200

    response = client.post(reverse("portal:password-reset"), {"email": customer.email})
    assert response.status_code == 302
    unknown = client.post(
        reverse("portal:password-reset"), {"email": "personne@example.fr"}, follow=True
    )
    assert "Si un espace client existe" in unknown.content.decode()
    link = link_in(mailoutbox[0])
    assert len(mailoutbox) == 1

    page = client.get(link)
    assert page.status_code == 200
    assert 'name="referrer" content="no-referrer"' in (page.content.decode())
    weak = client.post(link, {"password": "123"})
    assert weak.status_code == 200
    assert 'aria-invalid="true"' in weak.content.decode()
    done = client.post(link, {"password": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.session[SESSION_KEY] == customer.pk
    assert client.session.get_expiry_age() == 1800
    # the other session ended with the password change; the link is spent
    assert other_session.get(reverse("portal:profile")).status_code == 302
    assert client.get(link).status_code == 400


# --- profile ------------------------------------------------------------------------------


def test_portal1_profile_lists_the_linked_accounts(portal, household, neighbour):
    html = portal.get(reverse("portal:profile")).content.decode()
    assert household.number in html
    assert "rue des Tanneurs" in html
    assert neighbour.number not in html
    assert "Retirer le compte" not in html  # the only account cannot be removed


def test_portal1_profile_links_another_account(portal, customer, neighbour):
    invoice = make_invoice(neighbour, "FAC-2026-0000077")
    response = portal.post(
        reverse("portal:link-account"),
        {"link-account_number": neighbour.number, "link-invoice_number": invoice.number},
    )
    assert response.status_code == 302
    assert customer.links.filter(account=neighbour, method="invoice").exists()
    html = portal.get(reverse("portal:profile")).content.decode()
    assert f"Retirer le compte {neighbour.number}" in html


def test_portal1_profile_link_failure_is_shown_on_the_form(portal, neighbour):
    response = portal.post(
        reverse("portal:link-account"),
        {"link-account_number": neighbour.number, "link-invoice_number": "FAC-0"},
    )
    assert response.status_code == 400
    assert "Nous n&#x27;avons pas pu vérifier ce compte" in response.content.decode()


def test_portal1_profile_code_request(portal, neighbour, mailoutbox):
    response = portal.post(
        reverse("portal:link-code"),
        {"code-account_number": neighbour.number, "code-channel": "email"},
    )
    assert response.status_code == 302
    code = code_from(mailoutbox[0].body)
    portal.post(
        reverse("portal:link-account"),
        {"link-account_number": neighbour.number, "link-code": code},
    )
    assert AccountLink.objects.filter(account=neighbour, method="code").count() == 1


def test_portal1_unverified_user_cannot_link(customer, neighbour):
    customer.email_verified_at = None
    customer.save()
    invoice = make_invoice(neighbour, "FAC-2026-0000077")
    response = logged_in(customer).post(
        reverse("portal:link-account"),
        {"link-account_number": neighbour.number, "link-invoice_number": invoice.number},
    )
    assert response.status_code == 400
    assert not customer.links.filter(account=neighbour).exists()


def test_portal1_unlink(household, neighbour):
    user = make_portal_user("bailleur@example.fr", household, neighbour)
    client = logged_in(user)
    response = client.post(reverse("portal:unlink-account", args=[neighbour.number]))
    assert response.status_code == 302
    assert list(user.links.values_list("account", flat=True)) == [household.pk]
    client.post(reverse("portal:unlink-account", args=[household.number]))
    assert user.links.count() == 1  # never the last


def test_portal1_password_change_keeps_this_session_and_ends_the_others(customer):
    this, other = logged_in(customer), logged_in(customer)
    response = this.post(
        reverse("portal:password-change"),
        {"pw-current_password": "faux", "pw-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert 'id="id_pw-current_password_errors"' in (response.content.decode())
    response = this.post(
        reverse("portal:password-change"),
        {"pw-current_password": PASSWORD, "pw-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert this.get(reverse("portal:profile")).status_code == 200
    assert other.get(reverse("portal:profile")).status_code == 302


def test_portal1_language_is_stored_and_used(portal, customer):
    response = portal.post(reverse("portal:language"), {"lang-language": "en"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "en"
    assert 'lang="en"' in portal.get(reverse("portal:profile")).content.decode()


# --- access -------------------------------------------------------------------------------

PROTECTED = [
    ("get", "portal:profile", []),
    ("post", "portal:link-account", []),
    ("post", "portal:link-code", []),
    ("post", "portal:password-change", []),
    ("post", "portal:language", []),
    ("post", "portal:verify-resend", []),
]


@pytest.mark.parametrize(("method", "name", "args"), PROTECTED)
def test_portal1_anonymous_visitors_are_sent_to_the_login(client, db, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login") + "?next=")


def test_portal1_anonymous_unlink_is_sent_to_the_login(client, household):
    response = client.post(reverse("portal:unlink-account", args=[household.number]))
    assert response.url.startswith(reverse("portal:login"))


def test_portal1_stranger_cannot_unlink_the_customers_account(stranger, customer, household):
    client = logged_in(stranger)
    response = client.post(reverse("portal:unlink-account", args=[household.number]))
    assert response.status_code == 404
    assert customer.links.filter(account=household).exists()


def test_portal1_stranger_proving_nothing_cannot_link_the_customers_account(
    stranger, household, invoice
):
    client = logged_in(stranger)
    client.post(
        reverse("portal:link-account"),
        {"link-account_number": household.number, "link-invoice_number": "FAC-2026-0000001"},
    )
    assert not stranger.links.filter(account=household).exists()
