import datetime as dt

import pytest

from robinet.billing import contributions
from robinet.core import clock
from robinet.customers import services as customer_services
from robinet.organisation.roles import Role
from tests.backoffice.conftest import auditor, web  # noqa: F401

TODAY = dt.date(2026, 3, 10)

TOWN_HALL = {
    "kind": "company",
    "civility": "Commune",
    "name": "Commune de Strasbourg",
    "siret": "21670482500019",
    "address_line": "1 parc de l'Étoile",
    "postcode": "67000",
    "commune_insee": "67482",
}
LOCAL_AUTHORITY = {
    "customer_class": "local_authority",
    "naf_code": "84.11Z",
    "site_type": "public_building",
    "payment_terms_days": 30,
    "chorus_service_code": "SERV-EAU-01",
    "chorus_commitment_number": "EJ2026-000451",
}
DATES = [dt.date(2026, 1, 15), dt.date(2026, 3, 1), dt.date(2026, 6, 1)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def municipality(org):
    return customer_services.customer_create(
        actor=None, centre=org.centres[0], party=TOWN_HALL, account=LOCAL_AUTHORITY
    )


@pytest.fixture
def billing_officer(org, make_user):
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0])


def agreement(account, actor=None, **kwargs):
    values = {
        "project": "Renouvellement de la conduite rue du Moulin",
        "service": "water",
        "total_excl_vat": "30000.00",
        "vat_rate": "0",
        "due_dates": DATES,
    }
    values.update(kwargs)
    return contributions.agreement_create(actor=actor, account=account, **values)


def signed(account, actor=None, **kwargs):
    created = agreement(account, actor, **kwargs)
    return contributions.agreement_sign(
        actor=actor,
        agreement=created,
        signed_on=dt.date(2026, 1, 10),
        deliberation="DCM 2025-112 du 15/12/2025",
    )
