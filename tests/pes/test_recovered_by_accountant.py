"""A régie's titled invoice is the public accountant's to recover (issue 7, PES bridge;
COLL-1, COLL-3, COLL-6, COLL-13): besides the dunning run, the utility's own collection —
the proposal's targets, the worklist's scores, agency assignments, litigation, write-offs
and payment plans — leaves it alone, while the account's other debts stay in reach."""

import datetime as dt

import pytest

from robinet.billing.models import Invoice
from robinet.collections import plans, worklist
from robinet.collections.agency_selectors import assignable_items
from robinet.collections.litigation import overdue_items
from robinet.collections.runs import _proposal_targets
from robinet.collections.selectors import overdue_items as dunned_overdue_items
from robinet.collections.writeoff_selectors import open_debits
from robinet.core.exceptions import ValidationFailed
from robinet.core.models import BatchRun
from robinet.ledger.models import OpenItem
from robinet.pes.models import Title
from tests.pes import test_status

pytestmark = pytest.mark.django_db
titled = test_status.titled  # the household and the company titled, the small one not

LATER = dt.date(2026, 2, 15)


def _item(account) -> OpenItem:
    return OpenItem.objects.get(invoice__in=Invoice.objects.filter(account=account))


def test_titled_invoices_are_out_of_the_dunning_proposal_and_the_worklist(titled, billing_run):
    """COLL-1, COLL-13: only the small consumer's untitled bill is proposed and scored."""
    run = BatchRun(kind="dunning_proposal", run_date=LATER, parameters={})
    assert list(_proposal_targets(run)) == [billing_run.small.pk]
    assert worklist.overdue_accounts(LATER) == [billing_run.small.pk]
    accounts = [billing_run.household.pk, billing_run.company.pk, billing_run.small.pk]
    features = worklist.load_features(accounts, on=LATER)
    assert [f.account_id for f in features] == [billing_run.small.pk]


def test_titled_invoices_are_neither_assigned_litigated_nor_written_off(titled, billing_run):
    """COLL-6, COLL-11: the selections an officer works from hold only what Robinet recovers."""
    household, small = billing_run.household, billing_run.small
    candidates = assignable_items([household, small], LATER)
    assert set(candidates) == {small.pk}
    assert overdue_items(household, LATER) == []
    assert list(dunned_overdue_items(household, LATER)) == []
    assert open_debits(household) == []
    assert [i.pk for i in overdue_items(small, LATER)] == [_item(small).pk]
    assert [i.pk for i in open_debits(small)] == [_item(small).pk]


def test_a_payment_plan_never_covers_a_titled_invoice(titled, billing_run, chief):
    """COLL-3: the accountant grants the delays on a title; the plan of an account whose only
    debt is titled has nothing to cover, and naming the titled item is refused."""
    household = billing_run.household
    title = Title.objects.get(account=household)
    with pytest.raises(ValidationFailed) as nothing:
        plans.payment_plan_create(account=household, count=3, first_due=LATER, actor=chief)
    assert "Aucun poste" in str(nothing.value.fields["items"])
    with pytest.raises(ValidationFailed) as refused:
        plans.payment_plan_create(
            account=household,
            count=3,
            first_due=LATER,
            items=[_item(household)],
            actor=chief,
        )
    assert "comptable public" in str(refused.value.fields["items"])
    assert title.invoice.account_id == household.pk
