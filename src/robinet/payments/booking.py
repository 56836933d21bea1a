"""Booking payments in bulk (PAY-1, PAY-1a, PAY-7): the one write path of every payment.

A batch of incoming payments is booked in a few statements, whatever their
number: the open debits of the accounts concerned are locked and read once,
each payment is allocated by the pure PAY-1 rule and spread over the invoice
lines by the PAY-1a rule, then payments, their credit items, allocations,
shares and journal entries are written with COPY on PostgreSQL, and the
cleared debits updated in one statement. :func:`~robinet.payments.services.payment_record`
books one payment through the same path; imports and statements book
thousands.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from robinet.core import clock
from robinet.core.bulk import (
    allocate_ids,
    array_parameter,
    collector_paused,
    in_ids,
    insert_rows,
    keys_checked_once,
)
from robinet.core.numbering import format_number, next_numbers
from robinet.ledger import posting
from robinet.ledger.models import (
    Allocation,
    AllocationShare,
    OpenItem,
    OpenItemKind,
    ShareSource,
)
from robinet.ledger.services import (
    FEE_KINDS,
    category_order,
    invoice_parts,
    share_amounts,
    spread_order,
)
from robinet.payments.allocation import Debit
from robinet.payments.allocation import allocate as allocation_rule
from robinet.payments.models import Payment, PaymentMeans

PAYMENT_SERIES = "ENC"
NUMBER_WIDTH = 7
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class IncomingPayment:
    account_id: int
    centre_id: int  # where it was received
    account_centre_id: int  # the account's centre (where the entry is posted)
    means: str
    amount: Decimal
    received_on: dt.date
    invoice_id: int | None = None
    payer_reference: str = ""
    external_reference: str = ""
    cheque_number: str = ""
    cheque_bank: str = ""
    drawer: str = ""
    #: already in the bank, on the suspense account (471) since its statement's import
    from_suspense: bool = False


PAYMENT_COLUMNS = (
    "id", "number", "account_id", "centre_id", "means", "amount", "received_on", "invoice_id",
    "payer_reference", "external_reference", "cheque_number", "cheque_bank", "drawer",
    "created_at", "created_by_id",
)  # fmt: skip
ITEM_COLUMNS = (
    "id", "account_id", "kind", "payment_id", "document_number", "label", "posted_on",
    "due_date", "amount", "open_amount", "cleared_on",
)  # fmt: skip
ALLOCATION_COLUMNS = (
    "id", "account_id", "debit_id", "credit_id", "amount", "allocated_on", "manual", "reason",
    "created_at", "created_by_id",
)  # fmt: skip
SHARE_COLUMNS = (
    "allocation_id", "invoice_id", "source", "beneficiary", "service", "on", "amount",
)  # fmt: skip


def _open_debits(account_ids: list[int]) -> dict[int, list[list]]:
    """Open debits per account, locked: [item id, invoice id, due date, open amount, category,
    whether anything was allocated to it before]."""
    quote = connection.ops.quote_name
    accounts, params = in_ids("o.account_id", account_ids)
    lock = " FOR UPDATE OF o" if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT o.id, o.account_id, o.invoice_id, o.due_date, o.open_amount, i.kind, "
        f"o.open_amount <> o.amount "
        f"FROM {quote(OpenItem._meta.db_table)} o "
        f"LEFT JOIN billing_invoice i ON i.id = o.invoice_id "
        f"WHERE {accounts} AND o.cleared_on IS NULL AND o.open_amount > 0 "
        # Rows locked in one order by every booking: two transactions paying overlapping
        # accounts wait for each other instead of deadlocking.
        f"ORDER BY o.id{lock}"
    )
    debits: dict[int, list[list]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for item_id, account_id, invoice_id, due, open_amount, kind, allocated in cursor.fetchall():
            if isinstance(due, str):
                due = dt.date.fromisoformat(due)
            if not isinstance(open_amount, Decimal):  # SQLite stores decimals as REAL
                open_amount = Decimal(str(open_amount)).quantize(CENT)
            debits[account_id].append(
                [item_id, invoice_id, due, open_amount,
                 "fee" if kind in FEE_KINDS else "principal", bool(allocated)]
            )  # fmt: skip
    return debits


def _cleared_as_of_last_allocation(changes: dict[int, tuple[Decimal, dt.date | None]]) -> None:
    """A debit cleared by the batch is cleared as of its latest allocation, the batch's
    (written already) or an earlier one dated later (``clearing_dates_settle``)."""
    cleared = [item_id for item_id, (_open, on) in changes.items() if on is not None]
    if not cleared:
        return
    table = connection.ops.quote_name(Allocation._meta.db_table)
    where, params = in_ids("debit_id", cleared)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT debit_id, MAX(allocated_on) FROM {table} WHERE {where} GROUP BY debit_id",
            params,
        )
        for item_id, latest in cursor.fetchall():
            if isinstance(latest, str):  # SQLite
                latest = dt.date.fromisoformat(latest)
            changes[item_id] = (changes[item_id][0], latest)


def _update_debits(changes: dict[int, tuple[Decimal, dt.date | None]]) -> None:
    if not changes:
        return
    table = connection.ops.quote_name(OpenItem._meta.db_table)
    ids = list(changes)
    opens = [changes[i][0] for i in ids]
    cleared = [changes[i][1] for i in ids]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} o SET open_amount = v.open_amount, cleared_on = v.cleared_on "
                f"FROM unnest(%s::bigint[], %s::numeric[], %s::date[]) "
                f"AS v(id, open_amount, cleared_on) WHERE o.id = v.id",
                [array_parameter(ids), array_parameter(opens), array_parameter(cleared)],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET open_amount = %s, cleared_on = %s WHERE id = %s",
                [(str(o), c, i) for i, o, c in zip(ids, opens, cleared, strict=True)],
            )


@collector_paused()
def book_payments(
    payments: Sequence[IncomingPayment], *, actor=None, allocate: bool = True
) -> list[int]:
    """Book ``payments`` in the caller's transaction; returns the new payment ids (same order).

    The caller has validated them (amounts positive and rounded, means known).
    """
    with keys_checked_once():  # the accounts, invoices and payments looked up once
        return stage_payments(payments, actor=actor, allocate=allocate).write()


@dataclass
class StagedPayments:
    """Payments allocated and spread, their allocations, shares and journal lines written,
    waiting for their numbers (:func:`stage_payments`)."""

    payments: Sequence[IncomingPayment]
    ids: list[int]  # the payments' ids, known before they are written
    item_ids: list[int]
    credit_open: list[Decimal]
    actor_id: int | None
    now: dt.datetime
    entries: posting.GatheredEntries | None = None

    @collector_paused()
    def write(self) -> list[int]:
        """Number the payments and their entries, write the payments and their credit
        items; returns the payments' ids. The payment and journal counters are held from
        here to the commit."""
        payments = self.payments
        if not payments:
            return []
        numbers: list[str] = [""] * len(payments)
        by_year: dict[int, list[int]] = defaultdict(list)
        for index, p in enumerate(payments):
            by_year[p.received_on.year].append(index)
        for year, indexes in sorted(by_year.items()):
            taken = next_numbers(PAYMENT_SERIES, len(indexes), year)
            for index, n in zip(indexes, taken, strict=True):
                numbers[index] = format_number(PAYMENT_SERIES, year, n, width=NUMBER_WIDTH)
        means_labels = {m.value: str(m.label) for m in PaymentMeans}
        ids, item_ids, credit_open, now = self.ids, self.item_ids, self.credit_open, self.now
        insert_rows(
            Payment,
            PAYMENT_COLUMNS,
            (
                (
                    ids[i], numbers[i], p.account_id, p.centre_id, p.means, p.amount,
                    p.received_on, p.invoice_id, p.payer_reference, p.external_reference,
                    p.cheque_number, p.cheque_bank, p.drawer, now, self.actor_id,
                )
                for i, p in enumerate(payments)
            ),
        )  # fmt: skip
        insert_rows(
            OpenItem,
            ITEM_COLUMNS,
            (
                (
                    item_ids[i], p.account_id, OpenItemKind.PAYMENT.value, ids[i], numbers[i],
                    means_labels[p.means], p.received_on, p.received_on, -p.amount,
                    credit_open[i], p.received_on if credit_open[i] == 0 else None,
                )
                for i, p in enumerate(payments)
            ),
        )  # fmt: skip
        if self.entries is not None:
            self.entries.write(numbers)
        return ids


@collector_paused()
def stage_payments(
    payments: Sequence[IncomingPayment], *, actor=None, allocate: bool = True
) -> StagedPayments:
    """Do all of :func:`book_payments` that needs no number, in the caller's transaction:
    allocate, spread, write the allocations, shares, cleared debits and journal lines.
    :meth:`StagedPayments.write` numbers and writes the rest, last, so that the gapless
    counters are held only from then to the commit: chunks of a run on several
    processes take turns on them for that end only. ``ids`` are the payments' ids
    already (a caller writes its rows that refer to them in between)."""
    now = clock.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    if not payments:
        return StagedPayments(payments, [], [], [], actor_id, now)
    payment_ids = list(allocate_ids(Payment, len(payments)))
    item_ids = list(allocate_ids(OpenItem, len(payments)))

    debits = _open_debits(sorted({p.account_id for p in payments})) if allocate else {}
    order = category_order()
    # (debit item id, invoice id, credit index, amount, on)
    pairs: list[tuple[int, int | None, int, Decimal, dt.date]] = []
    credit_open: list[Decimal] = []
    changed: dict[int, tuple[Decimal, dt.date | None]] = {}
    for index, p in enumerate(payments):
        account_debits = debits.get(p.account_id, [])
        left = p.amount
        if account_debits:
            rule_input = [Debit(d[0], d[2], d[3], d[1], d[4]) for d in account_debits if d[3] > 0]
            by_id = {d[0]: d for d in account_debits}
            for debit_id, amount in allocation_rule(
                p.amount, rule_input, invoice_id=p.invoice_id, category_order=order
            ):
                debit = by_id[debit_id]
                debit[3] -= amount
                left -= amount
                pairs.append((debit_id, debit[1], index, amount, p.received_on))
                changed[debit_id] = (debit[3], p.received_on if debit[3] == 0 else None)
        credit_open.append(-left)

    staged = StagedPayments(payments, payment_ids, item_ids, credit_open, actor_id, now)
    if pairs:
        allocation_ids = list(allocate_ids(Allocation, len(pairs)))
        # The credit items are written with their numbers, last (their keys are checked at
        # the commit: open items are not append-only).
        insert_rows(
            Allocation,
            ALLOCATION_COLUMNS,
            (
                (
                    allocation_ids[k], payments[index].account_id, debit_id, item_ids[index],
                    amount, on, False, "", now, actor_id,
                )
                for k, (debit_id, _invoice, index, amount, on) in enumerate(pairs)
            ),
            written_later="credit_id",
        )  # fmt: skip
        invoice_ids = [invoice for _d, invoice, _i, _a, _o in pairs if invoice]
        # An invoice whose open item is whole has no shares yet (or only some that its
        # un-allocations cancelled): its parts are what was billed.
        shared = {
            d[1] for account_debits in debits.values() for d in account_debits if d[5] and d[1]
        }
        parts = invoice_parts(invoice_ids, shared=shared)
        # An invoice allocated once in the batch is spread once: what its parts keep
        # after it need not be worked out.
        again = {invoice for invoice, count in Counter(invoice_ids).items() if count > 1}
        spread_mode = spread_order()
        payment_source = ShareSource.PAYMENT.value
        shares = []
        for allocation_id, (_debit, invoice_id, _index, amount, on) in zip(
            allocation_ids, pairs, strict=True
        ):
            if invoice_id is None or not parts.get(invoice_id):
                continue
            spread_shares = share_amounts(
                parts, invoice_id, amount, order=spread_mode, spread_again=invoice_id in again
            )
            shares.extend(
                (allocation_id, invoice_id, payment_source, beneficiary, service, on, share)
                for (beneficiary, service), share in spread_shares.items()
            )
        insert_rows(AllocationShare, SHARE_COLUMNS, shares)
        _cleared_as_of_last_allocation(changed)
        _update_debits(changed)
    # One entry per journal, day, centre and means; a line per payment (decision 0014).
    staged.entries = posting.stage_payment_batch(
        [
            (p.account_id, p.account_centre_id, p.means, p.amount, p.received_on, p.from_suspense)
            for p in payments
        ]
    )
    return staged
