"""Build customer-file data through the real services (the setup is domain behaviour)."""

import datetime as dt
import itertools

from robinet.customers import services

_serials = itertools.count(1)

PERSON = {
    "kind": "person",
    "civility": "Mme",
    "name": "Lefèvre",
    "first_name": "Hélène",
    "email": "helene.lefevre@example.fr",
    "address_line": "12 rue des Tanneurs",
    "postcode": "67000",
    "commune_insee": "67482",
}
INDIVIDUAL = {"customer_class": "individual"}

COMPANY = {
    "kind": "company",
    "civility": "SARL",
    "name": "Boulangerie du Marché",
    "siret": "73282932000074",
    "address_line": "3 place du Marché",
    "postcode": "67000",
    "commune_insee": "67482",
}
PROFESSIONAL = {"customer_class": "professional", "naf_code": "10.71C", "site_type": "shop"}


def person(centre, actor=None, **party):
    return services.customer_create(
        actor=actor, centre=centre, party={**PERSON, **party}, account=INDIVIDUAL
    )


def company(centre, actor=None, **party):
    return services.customer_create(
        actor=actor, centre=centre, party={**COMPANY, **party}, account=PROFESSIONAL
    )


def service_point(centre, actor=None, serial: str | None = None, **data):
    values = {
        "street_number": "12",
        "street": "rue des Tanneurs",
        "postcode": "67000",
        "commune_insee": "67482",
        "premises_use": "main_residence",
        "meter_location": "Cave",
        "meter_accessibility": "accessible",
        "meter_serial": serial or f"I21TE{next(_serials):06d}",
        "meter_diameter_mm": 15,
        "meter_installed_on": "2020-01-15",
        **data,
    }
    return services.service_point_create(actor=actor, centre=centre, data=values)


def moved_in(account, sp, start=dt.date(2024, 3, 1), index="120", actor=None):
    meter = sp.meters.get(removed_on__isnull=True)
    return services.contract_move_in(
        actor=actor,
        account=account,
        service_point=sp,
        start_date=start,
        meter_serial=meter.serial,
        start_index=index,
    )
