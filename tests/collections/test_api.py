"""Dunning through the JSON API (COLL-2, COLL-3, COLL-13): same rules and permissions as
the screens; errors ``{"code", "message", "extra": {"fields"}}``; amounts as strings."""

import datetime as dt

import pytest

from robinet.collections import services
from robinet.collections.choices import BlockReason, ProposalStatus
from robinet.collections.models import DunningNotice, DunningProposal, ProposalItem
from robinet.core.models import BatchRun
from robinet.organisation.roles import Role
from robinet.organisation.services import api_token_create
from tests.collections.conftest import TODAY, bill
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(collector):
    return ApiClient(api_token_create(user=collector))


@pytest.fixture
def stranger_api(org, make_user):
    """A collection officer of a centre of the other agency."""
    return ApiClient(
        api_token_create(user=make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[3]))
    )


@pytest.fixture
def viewer_api(org, make_user):
    """A customer officer: reads collections, may not run dunning."""
    return ApiClient(
        api_token_create(user=make_user("guichet", Role.CUSTOMER_OFFICER, org.centres[0]))
    )


@pytest.fixture
def debtor(procedures, household):
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="70.00")
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="30.00")
    return household


def test_coll2_propose_list_and_read_proposals(api, debtor):
    response = api.post("/collections/dunning-runs", {"date": TODAY.isoformat(), "entity": "CT11"})
    assert response.status_code == 201, response.json()
    run = response.json()
    assert run["entity"] == "CT11"
    assert run["figures"]["proposed"] == 1
    assert run["figures"]["total"] == "100.00"
    assert run["activity_run"] is None
    listed = api.get("/collections/dunning-runs").json()
    assert [r["id"] for r in listed] == [run["id"]]
    proposals = api.get(f"/collections/dunning-runs/{run['id']}/proposals").json()
    (proposal,) = proposals
    assert proposal["account"] == debtor.number
    assert proposal["status"] == "proposed"
    assert proposal["level"] == 2
    assert proposal["total"] == "100.00"
    assert "FR-CASF-L115-3" in proposal["rules"]
    assert len(proposal["items"]) == 2
    assert proposal["items"][0]["open_amount"] in {"70.00", "30.00"}
    assert (
        api.get(f"/collections/dunning-runs/{run['id']}/proposals", status="blocked").json() == []
    )


def test_coll2_propose_with_an_unknown_entity_is_a_400_naming_the_field(api, debtor):
    response = api.post("/collections/dunning-runs", {"entity": "NOPE"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "entity" in body["extra"]["fields"]
    assert not BatchRun.objects.filter(kind="dunning_proposal").exists()


def test_coll2_propose_needs_the_dunning_permission(viewer_api, debtor):
    response = viewer_api.post("/collections/dunning-runs", {"entity": "CT11"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_coll2_exclusions_need_a_reason(api, debtor, collector):
    run = services.dunning_propose(actor=collector, on=TODAY, entity_code="CT11")
    proposal = DunningProposal.objects.get(run=run)
    item = ProposalItem.objects.filter(proposal=proposal).order_by("pk").first()
    missing = api.post(f"/collections/proposal-items/{item.pk}/exclude", {"reason": " "})
    assert missing.status_code == 400
    assert "reason" in missing.json()["extra"]["fields"]
    item.refresh_from_db()
    assert not item.excluded
    done = api.post(f"/collections/proposal-items/{item.pk}/exclude", {"reason": "Litige"})
    assert done.status_code == 200
    body = done.json()
    assert [i["excluded"] for i in body["items"]].count(True) == 1
    assert body["status"] == "proposed"
    whole = api.post(f"/collections/proposals/{proposal.pk}/exclude", {"reason": "Décès"})
    assert whole.status_code == 200
    assert whole.json()["status"] == ProposalStatus.EXCLUDED
    assert whole.json()["exclusion_reason"] == "Décès"


def test_coll2_issue_then_read_the_notice_and_the_history(api, debtor, collector):
    run = services.dunning_propose(actor=collector, on=TODAY, entity_code="CT11")
    response = api.post(f"/collections/dunning-runs/{run.pk}/issue", {})
    assert response.status_code == 201, response.json()
    activity = response.json()
    assert activity["proposal_run"] == run.pk
    assert activity["notices"] == 1
    again = api.post(f"/collections/dunning-runs/{run.pk}/issue", {})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    notice = DunningNotice.objects.get()
    body = api.get(f"/collections/notices/{notice.number}").json()
    assert body["total_due"] == "100.00"
    assert body["main_residence"] is True
    assert {r["id"] for r in body["rules"]} >= {"FR-CASF-L115-3"}
    assert all(r["source"] for r in body["rules"])
    assert len(body["items"]) == 2
    history = api.get(f"/collections/accounts/{debtor.number}/history").json()
    assert history["debt_case"]["stage"] == "reminders"
    assert history["overdue_total"] == "100.00"
    assert [n["number"] for n in history["notices"]] == [notice.number]
    assert history["events"][0]["notice"] == notice.number
    assert api.get("/collections/dunning-runs").json()[0]["activity_run"] == activity["id"]


def test_coll3_history_lists_blocks(api, debtor, collector):
    services.block_create(
        actor=collector, account=debtor, reason=BlockReason.DISPUTE, reference="LIT-9"
    )
    history = api.get(f"/collections/accounts/{debtor.number}/history").json()
    (block,) = history["blocks"]
    assert block["reason"] == "dispute"
    assert block["reason_label"] == "Contestation"
    assert block["in_force"] is True
    assert history["events"][0]["kind"] == "block"
    assert history["events"][0]["kind_label"] == "Blocage"


def test_coll2_another_centre_gets_404(stranger_api, debtor, collector):
    run = services.dunning_propose(actor=collector, on=TODAY, entity_code="CT11")
    proposal = DunningProposal.objects.get(run=run)
    item = proposal.items.first()
    assert stranger_api.get(f"/collections/dunning-runs/{run.pk}/proposals").status_code == 404
    assert stranger_api.get("/collections/dunning-runs").json() == []
    assert (
        stranger_api.post(f"/collections/proposals/{proposal.pk}/exclude", {"reason": "x"})
    ).status_code == 404
    assert (
        stranger_api.post(f"/collections/proposal-items/{item.pk}/exclude", {"reason": "x"})
    ).status_code == 404
    assert stranger_api.post(f"/collections/dunning-runs/{run.pk}/issue", {}).status_code == 404
    assert stranger_api.get(f"/collections/accounts/{debtor.number}/history").status_code == 404
    services.dunning_issue(actor=collector, proposal_run=run)
    notice = DunningNotice.objects.get()
    missing = stranger_api.get(f"/collections/notices/{notice.number}")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_api_needs_a_token(debtor):
    assert ApiClient(None).get("/collections/dunning-runs").status_code == 401
