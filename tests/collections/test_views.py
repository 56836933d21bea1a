"""Dunning screens: proposal runs, review, issue, notices, an account's collection page
(COLL-2, COLL-3, COLL-13)."""

import datetime as dt

import pytest

from robinet.collections import services
from robinet.collections.choices import BlockReason, ProposalStatus
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DunningNotice,
    DunningProposal,
    ProposalItem,
)
from robinet.core.models import BatchRun
from robinet.organisation.roles import Role
from tests.backoffice.helpers import RobinetClient
from tests.collections.conftest import TODAY, bill
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return RobinetClient()


@pytest.fixture
def stranger(org, make_user):
    """A collection officer of another agency's centre."""
    return make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[3])


@pytest.fixture
def viewer(org, make_user):
    """A customer officer: sees collections, may not run dunning."""
    return make_user("guichet", Role.CUSTOMER_OFFICER, org.centres[0])


def propose(actor, entity="CT11", on=TODAY):
    return services.dunning_propose(actor=actor, on=on, entity_code=entity)


@pytest.fixture
def proposal_run(procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="70.00")
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="30.00")
    return propose(collector)


def test_coll2_run_list_shows_runs_and_the_propose_form(web, proposal_run, collector):
    response = web.login(collector).get("collections:dunning-runs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Lancer une proposition" in body
    assert f"/collections/dunning/{proposal_run.pk}/" in body


def test_coll2_launching_a_proposal_redirects_to_it(web, procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    response = web.login(collector).post(
        "collections:dunning-runs", data={"on": TODAY.isoformat(), "entity": "CT11"}
    )
    run = BatchRun.objects.get(kind="dunning_proposal")
    assert response.status_code == 302
    assert response["Location"] == f"/collections/dunning/{run.pk}/"
    assert DunningProposal.objects.filter(run=run, account=household).exists()


def test_coll2_a_proposal_without_entity_is_refused_for_a_centre_officer(
    web, procedures, household, collector
):
    response = web.login(collector).post(
        "collections:dunning-runs", data={"on": TODAY.isoformat(), "entity": ""}
    )
    assert response.status_code == 400
    assert not BatchRun.objects.filter(kind="dunning_proposal").exists()


def test_coll2_viewer_sees_runs_but_cannot_launch(web, proposal_run, viewer):
    web.login(viewer)
    response = web.get("collections:dunning-runs")
    assert response.status_code == 200
    assert 'id="propose-form"' not in response.content.decode()
    assert (
        web.post(
            "collections:dunning-runs", data={"on": TODAY.isoformat(), "entity": "CT11"}
        ).status_code
        == 403
    )
    page = web.get("collections:dunning-run", proposal_run.pk).content.decode()
    assert "Émettre les relances" not in page
    assert "Exclure le compte" not in page


def test_coll2_proposal_page_shows_accounts_levels_rules_and_the_issue_button(
    web, proposal_run, collector, household
):
    response = web.login(collector).get("collections:dunning-run", proposal_run.pk)
    assert response.status_code == 200
    body = response.content.decode()
    assert household.number in body
    assert "Premier rappel" in body
    assert "Émettre les relances" in body
    assert "FR-CASF-L115-3" in body  # a main residence: the rule id, its source as tooltip
    assert "CASF" in body
    assert "<abbr" in body
    assert 'class="table-responsive"' in body
    assert 'id="run-workers"' in body  # issue 13: who processed the chunks


def test_coll2_excluding_an_item_without_reason_shows_the_error_and_writes_nothing(
    web, proposal_run, collector
):
    item = ProposalItem.objects.filter(proposal__run=proposal_run).first()
    events = CollectionEvent.objects.count()
    response = web.login(collector).post(
        "collections:proposal-item-exclude", item.pk, htmx=True, data={"reason": "  "}
    )
    assert response.status_code == 200
    assert "Indiquez le motif de l" in response.content.decode()
    item.refresh_from_db()
    assert not item.excluded
    assert CollectionEvent.objects.count() == events


def test_coll2_excluding_an_account_without_reason_without_htmx_is_a_400(
    web, proposal_run, collector
):
    proposal = DunningProposal.objects.get(run=proposal_run)
    response = web.login(collector).post(
        "collections:proposal-exclude", proposal.pk, data={"reason": ""}
    )
    assert response.status_code == 400
    assert "Indiquez le motif de l" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


def test_coll13_excluding_an_item_with_a_reason_is_recorded(web, proposal_run, collector):
    item = ProposalItem.objects.filter(proposal__run=proposal_run).order_by("pk").first()
    response = web.login(collector).post(
        "collections:proposal-item-exclude",
        item.pk,
        htmx=True,
        data={"reason": "Réclamation en cours"},
    )
    assert response.status_code == 200
    assert 'id="proposal-' in response.content.decode()
    item.refresh_from_db()
    assert item.excluded
    assert item.exclusion_reason == "Réclamation en cours"
    assert CollectionEvent.objects.filter(summary__contains="Réclamation en cours").exists()


def test_coll2_issue_then_the_button_is_gone_and_notices_are_listed(
    web, proposal_run, collector, household
):
    web.login(collector)
    response = web.post("collections:dunning-issue", proposal_run.pk)
    assert response.status_code == 302
    notice = DunningNotice.objects.get()
    assert response["Location"].startswith("/collections/notices/?run=")
    body = web.get("collections:dunning-run", proposal_run.pk).content.decode()
    assert 'id="issue-form"' not in body
    assert 'id="issued-notices"' in body
    assert "Exclure le poste" not in body
    listing = web.get("collections:notice-list", data={"run": notice.run_id}).content.decode()
    assert notice.number in listing
    detail = web.get("collections:notice-detail", notice.pk)
    assert detail.status_code == 200
    assert "FR-CASF-L115-3" in detail.content.decode()
    # Issuing twice is refused inline.
    again = web.post("collections:dunning-issue", proposal_run.pk)
    assert again.status_code == 400
    assert DunningNotice.objects.count() == 1


def test_coll2_notice_pdf_is_inline(web, proposal_run, collector):
    services.dunning_issue(actor=collector, proposal_run=proposal_run)
    notice = DunningNotice.objects.get()
    response = web.login(collector).get("collections:notice-pdf", notice.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")


def test_coll2_an_officer_of_another_centre_sees_nothing(web, proposal_run, stranger, household):
    web.login(stranger)
    assert web.get("collections:dunning-run", proposal_run.pk).status_code == 404
    listing = web.get("collections:dunning-runs").content.decode()
    assert f"/collections/dunning/{proposal_run.pk}/" not in listing
    proposal = DunningProposal.objects.get(run=proposal_run)
    item = proposal.items.first()
    assert (
        web.post("collections:proposal-exclude", proposal.pk, data={"reason": "x"}).status_code
        == 404
    )
    assert (
        web.post("collections:proposal-item-exclude", item.pk, data={"reason": "x"}).status_code
        == 404
    )
    assert web.get("collections:account-collection", household.number).status_code == 404
    services.dunning_issue(actor=None, proposal_run=proposal_run)
    notice = DunningNotice.objects.get()
    assert web.get("collections:notice-detail", notice.pk).status_code == 404
    assert notice.number not in web.get("collections:notice-list").content.decode()


def test_coll2_a_whole_utility_run_shows_only_the_officers_accounts(
    web, procedures, household, org, stranger
):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    run = services.dunning_propose(actor=None, on=TODAY)
    response = web.login(stranger).get("collections:dunning-run", run.pk)
    assert response.status_code == 200
    assert household.number not in response.content.decode()


def test_coll2_proposal_page_query_count_does_not_grow_with_accounts(
    web, procedures, org, collector, django_assert_max_num_queries
):
    for _ in range(3):
        account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
        bill(account, issued=TODAY - dt.timedelta(days=40))
    run = propose(collector)
    web.login(collector)
    web.get("collections:dunning-run", run.pk)  # warm the session and scope
    # session, user, scope, entities, run, figures, activity, previous run, count,
    # proposals, their items, level filter, diff
    with django_assert_max_num_queries(16) as three:
        web.get("collections:dunning-run", run.pk)
    for _ in range(4):
        account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
        bill(account, issued=TODAY - dt.timedelta(days=40))
    run = propose(collector)
    with django_assert_max_num_queries(len(three) + 3):  # the diff lists the new accounts
        response = web.get("collections:dunning-run", run.pk)
    assert response.content.decode().count('class="proposal border-top"') == 7


def test_coll3_account_page_blocks_and_lifts(web, procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40))
    web.login(collector)
    page = web.get("collections:account-collection", household.number)
    assert page.status_code == 200
    assert "Bloquer les relances" in page.content.decode()
    response = web.post(
        "collections:block-create",
        household.number,
        data={
            "reason": BlockReason.DISPUTE,
            "starts_on": TODAY.isoformat(),
            "reference": "LIT-1",
            "comment": "",
        },
    )
    assert response.status_code == 302
    block = CollectionBlock.objects.get()
    body = web.get("collections:account-collection", household.number).content.decode()
    assert "Contestation" in body
    assert "LIT-1" in body
    assert web.post("collections:block-lift", block.pk).status_code == 302
    block.refresh_from_db()
    assert block.lifted_on == TODAY


def test_coll3_a_block_ending_before_it_starts_is_refused_inline(
    web, procedures, household, collector
):
    response = web.login(collector).post(
        "collections:block-create",
        household.number,
        data={
            "reason": BlockReason.MANUAL,
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "La fin précède le début." in response.content.decode()
    assert not CollectionBlock.objects.exists()


def test_coll13_customer_page_card(web, procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=40), amount="55.00")
    web.login(collector)
    page = web.get("customers:detail", household.number).content.decode()
    assert f"/collections/accounts/{household.number}/card/" in page
    card = web.get("collections:account-collection-card", household.number, htmx=True)
    assert card.status_code == 200
    assert "55,00" in card.content.decode()


def test_coll1_procedures_page_lists_levels_and_the_rule_catalogue(web, procedures, collector):
    response = web.login(collector).get("collections:procedures")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Particuliers (décret 2008-780)" in body
    assert "Mise en demeure" in body
    assert "FR-CASF-L115-3" in body


def test_menu_has_dunning_and_skips_screens_not_installed(web, collector):
    body = web.login(collector).get("collections:dunning-runs").content.decode()
    assert 'href="/collections/dunning/"' in body


def test_coll1_admin_pages_render(client, procedures, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw-root")
    client.force_login(admin)
    procedure = procedures[0]
    assert (
        client.get(f"/admin/collections/dunningprocedure/{procedure.pk}/change/").status_code == 200
    )
    for model in ("dunningproposal", "dunningnotice", "collectionevent", "collectionblock"):
        assert client.get(f"/admin/collections/{model}/").status_code == 200
