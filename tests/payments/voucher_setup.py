"""Fixtures of the voucher tests (PAY-10): administrations with bills, a voucher manager."""

import datetime as dt

import pytest

from robinet.customers import services as customer_services
from robinet.organisation.roles import Role
from robinet.payments import vouchers
from tests.billing import factories
from tests.customers import factories as customer_factories
from tests.metering.factories import read

ADMINISTRATION = {
    "kind": "company",
    "civility": "État",
    "address_line": "5 place de la République",
    "postcode": "67000",
    "commune_insee": "67482",
}
SIRETS = ("73282932000074", "55210055400013")


def administration(centre, name: str, siret: str):
    """An administration's account with an occupied public building (readings from 2025)."""
    account = customer_services.customer_create(
        actor=None,
        centre=centre,
        party={**ADMINISTRATION, "name": name, "siret": siret},
        account={
            "customer_class": "administration",
            "naf_code": "84.11Z",
            "site_type": "public_building",
        },
    )
    sp = customer_factories.service_point(centre, premises_use="public_building")
    customer_factories.moved_in(account, sp, start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "400")
    return account


@pytest.fixture
def administrations(org, tariff):
    """Two administrations of the first centre, each with one open invoice (H1 2025)."""
    prefecture = administration(org.centres[0], "Préfecture du Bas-Rhin", SIRETS[0])
    gendarmerie = administration(org.centres[0], "Gendarmerie de Sélestat", SIRETS[1])
    factories.run(dt.date(2025, 6, 30))
    return prefecture, gendarmerie


@pytest.fixture
def voucher_manager(org, make_user):
    """A manager of the region: agreements, printer's deliveries, supplies of centres."""
    return make_user("vignettes", Role.MANAGER, org.region)


def signed_agreement(manager, region, account, quantities=None, year=2026):
    agreement = vouchers.agreement_create(
        actor=manager,
        region=region,
        year=year,
        administration_account=account,
        quantities=quantities or {50: 20, 100: 10},
    )
    return vouchers.agreement_sign(actor=manager, agreement=agreement)


def stocked(manager, org, ranges, centre=None):
    """Vouchers received at the region and transferred to ``centre`` (the first by default)."""
    vouchers.voucher_receive(actor=manager, region=org.region, ranges=ranges)
    vouchers.voucher_transfer(
        actor=manager, source=org.region, destination=centre or org.centres[0], ranges=ranges
    )
