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
from decimal import Decimal

from django.db.models import Q

from robinet.billing.choices import InvoiceKind
from robinet.billing.fees import Line, items_for
from robinet.billing.writer import LineInvoice, issue_line_invoices
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
    live_blocks,
    load_facts,
    load_procedures,
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


def _proposal_rows(run, facts, decision: Decision, procedures: Procedures):
    code = facts.procedure_code
    base = dict(run=run, account_id=facts.debtor.account_id, procedure_id=procedures.ids[code])
    if decision.blocks:
        return DunningProposal(
            status=ProposalStatus.BLOCKED, blocks=list(decision.blocks), **base
        ), []
    candidate = decision.candidate
    proposal = DunningProposal(
        status=ProposalStatus.PROPOSED,
        level_id=procedures.level_ids[(code, candidate.level.sequence)],
        total=candidate.total,
        fee_total=sum((fee.amount for fee in candidate.fees), ZERO),
        actions=list(candidate.actions),
        rules=list(candidate.rules),
        fees=[
            {"item": fee.item_id, "kind": fee.kind, "amount": str(fee.amount)}
            for fee in candidate.fees
        ],
        pay_by=candidate.pay_by,
        **base,
    )
    items = [
        ProposalItem(
            open_item_id=step.item_id,
            from_level=step.from_level,
            to_level=step.to_level,
            open_amount=step.open_amount,
            due_date=step.due_date,
        )
        for step in candidate.steps
    ]
    return proposal, items


def propose_accounts(run, account_ids: list[int]) -> ChunkResult:
    result = ChunkResult()
    procedures = load_procedures()
    proposals, items_of = [], []
    for facts, decision in decide_accounts(account_ids, on=run.run_date, procedures=procedures):
        account_id = facts.debtor.account_id
        if decision.notice or decision.blocks:
            proposal, items = _proposal_rows(run, facts, decision, procedures)
            proposals.append(proposal)
            items_of.append(items)
            if decision.blocks:
                result.skip(account_id, ", ".join(decision.blocks), "blocked")
        else:
            reason = decision.candidate.refusal if decision.candidate else decision.reason
            result.skip(account_id, reason[:255], reason.split(":")[0][:64])
    DunningProposal.objects.bulk_create(proposals, batch_size=1000)
    rows = []
    for proposal, items in zip(proposals, items_of, strict=True):
        for item in items:
            item.proposal_id = proposal.pk
            rows.append(item)
    ProposalItem.objects.bulk_create(rows, batch_size=2000)
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


def issue_proposals(run, proposal_ids: list[int]) -> ChunkResult:
    """Issue the notices of a chunk of proposals (the activity run's chunk function)."""
    result = ChunkResult()
    on = run.run_date
    now = clock.now()
    proposals = list(
        DunningProposal.objects.filter(pk__in=proposal_ids, status=ProposalStatus.PROPOSED)
        .select_related("level")
        .order_by("pk")
    )
    account_ids = [p.account_id for p in proposals]
    blocked = live_blocks(account_ids, on)
    returned = set(
        CustomerAccount.objects.filter(
            pk__in=account_ids, mail_returned_on__isnull=False
        ).values_list("pk", flat=True)
    )
    items = defaultdict(list)
    for item in ProposalItem.objects.filter(proposal_id__in=proposal_ids, excluded=False).values(
        "proposal_id",
        "open_item_id",
        "to_level",
        "open_item__document_number",
        "open_item__due_date",
        "open_item__open_amount",
    ):
        # A notice never cites an item paid since the proposal.
        if item["open_item__open_amount"] > 0:
            items[item["proposal_id"]].append(item)
    accounts = {
        a.pk: a for a in CustomerAccount.objects.filter(pk__in=account_ids).select_related("party")
    }
    issuing = []
    for proposal in proposals:
        live = items.get(proposal.pk, [])
        if proposal.account_id in blocked or proposal.account_id in returned:
            result.skip(proposal.pk, "bloqué depuis la proposition", "blocked_since")
        elif not any(i["to_level"] >= 1 for i in live):
            result.skip(proposal.pk, "plus rien à relancer", "nothing_left")
        else:
            issuing.append(proposal)
    numbers = _numbers(len(issuing), on.year)
    notices = []
    for proposal, number in zip(issuing, numbers, strict=True):
        live = items[proposal.pk]
        account = accounts[proposal.account_id]
        notices.append(
            DunningNotice(
                number=number,
                proposal=proposal,
                run=run,
                account_id=proposal.account_id,
                procedure_id=proposal.procedure_id,
                level_id=proposal.level_id,
                issued_on=on,
                pay_by=proposal.pay_by or on + dt.timedelta(days=proposal.level.delay_days),
                actions=proposal.actions,
                rules=proposal.rules,
                total_due=sum((i["open_item__open_amount"] for i in live), ZERO),
                main_residence=MAIN_RESIDENCE_RULE in proposal.rules,
                email_to=(account.party.email or "")[:254]
                if Action.EMAIL in proposal.actions
                else "",
                sms_to=(account.party.mobile or "")[:20] if Action.SMS in proposal.actions else "",
            )
        )
    DunningNotice.objects.bulk_create(notices, batch_size=1000)
    notice_items, dunnings, events = [], [], []
    for notice in notices:
        live = items[notice.proposal_id]
        for item in live:
            notice_items.append(
                NoticeItem(
                    notice_id=notice.pk,
                    open_item_id=item["open_item_id"],
                    document_number=item["open_item__document_number"],
                    due_date=item["open_item__due_date"],
                    open_amount=item["open_item__open_amount"],
                    level=item["to_level"],
                )
            )
            dunnings.append(
                Dunning(
                    open_item_id=item["open_item_id"],
                    account_id=notice.account_id,
                    level=item["to_level"],
                    reached_on=on,
                    notice_id=notice.pk,
                )
            )
        events.append(
            CollectionEvent(
                account_id=notice.account_id,
                kind=EventKind.NOTICE,
                occurred_on=on,
                at=now,
                summary=f"{notice.number} — {notice.proposal.level.label} — {notice.total_due} €",
                next_step="Échéance de la relance",
                next_step_on=notice.pay_by,
                notice_id=notice.pk,
            )
        )
    NoticeItem.objects.bulk_create(notice_items, batch_size=2000)
    Dunning.objects.bulk_create(
        dunnings,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["open_item"],
        update_fields=["level", "reached_on", "notice"],
    )
    CollectionEvent.objects.bulk_create(events, batch_size=2000)
    DebtCase.objects.bulk_create(
        [
            DebtCase(
                account_id=n.account_id,
                stage=DebtStage.REMINDERS,
                opened_on=on,
                updated_on=on,
                next_step="Échéance de la relance",
                next_step_on=n.pay_by,
            )
            for n in notices
        ],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=["stage", "updated_on", "next_step", "next_step_on"],
    )
    DunningProposal.objects.filter(pk__in=[n.proposal_id for n in notices]).update(
        status=ProposalStatus.ISSUED
    )
    _charge_fees(notices, accounts, run=run)
    return result


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


def _charge_fees(notices: list[DunningNotice], accounts, *, run) -> None:
    """Professionals (COLL-1): the €40 indemnity per late invoice and late interest.

    One invoice per notice, all issued at once by the bulk invoice writer; a
    ``DunningCharge`` per fee (unique per invoice for the indemnity).
    """
    charged = [n for n in notices if n.proposal.fees]
    if not charged:
        return
    cited = defaultdict(set)
    for notice_id, item_id in NoticeItem.objects.filter(
        notice_id__in=[n.pk for n in charged]
    ).values_list("notice_id", "open_item_id"):
        cited[notice_id].add(item_id)
    fees_of = {n.pk: [f for f in n.proposal.fees if f["item"] in cited[n.pk]] for n in charged}
    documents = dict(
        OpenItem.objects.filter(
            pk__in=[f["item"] for fees in fees_of.values() for f in fees]
        ).values_list("pk", "document_number")
    )
    on = run.run_date
    price = items_for([INDEMNITY_CODE], kind="fee", on=on).get(INDEMNITY_CODE)
    batch, charges, billed = [], [], []
    for notice in charged:
        fees = fees_of[notice.pk]
        if not fees:
            continue
        account = accounts[notice.account_id]
        batch.append(
            LineInvoice(
                account_id=account.pk,
                centre_id=account.centre_id,
                due_date=on + dt.timedelta(days=account.payment_terms_days),
                lines=tuple(_fee_line(f, documents[f["item"]], price) for f in fees),
                reason=f"Relance {notice.number}",
            )
        )
        charges.append(
            [
                DunningCharge(
                    notice=notice,
                    open_item_id=f["item"],
                    kind=f["kind"],
                    amount=Decimal(f["amount"]),
                )
                for f in fees
            ]
        )
        billed.append(notice)
    invoice_ids = issue_line_invoices(
        batch, issue_date=on, kind=InvoiceKind.FEES, actor_id=run.created_by_id
    )
    for notice, invoice_id, rows in zip(billed, invoice_ids, charges, strict=True):
        notice.fee_invoice_id = invoice_id
        notice.fee_total = sum((c.amount for c in rows), ZERO)
    DunningCharge.objects.bulk_create([c for rows in charges for c in rows], batch_size=2000)
    DunningNotice.objects.bulk_update(billed, ["fee_invoice", "fee_total"], batch_size=1000)


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
