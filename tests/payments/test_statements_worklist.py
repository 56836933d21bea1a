"""PAY-5: the unallocated-amounts worklist — allocate, split, refund, transfer, ageing."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments import bank_statements as service
from robinet.payments import statement_selectors as selectors
from robinet.payments.models import EntryPayment, EntryStatus, Payment, StatementEntry
from tests.customers import factories as customer_factories
from tests.payments.statement_setup import camt, credit, invoices


@pytest.fixture
def waiting(billed, cashier):
    """Two unallocated credits: 30,00 € from « DUPONT », 12,00 € with nothing to go on."""
    service.statement_import(
        actor=cashier,
        source=camt(credit("30.00", debtor_name="DUPONT"), credit("12.00")),
        filename="releve.xml",
    )
    return list(StatementEntry.objects.order_by("line"))


@pytest.fixture
def other(org):
    return customer_factories.person(org.centres[0], name="MARTIN", first_name="Claire")


def test_pay5_unmatched_credits_wait_in_the_worklist(waiting, cashier):
    assert [e.status for e in waiting] == [EntryStatus.UNALLOCATED] * 2
    assert list(selectors.worklist(user=cashier)) == waiting
    assert not Payment.objects.exists()


def test_pay5_allocating_books_the_payment_on_the_chosen_invoice(waiting, billed, cashier):
    _first, second = invoices(billed)
    (payment_id,) = service.entry_allocate(
        actor=cashier, entry=waiting[0], account=billed, invoice=second
    )
    payment = Payment.objects.get(pk=payment_id)
    assert payment.amount == Decimal("30.00")
    assert payment.invoice_id == second.pk
    assert payment.external_reference == waiting[0].reference
    waiting[0].refresh_from_db()
    assert waiting[0].status == EntryStatus.BOOKED
    assert waiting[0].account == billed
    assert waiting[0].handled_by == cashier
    item = OpenItem.objects.get(invoice=second)
    assert item.open_amount == second.total_incl_vat - Decimal("30.00")
    assert list(selectors.worklist(user=cashier)) == [waiting[1]]


def test_pay5_split_books_one_payment_per_account(waiting, billed, other, cashier):
    ids = service.entry_split(
        actor=cashier,
        entry=waiting[0],
        parts=[(billed, Decimal("20.00")), (other, Decimal("10.00"))],
    )
    payments = list(Payment.objects.filter(pk__in=ids).order_by("pk"))
    assert [(p.account_id, p.amount) for p in payments] == [
        (billed.pk, Decimal("20.00")),
        (other.pk, Decimal("10.00")),
    ]
    assert [p.external_reference for p in payments] == [
        f"{waiting[0].reference}#1",
        f"{waiting[0].reference}#2",
    ]
    assert EntryPayment.objects.filter(entry=waiting[0]).count() == 2


def test_pay5_split_amounts_must_add_up_to_the_credit(waiting, billed, other, cashier):
    with pytest.raises(ValidationFailed) as error:
        service.entry_split(
            actor=cashier,
            entry=waiting[0],
            parts=[(billed, Decimal("20.00")), (other, Decimal("5.00"))],
        )
    assert "parts" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        service.entry_split(
            actor=cashier, entry=waiting[0], parts=[(billed, Decimal("-1")), (other, Decimal("31"))]
        )
    assert "parts.0" in error.value.fields
    assert not Payment.objects.exists()


def test_pay5_an_entry_is_allocated_once(waiting, billed, cashier):
    service.entry_allocate(actor=cashier, entry=waiting[1], account=billed)
    stale = StatementEntry.objects.get(pk=waiting[1].pk)
    stale.status = EntryStatus.UNALLOCATED  # a screen opened before the allocation
    with pytest.raises(ApplicationError) as error:
        service.entry_allocate(actor=cashier, entry=stale, account=billed)
    assert error.value.code == "entry_not_unallocated"
    assert Payment.objects.count() == 1


def test_pay5_refund_and_transfer_need_a_reason_and_leave_the_worklist(waiting, cashier):
    with pytest.raises(ValidationFailed) as error:
        service.entry_mark_refund(actor=cashier, entry=waiting[0], reason="  ")
    assert "reason" in error.value.fields
    service.entry_mark_refund(actor=cashier, entry=waiting[0], reason="Virement en double")
    service.entry_transfer(actor=cashier, entry=waiting[1], reason="Subvention, budget général")
    statuses = dict(StatementEntry.objects.values_list("pk", "status"))
    assert statuses == {
        waiting[0].pk: EntryStatus.REFUNDED,
        waiting[1].pk: EntryStatus.TRANSFERRED,
    }
    assert not selectors.worklist(user=cashier).exists()
    assert not Payment.objects.exists()


def test_pay5_worklist_actions_need_the_allocation_permission(waiting, billed, org, make_user):
    viewer = make_user("lecteur", Role.CUSTOMER_OFFICER, org.centres[0])
    with pytest.raises(PermissionDenied):
        service.entry_allocate(actor=viewer, entry=waiting[0], account=billed)
    with pytest.raises(PermissionDenied):
        service.entry_transfer(actor=viewer, entry=waiting[0], reason="x")
    assert StatementEntry.objects.filter(status=EntryStatus.UNALLOCATED).count() == 2


def test_pay5_ageing_of_the_worklist_by_value_date(waiting, cashier, today):
    StatementEntry.objects.filter(pk=waiting[1].pk).update(value_date=today - dt.timedelta(days=45))
    rows = selectors.worklist_ageing(user=cashier, today=today)
    # the statement's credits are valued on 12/02, three days before today (15/02)
    assert [(r.count, r.total) for r in rows] == [
        (1, Decimal("30.00")),
        (0, Decimal("0.00")),
        (1, Decimal("12.00")),
        (0, Decimal("0.00")),
    ]
