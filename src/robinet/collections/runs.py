"""Dunning runs in two steps, on the runs framework (COLL-2).

* **Proposal** (``dunning_proposal``): targets the accounts with a dunned open
  item due before the run date (plus the preventive lead); for each chunk,
  loads the facts in a fixed number of queries, asks the pure policy, and
  writes one ``DunningProposal`` per account that would get a notice — or
  that is blocked, so the officer sees what is held and why. Nothing is sent.
* **Activity** (``dunning_activity``): targets the proposals of one reviewed
  proposal run that were not excluded; issues the notices. Items paid since
  the proposal, or excluded by the officer, are left out; an account blocked
  since (a plan agreed in the meantime) is skipped. A notice is unique per
  proposal: a resumed or replayed chunk never issues twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from robinet.billing.choices import InvoiceKind
from robinet.billing.fees import Line, price_list
from robinet.billing.writer import LineInvoice, issue_line_invoices, json_list, json_value
from robinet.collections.choices import (
    Action,
    ChargeKind,
    DebtStage,
    EventKind,
    ProposalStatus,
)
from robinet.collections.fetch import (
    DUNNED_KINDS,
    Procedures,
    frozen_items,
    live_blocks,
    load_facts,
    load_procedures,
    recovered_here,
)
from robinet.collections.models import (
    CollectionEvent,
    DebtCase,
    Dunning,
    DunningCharge,
    DunningNotice,
    DunningProposal,
    NoticeItem,
    ProposalItem,
)
from robinet.collections.policy import Decision, decide
from robinet.collections.rules.france import MAIN_RESIDENCE_RULE
from robinet.core import clock
from robinet.core.bulk import allocate_ids, in_ids, insert_rows
from robinet.core.models import BatchRun
from robinet.core.numbering import format_number, next_numbers
from robinet.core.runs import ChunkResult, register_run_kind
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.organisation.models import Entity

PROPOSAL = "dunning_proposal"
ACTIVITY = "dunning_activity"
NOTICE_SERIES = "REL"
NOTICE_NUMBER_WIDTH = 7
INDEMNITY_CODE = "FRAIS-RECOUVREMENT"
INTEREST_CODE = "INTERETS-RETARD"
ZERO = Decimal("0")


# --- proposal ----------------------------------------------------------------------------------


def _entity_filter(run) -> Q:
    """Parameter ``entity``: an entity code; the run covers its centres."""
    code = run.parameters.get("entity")
    if not code:
        return Q()
    return Q(account__centre__path__startswith=Entity.objects.get(code=code).path)


def _proposal_targets(run):
    procedures = load_procedures()
    horizon = run.run_date + dt.timedelta(days=procedures.preventive_lead_days)
    return (
        OpenItem.objects.filter(
            _entity_filter(run),
            recovered_here(),
            cleared_on__isnull=True,
            open_amount__gt=0,
            kind__in=DUNNED_KINDS,
            due_date__lte=horizon,
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()
        .iterator()
    )


def decide_accounts(account_ids, *, on: dt.date, procedures: Procedures):
    """(facts, decision) for each account of a chunk — the whole read side of a proposal."""
    packs = {code: procedures.pack(code) for code in procedures.by_code}
    for facts in load_facts(account_ids, on=on, procedures=procedures):
        code = facts.procedure_code
        if not code:
            yield facts, Decision(facts.debtor.account_id, reason="no_procedure")
            continue
        yield (
            facts,
            decide(
                debtor=facts.debtor,
                items=facts.items,
                procedure=procedures.by_code[code],
                on=on,
                pack=packs[code],
            ),
        )


PROPOSAL_COLUMNS = (
    "id", "run_id", "account_id", "procedure_id", "level_id", "status", "total", "fee_total",
    "actions", "rules", "fees", "blocks", "pay_by", "exclusion_reason", "excluded_by_id",
)  # fmt: skip
PROPOSAL_ITEM_COLUMNS = (
    "proposal_id", "open_item_id", "from_level", "to_level", "open_amount", "due_date",
    "excluded", "exclusion_reason", "excluded_by_id",
)  # fmt: skip


def propose_accounts(run, account_ids: list[int]) -> ChunkResult:
    """The proposal's chunk: decide for each account, write proposals and their items."""
    result = ChunkResult()
    procedures = load_procedures()
    decided = []
    for facts, decision in decide_accounts(account_ids, on=run.run_date, procedures=procedures):
        account_id = facts.debtor.account_id
        if decision.notice or decision.blocks:
            decided.append((facts, decision))
            if decision.blocks:
                result.skip(account_id, ", ".join(decision.blocks), "blocked")
        else:
            reason = decision.candidate.refusal if decision.candidate else decision.reason
            result.skip(account_id, reason[:255], reason.split(":")[0][:64])
    ids = allocate_ids(DunningProposal, len(decided))
    proposals, items = [], []
    empty = json_list(())
    for (facts, decision), proposal_id in zip(decided, ids, strict=True):
        code = facts.procedure_code
        head = (proposal_id, run.pk, facts.debtor.account_id, procedures.ids[code])
        if decision.blocks:
            proposals.append(
                (*head, None, ProposalStatus.BLOCKED.value, ZERO, ZERO, empty, empty, empty,
                 json_list(decision.blocks), None, "", None)
            )  # fmt: skip
            continue
        candidate = decision.candidate
        fees = [
            {"item": fee.item_id, "kind": fee.kind, "amount": str(fee.amount)}
            for fee in candidate.fees
        ]
        proposals.append(
            (
                *head, procedures.level_ids[(code, candidate.level.sequence)],
                ProposalStatus.PROPOSED.value, candidate.total,
                sum((fee.amount for fee in candidate.fees), ZERO),
                json_list(candidate.actions), json_list(candidate.rules),
                json_value(fees) if fees else empty, empty, candidate.pay_by, "", None,
            )
        )  # fmt: skip
        items.extend(
            (proposal_id, step.item_id, step.from_level, step.to_level, step.open_amount,
             step.due_date, False, "", None)
            for step in candidate.steps
        )  # fmt: skip
    insert_rows(DunningProposal, PROPOSAL_COLUMNS, proposals)
    insert_rows(ProposalItem, PROPOSAL_ITEM_COLUMNS, items)
    return result


# --- activity ----------------------------------------------------------------------------------


def _activity_targets(run):
    return (
        DunningProposal.objects.filter(
            run_id=run.parameters["proposal_run"], status=ProposalStatus.PROPOSED
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator()
    )


def _numbers(count: int, year: int) -> list[str]:
    if not count:
        return []
    return [
        format_number(NOTICE_SERIES, year, value, width=NOTICE_NUMBER_WIDTH)
        for value in next_numbers(NOTICE_SERIES, count, year)
    ]


NOTICE_COLUMNS = (
    "id", "number", "proposal_id", "run_id", "account_id", "procedure_id", "level_id",
    "issued_on", "pay_by", "actions", "rules", "total_due", "fee_total", "fee_invoice_id",
    "main_residence", "email_to", "sms_to", "email_sent_at", "sms_sent_at", "printed_at",
)  # fmt: skip
NOTICE_ITEM_COLUMNS = (
    "notice_id", "open_item_id", "document_number", "due_date", "open_amount", "level",
)  # fmt: skip
DUNNING_COLUMNS = ("open_item_id", "account_id", "level", "reached_on", "notice_id")
EVENT_COLUMNS = (
    "account_id", "kind", "occurred_on", "at", "actor_id", "summary", "next_step",
    "next_step_on", "notice_id", "plan_id", "promise_id",
)  # fmt: skip
DEBT_CASE_COLUMNS = ("account_id", "stage", "opened_on", "updated_on", "next_step", "next_step_on")
CHARGE_COLUMNS = ("notice_id", "open_item_id", "kind", "amount")
NEXT_STEP = "Échéance de la relance"


@dataclass
class _Notice:
    id: int
    number: str
    proposal_id: int
    account_id: int
    pay_by: dt.date
    fees: list
    items: list
    actions: list

    @property
    def stage(self) -> str:
        """Where the notice takes the debt case: the agency, litigation, or reminders."""
        if Action.LITIGATION in self.actions:
            return DebtStage.LITIGATION.value
        if Action.AGENCY in self.actions:
            return DebtStage.AGENCY.value
        return DebtStage.REMINDERS.value


def _executemany(sql: str, rows: list[tuple]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def issue_proposals(run, proposal_ids: list[int]) -> ChunkResult:
    """Issue the notices of a chunk of proposals (the activity run's chunk function)."""
    result = ChunkResult()
    on = run.run_date
    # As Django writes it (SQLite stores naive UTC text: mixed forms would sort wrong).
    now = connection.ops.adapt_datetimefield_value(clock.now())
    proposals = list(
        DunningProposal.objects.filter(pk__any=proposal_ids, status=ProposalStatus.PROPOSED)
        .order_by("pk")
        .values_list(
            "pk", "account_id", "procedure_id", "level_id", "actions", "rules", "fees",
            "pay_by", "level__label", "level__delay_days",
        )
    )  # fmt: skip
    account_ids = [p[1] for p in proposals]
    accounts = {
        row[0]: row
        for row in CustomerAccount.objects.filter(pk__any=account_ids).values_list(
            "pk", "centre_id", "payment_terms_days", "party__email", "party__mobile",
            "mail_returned_on",
        )
    }  # fmt: skip
    frozen = frozen_items(account_ids)
    blocked = live_blocks(account_ids, on, frozen)
    items = defaultdict(list)
    for row in ProposalItem.objects.filter(proposal_id__any=proposal_ids, excluded=False).values_list(
        "proposal_id", "open_item_id", "from_level", "to_level", "open_item__document_number",
        "open_item__due_date", "open_item__open_amount",
    ):  # fmt: skip
        # A notice never cites an item paid, frozen by an insolvency file (COLL-12) or
        # put in a write-off request (COLL-11) since the proposal.
        if row[6] > 0 and row[1] not in frozen.item_ids:
            items[row[0]].append(row)
    issuing = []
    for proposal in proposals:
        pk, account_id = proposal[0], proposal[1]
        if account_id in blocked or accounts[account_id][5] is not None:
            result.skip(pk, "bloqué depuis la proposition", "blocked_since")
        elif not items.get(pk):
            result.skip(pk, "plus rien à relancer", "nothing_left")
        else:
            issuing.append(proposal)
    if not issuing:
        return result
    # Everything that needs no number is written first: the gapless numbers (notices,
    # fee invoices, entries) are reserved last, so that a chunk holds their locks only
    # for its last statements (workers wait on each other there). The foreign keys to
    # the notices are checked at commit.
    ids = allocate_ids(DunningNotice, len(issuing))
    notices, item_rows, new_dunnings, raised = [], [], [], []
    for proposal, notice_id in zip(issuing, ids, strict=True):
        pk, account_id, _procedure, _level, actions, _rules, fees, pay_by, _label, delay = proposal
        live = items[pk]
        pay_by = pay_by or on + dt.timedelta(days=delay)
        notices.append(_Notice(notice_id, "", pk, account_id, pay_by, fees, live, actions))
        for _, item_id, from_level, to_level, document, due, open_amount in live:
            item_rows.append((notice_id, item_id, document, due, open_amount, to_level))
            if from_level:
                raised.append((to_level, on, notice_id, item_id))
            else:
                new_dunnings.append((item_id, account_id, to_level, on, notice_id))
    insert_rows(NoticeItem, NOTICE_ITEM_COLUMNS, item_rows)
    insert_rows(Dunning, DUNNING_COLUMNS, new_dunnings)
    table = Dunning._meta.db_table
    _executemany(
        f"UPDATE {table} SET level = %s, reached_on = %s, notice_id = %s WHERE open_item_id = %s",
        raised,
    )
    _debt_cases(notices, on=on)
    sql, params = in_ids("id", [n.proposal_id for n in notices])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {DunningProposal._meta.db_table} SET status = %s WHERE {sql}",
            [ProposalStatus.ISSUED.value, *params],
        )

    for notice, number in zip(notices, _numbers(len(notices), on.year), strict=True):
        notice.number = number
    charged = _charge_fees(notices, accounts, run=run)
    rows, events = [], []
    for proposal, notice in zip(issuing, notices, strict=True):
        _pk, account_id, procedure_id, level_id, actions, rules, _fees, _p, label, _d = proposal
        account = accounts[account_id]
        total = sum((row[6] for row in notice.items), ZERO)
        fee_invoice_id, fee_total = charged.get(notice.id, (None, ZERO))
        rows.append(
            (
                notice.id, notice.number, notice.proposal_id, run.pk, account_id, procedure_id,
                level_id, on, notice.pay_by, json_list(tuple(actions)),
                json_list(tuple(rules)), total, fee_total, fee_invoice_id,
                MAIN_RESIDENCE_RULE in rules,
                (account[3] or "")[:254] if Action.EMAIL in actions else "",
                (account[4] or "")[:20] if Action.SMS in actions else "",
                None, None, None,
            )
        )  # fmt: skip
        events.append(
            (
                account_id, EventKind.NOTICE.value, on, now, run.created_by_id,
                f"{notice.number} — {label} — {total} €"[:255], NEXT_STEP, notice.pay_by,
                notice.id, None, None,
            )
        )  # fmt: skip
    insert_rows(DunningNotice, NOTICE_COLUMNS, rows)
    insert_rows(CollectionEvent, EVENT_COLUMNS, events)
    return result


def _debt_cases(notices: list[_Notice], *, on: dt.date) -> None:
    """The debtors' one debt case moves to (or opens at) the notice's stage (COLL-13)."""
    existing = set(
        DebtCase.objects.filter(account_id__any=[n.account_id for n in notices]).values_list(
            "account_id", flat=True
        )
    )
    insert_rows(
        DebtCase,
        DEBT_CASE_COLUMNS,
        [
            (n.account_id, n.stage, on, on, NEXT_STEP, n.pay_by)
            for n in notices
            if n.account_id not in existing
        ],
    )
    _executemany(
        f"UPDATE {DebtCase._meta.db_table} SET stage = %s, updated_on = %s, next_step = %s, "
        "next_step_on = %s WHERE account_id = %s",
        [
            (n.stage, on, NEXT_STEP, n.pay_by, n.account_id)
            for n in notices
            if n.account_id in existing
        ],
    )


def _fee_line(fee: dict, document: str, price) -> Line:
    amount = Decimal(fee["amount"])
    if fee["kind"] == ChargeKind.INDEMNITY:
        code, label = (
            INDEMNITY_CODE,
            f"Indemnité forfaitaire pour frais de recouvrement — {document}",
        )
    else:
        code, label = INTEREST_CODE, f"Intérêts de retard — {document}"
    return Line(
        code=code,
        label=label,
        service=price.service if price else "water",
        beneficiary=price.beneficiary if price else "operator",
        quantity=Decimal(1),
        unit="unit",
        unit_price=amount,
        amount_excl_vat=amount,
        vat_rate=Decimal(0),  # an indemnity is outside the scope of VAT
        kind="fee",
    )


def _charge_fees(notices: list[_Notice], accounts: dict, *, run) -> dict[int, tuple[int, Decimal]]:
    """Professionals (COLL-1): the €40 indemnity per late invoice and late interest.

    One invoice per notice, all issued at once by the bulk invoice writer; a
    ``DunningCharge`` per fee (unique per invoice for the indemnity). Returns,
    per notice charged, its fees invoice and the total charged.
    """
    on = run.run_date
    batch, charges, billed = [], [], []
    price = None
    for notice in notices:
        documents = {row[1]: row[4] for row in notice.items}
        fees = [f for f in notice.fees if f["item"] in documents]
        if not fees:
            continue
        if price is None:
            price = price_list(kind="fee", on=on).filter(code=INDEMNITY_CODE).first() or False
        _, centre_id, terms = accounts[notice.account_id][:3]
        batch.append(
            LineInvoice(
                account_id=notice.account_id,
                centre_id=centre_id,
                due_date=on + dt.timedelta(days=terms),
                lines=tuple(_fee_line(f, documents[f["item"]], price or None) for f in fees),
                reason=f"Relance {notice.number}",
            )
        )
        charges.extend((notice.id, f["item"], f["kind"], Decimal(f["amount"])) for f in fees)
        billed.append((notice, sum((Decimal(f["amount"]) for f in fees), ZERO)))
    if not batch:
        return {}
    invoice_ids = issue_line_invoices(
        batch, issue_date=on, kind=InvoiceKind.FEES, actor_id=run.created_by_id
    )
    insert_rows(DunningCharge, CHARGE_COLUMNS, charges)
    return {
        notice.id: (invoice_id, total)
        for (notice, total), invoice_id in zip(billed, invoice_ids, strict=True)
    }


def register() -> None:
    register_run_kind(
        PROPOSAL,
        targets=_proposal_targets,
        process_chunk=propose_accounts,
        label="Proposition de relances",
        replace=True,
    )
    register_run_kind(
        ACTIVITY,
        targets=_activity_targets,
        process_chunk=issue_proposals,
        label="Émission des relances",
        replace=True,
    )


def proposal_run_of(run: BatchRun) -> int | None:
    return run.parameters.get("proposal_run") if run.kind == ACTIVITY else None
