"""The billing run page starts the PDF rendering and shows its progress (BILL-8, issue 13)."""

import datetime as dt

import pytest
from django.core.cache import caches

from robinet.billing import selectors
from tests.billing import factories
from tests.billing.test_printing import customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(org, tariff):
    """Three customers of the first centre, billed by a run of that centre."""
    for name in ("Zimmer", "Adam", "Martin"):
        customer(org.centres[0], name=name)
    return factories.run(dt.date(2025, 6, 30), entity_code=org.centres[0].code)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.ROBINET_PRIVATE_FILES = tmp_path / "private"
    caches[selectors.DOCUMENT_CACHE].clear()


def test_bill_8_the_run_page_starts_the_rendering_and_shows_its_progress(
    web, billing_officer, billed, synchronous, django_capture_on_commit_callbacks
):
    web.login(billing_officer)
    page = web.get("billing:run-detail", billed.pk).content.decode()
    assert 'id="run-render-start"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post("billing:run-render", billed.pk)
    assert response.status_code == 302
    fragment = web.get("billing:run-render", billed.pk).content.decode()
    assert 'data-render-state="done"' in fragment
    assert "3 / 3" in fragment
    assert 'id="run-workers"' in fragment
    assert "every 2s" not in fragment
