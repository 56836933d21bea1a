"""COLL-7: the nightly scoring run, the ranked and scoped worklist; COLL-13: call outcomes."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.collections import worklist
from robinet.collections.models import AccountScore, CollectionEvent
from robinet.core.exceptions import PermissionDenied, ValidationFailed
from robinet.ledger.models import OpenItem
from tests.collections import worklist_fixtures
from tests.collections.conftest import TODAY
from tests.collections.plan_fixtures import debts
from tests.customers import factories

officer = worklist_fixtures.officer
outsider = worklist_fixtures.outsider
reader = worklist_fixtures.reader
debtors = worklist_fixtures.debtors

pytestmark = pytest.mark.django_db


def test_coll_7_scoring_run_writes_one_score_per_overdue_account(debtors):
    big, medium, small = debtors
    scores = {s.account_id: s for s in AccountScore.objects.all()}
    assert set(scores) == {big.pk, medium.pk, small.pk}
    top = scores[big.pk]
    assert top.scored_on == TODAY
    assert top.amount_at_stake == Decimal("1350.00")
    assert top.oldest_days == (TODAY - dt.date(2025, 10, 15)).days
    assert 0 < top.probability < 1
    assert top.expected_loss == (top.amount_at_stake * Decimal(repr(top.probability))).quantize(
        Decimal("0.01")
    )
    assert top.risk_model is None  # no model trained: the fallback rule
    assert top.reasons[0] == "montant en jeu : 1\u202f350,00\xa0€"
    assert f"ancienneté de la dette : {top.oldest_days} jours" in top.reasons
    assert top.next_action == "call"
    assert scores[small.pk].next_action == "dunning"


def test_coll_7_the_run_replaces_rows_and_drops_accounts_paid_since(debtors):
    big, medium, small = debtors
    OpenItem.objects.filter(account=small).update(open_amount=0, cleared_on=TODAY)
    result = worklist.score_run()
    assert result.scored == 2
    assert result.fallback
    assert AccountScore.objects.count() == 2
    assert not AccountScore.objects.filter(account=small).exists()
    worklist.score_run()
    assert AccountScore.objects.count() == 2


def test_coll_7_worklist_is_ranked_by_expected_loss_and_scoped(debtors, officer, outsider, org):
    big, medium, small = debtors
    elsewhere = factories.person(org.centres[2])
    debts(elsewhere, "5000.00")
    worklist.score_run()
    mine = list(worklist.worklist(user=officer))
    assert [s.account_id for s in mine] == [big.pk, medium.pk, small.pk]
    assert [s.account_id for s in worklist.worklist(user=outsider)] == [elsewhere.pk]
    filtered = worklist.worklist(
        user=officer, filters=worklist.Filters(min_amount=Decimal("100"), q=medium.number)
    )
    assert [s.account_id for s in filtered] == [medium.pk]
    assert not worklist.worklist(user=officer, filters=worklist.Filters(centre=org.centres[2].pk))
    assert [
        s.account_id
        for s in worklist.worklist(user=officer, filters=worklist.Filters(action="call"))
    ] == [big.pk]


def test_coll_13_a_call_outcome_is_on_the_timeline(debtors, officer):
    big = debtors[0]
    event = worklist.contact_record(
        account=big, outcome="promise", note="Paiera 300 € vendredi.",
        next_step="Vérifier le paiement", next_step_on=TODAY + dt.timedelta(days=4), actor=officer,
    )  # fmt: skip
    assert event.kind == "contact"
    assert event.actor == officer
    assert event.summary == "Appel : Promesse de paiement. Paiera 300 € vendredi."
    assert event.next_step_on == TODAY + dt.timedelta(days=4)
    # a recent call: the next run does not ask to call again
    worklist.score_run()
    assert AccountScore.objects.get(account=big).next_action != "call"


def test_coll_13_call_refused_without_permission_or_with_bad_input(debtors, reader, outsider):
    big = debtors[0]
    with pytest.raises(PermissionDenied):
        worklist.contact_record(account=big, outcome="reached", actor=reader)
    with pytest.raises(PermissionDenied):
        worklist.contact_record(account=big, outcome="reached", actor=outsider)
    with pytest.raises(ValidationFailed) as exc:
        worklist.contact_record(
            account=big, outcome="menace", note="x" * 201,
            next_step_on=TODAY - dt.timedelta(days=1), actor=None,
        )  # fmt: skip
    assert set(exc.value.fields) == {"outcome", "note", "next_step", "next_step_on"}
    assert not CollectionEvent.objects.filter(kind="contact").exists()


def test_coll_7_demo_scores_with_the_fallback_when_history_is_short(debtors):
    from robinet.demo.worklist import seed_demo

    figures = seed_demo(TODAY)
    assert figures["risk_model"] is None
    assert "Historique insuffisant" in figures["fallback_reason"]
    assert figures["scored_accounts"] == 3
