"""Payment terms and Chorus Pro references of an account (BILL-6 due date, BILL-8)."""

import datetime as dt

import pytest

from robinet.billing import selectors
from robinet.core.exceptions import ValidationFailed
from robinet.customers import services as customer_services
from tests.billing import factories
from tests.customers import factories as customer_factories
from tests.metering.factories import read

pytestmark = pytest.mark.django_db

TOWN_HALL = {
    "kind": "company",
    "civility": "Commune",
    "name": "Commune de Strasbourg",
    "siret": "21670482500019",
    "address_line": "1 parc de l'Étoile",
    "postcode": "67000",
    "commune_insee": "67482",
}


def test_chorus_references_only_for_public_bodies(org):
    with pytest.raises(ValidationFailed) as refused:
        customer_services.customer_create(
            actor=None,
            centre=org.centres[0],
            party=customer_factories.PERSON,
            account={"customer_class": "individual", "chorus_service_code": "SERV-1"},
        )
    assert "chorus_service_code" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        customer_services.customer_create(
            actor=None,
            centre=org.centres[0],
            party=customer_factories.PERSON,
            account={"customer_class": "individual", "payment_terms_days": "90"},
        )
    assert "payment_terms_days" in refused.value.fields


def test_bill_8_public_body_invoice_carries_chorus_fields_and_its_terms(org, tariff):
    account = customer_services.customer_create(
        actor=None,
        centre=org.centres[0],
        party=TOWN_HALL,
        account={
            "customer_class": "local_authority",
            "naf_code": "84.11Z",
            "site_type": "public_building",
            "payment_terms_days": 30,
            "chorus_service_code": "SERV-EAU-01",
            "chorus_commitment_number": "EJ2025-000451",
        },
    )
    sp = customer_factories.service_point(org.centres[0], premises_use="public_building")
    customer_factories.moved_in(account, sp, start=dt.date(2025, 1, 1), index="10")
    read(sp, dt.date(2025, 6, 15), "60")
    factories.run(dt.date(2025, 6, 30), issue_date=dt.date(2025, 7, 2))
    invoice = account.invoices.get()
    assert invoice.due_date == dt.date(2025, 8, 1)
    xml = selectors.invoice_facturx_xml(invoice).decode()
    assert "SERV-EAU-01" in xml
    assert "EJ2025-000451" in xml
    assert selectors.invoice_pdf(invoice)[1].endswith("-facturx.pdf")
