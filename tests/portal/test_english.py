"""PORTAL-3: the portal speaks French by default, English is available.

English is chosen with the ``django_language`` cookie (public pages) or the portal user's
``language`` (signed-in pages); the catalogue ``portal/locale/en`` translates every string.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

import robinet.portal
from tests.billing import factories as billing_factories
from tests.portal import test_home
from tests.portal.conftest import logged_in

sign_in_pages = test_home.sign_in_pages
billed = test_home.billed

CATALOGUE = Path(robinet.portal.__file__).parent / "locale" / "en" / "LC_MESSAGES"

MENU_EN = ("Home", "Bills and payments", "My requests", "Online services", "My profile")
MENU_FR = ("Accueil", "Factures et paiements", "Mes demandes", "Démarches", "Mon profil")


@pytest.fixture
def tariff(db):
    return billing_factories.tariff()


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_portal_3_calculator_is_in_english_with_the_language_cookie(client, tariff):
    url = reverse("portal:calculator")
    html = page(english(client), url, commune="67482", diameter="15", volume="120")
    assert "Estimate my water bill" in html
    assert ">Calculate<" in html or "Calculate</button>" in html
    assert "incl. VAT per year" in html
    assert "Breakdown of the estimated bill" in html
    for french in ("Estimer ma facture d'eau", "Calculer", "TTC par an", "Espace client"):
        assert french not in html


def test_portal_3_calculator_is_in_french_by_default(client, tariff):
    html = page(client, reverse("portal:calculator"), commune="67482", diameter="15", volume="120")
    assert "Estimer ma facture d&#x27;eau" in html or "Estimer ma facture d'eau" in html
    assert "TTC par an" in html
    assert "Estimate my water bill" not in html
    assert "incl. VAT" not in html


def test_portal_3_sign_in_page_is_in_english_with_the_language_cookie(client, db):
    html = page(english(client), reverse("portal:login"))
    assert "Sign in to my customer area" in html
    assert "Forgotten your password?" in html
    assert "Create my customer area" in html
    for french in ("Connexion à mon espace client", "Mot de passe oublié", "Se connecter"):
        assert french not in html


def test_portal_3_sign_in_page_is_in_french_by_default(client, db):
    html = page(client, reverse("portal:login"))
    assert "Connexion à mon espace client" in html
    assert "Se connecter" in html
    assert "Sign in" not in html


def test_portal_3_a_customer_who_chose_english_sees_home_and_bills_in_english(billed, customer):
    customer.language = "en"
    customer.save(update_fields=["language"])
    browser = logged_in(customer)

    home = page(browser, reverse("portal:home"))
    assert "My water account" in home
    assert "My balance" in home
    for label in MENU_EN:
        assert f">{label}</a>" in home
    for label in ("Mon espace eau", "Mon solde", *MENU_FR):
        assert label not in home

    bills = page(browser, reverse("portal:bills"))
    assert '<h1 class="h2 mb-3">Bills and payments</h1>' in bills
    assert "My bills" in bills
    assert "Water consumption bill" in bills  # robinet.billing.choices.InvoiceKind
    for label in MENU_EN:
        assert f">{label}</a>" in bills
    for french in ("Factures et paiements", "Mes factures", "Facture de consommation", "TTC"):
        assert french not in bills


def test_portal_3_a_customer_keeps_french_by_default(billed, customer):
    assert customer.language == "fr"
    browser = logged_in(customer)
    bills = page(browser, reverse("portal:bills"))
    assert '<h1 class="h2 mb-3">Factures et paiements</h1>' in bills
    assert "Facture de consommation" in bills
    assert "Bills and payments" not in bills


def po_entries(text: str) -> list[tuple[str, str, list[str]]]:
    """(msgid, msgstr, comment lines) of each entry of a .po file without plurals."""
    entries = []
    for block in text.strip().split("\n\n"):
        comments, fields, current = [], {}, None
        for line in block.splitlines():
            if line.startswith("#"):
                comments.append(line)
                continue
            match = re.match(r'^(msgid|msgstr|msgid_plural|msgstr\[\d\])\s+(".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            else:
                fields[current] += ast.literal_eval(line)
        assert "msgid_plural" not in fields, "plural entries: extend this parser"
        entries.append((fields["msgid"], fields["msgstr"], comments))
    return entries


def test_portal_3_every_string_of_the_catalogue_is_translated():
    entries = po_entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    header, *messages = entries
    assert header[0] == ""
    assert "Language: en" in header[1]
    assert len(messages) >= 372
    untranslated = [msgid for msgid, msgstr, _ in messages if not msgstr.strip()]
    assert untranslated == []
    fuzzy = [msgid for msgid, _, comments in entries if any("fuzzy" in c for c in comments)]
    assert fuzzy == []
    ids = {msgid for msgid, _, _ in messages}
    # labels of other apps shown on portal pages
    for label in ("Ouvert", "Clôturé", "Réclamation", "Courrier", "Facture de consommation"):
        assert label in ids

    # the committed .mo is compiled from this .po (a machine without gettext still has it)
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for msgid, msgstr, _ in messages:
        assert compiled.gettext(msgid) == msgstr, msgid
