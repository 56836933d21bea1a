"""CASE-7 on the payments side: a live direct-debit hold keeps an account out of the SEPA run."""

import datetime as dt

import pytest

from robinet.core.exceptions import InvalidTransition, ValidationFailed
from robinet.payments import holds, sepa
from robinet.payments.models import DirectDebitHold

IBAN = "FR1420041010050500013M02606"
COLLECT_ON = dt.date(2026, 2, 17)

pytestmark = pytest.mark.django_db


def _collectable_accounts():
    return {item.account_id for item in sepa.collectable(COLLECT_ON)}


def test_case_7_live_hold_excluded_from_collectable_then_lifted(billed):
    sepa.mandate_create(
        actor=None,
        account=billed,
        signed_on=dt.date(2025, 1, 10),
        iban=IBAN,
        check_permission=False,
    )
    assert _collectable_accounts() == {billed.pk}
    hold = holds.hold_open(actor=None, account=billed, reason="Réclamation", reference="DOS-1")
    assert hold.is_live
    assert _collectable_accounts() == set()
    lifted = holds.hold_close(actor=None, hold=hold)
    assert lifted.lifted_at is not None
    assert _collectable_accounts() == {billed.pk}
    with pytest.raises(InvalidTransition):
        holds.hold_close(actor=None, hold=hold)


def test_case_7_hold_needs_a_reason(billed):
    with pytest.raises(ValidationFailed) as refused:
        holds.hold_open(actor=None, account=billed, reason="  ")
    assert "reason" in refused.value.fields
    assert not DirectDebitHold.objects.exists()


def test_case_7_lifted_holds_do_not_count(billed):
    sepa.mandate_create(
        actor=None,
        account=billed,
        signed_on=dt.date(2025, 1, 10),
        iban=IBAN,
        check_permission=False,
    )
    first = holds.hold_open(actor=None, account=billed, reason="Réclamation 1")
    holds.hold_open(actor=None, account=billed, reason="Réclamation 2")
    holds.hold_close(actor=None, hold=first)
    assert list(holds.live_holds(billed).values_list("reason", flat=True)) == ["Réclamation 2"]
    assert _collectable_accounts() == set()
