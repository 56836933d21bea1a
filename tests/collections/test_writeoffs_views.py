"""Screens of write-offs and provisions (COLL-11)."""

import pytest

from robinet.collections import writeoffs
from robinet.collections.models import ProvisionRun, WriteOffRequest, WriteOffState
from tests.backoffice.conftest import web
from tests.collections import writeoff_fixtures
from tests.collections.writeoff_fixtures import debit_items

pytestmark = pytest.mark.django_db

web = web
approver = writeoff_fixtures.approver
old_debtor = writeoff_fixtures.old_debtor


def test_coll_11_request_from_the_account_then_approve_from_the_detail(
    web, old_debtor, collector, approver
):
    page = web.login(collector).get("collections:writeoff-create", old_debtor.number)
    assert page.status_code == 200
    assert "Proposer une admission en non-valeur" in page.content.decode()
    first, second = debit_items(old_debtor)
    response = web.post(
        "collections:writeoff-create",
        old_debtor.number,
        data={"items": [first.pk, second.pk], f"amount_{first.pk}": "100,00", "reason": "deceased"},
    )
    wo = WriteOffRequest.objects.get()
    assert response.status_code == 302
    assert wo.total == 180
    detail = web.get("collections:writeoff-detail", wo.number).content.decode()
    assert "quatre yeux" in detail
    assert 'id="writeoff-decision"' not in detail
    # The requester's own decision is refused by the service too.
    refused = web.post("collections:writeoff-detail", wo.number, data={"decision": "approve"})
    assert refused.status_code == 403
    web.login(approver)
    assert (
        'id="writeoff-decision"'
        in web.get("collections:writeoff-detail", wo.number).content.decode()
    )
    done = web.post(
        "collections:writeoff-detail", wo.number, data={"decision": "approve", "note": "ok"}
    )
    assert done.status_code == 302
    wo.refresh_from_db()
    assert wo.state == WriteOffState.BOOKED
    html = web.get("collections:writeoff-detail", wo.number).content.decode()
    assert "654000" in html
    listing = web.get("collections:writeoff-list", data={"state": "booked"})
    assert wo.number in listing.content.decode()


def test_coll_11_form_errors_on_the_field_and_nothing_written(web, old_debtor, collector):
    first, _second = debit_items(old_debtor)
    response = web.login(collector).post(
        "collections:writeoff-create",
        old_debtor.number,
        data={"items": [first.pk], f"amount_{first.pk}": "999,00", "reason": "deceased"},
    )
    assert response.status_code == 422
    assert not WriteOffRequest.objects.exists()


def test_coll_11_reject_needs_a_note_on_screen(web, old_debtor, collector, approver):
    wo = writeoffs.write_off_request(
        actor=collector, account=old_debtor, items=[(debit_items(old_debtor)[0], None)],
        reason="below_cost",
    )  # fmt: skip
    web.login(approver)
    response = web.post("collections:writeoff-detail", wo.number, data={"decision": "reject"})
    assert response.status_code == 422
    ok = web.post("collections:writeoff-detail", wo.number,
                  data={"decision": "reject", "note": "Saisie sur salaire possible"})  # fmt: skip
    assert ok.status_code == 302
    wo.refresh_from_db()
    assert wo.state == WriteOffState.REJECTED


def test_coll_11_provisions_page_and_run_for_managers_only(web, old_debtor, collector, approver):
    page = web.login(collector).get("collections:provision-run")
    assert page.status_code == 200
    assert 'id="provision-form"' not in page.content.decode()
    assert web.post("collections:provision-run", data={"on": "2026-03-02"}).status_code == 403
    assert not ProvisionRun.objects.exists()
    web.login(approver)
    assert web.post("collections:provision-run", data={"on": "2026-03-02"}).status_code == 302
    html = web.get("collections:provision-run").content.decode()
    assert "140,00" in html
