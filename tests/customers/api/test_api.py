"""The JSON API (API-1, API-3): token auth, same rules, same permissions (ORG-2)."""

import pytest
from django.test import Client

from robinet.customers.models import Party
from robinet.organisation.services import api_token_create
from tests.customers import factories


class ApiClient:
    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, data):
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", headers=self.headers
        )

    def patch(self, path, data):
        return self.client.patch(
            f"/api/v1{path}", data, content_type="application/json", headers=self.headers
        )

    def put(self, path, data):
        return self.client.put(
            f"/api/v1{path}", data, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api(officer):
    return ApiClient(api_token_create(user=officer))


def test_api_requires_a_token(db):
    response = ApiClient(None).get("/customers", q="x")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert ApiClient("wrong").get("/customers", q="x").status_code == 401


def test_api_create_read_search_update(api, org):
    payload = {
        "centre": org.centres[0].code,
        "party": {**factories.COMPANY},
        "account": {**factories.PROFESSIONAL},
    }
    response = api.post("/customers", payload)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert response.json()["party"]["siret"] == "73282932000074"
    assert api.get(f"/customers/{number}").json()["centre"] == "CT11"
    assert [c["number"] for c in api.get("/customers", q="boulangerie").json()] == [number]
    response = api.patch(f"/customers/{number}", {"party": {"email": "contact@boulangerie.fr"}})
    assert response.status_code == 200
    assert response.json()["party"]["email"] == "contact@boulangerie.fr"


def test_api3_invalid_siret_names_the_field_and_saves_nothing(api, org):
    payload = {
        "centre": org.centres[0].code,
        "party": {**factories.COMPANY, "siret": "12345678901234"},
        "account": {**factories.PROFESSIONAL},
    }
    response = api.post("/customers", payload)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "siret" in body["extra"]["fields"]
    assert Party.objects.count() == 0


def test_api3_malformed_payload_is_a_422_with_fields(api, org):
    response = api.post("/customers", {"centre": org.centres[0].code, "party": {"kind": "person"}})
    assert response.status_code == 422
    fields = response.json()["extra"]["fields"]
    assert "party.name" in fields
    assert "account" in fields


def test_api_bloctel_notice_required_for_a_persons_phone(api, org):
    account = factories.person(org.centres[0])
    response = api.patch(f"/customers/{account.number}", {"party": {"mobile": "0612345678"}})
    assert response.status_code == 400
    assert response.json()["code"] == "bloctel_notice_required"
    response = api.patch(
        f"/customers/{account.number}",
        {"party": {"mobile": "0612345678"}, "bloctel_notice_given": True},
    )
    assert response.json()["party"]["mobile"] == "+33612345678"


def test_org2_api_another_centre_is_404(api, org):
    other = factories.person(org.centres[1])
    assert api.get(f"/customers/{other.number}").status_code == 404
    assert (
        api.patch(f"/customers/{other.number}", {"party": {"email": "x@example.fr"}}).status_code
        == 404
    )
    response = api.post(
        "/customers",
        {"centre": org.centres[1].code, "party": factories.PERSON, "account": factories.INDIVIDUAL},
    )
    assert response.status_code == 403


def test_org2_auditor_cannot_write_through_the_api(org, make_user):
    auditor = make_user("auditor", "auditor", org.region)
    client = ApiClient(api_token_create(user=auditor))
    account = factories.person(org.centres[0])
    assert client.get(f"/customers/{account.number}").status_code == 200
    assert (
        client.patch(
            f"/customers/{account.number}", {"party": {"email": "x@example.fr"}}
        ).status_code
        == 403
    )


def test_api_service_point_meter_and_contract_lifecycle(api, org):
    account = factories.person(org.centres[0])
    response = api.post(
        "/service-points",
        {
            "centre": org.centres[0].code,
            "street_number": "5",
            "street": "rue du Rhin",
            "postcode": "67100",
            "commune_insee": "67482",
            "premises_use": "main_residence",
            "meter_serial": "I22ZZ000001",
            "meter_diameter_mm": 15,
        },
    )
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    assert response.json()["meter_location"] == "N/A"
    assert api.get("/meters/I22ZZ000001").json()["service_point"] == reference
    response = api.post(
        "/contracts",
        {
            "account": account.number,
            "service_point": reference,
            "start_date": "2025-01-01",
            "meter_serial": "I22ZZ000001",
            "start_index": "12.5",
        },
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    response = api.post(
        f"/contracts/{number}/move-out", {"end_date": "2025-12-31", "end_index": "80"}
    )
    assert response.json()["status"] == "closed"
    assert [c["number"] for c in api.get(f"/accounts/{account.number}/contracts").json()] == [
        number
    ]


def test_api_openapi_schema_is_served(api):
    response = api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/customers" in response.json()["paths"]
