"""Bank statement import, matching and the unallocated-amounts worklist (PAY-5).

* :func:`statement_import` — a camt.053, CFONB 120 or MT940 file is parsed and
  validated whole (:mod:`robinet.payments.camt`, :mod:`robinet.payments.cfonb`,
  :mod:`robinet.payments.mt940`);
  the same file (SHA-256), the same statement (account IBAN + statement id) or
  an entry already imported is refused; then every credit is matched by the pure
  rule of :mod:`robinet.payments.matching` and, in one transaction, the
  statement and all its entries are stored with their match decision, the
  unmatched credits posted to suspense and the booking run of the matched ones
  planned. The run (:mod:`robinet.payments.statement_booking`, chunked, on the
  run workers when a broker is configured) then books them as transfer
  payments through :func:`~robinet.payments.booking.book_payments` (external
  reference = the entry's bank reference); the import waits for it by
  default. The unmatched credits wait in the worklist (*montants en instance
  d'affectation*) with ranked suggestions.
* worklist actions, each on a locked entry still unallocated:
  :func:`entry_allocate` (one account, books the payment), :func:`entry_split`
  (several accounts, amounts adding up to the credit), :func:`entry_mark_refund`
  and :func:`entry_transfer` (a reason is required).

Accounting (PAY-7): a matched credit posts bank (512) / customers (411) through
the payment's booking. A credit left unallocated posts bank (512) / suspense
(471) at import, under the organisation's top entity (the bank account is the
utility's, not a centre's); its allocation later posts suspense (471) /
customers (411) under the account's centre, its refund suspense / bank, its
transfer suspense / other third parties (4678). A matched credit its run cannot
book goes to the worklist the same way, posted bank / suspense by the run
(:func:`entries_to_worklist`). So the suspense account's
balance is the worklist's total and the customers' reconciliation holds
whatever waits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils.translation import gettext as _

from robinet.billing.models import Invoice
from robinet.core import audit, clock, imports
from robinet.core.bulk import allocate_ids, collector_paused, in_ids, insert_rows
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.core.models.imports import ImportFile
from robinet.core.money import is_rounded
from robinet.core.runs import run_execute
from robinet.customers.models import CustomerAccount
from robinet.ledger import posting
from robinet.ledger.models import OpenItem
from robinet.organisation.access import require
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm
from robinet.payments import camt, cfonb, mt940, statement_booking
from robinet.payments import matching as rule
from robinet.payments.booking import IncomingPayment, book_payments
from robinet.payments.models import (
    BankStatement,
    EntryPayment,
    EntryStatus,
    PaymentMeans,
    StatementEntry,
)
from robinet.payments.statement_files import ParsedStatement

IMPORT_KIND = "bank_statement"
PARSERS = {camt.FORMAT: camt.parse, cfonb.FORMAT: cfonb.parse, mt940.FORMAT: mt940.parse}
DETECTORS = (
    (camt.FORMAT, camt.detect),
    (cfonb.FORMAT, cfonb.detect),
    (mt940.FORMAT, mt940.detect),
)


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did. ``booked`` are the credits its booking run has booked (all the
    matched ones once the run is done), ``to_book`` the matched credits it has not booked
    yet (the run still running on the workers, or failed and to be resumed),
    ``unallocated`` the credits left to the worklist."""

    statements: list[BankStatement]
    booked: int
    unallocated: int
    booked_total: Decimal
    unallocated_total: Decimal
    to_book: int = 0
    to_book_total: Decimal = Decimal("0.00")
    #: the booking run (``payments.statement_booking``); None when nothing matched
    run_id: int | None = None
    run_state: str = ""

    @property
    def matched(self) -> int:
        return self.booked + self.to_book

    def as_dict(self) -> dict:
        return {
            "statements": [s.pk for s in self.statements],
            "booked": self.booked,
            "unallocated": self.unallocated,
            "booked_total": str(self.booked_total),
            "unallocated_total": str(self.unallocated_total),
            "to_book": self.to_book,
            "to_book_total": str(self.to_book_total),
            "run": self.run_id,
            "run_state": self.run_state,
        }


def detect_format(data: bytes) -> str | None:
    for name, detect in DETECTORS:
        if detect(data):
            return name
    return None


def parse_statement_file(data: bytes, *, format: str | None = None) -> list[ParsedStatement]:
    """The statements of a file (format detected unless given); raises ``InvalidImportFile``
    or ``ApplicationError`` (unknown format). Writes nothing."""
    name = format or detect_format(data)
    if name not in PARSERS:
        raise ApplicationError(
            _("Format de relevé non reconnu : camt.053 (XML), CFONB 120 ou MT940 attendu."),
            code="statement_format_unknown",
            http_status=422,
        )
    statements = PARSERS[name](data)
    errors = imports.ImportErrors()
    seen: dict[str, int] = {}
    for statement in statements:
        for credit in statement.credits:
            if credit.reference in seen:
                errors.add(
                    credit.line,
                    "reference",
                    _("opération « %(r)s » en double (déjà ligne %(l)s).")
                    % {"r": credit.reference, "l": seen[credit.reference]},
                )
            seen[credit.reference] = credit.line
    errors.raise_if_any()
    return statements


# --- gathering what the matching rule needs, set-based ----------------------------------------
#
# Raw SQL, each look-up one statement whatever the number of credits: a list of values is one
# array parameter on PostgreSQL (``= ANY(%s)``, :func:`~robinet.core.bulk.in_ids`), so a
# statement of 100,000 references costs no more to build than to run; the name candidates
# are one join of the (amount, word) pairs of the credits with the open items and their
# accounts' search text.

CENT = Decimal("0.01")
NAME_PAIRS_CHUNK = 5000  # SQLite: (amount, word) pairs per statement (two parameters each)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _rows(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _money(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value or 0)).quantize(CENT)  # SQLite returns decimals as numbers


def _account_infos(account_ids: set[int]) -> dict[int, rule.AccountInfo]:
    if not account_ids:
        return {}
    ids = sorted(account_ids)
    debits: dict[int, list[rule.OpenDebit]] = defaultdict(list)
    where, params = in_ids("o.account_id", ids)
    for account_id, invoice_id, number, open_amount in _rows(
        f"SELECT o.account_id, o.invoice_id, o.document_number, o.open_amount "
        f"FROM {_table(OpenItem)} o "
        f"WHERE {where} AND o.cleared_on IS NULL AND o.open_amount > 0 "
        f"ORDER BY o.due_date, o.id",
        params,
    ):
        debits[account_id].append(rule.OpenDebit(invoice_id, number, _money(open_amount)))
    party = CustomerAccount._meta.get_field("party").related_model
    where, params = in_ids("a.id", ids)
    infos = {}
    for account_id, number, first_name, name in _rows(
        f"SELECT a.id, a.number, p.first_name, p.name FROM {_table(CustomerAccount)} a "
        f"JOIN {_table(party)} p ON p.id = a.party_id WHERE {where}",
        params,
    ):
        infos[account_id] = rule.AccountInfo(
            account_id, number, f"{first_name or ''} {name or ''}".strip(),
            tuple(debits[account_id]),
        )  # fmt: skip
    return infos


def _context(credits: Sequence[rule.Credit]) -> rule.Context:
    invoice_numbers: set[str] = set()
    account_numbers: set[str] = set()
    for credit in credits:
        found_invoices, found_accounts = rule.references(credit.remittance, credit.end_to_end_id)
        invoice_numbers.update(found_invoices)
        account_numbers.update(found_accounts)
    invoices = {}
    if invoice_numbers:
        where, params = in_ids("i.number", sorted(invoice_numbers))
        for pk, number, account_id, open_amount in _rows(
            f"SELECT i.id, i.number, i.account_id, o.open_amount FROM {_table(Invoice)} i "
            f"LEFT JOIN {_table(OpenItem)} o ON o.invoice_id = i.id WHERE {where}",
            params,
        ):
            invoices[number] = rule.InvoiceRef(pk, number, account_id, _money(open_amount))
    accounts = {}
    if account_numbers:
        where, params = in_ids("number", sorted(account_numbers))
        accounts = dict(
            _rows(f"SELECT number, id FROM {_table(CustomerAccount)} WHERE {where}", params)
        )
    ibans = sorted({c.debtor_iban for c in credits if c.debtor_iban})
    iban_accounts: dict[str, set[int]] = defaultdict(set)
    if ibans:
        where, params = in_ids("iban", ibans)
        for iban, account_id in _rows(
            f"SELECT iban, id FROM {_table(CustomerAccount)} WHERE {where}", params
        ):
            iban_accounts[iban].add(account_id)
        where, params = in_ids("debtor_iban", ibans)
        for iban, account_id in _rows(
            f"SELECT DISTINCT debtor_iban, account_id FROM {_table(StatementEntry)} "
            f"WHERE {where} AND status IN (%s, %s) AND account_id IS NOT NULL",
            [*params, EntryStatus.BOOKED.value, EntryStatus.MATCHED.value],
        ):
            iban_accounts[iban].add(account_id)
    ids = (
        {r.account_id for r in invoices.values()}
        | set(accounts.values())
        | {a for group in iban_accounts.values() for a in group}
    )
    return rule.Context(
        invoices=invoices,
        account_numbers=accounts,
        accounts=_account_infos(ids),
        iban_accounts=iban_accounts,
    )


def _name_candidates(pairs: set[tuple[Decimal, str]]) -> set[int]:
    """Accounts owing one of the amounts (an open item of exactly that amount) whose holder's
    search text has a word of the payer of that amount: ``pairs`` are (amount, lower-case
    word). One hash join of the pairs with the open items, then the accounts by key."""
    if not pairs:
        return set()
    items, accounts = _table(OpenItem), _table(CustomerAccount)
    ordered = sorted(pairs)
    if connection.vendor == "postgresql":
        return {
            row[0]
            for row in _rows(
                f"SELECT DISTINCT o.account_id "
                f"FROM unnest(%s::numeric[], %s::text[]) AS c(amount, word) "
                f"JOIN {items} o ON o.open_amount = c.amount AND o.cleared_on IS NULL "
                f"JOIN {accounts} a ON a.id = o.account_id "
                f"WHERE strpos(a.search_text, ' ' || c.word || ' ') > 0",
                [[a for a, _w in ordered], [w for _a, w in ordered]],
            )
        }
    found: set[int] = set()
    for start in range(0, len(ordered), NAME_PAIRS_CHUNK):
        chunk = ordered[start : start + NAME_PAIRS_CHUNK]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        found.update(
            row[0]
            for row in _rows(
                f"WITH c(amount, word) AS (VALUES {values}) "
                f"SELECT DISTINCT o.account_id FROM c "
                f"JOIN {items} o ON o.open_amount = c.amount AND o.cleared_on IS NULL "
                f"JOIN {accounts} a ON a.id = o.account_id "
                f"WHERE instr(a.search_text, ' ' || c.word || ' ') > 0",
                [v for amount, word in chunk for v in (str(amount), word)],
            )
        )
    return found


def match_credits(credits: Sequence[rule.Credit]) -> list[rule.Decision]:
    """Decisions for ``credits``: references and IBANs first, then, for the credits left,
    names and amounts among the accounts that owe the amount of a credit and whose holder's
    name shares a word with that credit's payer (a fixed number of queries, whatever the
    number of credits)."""
    ctx = _context(credits)
    decisions = rule.match(credits, ctx)
    named = [c for c, d in zip(credits, decisions, strict=True) if not d.booked and c.debtor_name]
    pairs = {
        (c.amount, w.lower()) for c in named for w in rule.name_words(c.debtor_name) if len(w) >= 3
    }
    if pairs:
        candidates = _name_candidates(pairs)
        missing = candidates - set(ctx.accounts)
        ctx.accounts = {**ctx.accounts, **_account_infos(missing)}
        ctx.name_amount_accounts = rule.name_amount_index(
            ctx.accounts[a] for a in candidates if a in ctx.accounts
        )
        again = {c.key: rule.decide(c, ctx) for c in named}
        decisions = [again.get(d.key, d) for d in decisions]
    return decisions


def _suggestions_json(decision: rule.Decision, infos: dict[int, rule.AccountInfo]) -> list:
    rows = []
    for s in decision.suggestions:
        info = infos.get(s.account_id)
        rows.append(
            {
                "account_id": s.account_id,
                "number": info.number if info else "",
                "name": info.name if info else "",
                "balance": str(info.balance) if info else "",
                "invoice_id": s.invoice_id,
                "score": s.score,
                "signals": s.signals,
            }
        )
    return rows


# --- import ------------------------------------------------------------------------------------


def _check(actor, check_permission: bool, entity=None) -> None:
    if check_permission:
        require(actor, Perm.PAYMENT_IMPORT, entity)


@collector_paused()
def statement_import(
    *,
    actor,
    source,
    filename: str,
    format: str | None = None,
    check_permission: bool = True,
    wait: bool = True,
    executor=None,
    chunk_size: int | None = None,
) -> ImportOutcome:
    """Import a bank statement file (PAY-5, PAYMENT_IMPORT) and book what matches.

    The file is all or nothing: in one transaction the statement(s) and every entry are
    stored with their match decision (matched ones *à comptabiliser*), the unmatched
    credits posted to suspense, and the booking run of the matched ones
    (:mod:`robinet.payments.statement_booking`) planned and approved. Once committed, the
    run is executed by ``executor`` (the default one: in-process, or the Celery workers
    when a broker is configured) and, with ``wait``, followed to its end; the outcome says
    what it booked and what it has still to book.

    Refusals write nothing: ``AlreadyImported`` (same file), ``InvalidImportFile``
    (every problem with its line), ``ApplicationError`` ``statement_already_imported``
    (same account and statement id) or ``statement_entry_already_imported``.
    """
    _check(actor, check_permission)
    data = imports.read_bytes(source)
    sha = imports.file_sha256(data)
    imports.ensure_not_imported(IMPORT_KIND, sha)
    statements = parse_statement_file(data, format=format)
    for parsed in statements:
        if BankStatement.objects.filter(
            account_iban=parsed.account_iban, statement_id=parsed.statement_id
        ).exists():
            raise ApplicationError(
                _("Le relevé « %(id)s » de ce compte est déjà importé.")
                % {"id": parsed.statement_id},
                code="statement_already_imported",
                http_status=409,
            )
    credits = [c for s in statements for c in s.credits]
    taken = list(
        StatementEntry.objects.filter(reference__in=[c.reference for c in credits]).values_list(
            "reference", flat=True
        )[:5]
    )
    if taken:
        raise ApplicationError(
            _("Opérations déjà importées avec un autre relevé : %(refs)s.")
            % {"refs": ", ".join(taken)},
            code="statement_entry_already_imported",
            http_status=409,
        )
    pure = [
        rule.Credit(c.reference, c.amount, c.remittance, c.end_to_end_id, c.debtor_iban,
                    c.debtor_name)
        for c in credits
    ]  # fmt: skip
    decisions = match_credits(pure)
    booked_ids = {d.account_id for d in decisions if d.booked}
    centres = dict(CustomerAccount.objects.filter(pk__in=booked_ids).values_list("pk", "centre_id"))
    if check_permission:
        for centre in Entity.objects.filter(pk__in=set(centres.values())):
            require(actor, Perm.PAYMENT_IMPORT, centre)
    suggestion_ids = {s.account_id for d in decisions for s in d.suggestions}
    infos = _account_infos(suggestion_ids) if suggestion_ids else {}
    now = clock.now()
    user = actor if getattr(actor, "pk", None) else None
    suspense_centre = suspense_centre_id()
    with transaction.atomic(durable=True):
        record = imports.record_import(
            kind=IMPORT_KIND, sha256=sha, filename=filename, rows=len(credits), actor=actor
        )
        stored = []
        position = 0
        matched_count, matched_total = 0, Decimal("0.00")
        for parsed in statements:
            statement = BankStatement.objects.create(
                import_file=record, **_statement_fields(record, parsed, now, user)
            )
            stored.append(statement)
            first = position
            position += len(parsed.credits)
            entry_ids = _booking_order_ids(decisions[first:position])
            rows, waiting = [], []
            for offset, credit in enumerate(parsed.credits):
                decision = decisions[first + offset]
                in_suspense = not decision.booked and suspense_centre is not None
                rows.append(
                    (
                        entry_ids[offset], statement.pk, credit.line, credit.reference,
                        credit.amount, credit.booked_on, credit.value_date, credit.debtor_name,
                        credit.debtor_iban, credit.remittance, credit.end_to_end_id,
                        EntryStatus.MATCHED.value if decision.booked
                        else EntryStatus.UNALLOCATED.value,
                        decision.account_id, decision.invoice_id if decision.booked else None,
                        decision.confidence, in_suspense, _json(decision.signals),
                        _json(_suggestions_json(decision, infos)), "",
                    )
                )  # fmt: skip
                if in_suspense:
                    waiting.append(
                        suspense_entry(
                            reference=credit.reference,
                            amount=credit.amount,
                            value_date=credit.value_date,
                            today=clock.today(),
                            centre_id=suspense_centre,
                        )
                    )
                if decision.booked:
                    matched_count += 1
                    matched_total += credit.amount
            insert_rows(StatementEntry, ENTRY_COLUMNS, rows)
            posting.post(waiting)
        run = None
        if matched_count:
            run = statement_booking.booking_create(
                import_file_id=record.pk,
                statement_ids=[s.pk for s in stored],
                run_date=clock.today(),
                actor=user,
                chunk_size=chunk_size,
            )
        total = sum((c.amount for c in credits), Decimal("0.00"))
        planned = ImportOutcome(
            stored, 0, len(credits) - matched_count, Decimal("0.00"), total - matched_total,
            matched_count, matched_total, run.pk if run else None, run.state if run else "",
        )  # fmt: skip
        record.outcome = planned.as_dict()
        record.save(update_fields=["outcome"])
        audit.record(
            actor=actor,
            verb="bank_statement_imported",
            target=stored[0],
            data=planned.as_dict(),
        )
    if run is None:
        return planned
    run = run_execute(run=run, actor=user, executor=executor, wait=wait)
    outcome = import_outcome(stored, run)
    ImportFile.objects.filter(pk=record.pk).update(outcome=outcome.as_dict())
    return outcome


def _booking_order_ids(decisions: Sequence[rule.Decision]) -> list[int]:
    """Fresh ids for a statement's entries (in file order), the matched ones numbered
    first, by account: the booking run takes them in id order, so an account's credits fall
    in one chunk and chunks on several processes lock disjoint accounts' open items
    instead of waiting for each other's commit. The others keep the file's order (the
    statement's lines are shown by ``line``)."""
    fresh = iter(allocate_ids(StatementEntry, len(decisions)))
    order = sorted(
        range(len(decisions)),
        key=lambda n: (0, decisions[n].account_id, n) if decisions[n].booked else (1, 0, n),
    )
    ids = [0] * len(decisions)
    for n in order:
        ids[n] = next(fresh)
    return ids


def import_outcome(statements: list[BankStatement], run=None) -> ImportOutcome:
    """What the import of ``statements`` has done so far: booked by its run, still to book,
    left to the worklist (an import's outcome, again after its run is resumed)."""
    totals = statement_booking.booking_totals([s.pk for s in statements])
    (booked, booked_total), (to_book, to_book_total) = totals["booked"], totals["to_book"]
    other, other_total = totals["other"]
    return ImportOutcome(
        list(statements), booked, other, booked_total, other_total, to_book, to_book_total,
        run.pk if run is not None else None, run.state if run is not None else "",
    )  # fmt: skip


ENTRY_COLUMNS = (
    "id", "statement_id", "line", "reference", "amount", "booked_on", "value_date",
    "debtor_name", "debtor_iban", "remittance", "end_to_end_id", "status", "account_id",
    "invoice_id", "confidence", "in_suspense", "signals", "suggestions", "note",
)  # fmt: skip


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def suspense_centre_id() -> int | None:
    """The entity the bank (512) / suspense (471) entries of unallocated credits are posted
    under: the top of the organisation (the first region by code)."""
    return (
        Entity.objects.filter(parent__isnull=True).order_by("code").values_list("pk", flat=True)
    ).first()


def piece_ref(reference: str) -> str:
    """The journal's piece reference of an entry (40 characters: the end, where the bank's
    own reference is)."""
    return reference[-40:]


def suspense_entry(*, reference: str, amount: Decimal, value_date: dt.date, today: dt.date,
                   centre_id: int) -> posting.EntrySpec:  # fmt: skip
    """The bank (512) / suspense (471) posting of a credit left to the worklist (PAY-7), on
    its value date, or on ``today`` (the import's day) for a value date still to come."""
    return posting.unallocated_credit_entry(
        on=min(value_date, today),
        piece_ref=piece_ref(reference),
        centre_id=centre_id,
        amount=amount,
    )


@dataclass(frozen=True)
class NotBooked:
    """A stored credit its booking run could not book, and why (the worklist's « motif »)."""

    entry_id: int
    reference: str
    amount: Decimal
    value_date: dt.date
    reason: str


def entries_to_worklist(*, entries: Sequence[NotBooked], today: dt.date, actor=None) -> None:
    """Send matched credits that could not be booked to the unallocated worklist (PAY-5),
    in the caller's transaction: *en instance d'affectation* with the reason as « motif »,
    and posted bank (512) / suspense (471) as the import posts the credits it cannot match
    (PAY-7), so that the money is in the books and an officer allocates it from there. The
    account the rule chose stays on the entry as a hint; its invoice goes, as for a credit
    unmatched at import."""
    if not entries:
        return
    centre_id = suspense_centre_id()
    for entry in entries:
        StatementEntry.objects.filter(pk=entry.entry_id).update(
            status=EntryStatus.UNALLOCATED.value,
            invoice=None,
            in_suspense=centre_id is not None,
            note=entry.reason[:255],
        )
    if centre_id is not None:
        posting.post(
            [
                suspense_entry(
                    reference=entry.reference,
                    amount=entry.amount,
                    value_date=entry.value_date,
                    today=today,
                    centre_id=centre_id,
                )
                for entry in entries
            ]
        )
    for stored in StatementEntry.objects.filter(pk__in=[e.entry_id for e in entries]):
        audit.record(
            actor=actor,
            verb="statement_entry_not_booked",
            target=stored,
            data={"reference": stored.reference, "reason": stored.note},
        )


def _statement_fields(record, parsed, now, user) -> dict:
    return {
        "filename": record.filename,
        "format": parsed.format,
        "statement_id": parsed.statement_id,
        "account_iban": parsed.account_iban,
        "currency": parsed.currency,
        "from_date": parsed.from_date,
        "to_date": parsed.to_date,
        "opening_balance": parsed.opening_balance,
        "closing_balance": parsed.closing_balance,
        "credit_count": len(parsed.credits),
        "credit_total": parsed.credit_total,
        "debit_count": parsed.debit_count,
        "imported_at": now,
        "imported_by": user,
    }


# --- the worklist ------------------------------------------------------------------------------


def _locked_unallocated(entry: StatementEntry) -> StatementEntry:
    locked = StatementEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.status != EntryStatus.UNALLOCATED:
        raise ApplicationError(
            _("Ce montant n'est plus en instance d'affectation (%(status)s).")
            % {"status": locked.get_status_display()},
            code="entry_not_unallocated",
            http_status=409,
        )
    return locked


def _done(entry: StatementEntry, actor, status: str, note: str = "") -> None:
    entry.status = status
    entry.note = note
    entry.handled_at = clock.now()
    entry.handled_by = actor if getattr(actor, "pk", None) else None
    entry.save(update_fields=["status", "note", "handled_at", "handled_by", "account"])


def entry_split(
    *,
    actor,
    entry: StatementEntry,
    parts: Sequence[tuple[CustomerAccount, Decimal]],
    invoice: Invoice | None = None,
    check_permission: bool = True,
) -> list[int]:
    """Allocate an unallocated credit to one or several accounts (PAY-5, PAYMENT_ALLOCATE).

    ``parts`` are (account, amount) pairs whose amounts add up to the credit;
    each books a transfer payment (external reference ``<entry reference>#<n>``
    when split). Validates its input: errors name ``parts`` (or ``parts.<n>``).
    Returns the payment ids.
    """
    errors: dict[str, list[str]] = {}
    if not parts:
        errors["parts"] = [_("Indiquez au moins un compte client.")]
    total = Decimal("0.00")
    for index, (account, amount) in enumerate(parts):
        if account is None:
            errors[f"parts.{index}"] = [_("Compte client inconnu.")]
        elif amount is None or amount <= 0 or not is_rounded(amount):
            errors[f"parts.{index}"] = [_("Montant positif, au centime près.")]
        else:
            total += amount
    if not errors and total != entry.amount:
        errors["parts"] = [
            _("Les montants totalisent %(t)s € ; le virement est de %(a)s €.")
            % {"t": total, "a": entry.amount}
        ]
    if invoice is not None and (len(parts) != 1 or invoice.account_id != parts[0][0].pk):
        errors["invoice"] = [_("Cette facture n'appartient pas au compte choisi.")]
    if errors:
        raise ValidationFailed(errors)
    if check_permission:
        require(actor, Perm.PAYMENT_ALLOCATE)
        for account, _amount in parts:
            require(actor, Perm.PAYMENT_ALLOCATE, account.centre)
    with transaction.atomic(durable=True):
        locked = _locked_unallocated(entry)
        today = clock.today()
        incoming = [
            IncomingPayment(
                account_id=account.pk,
                centre_id=account.centre_id,
                account_centre_id=account.centre_id,
                means=PaymentMeans.TRANSFER.value,
                amount=amount,
                received_on=min(locked.value_date, today),
                invoice_id=invoice.pk if invoice is not None else None,
                payer_reference=(locked.debtor_name or locked.remittance)[:140],
                external_reference=(
                    locked.reference if len(parts) == 1 else f"{locked.reference}#{n}"
                ),
                from_suspense=locked.in_suspense,
            )
            for n, (account, amount) in enumerate(parts, start=1)
        ]
        ids = book_payments(incoming, actor=actor if getattr(actor, "pk", None) else None)
        EntryPayment.objects.bulk_create(
            EntryPayment(entry=locked, payment_id=pid, amount=p.amount)
            for p, pid in zip(incoming, ids, strict=True)
        )
        locked.account = parts[0][0]
        _done(locked, actor, EntryStatus.BOOKED)
        audit.record(
            actor=actor,
            verb="statement_entry_allocated",
            target=locked,
            data={
                "reference": locked.reference,
                "parts": [{"account": a.number, "amount": str(m)} for a, m in parts],
            },
        )
    entry.refresh_from_db()
    return ids


def entry_allocate(
    *,
    actor,
    entry: StatementEntry,
    account: CustomerAccount | None,
    invoice: Invoice | None = None,
    check_permission: bool = True,
) -> list[int]:
    """Allocate the whole credit to ``account`` (accepting a suggestion, or the officer's
    choice); see :func:`entry_split`."""
    if account is None:
        raise ValidationFailed({"account": [_("Compte client inconnu.")]})
    return entry_split(
        actor=actor,
        entry=entry,
        parts=[(account, entry.amount)],
        invoice=invoice,
        check_permission=check_permission,
    )


def _close_without_booking(
    *, actor, entry, status: str, reason: str, verb: str, check_permission: bool
) -> StatementEntry:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Le motif est obligatoire.")]})
    if len(reason) > 255:
        raise ValidationFailed({"reason": [_("255 caractères au plus.")]})
    if check_permission:
        require(actor, Perm.PAYMENT_ALLOCATE)
    with transaction.atomic(durable=True):
        locked = _locked_unallocated(entry)
        _done(locked, actor, status, reason)
        centre_id = suspense_centre_id()
        if locked.in_suspense and centre_id is not None:
            posting.post(
                [
                    posting.unallocated_release_entry(
                        on=clock.today(),
                        piece_ref=piece_ref(locked.reference),
                        centre_id=centre_id,
                        amount=locked.amount,
                        refund=status == EntryStatus.REFUNDED,
                    )
                ]
            )
        audit.record(
            actor=actor, verb=verb, target=locked, data={"reference": locked.reference,
                                                        "reason": reason}
        )  # fmt: skip
    entry.refresh_from_db()
    return entry


def entry_mark_refund(
    *, actor, entry: StatementEntry, reason: str, check_permission: bool = True
) -> StatementEntry:
    """Set an unallocated credit aside to be paid back to the payer (the refund itself
    is a SEPA credit transfer, PAY-6). Requires a reason (field ``reason``). Posts
    suspense (471) / bank (512), as a customer's refund posts at approval."""
    return _close_without_booking(
        actor=actor,
        entry=entry,
        status=EntryStatus.REFUNDED,
        reason=reason,
        verb="statement_entry_refund",
        check_permission=check_permission,
    )


def entry_transfer(
    *, actor, entry: StatementEntry, reason: str, check_permission: bool = True
) -> StatementEntry:
    """Take an unallocated credit out of the customer worklist: it belongs elsewhere
    (another service, a subsidy, a misdirected transfer). Requires a reason. Posts
    suspense (471) / other third parties (4678), where what is owed to others waits."""
    return _close_without_booking(
        actor=actor,
        entry=entry,
        status=EntryStatus.TRANSFERRED,
        reason=reason,
        verb="statement_entry_transferred",
        check_permission=check_permission,
    )
