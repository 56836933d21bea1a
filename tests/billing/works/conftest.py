import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.billing.fees import seed_price_list
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.backoffice.conftest import agency_user, auditor, company, person, web  # noqa: F401

TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Signed quotes go to a temporary storage."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def price_list(db):
    return {item.code: item for item in seed_price_list(valid_from=dt.date(2026, 1, 1))}


@pytest.fixture
def billing_officer(org, make_user):
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0])


def signed(name="devis-signe.pdf", content=b"%PDF-1.4 signed quote"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")
