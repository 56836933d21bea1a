"""The one posting module (PAY-7): every financial event becomes a balanced journal entry.

Builders (pure) turn an event into an :class:`EntrySpec` whose lines name
posting *roles*; :func:`post` resolves roles through the chart of accounts,
checks that every entry balances, numbers the entries without gaps per
journal and year, and writes them with their lines in the caller's
transaction — the same transaction as the event. All the lines of a call
are written in one statement (the PostgreSQL balance trigger checks them
per statement), before the entries: :func:`stage` writes the lines, and
the numbers are taken last (:meth:`StagedEntries.write`), so that a run
holds a journal's counter only from then to its commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from robinet.core import clock
from robinet.core.bulk import PendingReferences, allocate_ids, insert_rows
from robinet.core.numbering import next_numbers
from robinet.ledger.chart import DEFAULT_CHART, resolve
from robinet.ledger.models import Journal, JournalEntry, JournalLine, LedgerAccount

ZERO = Decimal("0.00")
CUSTOMERS = "customers"


class UnbalancedEntry(ValueError):
    """A builder produced an entry whose debits and credits differ (a bug, never user input)."""


@dataclass(frozen=True)
class LineSpec:
    role: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    customer_account_id: int | None = None


@dataclass(frozen=True)
class EntrySpec:
    journal: str
    entry_date: dt.date
    piece_ref: str
    label: str
    centre_id: int
    event: str
    lines: tuple[LineSpec, ...]
    piece_date: dt.date | None = None


@dataclass
class _Lines:
    """Accumulates signed amounts per (role, customer account), then writes debit/credit lines."""

    amounts: dict[tuple[str, int | None], Decimal] = field(
        default_factory=lambda: defaultdict(lambda: ZERO)
    )

    def add(self, role: str, signed: Decimal, customer_account_id: int | None = None) -> None:
        self.amounts[(role, customer_account_id)] += signed

    def specs(self) -> tuple[LineSpec, ...]:
        lines = []
        for (role, account_id), amount in self.amounts.items():
            if amount > 0:
                lines.append(LineSpec(role, debit=amount, customer_account_id=account_id))
            elif amount < 0:
                lines.append(LineSpec(role, credit=-amount, customer_account_id=account_id))
        return tuple(lines)


def revenue_role(beneficiary: str, service: str) -> str:
    """Where a line's amount excluding VAT goes: the operator's revenue or a third party's."""
    if beneficiary == "operator":
        return f"revenue.operator.{service}"
    return f"revenue.{beneficiary}"


def vat_role(rate: Decimal) -> str:
    return f"vat.{Decimal(rate).quantize(Decimal('0.01'))}"


def invoice_piece(number: str, *, credit_note: bool = False) -> tuple[str, str]:
    """(piece reference, label) of an invoice's or credit note's entry."""
    return number, ("Avoir " if credit_note else "Facture ") + number


def invoice_entry(
    *,
    number: str,
    issue_date: dt.date,
    account_id: int,
    centre_id: int,
    credit_note: bool,
    lines: Iterable[tuple[str, str, Decimal]] = (),
    vat: Iterable[tuple[Decimal, Decimal]] = (),
    label: str = "",
    third_parties: InvoiceThirdParties | None = None,
) -> EntrySpec:
    """An invoice: customers debited incl. VAT; revenue or third parties and VAT credited.

    ``lines`` are (service, beneficiary, amount excl. VAT); ``vat`` (rate, amount).
    A credit note posts the same the other way round. ``third_parties``: the same
    lines already made by :func:`invoice_third_parties` (a run shares them between
    the bills priced alike).
    """
    if third_parties is None:
        third_parties = invoice_third_parties(lines=lines, vat=vat, credit_note=credit_note)
    elif third_parties.credit_note != credit_note:
        raise ValueError("third_parties were made for the other direction")
    customer = _Lines()
    customer.add(
        CUSTOMERS, -third_parties.total if credit_note else third_parties.total, account_id
    )
    piece_ref, default_label = invoice_piece(number, credit_note=credit_note)
    return EntrySpec(
        journal=Journal.SALES,
        entry_date=issue_date,
        piece_ref=piece_ref,
        label=label or default_label,
        centre_id=centre_id,
        event="credit_note" if credit_note else "invoice",
        lines=third_parties.lines + customer.specs(),
    )


@dataclass(frozen=True)
class InvoiceThirdParties:
    """The lines of an invoice's entry other than the customer's, and the invoice's total."""

    lines: tuple[LineSpec, ...]
    total: Decimal
    credit_note: bool


def invoice_third_parties(
    *,
    lines: Iterable[tuple[str, str, Decimal]],
    vat: Iterable[tuple[Decimal, Decimal]],
    credit_note: bool,
) -> InvoiceThirdParties:
    """Revenue or third parties and VAT credited (debited for a credit note), and the total."""
    sign = -1 if credit_note else 1
    acc = _Lines()
    total = ZERO
    for service, beneficiary, amount in lines:
        acc.add(revenue_role(beneficiary, service), -sign * amount)
        total += amount
    for rate, amount in vat:
        acc.add(vat_role(rate), -sign * amount)
        total += amount
    return InvoiceThirdParties(acc.specs(), total, credit_note)


def treasury_role(means: str) -> str:
    return f"treasury.{means}"


def payment_label(number: str, *, reversal: bool = False) -> str:
    return ("Annulation règlement " if reversal else "Règlement ") + number


def payment_sides(means: str, from_suspense: bool) -> tuple[str, str]:
    """(journal, role debited) of a payment by ``means``: the cash or bank journal and the
    means' treasury account; money already in the bank (posted to the suspense account at
    the statement's import) moves from 471 in the miscellaneous journal."""
    if from_suspense:
        return Journal.MISC, SUSPENSE
    return (Journal.CASH if means == "cash" else Journal.BANK), treasury_role(means)


def payment_entry(
    *,
    number: str,
    received_on: dt.date,
    account_id: int,
    centre_id: int,
    means: str,
    amount: Decimal,
    reversal: bool = False,
    label: str = "",
    from_suspense: bool = False,
) -> EntrySpec:
    """A payment: the means' treasury account debited, customers credited (reversed: the opposite).

    ``from_suspense``: the money is already in the bank, posted to the suspense account
    (471) when its statement was imported (:func:`unallocated_credit_entry`); allocating it
    moves it from 471 to the customer (411), in the miscellaneous journal.
    """
    sign = -1 if reversal else 1
    journal, debit_role = payment_sides(means, from_suspense)
    acc = _Lines()
    acc.add(debit_role, sign * amount)
    acc.add(CUSTOMERS, -sign * amount, account_id)
    return EntrySpec(
        journal=journal,
        entry_date=received_on,
        piece_ref=number,
        label=label or payment_label(number, reversal=reversal),
        centre_id=centre_id,
        event="payment_reversal" if reversal else "payment",
        lines=acc.specs(),
    )


# --- bank credits not yet allocated (PAY-5) ------------------------------------------------------

SUSPENSE = "suspense"
#: where a credit that is not a customer's money goes when taken out of the worklist
OTHER_THIRD_PARTIES = "revenue.other"
UNALLOCATED_EVENTS = ("unallocated_credit", "unallocated_refund", "unallocated_transfer")


def unallocated_credit_entry(
    *, on: dt.date, piece_ref: str, centre_id: int, amount: Decimal, label: str = ""
) -> EntrySpec:
    """A bank credit no customer could be found for yet: bank (512) debited, suspense (471)
    credited, at the statement's import."""
    return transfer_entry(
        journal=Journal.BANK,
        on=on,
        piece_ref=piece_ref,
        label=label or f"Virement à affecter {piece_ref}",
        centre_id=centre_id,
        event="unallocated_credit",
        debit_role=treasury_role("transfer"),
        credit_role=SUSPENSE,
        amount=amount,
    )


def unallocated_release_entry(
    *,
    on: dt.date,
    piece_ref: str,
    centre_id: int,
    amount: Decimal,
    refund: bool,
    label: str = "",
) -> EntrySpec:
    """An unallocated credit leaving the suspense account (471) without a customer: paid
    back to the payer (``refund``: to the bank, 512) or handed to whom it belongs (other
    third parties, 4678)."""
    return transfer_entry(
        journal=Journal.BANK if refund else Journal.MISC,
        on=on,
        piece_ref=piece_ref,
        label=label
        or (f"Remboursement virement {piece_ref}" if refund else f"Virement transféré {piece_ref}"),
        centre_id=centre_id,
        event="unallocated_refund" if refund else "unallocated_transfer",
        debit_role=SUSPENSE,
        credit_role=treasury_role("transfer") if refund else OTHER_THIRD_PARTIES,
        amount=amount,
    )


def transfer_entry(
    *,
    journal: str,
    on: dt.date,
    piece_ref: str,
    label: str,
    centre_id: int,
    event: str,
    debit_role: str,
    credit_role: str,
    amount: Decimal,
    debit_account_id: int | None = None,
    credit_account_id: int | None = None,
) -> EntrySpec:
    """A two-line entry: ``amount`` from ``credit_role`` to ``debit_role`` (refunds, write-offs…)."""
    acc = _Lines()
    acc.add(debit_role, amount, debit_account_id)
    acc.add(credit_role, -amount, credit_account_id)
    return EntrySpec(journal, on, piece_ref, label, centre_id, event, acc.specs())


def check_balanced(entry: EntrySpec) -> None:
    debit = sum((line.debit for line in entry.lines), ZERO)
    credit = sum((line.credit for line in entry.lines), ZERO)
    if debit != credit:
        raise UnbalancedEntry(f"{entry.piece_ref}: debit {debit} != credit {credit}")
    for line in entry.lines:
        if (line.debit > 0) == (line.credit > 0) or line.debit < 0 or line.credit < 0:
            raise UnbalancedEntry(f"{entry.piece_ref}: line {line} must have one positive side")


def chart() -> dict[str, str]:
    """Posting role → account code, from the chart of accounts (the PCG defaults if empty)."""
    accounts = dict(
        LedgerAccount.objects.exclude(role=None).exclude(role="").values_list("role", "code")
    )
    return accounts or {role: code for code, _label, role in DEFAULT_CHART}


ENTRY_COLUMNS = (
    "id", "journal", "year", "number", "entry_date", "piece_ref", "piece_date", "label",
    "centre_id", "event", "created_at",
)  # fmt: skip
LINE_COLUMNS = ("entry_id", "ledger_account", "customer_account_id", "debit", "credit")


def post(entries: Sequence[EntrySpec], *, accounts: dict[str, str] | None = None) -> list[int]:
    """Write ``entries`` (balanced, numbered per journal and fiscal year); returns their ids.

    Must run inside the transaction of the event being posted (called outside
    one, it opens its own: the lines are written before their entries).
    """
    if not connection.in_atomic_block:
        with transaction.atomic():
            return stage(entries, accounts=accounts).write()
    return stage(entries, accounts=accounts).write()


def stage(entries: Sequence[EntrySpec], *, accounts: dict[str, str] | None = None) -> StagedEntries:
    """Write the lines of ``entries`` now; :meth:`StagedEntries.write` numbers and writes the
    entries themselves later, in the same transaction.

    A journal's gapless counter is held from numbering to the commit, so a run
    writes everything that needs no number first (the lines reference the
    entries' ids, taken from a sequence) and numbers last: another process
    posting to the same journal waits only for the end. The lines must balance
    per entry here already (the PostgreSQL trigger checks them as they are written).
    """
    kept = [(position, e) for position, e in enumerate(entries) if e.lines]
    if not kept:
        return StagedEntries([], [], [])
    accounts = accounts if accounts is not None else chart()
    for _position, entry in kept:
        check_balanced(entry)
    ids = list(allocate_ids(JournalEntry, len(kept)))
    line_rows = []
    codes: dict[str, str] = {}
    for (_position, entry), entry_id in zip(kept, ids, strict=True):
        for line in entry.lines:
            code = codes.get(line.role)
            if code is None:
                code = codes[line.role] = resolve(line.role, accounts)
            line_rows.append((entry_id, code, line.customer_account_id, line.debit, line.credit))
    # The entries come later, with their numbers: their keys are settled by ``write``.
    pending = insert_rows(JournalLine, LINE_COLUMNS, line_rows, written_later="entry_id")
    return StagedEntries([position for position, _e in kept], [e for _p, e in kept], ids, pending)


# --- entries gathering many documents (decision 0014) -------------------------------------------

RUN_EVENT = "invoice_run"


@dataclass
class EntryGroup:
    """One entry gathering many documents of a batch: the other side summed per account,
    one customer line per document (its number as the line's own piece)."""

    journal: str
    entry_date: dt.date
    centre_id: int
    event: str
    summed: dict[str, Decimal]  # account code → signed amount (debit − credit)
    members: list[tuple[int, int, Decimal]]  # (position, customer account, signed for 411)


@dataclass
class GatheredEntries:
    """Entries gathering many documents, computed and waiting for the documents' numbers
    (:func:`stage_invoice_run`, :func:`stage_payment_batch`)."""

    customers_code: str
    groups: list[EntryGroup]
    piece: Callable[[Sequence[str]], tuple[str, str]]  # the documents' numbers → (piece, label)

    def write(self, numbers: Sequence[str]) -> list[int]:
        """Write the entries, numbered per journal and year, and their lines; ``numbers``:
        the documents' numbers, in the order they were given. Returns the entries' ids
        (a group whose lines all come to zero has none)."""
        kept = []
        for group in self.groups:
            summary = [
                (code, amount, ZERO) if amount > 0 else (code, ZERO, -amount)
                for code, amount in group.summed.items()
                if amount
            ]
            members = [(a, signed, numbers[p]) for p, a, signed in group.members]
            if summary or any(signed for _a, signed, _n in members):
                kept.append((group, summary, members))
        if not kept:
            return []
        ids = list(allocate_ids(JournalEntry, len(kept)))
        code, rows, entries, pieces = self.customers_code, [], [], []
        for (group, summary, members), entry_id in zip(kept, ids, strict=True):
            rows.extend((entry_id, c, None, debit, credit, "") for c, debit, credit in summary)
            rows.extend(
                (entry_id, code, account_id, signed, ZERO, number)
                if signed > 0
                else (entry_id, code, account_id, ZERO, -signed, number)
                for account_id, signed, number in members
                if signed
            )
            pieces.append(self.piece([number for _a, _s, number in members]))
            entries.append(
                EntrySpec(group.journal, group.entry_date, "", "", group.centre_id, group.event, ())
            )
        pending = insert_rows(
            JournalLine, (*LINE_COLUMNS, "piece_ref"), rows, written_later="entry_id"
        )
        return StagedEntries(list(range(len(kept))), entries, ids, pending).write(pieces)


def _thousands(count: int) -> str:
    return f"{count:,}".replace(",", " ")


def run_piece(numbers: Sequence[str]) -> tuple[str, str]:
    """(piece reference, label) of a billing run's entry for the invoices ``numbers`` (in
    number order): one invoice is its own piece, as :func:`invoice_piece` makes it."""
    if len(numbers) == 1:
        return invoice_piece(numbers[0])
    return f"{numbers[0]} à {numbers[-1]}", f"Facturation : {_thousands(len(numbers))} factures"


def batch_piece(numbers: Sequence[str]) -> tuple[str, str]:
    """(piece reference, label) of a batch of payments' entry: one payment is its own piece,
    labelled as :func:`payment_entry` labels it."""
    if len(numbers) == 1:
        return numbers[0], payment_label(numbers[0])
    first, last = min(numbers), max(numbers)
    return f"{first} à {last}", f"Règlements : {_thousands(len(numbers))}"


def stage_invoice_run(
    invoices: Sequence[tuple[InvoiceThirdParties, int, int]],
    *,
    issue_date: dt.date,
    accounts: dict[str, str] | None = None,
) -> GatheredEntries:
    """The sales entries of a billing run's invoices, one per centre (decision 0014).

    ``invoices``: (third parties, customer account, centre) per invoice, as
    :func:`invoice_entry` takes them; a run's bills priced alike share their third
    parties (checked and summed once). Each centre's entry debits every invoice's
    customer (411, its customer account, the invoice's number as the line's own piece:
    the sub-ledger stays per invoice) and credits each revenue, third-party and VAT
    account once, with the sum of its invoices' lines.
    Nothing is written yet: the customer lines need the invoices' numbers, given to
    :meth:`GatheredEntries.write`, which numbers the entries too, at the end of the chunk.
    """
    accounts = accounts if accounts is not None else chart()
    # id(third parties) → (signed amount per account code, signed customer amount)
    known: dict[int, tuple[dict[str, Decimal], Decimal]] = {}
    per_centre: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    members: dict[int, list[tuple[int, int, Decimal]]] = defaultdict(list)
    for position, (third_parties, account_id, centre_id) in enumerate(invoices):
        shaped = known.get(id(third_parties))  # ``invoices`` holds them: ids stay unique
        if shaped is None:
            check_balanced(
                invoice_entry(
                    number="", issue_date=issue_date, account_id=None, centre_id=0,
                    credit_note=third_parties.credit_note, third_parties=third_parties,
                )
            )  # fmt: skip
            amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
            for line in third_parties.lines:
                amounts[resolve(line.role, accounts)] += line.debit - line.credit
            total = third_parties.total
            shaped = known[id(third_parties)] = (
                dict(amounts),
                -total if third_parties.credit_note else total,
            )
        per_centre[centre_id][id(third_parties)] += 1
        members[centre_id].append((position, account_id, shaped[1]))
    groups = []
    for centre_id in sorted(per_centre):
        summed: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for key, count in per_centre[centre_id].items():
            for code, amount in known[key][0].items():
                summed[code] += amount * count
        groups.append(
            EntryGroup(Journal.SALES, issue_date, centre_id, RUN_EVENT, summed, members[centre_id])
        )
    return GatheredEntries(resolve(CUSTOMERS, accounts), groups, run_piece)


def stage_payment_batch(
    payments: Sequence[tuple[int, int, str, Decimal, dt.date, bool]],
    *,
    accounts: dict[str, str] | None = None,
) -> GatheredEntries:
    """The entries of a batch of payments, one per journal, day, centre and means
    (decision 0014): the means' treasury account (or the suspense account, for money
    already in the bank) debited with their sum, each payment's customer credited on a
    line of its own whose piece is the payment's number. ``payments``: (customer account,
    centre, means, amount, received on, from suspense) per payment, as
    :func:`payment_entry` takes them. A batch of one posts :func:`payment_entry`'s entry.
    """
    accounts = accounts if accounts is not None else chart()
    groups: dict[tuple, EntryGroup] = {}
    for position, (account_id, centre_id, means, amount, received_on, from_suspense) in enumerate(
        payments
    ):
        journal, debit_role = payment_sides(means, from_suspense)
        code = resolve(debit_role, accounts)
        group = groups.get((journal, received_on, centre_id, code))
        if group is None:
            group = groups[(journal, received_on, centre_id, code)] = EntryGroup(
                journal, received_on, centre_id, "payment", {code: ZERO}, []
            )
        group.summed[code] += amount
        group.members.append((position, account_id, -amount))
    return GatheredEntries(resolve(CUSTOMERS, accounts), list(groups.values()), batch_piece)


@dataclass
class StagedEntries:
    """Entries whose lines are written, waiting for their numbers (see :func:`stage`)."""

    positions: list[int]  # in the list given to ``stage`` (entries without lines are dropped)
    entries: list[EntrySpec]
    ids: list[int]
    pending: PendingReferences | None = None  # the lines' keys, until the entries are written

    def write(self, pieces: Sequence[tuple[str, str]] | None = None) -> list[int]:
        """Number the entries per journal and year and write them; returns their ids.

        ``pieces``: (piece reference, label) per entry given to :func:`stage`, when
        they were not known then (an invoice's number is taken at the same moment).
        """
        entries = self.entries
        if not entries:
            return []
        by_series: dict[tuple[str, int], list[int]] = defaultdict(list)
        for index, entry in enumerate(entries):
            by_series[(entry.journal, entry.entry_date.year)].append(index)
        numbers: list[int] = [0] * len(entries)
        for (journal, year), indexes in sorted(by_series.items()):
            for index, number in zip(
                indexes, next_numbers(f"J{journal}", len(indexes), year), strict=True
            ):
                numbers[index] = number
        now = clock.now()
        entry_rows = []
        for position, entry, number, entry_id in zip(
            self.positions, entries, numbers, self.ids, strict=True
        ):
            piece_ref, label = pieces[position] if pieces is not None else (
                entry.piece_ref, entry.label
            )  # fmt: skip
            entry_rows.append(
                (
                    entry_id, entry.journal, entry.entry_date.year, number, entry.entry_date,
                    piece_ref, entry.piece_date or entry.entry_date, label[:120],
                    entry.centre_id, entry.event, now,
                )
            )  # fmt: skip
        insert_rows(JournalEntry, ENTRY_COLUMNS, entry_rows)
        if self.pending is not None:
            self.pending.settle()  # every line's entry is written (and can never be deleted)
        return self.ids


def post_invoices(invoice_ids: Sequence[int]) -> list[int]:
    """Post issued invoices and credit notes read back from the database."""
    from robinet.billing.models import Invoice, InvoiceLine

    if not invoice_ids:
        return []
    invoices = list(
        Invoice.objects.filter(pk__in=invoice_ids)
        .order_by("pk")
        .values("pk", "number", "kind", "issue_date", "account_id", "account__centre_id",
                "vat_breakdown")
    )  # fmt: skip
    lines: dict[int, list[tuple[str, str, Decimal]]] = defaultdict(list)
    for invoice_id, service, beneficiary, amount in InvoiceLine.objects.filter(
        invoice_id__in=invoice_ids
    ).values_list("invoice_id", "service", "beneficiary", "amount_excl_vat"):
        lines[invoice_id].append((service, beneficiary, amount))
    return post(
        [
            invoice_entry(
                number=row["number"],
                issue_date=row["issue_date"],
                account_id=row["account_id"],
                centre_id=row["account__centre_id"],
                credit_note=row["kind"] == "credit_note",
                lines=lines[row["pk"]],
                vat=[(Decimal(v["rate"]), Decimal(v["amount"])) for v in row["vat_breakdown"]],
            )
            for row in invoices
        ]
    )


# --- doubtful debts, provisions and write-offs (COLL-11) ----------------------------------------

DOUBTFUL = "doubtful"
LOSSES = "losses"
PROVISION = "provision"
PROVISION_EXPENSE = "provision_expense"
PROVISION_INCOME = "provision_income"


def doubtful_transfer_entry(
    *,
    on: dt.date,
    piece_ref: str,
    centre_id: int,
    moves: Iterable[tuple[int, Decimal]],
    label: str = "",
) -> EntrySpec:
    """Customers to doubtful customers (411 → 416) per customer account; negative moves back.

    ``moves`` are (customer account id, signed amount to put on 416).
    """
    acc = _Lines()
    for account_id, amount in moves:
        acc.add(DOUBTFUL, amount, account_id)
        acc.add(CUSTOMERS, -amount, account_id)
    return EntrySpec(
        Journal.MISC,
        on,
        piece_ref,
        label or "Transfert en clients douteux " + piece_ref,
        centre_id,
        "doubtful",
        acc.specs(),
    )


def provision_entry(
    *,
    on: dt.date,
    piece_ref: str,
    centre_id: int,
    increase: Decimal,
    decrease: Decimal,
    label: str = "",
) -> EntrySpec:
    """Provision for doubtful debts: dotation 6817 / 491 on ``increase``, reprise 491 / 7817 on
    ``decrease`` (both positive amounts; gross, not netted, so both show in the P&L)."""
    lines = []
    if increase > 0:
        lines += [LineSpec(PROVISION_EXPENSE, debit=increase), LineSpec(PROVISION, credit=increase)]
    if decrease > 0:
        lines += [LineSpec(PROVISION, debit=decrease), LineSpec(PROVISION_INCOME, credit=decrease)]
    return EntrySpec(
        Journal.MISC,
        on,
        piece_ref,
        label or "Dépréciation des créances " + piece_ref,
        centre_id,
        "provision",
        tuple(lines),
    )


def write_off_entry(
    *,
    on: dt.date,
    number: str,
    account_id: int,
    centre_id: int,
    from_customers: Decimal,
    from_doubtful: Decimal,
    label: str = "",
) -> EntrySpec:
    """A write-off (*admission en non-valeur*): losses 654 debited, 411 and/or 416 credited.

    VAT regularisation is not posted (see docs/domain/write-offs.md).
    """
    acc = _Lines()
    acc.add(LOSSES, from_customers + from_doubtful)
    acc.add(CUSTOMERS, -from_customers, account_id)
    acc.add(DOUBTFUL, -from_doubtful, account_id)
    return EntrySpec(
        Journal.MISC,
        on,
        number,
        label or "Admission en non-valeur " + number,
        centre_id,
        "write_off",
        acc.specs(),
    )
