"""Booking a bank statement's matched credits as a chunked run (PAY-5).

A statement of 100,000 credits is stored whole by its import
(:func:`robinet.payments.bank_statements.statement_import`, one transaction:
the statement, every entry with its match decision, the suspense postings of
the unmatched credits), then posted by a mass run, as SAP FI-CA posts a
payment lot: the run ``payments.statement_booking`` (a ``core.BatchRun``)
targets the statement's entries still ``matched`` (*à comptabiliser*) and
each chunk, one transaction, stages their transfer payments
(:func:`~robinet.payments.booking.stage_payments`), links them to the entries
(:class:`~robinet.payments.models.EntryPayment`), turns the entries
``booked`` and only then numbers and writes the payments, so that chunks
take turns on the gapless counters for their last statements only. Any
number of ``robinet worker`` processes share the chunks
(:mod:`robinet.core.distributed`) side by side: the import numbers the
matched entries by account, so chunks lock different accounts. A crashed or failed run is resumed with
``run_resume`` and books only what is left: an entry that is no longer
``matched`` when its chunk runs (a replay) is skipped, so no credit is booked
twice and none is lost.

A chunk books its entries together; if that fails, it books them one by one
(a savepoint each), and an entry that still cannot be booked goes, in the
chunk's transaction, to the unallocated worklist on suspense with the reason
(« Comptabilisation impossible : … »), as a credit the import could not match
(:func:`~robinet.payments.bank_statements.entries_to_worklist`): its neighbours
are booked, and every euro is either on its account or in the worklist. Only
an error of the connection itself (or a deadlock) fails the chunk, to be
resumed.

The payment is the one the one-shot import booked: the account and invoice
the matching rule chose at import (stored on the entry), the account's centre,
received on the value date (or the run date, the import's day, if later), the
payer's name as payer reference and the bank's reference as external
reference. Permissions are checked at import, not by the run.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.core.bulk import in_ids, insert_rows, keys_checked_once
from robinet.core.exceptions import ApplicationError, InvalidTransition
from robinet.core.models import BatchRun
from robinet.core.models.runs import RunState
from robinet.core.runs import (
    CHUNK_FATAL,
    ChunkResult,
    register_run_kind,
    run_approve,
    run_can_be_resumed,
    run_create,
    run_propose,
    run_resume,
)
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import bank_statements
from robinet.payments.booking import IncomingPayment, stage_payments
from robinet.payments.models import EntryPayment, EntryStatus, PaymentMeans, StatementEntry

logger = logging.getLogger(__name__)

KIND = "payments.statement_booking"
# One transaction per chunk: 2,500 credits hold their accounts' rows for under a second, and
# book a statement a fifth faster than chunks of 1,000 (each chunk's statements and key
# checks cost the same whatever its size; docs/performance.md, "Statement matching").
CHUNK_SIZE = 2500
ZERO = Decimal("0.00")


def _targets(run: BatchRun):
    # The import numbers a statement's matched entries by account (``bank_statements``):
    # an account's credits fall in one chunk, and chunks on several processes lock
    # disjoint accounts' open items instead of waiting for each other's commit.
    return (
        StatementEntry.objects.filter(
            statement_id__in=run.parameters["statements"], status=EntryStatus.MATCHED
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator()
    )


ENTRY_FIELDS = (
    "pk", "status", "account_id", "invoice_id", "amount", "value_date", "debtor_name",
    "remittance", "reference",
)  # fmt: skip


def _process_chunk(run: BatchRun, ids: list[int]) -> ChunkResult:
    """Book the chunk's entries still to book, in the chunk's transaction (locked rows).

    All of them at once; should that fail, one by one, each in its own savepoint, so that
    one credit that cannot be booked (its data is wrong) does not hold the others back: it
    goes to the unallocated worklist with the reason, on suspense, and is reported skipped
    (``booking_failed``)."""
    result = ChunkResult()
    rows = _locked_entries(ids)
    found = {row[0] for row in rows}
    for missing in sorted(set(ids) - found):
        result.skip(missing, _("Opération introuvable."), "entry_missing")
    to_book = []
    for row in rows:
        if row[1] != EntryStatus.MATCHED:
            result.skip(row[0], _("Déjà traitée (%(s)s).") % {"s": row[1]}, "entry_not_to_book")
        else:
            to_book.append(row)
    if not to_book:
        return result
    centres = _centres({row[2] for row in to_book})
    try:
        with transaction.atomic():
            _book(run, to_book, centres)
        return result
    except CHUNK_FATAL:  # the whole chunk fails and is resumed; nothing to the worklist
        raise
    except Exception:
        logger.exception("statement booking run %s: chunk failed, booking one by one", run.pk)
    not_booked = []
    for row in to_book:
        try:
            with transaction.atomic():
                _book(run, [row], centres)
        except CHUNK_FATAL:
            raise
        except Exception as exc:
            logger.exception("statement booking run %s: entry %s not booked", run.pk, row[0])
            error = (
                exc.message if isinstance(exc, ApplicationError) else f"{type(exc).__name__}: {exc}"
            )
            reason = _("Comptabilisation impossible : %(error)s") % {"error": error}
            not_booked.append(
                bank_statements.NotBooked(
                    entry_id=row[0],
                    reference=row[8],
                    amount=row[4],
                    value_date=row[5],
                    reason=reason,
                )
            )
            result.skip(row[0], reason, "booking_failed")
    # Still in the chunk's transaction: the credit is on suspense when its chunk is done.
    bank_statements.entries_to_worklist(
        entries=not_booked, today=run.run_date, actor=run.created_by
    )
    return result


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _locked_entries(ids: list[int]) -> list[tuple]:
    """The chunk's entries (``ENTRY_FIELDS``), locked: the list of ids is one array parameter
    on PostgreSQL (a statement of 2,500 placeholders costs more to build than to run)."""
    where, params = in_ids(f"{_table(StatementEntry)}.id", ids)
    return list(
        StatementEntry.objects.select_for_update()
        .extra(where=[where], params=params)  # noqa: S610 - ids, as parameters
        .order_by("pk")
        .values_list(*ENTRY_FIELDS)
    )


def _centres(account_ids: set[int]) -> dict[int, int]:
    where, params = in_ids("id", sorted(account_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, centre_id FROM {_table(CustomerAccount)} WHERE {where}", params)
        return dict(cursor.fetchall())


def _book(run: BatchRun, to_book: list[tuple], centres: dict[int, int]) -> None:
    """Book ``to_book`` (rows of ``ENTRY_FIELDS``) as transfer payments, link and mark them."""
    for row in to_book:
        if row[2] not in centres:
            raise ApplicationError(
                _("compte client n° %(id)s introuvable.") % {"id": row[2]},
                code="statement_entry_account_missing",
            )
    incoming = [
        IncomingPayment(
            account_id=account_id,
            centre_id=centres[account_id],
            account_centre_id=centres[account_id],
            means=PaymentMeans.TRANSFER.value,
            amount=amount,
            received_on=min(value_date, run.run_date),
            invoice_id=invoice_id,
            payer_reference=(debtor_name or remittance)[:140],
            external_reference=reference,
        )
        for _pk, _s, account_id, invoice_id, amount, value_date, debtor_name, remittance, reference
        in to_book
    ]  # fmt: skip
    with keys_checked_once():  # the accounts, invoices and payments looked up once
        staged = stage_payments(incoming, actor=run.created_by)
        # Everything that needs no number first: the payments are numbered last (see
        # ``stage_payments``). COPY on PostgreSQL: bulk_create's field preparation cost more
        # than the write itself.
        insert_rows(
            EntryPayment,
            ("entry_id", "payment_id", "amount"),
            ((row[0], pid, row[4]) for row, pid in zip(to_book, staged.ids, strict=True)),
            written_later="payment_id",
        )
        where, params = in_ids("id", [row[0] for row in to_book])
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_table(StatementEntry)} SET status = %s WHERE {where}",
                [EntryStatus.BOOKED.value, *params],
            )
        staged.write()


def register() -> None:
    register_run_kind(
        KIND,
        targets=_targets,
        process_chunk=_process_chunk,
        label="Comptabilisation de relevé",
        replace=True,
    )


def booking_create(*, import_file_id: int, statement_ids: list[int], run_date, actor=None,
                   chunk_size: int | None = None) -> BatchRun:  # fmt: skip
    """Plan and approve the booking of the statements' matched entries (execute it next).

    Called by the import, inside its transaction: the plan is committed with the entries.
    """
    run = run_create(
        kind=KIND,
        run_date=run_date,
        parameters={"import_file": import_file_id, "statements": list(statement_ids)},
        chunk_size=chunk_size or CHUNK_SIZE,
        actor=actor,
    )
    run_propose(run=run, actor=actor)
    run_approve(run=run, actor=actor)
    return run


def booking_runs(*, import_file_id: int) -> QuerySet[BatchRun]:
    """The booking runs of an imported file, the latest first (there is one)."""
    return BatchRun.objects.filter(kind=KIND, parameters__import_file=import_file_id).order_by(
        "-created_at", "-pk"
    )


def booking_resume(*, actor, run: BatchRun, executor=None, wait: bool = False,
                   check_permission: bool = True, running: bool = False) -> BatchRun:  # fmt: skip
    """« Reprendre » a failed or stalled booking run (PAYMENT_IMPORT): only its chunks not
    done are processed, and in them only the entries still to book. ``running``: also a
    run still running that is not stalled yet (the operator knows its process died; were
    it alive, the chunk locks would make them take turns, and nothing is booked twice)."""
    if check_permission:
        require(actor, Perm.PAYMENT_IMPORT)
    resumable = run_can_be_resumed(run) or (running and run.state == RunState.RUNNING)
    if run.kind != KIND or not resumable:
        raise InvalidTransition(
            _("Seule une comptabilisation de relevé en échec ou interrompue peut être reprise.")
        )
    return run_resume(
        run=run, actor=actor if getattr(actor, "pk", None) else None, executor=executor, wait=wait
    )


def booking_totals(statement_ids: list[int]) -> dict[str, tuple[int, Decimal]]:
    """(count, total) of the statements' entries booked by their run, still to book, and the
    others. The run books without a handler; an officer's allocation records one."""
    by_run = Q(handled_at__isnull=True)
    booked, to_book = Q(status=EntryStatus.BOOKED) & by_run, Q(status=EntryStatus.MATCHED)
    sums = StatementEntry.objects.filter(statement_id__in=statement_ids).aggregate(
        booked_n=Count("pk", filter=booked),
        booked_t=Sum("amount", filter=booked),
        to_book_n=Count("pk", filter=to_book),
        to_book_t=Sum("amount", filter=to_book),
        all_n=Count("pk"),
        all_t=Sum("amount"),
    )
    values = {k: v if v is not None else ZERO for k, v in sums.items()}
    return {
        "booked": (values["booked_n"], values["booked_t"]),
        "to_book": (values["to_book_n"], values["to_book_t"]),
        "other": (
            values["all_n"] - values["booked_n"] - values["to_book_n"],
            values["all_t"] - values["booked_t"] - values["to_book_t"],
        ),
    }
