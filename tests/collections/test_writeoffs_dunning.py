"""COLL-11: the items of a write-off request awaiting approval are not dunned.

The dunning fetch leaves them out (the account's other debts are dunned as usual) and the
issuing run checks again, as for the items an insolvency file freezes (COLL-12). A rejected
request gives them back to dunning.
"""

import datetime as dt

import pytest

from robinet.collections import services, writeoffs
from robinet.collections.fetch import frozen_items
from robinet.collections.models import DunningNotice, DunningProposal
from robinet.ledger.models import OpenItem
from tests.collections import writeoff_fixtures
from tests.collections.conftest import TODAY, bill

approver = writeoff_fixtures.approver

pytestmark = pytest.mark.django_db


def _documents(run, account):
    proposal = DunningProposal.objects.get(run=run, account=account)
    return sorted(i.open_item.document_number for i in proposal.items.select_related("open_item"))


def _item(invoice):
    return OpenItem.objects.get(invoice=invoice)


def _request(account, invoice, actor):
    return writeoffs.write_off_request(
        actor=actor, account=account, items=[(_item(invoice), None)], reason="below_cost"
    )


def test_coll11_items_of_a_pending_write_off_are_left_out_of_the_proposal(
    procedures, household, collector, approver
):
    old = bill(household, issued=TODAY - dt.timedelta(days=90), amount="12.00")
    current = bill(household, issued=TODAY - dt.timedelta(days=45), amount="60.00")
    request = _request(household, old, collector)
    assert frozen_items([household.pk]).item_ids == {_item(old).pk}
    run = services.dunning_propose(actor=None, on=TODAY)
    assert _documents(run, household) == [current.number]
    # rejected: the item is dunned again
    writeoffs.write_off_reject(actor=approver, request=request, note="Relancer d'abord.")
    assert frozen_items([household.pk]).item_ids == set()
    again = services.dunning_propose(actor=None, on=TODAY)
    assert _documents(again, household) == sorted([old.number, current.number])


def test_coll11_only_pending_write_off_items_leave_nothing_to_dun(procedures, household, collector):
    old = bill(household, issued=TODAY - dt.timedelta(days=90), amount="12.00")
    _request(household, old, collector)
    run = services.dunning_propose(actor=None, on=TODAY)
    assert not DunningProposal.objects.filter(run=run, account=household, items__isnull=False)


def test_coll11_an_item_put_in_a_write_off_after_the_proposal_is_not_in_the_notice(
    procedures, household, collector
):
    old = bill(household, issued=TODAY - dt.timedelta(days=90), amount="12.00")
    current = bill(household, issued=TODAY - dt.timedelta(days=45), amount="60.00")
    run = services.dunning_propose(actor=None, on=TODAY)
    assert _documents(run, household) == sorted([old.number, current.number])
    _request(household, old, collector)
    services.dunning_issue(actor=None, proposal_run=run, send=False)
    notice = DunningNotice.objects.get(account=household)
    assert [i.open_item.document_number for i in notice.items.select_related("open_item")] == [
        current.number
    ]
