"""Issue 9: rows written before the dedicated kinds are re-labelled where they can be told apart."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from robinet.collections import agencies, plans
from robinet.collections import litigation as lit
from robinet.collections.models import CollectionBlock, CollectionEvent
from tests.collections import agency_fixtures, notice_factories
from tests.collections.conftest import TODAY, bill

agency = agency_fixtures.agency
migration = importlib.import_module("robinet.collections.migrations.0007_relabel_kinds")

pytestmark = pytest.mark.django_db


def _as_before(account):
    """Put the rows back as the code before the dedicated kinds wrote them."""
    back = migration.BACK
    for event in CollectionEvent.objects.filter(account=account):
        CollectionEvent.objects.filter(pk=event.pk).update(kind=back.get(event.kind, event.kind))
    CollectionBlock.objects.filter(account=account, reason="litigation").update(reason="manual")


def _kinds(account):
    return list(
        CollectionEvent.objects.filter(account=account)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_coll13_relabel_litigation_agency_plan_and_promise_rows(
    procedures, household, shop, collector, agency
):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save(update_fields=["birth_date", "birth_place"])
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    file = lit.litigation_open(household, actor=collector)
    lit.litigation_stage(file, "filed", collector)
    lit.litigation_cost_add(file, "court_fee", Decimal("35.00"), collector)
    bill(shop, issued=TODAY - dt.timedelta(days=80), amount="120.00")
    (assignment,) = agencies.debts_assign(actor=collector, agency=agency, accounts=[shop])
    agencies.report_record(
        actor=collector, assignment=assignment, kind="contact", reported_on=TODAY, note="Appel"
    )
    agencies.assignment_recall(actor=collector, assignment=assignment, reason="Sans résultat")
    promise = plans.promise_create(
        account=shop, due_on=TODAY + dt.timedelta(days=5), amount="50", actor=collector
    )
    plans.promise_cancel(promise=promise, actor=collector)
    plan = plans.payment_plan_create(
        account=shop, count=2, first_due=TODAY + dt.timedelta(days=10), actor=collector
    )
    plans.payment_plan_sign(plan=plan, actor=collector)
    # A manual block and a contact that belong to no file keep their kinds.
    CollectionEvent.objects.create(
        account=household, kind="contact", occurred_on=TODAY, at=file.created_at, summary="Appel"
    )
    expected = {household.pk: _kinds(household), shop.pk: _kinds(shop)}
    _as_before(household)
    _as_before(shop)
    assert "litigation_opened" not in _kinds(household)
    assert CollectionBlock.objects.get(account=household).reason == "manual"

    migration.forwards(django_apps, None)

    assert _kinds(household) == expected[household.pk]
    assert _kinds(household)[-1] == "contact"
    assert _kinds(shop) == expected[shop.pk]
    assert {"agency_reported", "promise_cancelled", "plan_signed"} <= set(_kinds(shop))
    assert CollectionBlock.objects.get(account=household).reason == "litigation"

    migration.backwards(django_apps, None)
    assert "litigation_opened" not in _kinds(household)
    assert CollectionBlock.objects.get(account=household).reason == "manual"


def test_coll13_a_number_is_not_a_prefix_of_another():
    assert migration._cites("CTX-2026-000001", "Contentieux CTX-2026-000001 : Requête")
    assert not migration._cites("CTX-2026-1", "Contentieux CTX-2026-12 : Requête")
