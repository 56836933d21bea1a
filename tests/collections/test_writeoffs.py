"""Write-offs (*admissions en non-valeur*, COLL-11) booked through the ledger (PAY-1, PAY-7)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from robinet.collections import writeoffs
from robinet.collections.choices import DebtStage, EventKind
from robinet.collections.models import (
    CollectionEvent,
    DebtCase,
    ProvisionSnapshot,
    WriteOffRequest,
    WriteOffState,
)
from robinet.collections.provisions import provision_run
from robinet.core.exceptions import ApplicationError, PermissionDenied
from robinet.ledger import reconciliation
from robinet.ledger.models import (
    Allocation,
    AllocationShare,
    JournalEntry,
    JournalLine,
    OpenItem,
    OpenItemKind,
)
from tests.collections import writeoff_fixtures
from tests.collections.conftest import TODAY
from tests.collections.writeoff_fixtures import debit_items

approver = writeoff_fixtures.approver
old_debtor = writeoff_fixtures.old_debtor

pytestmark = pytest.mark.django_db

D = Decimal


def _request(account, actor, items=None, reason="irrecoverable"):
    items = items if items is not None else [(i, None) for i in debit_items(account)]
    return writeoffs.write_off_request(actor=actor, account=account, items=items, reason=reason)


def _balanced(entry):
    totals = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    return D(totals["d"]).quantize(D("0.01")) == D(totals["c"]).quantize(D("0.01"))


def test_coll_11_request_then_approve_books_the_write_off(old_debtor, collector, approver):
    request = _request(old_debtor, collector)
    assert request.state == WriteOffState.REQUESTED
    assert request.total == D("200.00")
    assert CollectionEvent.objects.filter(kind=EventKind.WRITE_OFF_ASKED).count() == 1

    booked = writeoffs.write_off_approve(actor=approver, request=request, note="Carence")
    assert booked.state == WriteOffState.BOOKED
    assert booked.decided_by == approver
    assert booked.decided_on == TODAY
    # The items written off are closed by a write-off credit item (PAY-1).
    for item in debit_items(old_debtor):
        assert item.open_amount == 0
        assert item.cleared_on == TODAY
    credit = booked.credit_item
    assert credit.kind == OpenItemKind.WRITE_OFF
    assert credit.amount == D("-200.00")
    assert credit.open_amount == 0
    assert credit.document_number == booked.number
    assert Allocation.objects.filter(credit=credit).aggregate(t=Sum("amount"))["t"] == D("200.00")
    # Shares spread to the cent over the invoices' lines (PAY-1a).
    assert AllocationShare.objects.filter(allocation__credit=credit).aggregate(t=Sum("amount"))[
        "t"
    ] == D("200.00")
    # Balanced entry 654 / 411 (PAY-7).
    entry = booked.entry
    assert _balanced(entry)
    lines = {(line.ledger_account, line.debit, line.credit) for line in entry.lines.all()}
    assert lines == {("654000", D("200.00"), D("0")), ("411000", D("0"), D("200.00"))}
    assert DebtCase.objects.get(account=old_debtor).stage == DebtStage.WRITE_OFF
    assert CollectionEvent.objects.filter(kind=EventKind.WRITE_OFF).count() == 1


def test_coll_11_partial_write_off_leaves_the_rest_open(old_debtor, collector, approver):
    first, second = debit_items(old_debtor)
    request = _request(old_debtor, collector, items=[(first, D("20.00"))], reason="below_cost")
    writeoffs.write_off_approve(actor=approver, request=request)
    first.refresh_from_db()
    assert first.open_amount == D("100.00")
    assert first.cleared_on is None
    assert not DebtCase.objects.filter(account=old_debtor, stage=DebtStage.WRITE_OFF).exists()


def test_coll_11_four_eyes_the_requester_cannot_approve(old_debtor, make_user, org):
    from robinet.organisation.roles import Role

    both = make_user("both", Role.MANAGER, org.region)
    from robinet.organisation.services import role_grant

    role_grant(actor=None, user=both, role=Role.COLLECTION_OFFICER, entity=org.centres[0])
    request = _request(old_debtor, both)
    with pytest.raises(ApplicationError) as refused:
        writeoffs.write_off_approve(actor=both, request=request)
    assert refused.value.code == "four_eyes"
    with pytest.raises(ApplicationError):
        writeoffs.write_off_reject(actor=both, request=request, note="non")
    request.refresh_from_db()
    assert request.state == WriteOffState.REQUESTED
    assert not OpenItem.objects.filter(kind=OpenItemKind.WRITE_OFF).exists()
    assert not JournalEntry.objects.filter(event="write_off").exists()
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        WriteOffRequest.objects.filter(pk=request.pk).update(
            state=WriteOffState.REJECTED, decided_by=both, decided_on=TODAY
        )


def test_coll_11_a_collector_cannot_approve_and_nothing_is_written(
    old_debtor, collector, make_user, org
):
    from robinet.organisation.roles import Role

    other = make_user("autre", Role.COLLECTION_OFFICER, org.centres[0])
    request = _request(old_debtor, collector)
    entries = JournalEntry.objects.count()
    with pytest.raises(PermissionDenied):
        writeoffs.write_off_approve(actor=other, request=request)
    assert JournalEntry.objects.count() == entries
    assert not Allocation.objects.filter(credit__kind=OpenItemKind.WRITE_OFF).exists()


def test_coll_11_refused_requests_name_the_field_and_write_nothing(old_debtor, collector):
    first, _second = debit_items(old_debtor)
    for items, reason, field in (
        ([], "irrecoverable", "items"),
        ([(first, D("500.00"))], "irrecoverable", "items"),
        ([(first, D("-1"))], "irrecoverable", "items"),
        ([(first, None)], "whim", "reason"),
    ):
        with pytest.raises(ApplicationError) as refused:
            _request(old_debtor, collector, items=items, reason=reason)
        assert field in refused.value.fields
    assert not WriteOffRequest.objects.exists()
    assert not CollectionEvent.objects.exists()


def test_coll_11_an_item_in_a_pending_request_cannot_be_requested_again(old_debtor, collector):
    _request(old_debtor, collector)
    with pytest.raises(ApplicationError):
        _request(old_debtor, collector)
    assert WriteOffRequest.objects.count() == 1


def test_coll_11_reject_needs_a_note_and_books_nothing(old_debtor, collector, approver):
    request = _request(old_debtor, collector)
    with pytest.raises(ApplicationError):
        writeoffs.write_off_reject(actor=approver, request=request, note=" ")
    rejected = writeoffs.write_off_reject(actor=approver, request=request, note="Saisie possible")
    assert rejected.state == WriteOffState.REJECTED
    assert rejected.entry is None
    assert all(i.open_amount > 0 for i in debit_items(old_debtor))
    with pytest.raises(ApplicationError) as again:
        writeoffs.write_off_approve(actor=approver, request=request)
    assert again.value.code == "already_decided"


def test_coll_11_write_off_of_a_doubtful_provisioned_item_credits_416_and_reverses_provision(
    old_debtor, collector, approver
):
    run = provision_run(on=TODAY)
    old, recent = debit_items(old_debtor)
    snap = ProvisionSnapshot.objects.get(item=old)
    assert snap.doubtful == D("120.00")
    assert snap.provision == D("120.00")
    request = _request(old_debtor, collector, items=[(old, None)])
    booked = writeoffs.write_off_approve(actor=approver, request=request)
    lines = {(line.ledger_account, line.debit, line.credit) for line in booked.entry.lines.all()}
    assert lines == {("654000", D("120.00"), D("0")), ("416000", D("0"), D("120.00"))}
    reprise = JournalEntry.objects.get(piece_ref=booked.number, event="provision")
    assert _balanced(reprise)
    assert {(x.ledger_account, x.debit, x.credit) for x in reprise.lines.all()} == {
        ("491000", D("120.00"), D("0")),
        ("781700", D("0"), D("120.00")),
    }
    snap.refresh_from_db()
    assert snap.doubtful == 0
    assert snap.provision == 0
    # A later run posts nothing more for that item.
    again = provision_run(on=TODAY)
    assert again.decrease == 0
    assert again.doubtful_moved == 0
    assert run.pk != again.pk


def test_pay_7_every_entry_balanced_and_reconciliation_holds(old_debtor, collector, approver):
    provision_run(on=TODAY)
    request = _request(old_debtor, collector)
    writeoffs.write_off_approve(actor=approver, request=request)
    for entry in JournalEntry.objects.all():
        assert _balanced(entry), entry
    report = reconciliation.report(actor=None, on=TODAY, check_permission=False)
    assert report.balanced
    # 411 + 416 of the account are back to zero.
    totals = JournalLine.objects.filter(customer_account=old_debtor).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    assert D(totals["d"]) - D(totals["c"]) == 0


def test_pay_1a_write_off_shares_are_marked_written_off(old_debtor, collector, approver):
    from robinet.ledger.models import ShareSource

    booked = writeoffs.write_off_approve(actor=approver, request=_request(old_debtor, collector))
    sources = set(
        AllocationShare.objects.filter(allocation__credit=booked.credit_item).values_list(
            "source", flat=True
        )
    )
    assert sources == {ShareSource.WRITE_OFF}
