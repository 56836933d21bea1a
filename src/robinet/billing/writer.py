"""Issuing invoices in bulk (BILL-6): numbers, invoices, lines, open items and entries in one go.

The numbers of everything a chunk issues are reserved in one statement
inside the chunk's transaction (gapless: a rolled-back chunk gives its
numbers back with it), then rows are written with COPY on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from decimal import Decimal

from robinet.billing.choices import InvoiceKind, Series
from robinet.billing.engine import ContractFacts, Outcome, due_date
from robinet.billing.models import Invoice, InvoiceLine
from robinet.core import clock
from robinet.core.bulk import allocate_ids, insert_rows, insert_shaped, keys_checked_once
from robinet.core.numbering import format_number, next_numbers
from robinet.ledger import posting
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.ledger.services import clear_credit_balances

NUMBER_WIDTH = 7

INVOICE_COLUMNS = (
    "id", "number", "series", "year", "sequence", "kind", "account_id", "contract_id",
    "service_point_id", "run_id", "period_start", "period_end", "generation", "issue_date",
    "due_date", "volume", "estimated", "meter_serial", "old_index", "old_read_on", "new_index",
    "new_read_on", "new_reading_id", "total_excl_vat", "total_vat", "total_incl_vat",
    "fixed_incl_vat", "price_per_litre_incl_vat", "price_per_m3_incl_vat", "vat_breakdown",
    "tariff_periods", "credited_invoice_id", "reason", "abnormal_notice_id", "created_at",
    "created_by_id",
)  # fmt: skip
# Lines and open items take their ids from the database (nobody needs them here).
LINE_COLUMNS = (
    "invoice_id", "position", "component_code", "label", "service", "beneficiary",
    "component_kind", "tariff_code", "period_start", "period_end", "quantity", "unit",
    "unit_price", "amount_excl_vat", "vat_rate", "block",
)  # fmt: skip
OPEN_ITEM_COLUMNS = (
    "account_id", "contract_id", "kind", "invoice_id", "document_number", "posted_on",
    "due_date", "amount", "open_amount", "cleared_on",
)  # fmt: skip


@dataclass
class Pending:
    facts: ContractFacts
    outcome: Outcome
    generation: int = 0
    abnormal_notice_id: int | None = None


def json_value(value) -> str:
    """A JSON column's value for :func:`insert_rows`: its text, which SQLite stores and
    PostgreSQL's COPY parses into the jsonb column (dumped once, however often written)."""
    return json.dumps(value, default=str)


@functools.lru_cache(maxsize=1024)
def json_list(values: tuple) -> str:
    """:func:`json_value` of a short list of strings a run writes again and again (a dunning
    notice's actions and rules: a few distinct lists for thousands of notices)."""
    return json_value(list(values))


class InvoiceWriter:
    """Collects computed bills, then issues them all with :meth:`flush`."""

    def __init__(self, *, issue_date: dt.date, run=None, actor=None) -> None:
        self.issue_date = issue_date
        self.run_id = getattr(run, "pk", None)
        self.actor_id = getattr(actor, "pk", None)
        self.pending: list[Pending] = []
        self.issued_ids: list[int] = []
        self.accounts = posting.chart()

    def add(
        self,
        facts: ContractFacts,
        outcome: Outcome,
        *,
        generation: int = 0,
        abnormal_notice_id: int | None = None,
    ) -> None:
        self.pending.append(Pending(facts, outcome, generation, abnormal_notice_id))

    def discard(self, contract_id: int) -> None:
        self.pending = [p for p in self.pending if p.facts.contract_id != contract_id]

    def flush(self) -> list[int]:
        """Issue everything added; returns the new invoice ids (in number order)."""
        if not self.pending:
            return []
        pending, self.pending = self.pending, []
        year = self.issue_date.year
        invoice_ids = list(allocate_ids(Invoice, len(pending)))
        now = clock.now()
        invoices, line_heads, items, entries = [], [], [], []
        # Bills priced once are shared by many contracts (engine's memo): their JSON
        # and line values are prepared once per bill, and their lines (and their
        # entries' lines) written from one shape per bill.
        shared: dict[int, tuple] = {}
        line_shapes: list[list[tuple]] = []
        series, periodic, final = (
            Series.INVOICE.value,
            InvoiceKind.PERIODIC.value,
            InvoiceKind.FINAL.value,
        )
        open_kind = OpenItemKind.INVOICE.value
        issue_date, run_id, actor_id = self.issue_date, self.run_id, self.actor_id
        for p, invoice_id in zip(pending, invoice_ids, strict=True):
            facts, outcome, bill = p.facts, p.outcome, p.outcome.bill
            volume = outcome.volume
            due = due_date(issue_date, facts)
            prepared = shared.get(id(bill))
            if prepared is None or prepared[0] is not outcome.tariff_periods:
                vat = [
                    {"rate": str(v.rate), "base": str(v.base), "amount": str(v.amount)}
                    for v in bill.vat
                ]
                line_shapes.append([
                    (
                        position, line.component_code, line.label, line.service,
                        line.beneficiary, line.kind, line.tariff_code, line.period_start,
                        line.period_end, line.quantity, line.unit, line.unit_price,
                        line.amount_excl_vat, line.vat_rate, line.block,
                    )
                    for position, line in enumerate(bill.lines, start=1)
                ])  # fmt: skip
                prepared = (
                    outcome.tariff_periods,
                    json_value(vat),
                    json_value(list(outcome.tariff_periods)),
                    len(line_shapes) - 1,
                    bill,  # keeps the id
                    posting.invoice_third_parties(
                        lines=[
                            (ln.service, ln.beneficiary, ln.amount_excl_vat) for ln in bill.lines
                        ],
                        vat=[(v.rate, v.amount) for v in bill.vat],
                        credit_note=False,
                    ),
                )
                shared[id(bill)] = prepared
            _periods, vat_json, periods_json, line_shape, _bill, third_parties = prepared
            old, new = volume.old, volume.new
            invoices.append(
                [
                    invoice_id, None, series, year, None,  # number, sequence: see below
                    final if outcome.period.final else periodic,
                    facts.account_id, facts.contract_id, facts.service_point_id, run_id,
                    outcome.period.start, outcome.period.end, p.generation, issue_date,
                    due, volume.volume, volume.estimated,
                    (new or old).meter_serial if (new or old) else "",
                    old.index if old else None,
                    old.read_on if old else None,
                    new.index if new else None,
                    new.read_on if new else None,
                    new.id if new else None,
                    bill.total_excl_vat, bill.total_vat, bill.total_incl_vat,
                    bill.fixed_incl_vat, bill.price_per_litre_incl_vat,
                    bill.price_per_m3_incl_vat,
                    vat_json, periods_json,
                    None, "", p.abnormal_notice_id, now, actor_id,
                ]
            )  # fmt: skip
            line_heads.append((invoice_id, line_shape))
            items.append(
                [
                    facts.account_id, facts.contract_id, open_kind,
                    invoice_id, None, issue_date, due, bill.total_incl_vat,
                    bill.total_incl_vat, None,
                ]
            )  # fmt: skip
            entries.append((third_parties, facts.account_id, facts.centre_id))
        # What needs no number is written first: the invoice counter (and the sales
        # journal's) is held from numbering to the commit, and another process
        # issuing a chunk waits for it that long (BILL-4).
        # The accounts and contracts are looked up once for the journal lines, invoices
        # and open items, the invoices not at all for their open items.
        with keys_checked_once():
            line_keys = insert_shaped(
                InvoiceLine,
                LINE_COLUMNS[:1],
                line_heads,
                LINE_COLUMNS[1:],
                line_shapes,
                written_later="invoice_id",
            )
            # One sales entry per centre, its customer lines per invoice (decision 0014).
            staged = posting.stage_invoice_run(
                entries, issue_date=issue_date, accounts=self.accounts
            )
            numbers = []
            for invoice, item, sequence in zip(
                invoices, items, next_numbers(Series.INVOICE, len(pending), year), strict=True
            ):
                number = format_number(Series.INVOICE, year, sequence, width=NUMBER_WIDTH)
                invoice[1], invoice[4], item[4] = number, sequence, number
                numbers.append(number)
            insert_rows(Invoice, INVOICE_COLUMNS, invoices)
            if line_keys is not None:
                line_keys.settle()  # every line's invoice is written (and can never be deleted)
            insert_rows(OpenItem, OPEN_ITEM_COLUMNS, items)
            staged.write(numbers)
        # PAY-1: a credit balance (an overpayment, a credit note) clears the new bill.
        clear_credit_balances({p.facts.account_id for p in pending}, on=issue_date)
        self.issued_ids.extend(invoice_ids)
        return invoice_ids


@dataclass(frozen=True)
class LineInvoice:
    """An invoice of priced lines (fees, charges) for :func:`issue_line_invoices`."""

    account_id: int
    centre_id: int
    due_date: dt.date
    lines: tuple  # robinet.billing.fees.Line
    reason: str = ""


def issue_line_invoices(
    batch: list[LineInvoice], *, issue_date: dt.date, kind: str, actor_id: int | None = None
) -> list[int]:
    """Issue many single-purpose invoices at once (numbers, lines, open items, entries).

    The bulk twin of :func:`robinet.billing.fees.invoice_issue_lines`, for runs
    (dunning charges): same rounding (per line, then VAT per rate), same FAC
    series, in the caller's transaction. Returns the invoice ids in order.
    """
    from robinet.billing.fees import totals, vat_breakdown

    if not batch:
        return []
    year = issue_date.year
    numbers = next_numbers(Series.INVOICE, len(batch), year)
    invoice_ids = list(allocate_ids(Invoice, len(batch)))
    now = clock.now()
    invoices, lines, items, entries = [], [], [], []
    for request, sequence, invoice_id in zip(batch, numbers, invoice_ids, strict=True):
        number = format_number(Series.INVOICE, year, sequence, width=NUMBER_WIDTH)
        vat = vat_breakdown(request.lines)
        excl, tax, incl = totals(vat)
        invoices.append(
            (
                invoice_id, number, Series.INVOICE.value, year, sequence, kind,
                request.account_id, None, None, None, issue_date, issue_date, 0, issue_date,
                request.due_date, 0, False, "", None, None, None, None, None, excl, tax, incl,
                0, None, None, json_value(vat), json_value([]), None, request.reason[:255],
                None, now, actor_id,
            )
        )  # fmt: skip
        lines.extend(
            (
                invoice_id, position, line.code[:40], line.label[:160], line.service,
                line.beneficiary, line.kind, "", issue_date, issue_date, line.quantity,
                line.unit, line.unit_price, line.amount_excl_vat, line.vat_rate, None,
            )
            for position, line in enumerate(request.lines, start=1)
        )  # fmt: skip
        items.append(
            (
                request.account_id, None, OpenItemKind.INVOICE.value, invoice_id, number,
                issue_date, request.due_date, incl, incl, None,
            )
        )  # fmt: skip
        entries.append(
            posting.invoice_entry(
                number=number,
                issue_date=issue_date,
                account_id=request.account_id,
                centre_id=request.centre_id,
                credit_note=False,
                lines=[(ln.service, ln.beneficiary, ln.amount_excl_vat) for ln in request.lines],
                vat=[(Decimal(v["rate"]), Decimal(v["amount"])) for v in vat],
            )
        )
    insert_rows(Invoice, INVOICE_COLUMNS, invoices)
    insert_rows(InvoiceLine, LINE_COLUMNS, lines)
    insert_rows(OpenItem, OPEN_ITEM_COLUMNS, items)
    posting.post(entries, accounts=posting.chart())
    clear_credit_balances({request.account_id for request in batch}, on=issue_date)
    return invoice_ids
