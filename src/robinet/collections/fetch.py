"""Load the dunning facts of a chunk of accounts in a fixed number of queries.

The pure policy (:mod:`robinet.collections.policy`) decides; this module
turns rows into its dataclasses: overdue items with their level, blocks in
force (recorded ones and those that follow from the account: an active plan,
a pending promise, returned mail), the premises (main residence), the NEC
flag, the previous notice and whether a formal notice was already sent.

COLL-12 over COLL-3: the items frozen by a live over-indebtedness file or
collective procedure (its ``InsolvencyItem`` rows, the debt prior to the
admissibility / judgment date) are left out, and the file's block does not
hold the account: bills issued after that date are dunned normally, within
the rule pack.

COLL-11: the items of a write-off request awaiting its approval are left out
too (the debt is being given up; a second person decides): dunned again if
the request is rejected.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from robinet.billing.choices import InvoiceKind
from robinet.collections.choices import (
    INSOLVENCY_BLOCK_REASONS,
    Action,
    BlockReason,
    PlanState,
    PromiseState,
)
from robinet.collections.models import (
    CollectionBlock,
    DunningCharge,
    DunningLevel,
    DunningNotice,
    DunningProcedure,
    InsolvencyFile,
    InsolvencyItem,
    InsolvencyState,
    PaymentPlan,
    PaymentPromise,
    WriteOffItem,
    WriteOffState,
)
from robinet.collections.policy import (
    BlockFacts,
    DebtorFacts,
    ItemFacts,
    LevelSpec,
    ProcedureSpec,
    RulePack,
)
from robinet.collections.rules import pack_for
from robinet.customers.choices import ContractStatus, ParticularityKind, PremisesUse
from robinet.customers.models import Contract, CustomerAccount, Particularity
from robinet.ledger.models import OpenItem, OpenItemKind

# Open debits that are dunned: bills and other invoices, rejected payments, old balances.
DUNNED_KINDS = (OpenItemKind.INVOICE, OpenItemKind.REVERSAL, OpenItemKind.OPENING)


def recovered_here(prefix: str = "") -> Q:
    """Not an invoice the régie has sent to the public accountant as a title (PES).

    The accountant recovers a titled invoice (its payments, enforcement and
    write-off come back in the recovery-status file), so the utility's own
    collection never dunns, scores, plans, assigns, litigates or writes it off.
    """
    # An anti-join on the title's unique invoice key: no outer join (FOR UPDATE stays legal).
    title = apps.get_model("pes", "Title")
    return ~Q(Exists(title.objects.filter(invoice_id=OuterRef(f"{prefix}invoice_id"))))


# Premises where cutting off or reducing the flow is never possible (COLL-4).
PROTECTED_PREMISES = (PremisesUse.MAIN_RESIDENCE, PremisesUse.RESIDENTIAL_BUILDING)
# Files whose prior items stay frozen (an erased debt waits for its write-off, still frozen).
LIVE_INSOLVENCY_STATES = (InsolvencyState.OPEN, InsolvencyState.PLAN, InsolvencyState.ERASED)
# Fees are not themselves charged a recovery indemnity.
NO_INDEMNITY_KINDS = (InvoiceKind.FEES,)


@dataclass(frozen=True)
class AccountFacts:
    debtor: DebtorFacts
    items: tuple[ItemFacts, ...]
    procedure_code: str
    centre_id: int


@dataclass(frozen=True)
class Procedures:
    """The procedures, their specs and the class → procedure map (loaded once per run)."""

    by_code: dict[str, ProcedureSpec]
    ids: dict[str, int]
    level_ids: dict[tuple[str, int], int]
    by_class: dict[str, str]
    default: str

    def code_for(self, customer_class: str) -> str:
        return self.by_class.get(customer_class, self.default)

    def pack(self, code: str) -> RulePack:
        return pack_for(
            self.by_code[code].jurisdiction,
            late_interest_rate=settings.ROBINET_LATE_INTEREST_RATE,
            public_regie=settings.ROBINET_PUBLIC_REGIE,
        )

    @property
    def preventive_lead_days(self) -> int:
        """How many days before the due date the earliest preventive reminder goes out."""
        return max(
            [0, *(-lvl.days_after_due for spec in self.by_code.values() for lvl in spec.levels)]
        )


def load_procedures() -> Procedures:
    procedures = list(DunningProcedure.objects.prefetch_related("classes"))
    levels: dict[int, list[DunningLevel]] = defaultdict(list)
    for level in DunningLevel.objects.order_by("procedure_id", "sequence"):
        levels[level.procedure_id].append(level)
    by_code, ids, level_ids, by_class = {}, {}, {}, {}
    default = ""
    for procedure in procedures:
        ids[procedure.code] = procedure.pk
        by_code[procedure.code] = ProcedureSpec(
            code=procedure.code,
            jurisdiction=procedure.jurisdiction,
            levels=tuple(
                LevelSpec(
                    sequence=lvl.sequence,
                    label=lvl.label,
                    days_after_due=lvl.days_after_due,
                    min_amount=lvl.min_amount,
                    actions=tuple(lvl.actions),
                    delay_days=lvl.delay_days,
                    charges_indemnity=lvl.charges_indemnity,
                    charges_interest=lvl.charges_interest,
                )
                for lvl in levels[procedure.pk]
            ),
        )
        for lvl in levels[procedure.pk]:
            level_ids[(procedure.code, lvl.sequence)] = lvl.pk
        for assignment in procedure.classes.all():
            by_class[assignment.customer_class] = procedure.code
        if procedure.is_default:
            default = procedure.code
    return Procedures(by_code, ids, level_ids, by_class, default)


@dataclass(frozen=True)
class Frozen:
    """Items never dunned while they are held, whatever their account's other debts.

    Those of live insolvency files (COLL-12: their items, not their accounts) and
    those of write-off requests awaiting approval (COLL-11).
    """

    item_ids: frozenset[int]  # left out of dunning: insolvency items ∪ pending write-offs
    files: frozenset[tuple[int, str]]  # (account id, file number): blocks that are item-level
    writing_off: frozenset[int] = frozenset()  # of which: in a pending write-off request


def pending_write_off_items(account_ids: Sequence[int]) -> frozenset[int]:
    """The open items of the accounts' write-off requests awaiting approval (COLL-11)."""
    return frozenset(
        WriteOffItem.objects.filter(
            request__account_id__any=account_ids, request__state=WriteOffState.REQUESTED
        ).values_list("item_id", flat=True)
    )


def frozen_items(account_ids: Sequence[int]) -> Frozen:
    """Items left out of dunning: the prior items of the live over-indebtedness / collective
    procedure files (COLL-12) and the items of pending write-off requests (COLL-11)."""
    writing_off = pending_write_off_items(account_ids)
    files = frozenset(
        InsolvencyFile.objects.filter(account_id__any=account_ids)
        .exclude(state=InsolvencyState.CLOSED)
        .values_list("account_id", "number")
    )
    if not files:
        return Frozen(writing_off, files, writing_off)
    items = InsolvencyItem.objects.filter(
        file__account_id__any=account_ids, file__state__in=LIVE_INSOLVENCY_STATES
    ).values_list("open_item_id", flat=True)
    return Frozen(frozenset(items) | writing_off, files, writing_off)


def live_blocks(
    account_ids: Sequence[int], on: dt.date, frozen: Frozen | None = None
) -> dict[int, list[BlockFacts]]:
    """Blocks in force on ``on``: recorded ones, active plans, pending promises (COLL-3).

    The block of a live insolvency file is not an account block: its file's
    items are left out instead (:func:`frozen_items`, COLL-12).
    """
    frozen = frozen if frozen is not None else frozen_items(account_ids)
    blocks: dict[int, list[BlockFacts]] = defaultdict(list)
    recorded = CollectionBlock.objects.filter(
        account_id__any=account_ids, lifted_on__isnull=True, starts_on__lte=on
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    for account_id, reason, starts, ends, reference in recorded.values_list(
        "account_id", "reason", "starts_on", "ends_on", "reference"
    ):
        if reason in INSOLVENCY_BLOCK_REASONS and (account_id, reference) in frozen.files:
            continue
        blocks[account_id].append(BlockFacts(reason, starts, ends))
    for account_id, agreed in PaymentPlan.objects.filter(
        account_id__any=account_ids, state=PlanState.ACTIVE
    ).values_list("account_id", "agreed_on"):
        blocks[account_id].append(BlockFacts(BlockReason.PAYMENT_PLAN, min(agreed, on)))
    for account_id, made in PaymentPromise.objects.filter(
        account_id__any=account_ids, state=PromiseState.PENDING
    ).values_list("account_id", "made_on"):
        blocks[account_id].append(BlockFacts(BlockReason.PROMISE, min(made, on)))
    return blocks


def load_facts(
    account_ids: Sequence[int], *, on: dt.date, procedures: Procedures
) -> list[AccountFacts]:
    accounts = {
        row[0]: row
        for row in CustomerAccount.objects.filter(pk__any=account_ids).values_list(
            "pk", "customer_class", "centre_id", "mail_returned_on"
        )
    }
    items_by_account: dict[int, list[dict]] = defaultdict(list)
    item_rows = (
        OpenItem.objects.filter(
            recovered_here(),
            account_id__any=account_ids,
            cleared_on__isnull=True,
            open_amount__gt=0,
            kind__in=DUNNED_KINDS,
        )
        .values(
            "pk",
            "account_id",
            "document_number",
            "posted_on",
            "due_date",
            "open_amount",
            "invoice__kind",
            "dunning__level",
        )
        .order_by("account_id", "due_date", "pk")
    )
    frozen = frozen_items(account_ids)
    item_ids = []
    for row in item_rows:
        if row["pk"] in frozen.item_ids:
            # prior debt of a live insolvency file (COLL-12), or in a write-off request
            # awaiting approval (COLL-11): held, never dunned
            continue
        items_by_account[row["account_id"]].append(row)
        item_ids.append(row["pk"])
    charged = set(
        DunningCharge.objects.filter(open_item_id__any=item_ids, kind="indemnity").values_list(
            "open_item_id", flat=True
        )
    )
    blocks = live_blocks(account_ids, on, frozen)
    nec = set(
        Particularity.objects.filter(
            account_id__any=account_ids, kind=ParticularityKind.NEC, started_on__lte=on
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))
        .values_list("account_id", flat=True)
    )
    protected = set(
        Contract.objects.filter(
            account_id__any=account_ids,
            status=ContractStatus.ACTIVE,
            service_point__premises_use__in=PROTECTED_PREMISES,
        ).values_list("account_id", flat=True)
    )
    last_notice: dict[int, tuple[dt.date, dt.date]] = {}
    formal: set[int] = set()
    for account_id, issued, pay_by, actions in (
        DunningNotice.objects.filter(account_id__any=account_ids)
        .order_by("account_id", "issued_on", "pk")
        .values_list("account_id", "issued_on", "pay_by", "actions")
    ):
        last_notice[account_id] = (issued, pay_by)
        if Action.FORMAL_NOTICE in actions:
            formal.add(account_id)
    facts = []
    for account_id in account_ids:
        account = accounts.get(account_id)
        if account is None:
            continue
        _, customer_class, centre_id, mail_returned_on = account
        account_blocks = list(blocks.get(account_id, ()))
        if mail_returned_on is not None:
            account_blocks.append(BlockFacts(BlockReason.RETURNED_MAIL, mail_returned_on))
        previous = last_notice.get(account_id)
        debtor = DebtorFacts(
            account_id=account_id,
            customer_class=customer_class,
            main_residence=account_id in protected,
            nec=account_id in nec,
            blocks=tuple(account_blocks),
            last_notice_on=previous[0] if previous else None,
            last_pay_by=previous[1] if previous else None,
            formal_notice_sent=account_id in formal,
        )
        items = tuple(
            ItemFacts(
                id=row["pk"],
                document_number=row["document_number"],
                posted_on=row["posted_on"],
                due_date=row["due_date"],
                open_amount=row["open_amount"],
                level=row["dunning__level"] or 0,
                is_invoice=row["invoice__kind"] is not None
                and row["invoice__kind"] not in NO_INDEMNITY_KINDS,
                indemnity_charged=row["pk"] in charged,
            )
            for row in items_by_account.get(account_id, ())
        )
        facts.append(AccountFacts(debtor, items, procedures.code_for(customer_class), centre_id))
    return facts
