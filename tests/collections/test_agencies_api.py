"""External agencies through the JSON API (COLL-8, ORG-4)."""

from robinet.collections.models import AgencyAssignment, AgencyReport, AssignmentState
from robinet.organisation.services import api_token_create
from tests.collections.agency_fixtures import *  # noqa: F403
from tests.customers.api.test_api import ApiClient


def test_coll8_assign_export_report_recall_through_the_api(collector, debtor, agency, agency_user):
    officer = ApiClient(api_token_create(user=collector))
    listing = officer.get("/collections/agencies")
    assert listing.status_code == 200
    assert [a["code"] for a in listing.json()] == ["CREST"]
    refused = officer.post("/collections/agencies/CREST/assignments", {"accounts": ["NOPE"]})
    assert refused.status_code == 400
    assert "accounts" in refused.json()["extra"]["fields"]
    created = officer.post("/collections/agencies/CREST/assignments", {"accounts": [debtor.number]})
    assert created.status_code == 201, created.content
    (body,) = created.json()
    assert body["amount"] == "200.00"
    assert body["state"] == "assigned"

    own = ApiClient(api_token_create(user=agency_user))
    export = own.get("/collections/agencies/CREST/assignments")
    assert export.status_code == 200
    (row,) = export.json()
    assert row["account"] == debtor.number
    assert len(row["items"]) == 2
    bad = own.post(
        "/collections/agencies/CREST/reports",
        {"lines": [{"reference": "R1", "assignment": body["reference"], "date": "2026-02-20",
                    "kind": "payment"}]},
    )  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["extra"]["fields"] == {
        "lines.0.amount": ["montant obligatoire pour une promesse ou un encaissement."]
    }
    assert not AgencyReport.objects.exists()
    good = own.post(
        "/collections/agencies/CREST/reports",
        {"lines": [{"reference": "R1", "assignment": body["reference"], "date": "2026-02-20",
                    "kind": "payment", "amount": "40.00"}]},
    )  # fmt: skip
    assert good.status_code == 201, good.content
    assert good.json() == {"created": 1, "skipped": 0}
    assert AgencyReport.objects.get().commission.to_eng_string() == "5.00"

    recalled = officer.post(f"/collections/assignments/{body['id']}/recall", {"reason": "Erreur"})
    assert recalled.status_code == 200
    assert AgencyAssignment.objects.get().state == AssignmentState.RECALLED


def test_org4_agency_token_sees_only_its_own(assigned, agency_user, other_agency_user):
    other = ApiClient(api_token_create(user=other_agency_user))
    assert [a["code"] for a in other.get("/collections/agencies").json()] == ["RECOUV2"]
    assert other.get("/collections/agencies/CREST/assignments").status_code == 404
    assert other.get("/collections/agencies/RECOUV2/assignments").json() == []
    sent = other.post(
        "/collections/agencies/CREST/reports",
        {"lines": [{"reference": "R1", "assignment": assigned.reference, "date": "2026-02-20",
                    "kind": "contact"}]},
    )  # fmt: skip
    assert sent.status_code == 404
    assert (
        other.post(
            "/collections/agencies/CREST/assignments", {"accounts": [assigned.account.number]}
        ).status_code
        == 403
    )
    assert (
        other.post(f"/collections/assignments/{assigned.pk}/recall", {"reason": "x"}).status_code
        == 403
    )
