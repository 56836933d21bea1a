"""Test helpers for back-office screens: an HTTP client that speaks htmx, customer builders.

``RobinetClient`` wraps Django's test client (STYLE.md: HTTP tests go through
one wrapper): URLs by name, htmx requests with ``htmx=True``, login as a
fixture user. Customers are built through the real services.
"""

import itertools

from django.test import Client
from django.urls import reverse

from robinet.customers import services

_serials = itertools.count(1)


class RobinetClient:
    def __init__(self, client: Client | None = None) -> None:
        self.client = client or Client()

    def login(self, user) -> "RobinetClient":
        self.client.force_login(user)
        return self

    def logout(self) -> "RobinetClient":
        self.client.logout()
        return self

    @staticmethod
    def url(name: str, *args) -> str:
        return name if name.startswith("/") else reverse(name, args=args)

    @staticmethod
    def _headers(htmx: bool) -> dict[str, str]:
        return {"HX-Request": "true"} if htmx else {}

    def get(self, name: str, *args, htmx: bool = False, data=None):
        return self.client.get(self.url(name, *args), data or {}, headers=self._headers(htmx))

    def post(self, name: str, *args, htmx: bool = False, data=None):
        return self.client.post(self.url(name, *args), data or {}, headers=self._headers(htmx))


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


def make_person(centre, **party):
    return services.customer_create(
        actor=None,
        centre=centre,
        party={**PERSON, **party},
        account={"customer_class": "individual"},
    )


def make_company(centre, **party):
    return services.customer_create(
        actor=None, centre=centre, party={**COMPANY, **party}, account=PROFESSIONAL
    )


def make_service_point(centre, serial: str | None = None, **data):
    values = {
        "street_number": "12",
        "street": "rue des Tanneurs",
        "postcode": "67000",
        "commune_insee": "67482",
        "premises_use": "main_residence",
        "meter_location": "Cave",
        "meter_accessibility": "accessible",
        "meter_serial": serial or f"I21BO{next(_serials):06d}",
        "meter_diameter_mm": 15,
        "meter_installed_on": "2020-01-15",
        **data,
    }
    return services.service_point_create(actor=None, centre=centre, data=values)


def move_in(account, service_point, start="2024-03-01", index="120"):
    meter = service_point.meters.get(removed_on__isnull=True)
    return services.contract_move_in(
        actor=None, account=account, service_point=service_point, start_date=start,
        meter_serial=meter.serial, start_index=index,
    )  # fmt: skip


def edit_data(account, **changes) -> dict:
    """The customer edit form's POST data for ``account`` as it stands, with ``changes``."""
    from robinet.customers.forms import CustomerForm

    initial = CustomerForm.initial_for(account)
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    if data.get("birth_date"):
        data["birth_date"] = data["birth_date"].isoformat()
    data["e_invoice"] = "on" if initial.get("e_invoice") else ""
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}
