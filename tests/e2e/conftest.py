"""End-to-end fixtures: Debian's Chromium driven by Playwright against ``live_server``.

Playwright's sync API runs an event loop in the test thread, which makes
Django refuse synchronous ORM calls from that thread unless
``DJANGO_ALLOW_ASYNC_UNSAFE`` is set (the tests read the database to check
what was saved).
"""

import os
from pathlib import Path

import pytest

from tests.backoffice.conftest import company, person  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def case_dictionary(transactional_db):
    """Transactional tests flush every table, data migrations included: reload the national
    dictionary of requests, which readings, leak relief and claims open cases from (CASE-2)."""
    from robinet.cases import dictionary
    from robinet.cases.models import CaseType

    dictionary.seed(CaseType)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"end-to-end tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(width=…, height=…, user=…)``: a French browser page on the live server.

    With ``user``, the page starts logged in (session cookie set directly).
    """
    contexts = []
    refused: list[str] = []  # what the Content-Security-Policy blocked, on any page

    def make(width: int = 1280, height: int = 900, user=None):
        context = browser.new_context(
            base_url=live_server.url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            from django.test import Client

            client = Client()
            client.force_login(user)
            cookie = client.cookies["sessionid"]
            context.add_cookies(
                [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
            )
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert refused == [], "the Content-Security-Policy blocked something the page needs"


def menu(page, entry: str, group: str | None = None) -> None:
    """Open ``entry`` from the main menu: unfold the navbar on a phone and ``group``'s dropdown."""
    nav = page.get_by_role("navigation", name="Navigation principale")
    toggler = nav.get_by_role("button", name="Afficher le menu")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    if group:
        button = nav.get_by_role("button", name=group, exact=True)
        if button.count():
            button.click()
    nav.get_by_role("link", name=entry, exact=True).click()
