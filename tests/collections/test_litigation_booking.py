"""COLL-9: litigation costs posted, re-invoiced where allowed (COLL-1), the outcome booked."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from robinet.billing.models import Invoice
from robinet.collections import litigation as lit
from robinet.collections import litigation_booking as booking
from robinet.collections.choices import DebtStage, EventKind
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DebtCase,
    LitigationStage,
    WriteOffRequest,
    WriteOffState,
)
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.ledger.models import JournalEntry, JournalLine, OpenItem
from robinet.payments.models import Payment
from tests.collections import notice_factories
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def debtor(procedures, household):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save(update_fields=["birth_date", "birth_place"])
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="250.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    return household


@pytest.fixture
def pro_debtor(procedures, shop):
    bill(shop, issued=TODAY - dt.timedelta(days=120), amount="400.00")
    notice_factories.notice(shop, level=2, on=TODAY - dt.timedelta(days=20))
    return shop


def balanced(entry_id) -> bool:
    sums = JournalLine.objects.filter(entry_id=entry_id).aggregate(d=Sum("debit"), c=Sum("credit"))
    return sums["d"] == sums["c"] and sums["d"] > 0


def served(file, actor):
    for stage in (LitigationStage.FILED, LitigationStage.ORDER_ISSUED, LitigationStage.SERVED):
        file = lit.litigation_stage(file, stage, actor)
    return file


# --- costs -------------------------------------------------------------------------------------


def test_coll9_cost_entry_is_balanced_legal_costs_against_suppliers():
    entry = booking.cost_entry(
        on=TODAY, number="CTX-2026-000001", centre_id=1, amount=Decimal("45.50"), label="x"
    )
    lines = {line.role: (line.debit, line.credit) for line in entry.lines}
    assert lines == {
        "legal_costs": (Decimal("45.50"), Decimal("0.00")),
        "suppliers": (Decimal("0.00"), Decimal("45.50")),
    }


def test_coll9_a_recorded_cost_is_posted_as_an_expense(debtor, collector):
    file = lit.litigation_open(debtor, actor=collector)
    cost = lit.litigation_cost_add(file, "bailiff", Decimal("45.50"), collector)
    cost.refresh_from_db()
    assert cost.entry_id is not None
    assert balanced(cost.entry_id)
    accounts = dict(
        JournalLine.objects.filter(entry_id=cost.entry_id).values_list("ledger_account", "debit")
    )
    assert accounts == {"622700": Decimal("45.50"), "401000": Decimal("0.00")}
    entry = JournalEntry.objects.get(pk=cost.entry_id)
    assert (entry.piece_ref, entry.event) == (file.number, "litigation_cost")
    assert CollectionEvent.objects.filter(account=debtor, kind=EventKind.LITIGATION_COST).exists()


def test_coll1_costs_are_not_reinvoiced_to_a_consumer_without_court_order(debtor, collector):
    file = lit.litigation_open(debtor, actor=collector)
    lit.litigation_cost_add(file, "bailiff", Decimal("45.50"), collector)
    before = Invoice.objects.count()
    with pytest.raises(ApplicationError) as refused:
        booking.costs_reinvoice(file, collector)
    assert refused.value.code == "costs_not_rechargeable"
    assert "COLL-1" in str(refused.value.message)
    assert Invoice.objects.count() == before


def test_coll1_costs_reinvoiced_to_a_consumer_on_a_court_order(debtor, collector):
    file = lit.litigation_open(debtor, actor=collector)
    lit.litigation_cost_add(file, "bailiff", Decimal("45.50"), collector)
    lit.litigation_cost_add(file, "court_fee", Decimal("35.00"), collector)
    invoice = booking.costs_reinvoice(file, collector, court_order=True)
    assert invoice.kind == "fees"
    assert invoice.total_incl_vat == Decimal("80.50")
    assert invoice.total_vat == Decimal("0.00")
    assert set(file.costs.values_list("invoice_id", flat=True)) == {invoice.pk}
    assert OpenItem.objects.get(invoice=invoice).open_amount == Decimal("80.50")
    with pytest.raises(ValidationFailed):  # nothing left to re-invoice
        booking.costs_reinvoice(file, collector, court_order=True)


def test_coll1_costs_reinvoiced_to_a_professional(pro_debtor, collector):
    file = lit.litigation_open(pro_debtor, actor=collector)
    lit.litigation_cost_add(file, "lawyer", Decimal("120.00"), collector)
    invoice = booking.costs_reinvoice(file, collector)
    assert invoice.account_id == pro_debtor.pk
    assert invoice.total_incl_vat == Decimal("120.00")


def test_coll1_reinvoice_rule():
    assert booking.reinvoice_allowed("professional", court_order=False)
    assert booking.reinvoice_allowed("individual", court_order=True)
    assert not booking.reinvoice_allowed("individual", court_order=False)
    assert not booking.reinvoice_allowed("syndic", court_order=False)


# --- outcome -----------------------------------------------------------------------------------


def test_coll9_partial_recovery_is_a_payment_and_the_file_stays_open(debtor, collector):
    file = served(lit.litigation_open(debtor, actor=collector), collector)
    recovery = booking.recovery_book(file, "200.00", collector)
    payment = Payment.objects.get(pk=recovery.payment_id)
    assert (payment.amount, payment.means) == (Decimal("200.00"), "transfer")
    assert booking.still_owed(file) == Decimal("350.00")
    file.refresh_from_db()
    assert file.stage == LitigationStage.SERVED
    payment_entry = JournalEntry.objects.get(piece_ref=payment.number)
    assert balanced(payment_entry.pk)


def test_coll9_full_recovery_closes_the_file_as_paid(debtor, collector):
    file = served(lit.litigation_open(debtor, actor=collector), collector)
    booking.recovery_book(file, "200.00", collector)
    booking.recovery_book(file, "350.00", collector)
    file.refresh_from_db()
    assert file.stage == LitigationStage.PAID
    assert booking.recovered_total(file) == Decimal("550.00")
    assert not CollectionBlock.objects.filter(account=debtor, lifted_on__isnull=True).exists()
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.CLOSED
    with pytest.raises(InvalidTransition):
        booking.recovery_book(file, "1.00", collector)


def test_coll9_recovery_amount_is_checked(debtor, collector):
    file = lit.litigation_open(debtor, actor=collector)
    for bad in ("0", "-5", "1.234", "abc"):
        with pytest.raises(ValidationFailed):
            booking.recovery_book(file, bad, collector)
    assert not Payment.objects.exists()


def test_coll9_coll11_unenforceable_judgment_proposes_a_write_off(debtor, collector):
    file = served(lit.litigation_open(debtor, actor=collector), collector)
    booking.recovery_book(file, "100.00", collector)
    with pytest.raises(ValidationFailed):
        booking.unenforceable_record(file, collector, reason=" ")
    file = booking.unenforceable_record(
        file, collector, reason="Débiteur insolvable (PV de carence)"
    )
    assert file.stage == LitigationStage.ABANDONED
    request = file.write_off_request
    assert request.state == WriteOffState.REQUESTED
    assert request.total == Decimal("450.00")
    assert request.reason == "irrecoverable"
    assert file.number in request.note
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.WRITE_OFF
    assert CollectionEvent.objects.filter(account=debtor, kind=EventKind.LITIGATION_CLOSED).exists()
    assert WriteOffRequest.objects.count() == 1
