"""COLL-11: no write-off of items a payment plan or an agency is still collecting (COLL-5, COLL-8)."""

import datetime as dt

import pytest

from robinet.collections import agencies, plans, writeoffs
from robinet.collections.models import WriteOffRequest
from robinet.core.exceptions import ApplicationError
from tests.collections import agency_fixtures, writeoff_fixtures
from tests.collections.conftest import TODAY
from tests.collections.writeoff_fixtures import debit_items

approver = writeoff_fixtures.approver
old_debtor = writeoff_fixtures.old_debtor
agency = agency_fixtures.agency

pytestmark = pytest.mark.django_db


def _request(account, actor):
    return writeoffs.write_off_request(
        actor=actor,
        account=account,
        items=[(i, None) for i in debit_items(account)],
        reason="irrecoverable",
    )


def test_coll11_items_under_an_active_plan_are_refused(old_debtor, collector):
    plan = plans.payment_plan_create(
        account=old_debtor, count=4, first_due=TODAY + dt.timedelta(days=10), actor=collector
    )
    with pytest.raises(ApplicationError) as refused:
        _request(old_debtor, collector)
    assert refused.value.code == "items_invalid"
    assert plan.number in refused.value.message
    assert "échéancier" in refused.value.message
    assert not WriteOffRequest.objects.exists()
    plans.payment_plan_cancel(plan=plan, reason="Client injoignable", actor=collector)
    assert _request(old_debtor, collector).total > 0


def test_coll11_items_with_an_agency_are_refused_until_recalled(old_debtor, collector, agency):
    (assignment,) = agencies.debts_assign(actor=collector, agency=agency, accounts=[old_debtor])
    with pytest.raises(ApplicationError) as refused:
        _request(old_debtor, collector)
    assert assignment.reference in refused.value.message
    assert "rappelez" in refused.value.message
    assert not WriteOffRequest.objects.exists()
    agencies.assignment_recall(actor=collector, assignment=assignment, reason="Sans résultat")
    assert _request(old_debtor, collector).total > 0


def test_coll11_approval_refused_when_a_plan_took_the_items_meanwhile(
    old_debtor, collector, approver
):
    request = _request(old_debtor, collector)
    plans.payment_plan_create(
        account=old_debtor, count=4, first_due=TODAY + dt.timedelta(days=10), actor=collector
    )
    with pytest.raises(ApplicationError) as refused:
        writeoffs.write_off_approve(actor=approver, request=request)
    assert refused.value.code == "items_changed"
    request.refresh_from_db()
    assert request.state == "requested"
