"""Concurrency (issue 13): two officers allocate the same unallocated amount at the same moment —
one books it, the other is told it is gone; one payment, never two (PAY-5)."""

import threading

import pytest
from django.db import connection

from robinet.core.exceptions import ApplicationError
from robinet.payments import bank_statements as service
from robinet.payments.models import EntryStatus, Payment, StatementEntry
from tests.payments.statement_setup import camt, credit

pytestmark = pytest.mark.django_db(transaction=True)


def test_pay5_two_officers_allocating_the_same_amount_book_it_once(billed, cashier):
    service.statement_import(
        actor=cashier, source=camt(credit("30.00", debtor_name="DUPONT")), filename="r.xml"
    )
    entry = StatementEntry.objects.get()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def officer():
        try:
            start.wait()
            service.entry_allocate(actor=cashier, entry=entry, account=billed)
            outcomes.append("booked")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=officer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "entry_not_unallocated"]
    entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED
    assert Payment.objects.filter(external_reference=entry.reference).count() == 1
