"""Test helpers for back-office screens: an HTTP client that speaks htmx, customer builders.

``RobinetClient`` wraps Django's test client (STYLE.md: HTTP tests go through
one wrapper): URLs by name, htmx requests with ``htmx=True``, login as a
fixture user. Customers are built through the real services.
"""

from django.test import Client
from django.urls import reverse

from tests.customers import factories


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


# Customers are built by the customer tests' factories (through the real services).
PERSON, COMPANY, PROFESSIONAL = factories.PERSON, factories.COMPANY, factories.PROFESSIONAL
make_person = factories.person
make_company = factories.company
make_service_point = factories.service_point
move_in = factories.moved_in


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
