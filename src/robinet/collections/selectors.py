"""Reads of dunning for the screens and the API (COLL-1…4, COLL-13).

Every selector is scoped to the centres where the user holds
``Perm.COLLECTION_VIEW``: a proposal, a notice or an account outside them is
"not found" (its existence is not revealed). A proposal run has no centre of
its own: it is visible when its entity parameter is empty (the whole
utility), covers one of the user's entities or lies under one; its figures
only count the user's accounts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.collections import runs
from robinet.collections.choices import (
    INSOLVENCY_BLOCK_REASONS,
    PlanState,
    PromiseState,
    ProposalStatus,
)
from robinet.collections.fetch import DUNNED_KINDS, recovered_here
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DebtCase,
    DunningLevel,
    DunningNotice,
    DunningProcedure,
    DunningProposal,
    InsolvencyFile,
    InsolvencyState,
    NoticeItem,
    PaymentPlan,
    PaymentPromise,
    ProposalItem,
)
from robinet.collections.rules import catalogue
from robinet.core import clock
from robinet.core.exceptions import NotFound
from robinet.core.models import BatchRun, RunState
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PAGE_SIZE = 50
#: accounts listed per group in the difference from the previous run
DIFF_LIMIT = 50


def _accounts_q(user, field: str = "account__centre") -> Q:
    return scope_for(user).entity_filter(Perm.COLLECTION_VIEW, field)


# --- proposal runs (COLL-2) --------------------------------------------------------------------


def _visible_entity_codes(user) -> set[str] | None:
    """Entity codes whose runs the user may see (None: all of them)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    paths = scope.paths_by_perm.get(Perm.COLLECTION_VIEW, ())
    if not paths:
        return set()
    return {
        code
        for code, path in Entity.objects.values_list("code", "path")
        if any(path.startswith(p) or p.startswith(path) for p in paths)
    }


def proposal_run_queryset(*, user) -> QuerySet[BatchRun]:
    queryset = BatchRun.objects.filter(kind=runs.PROPOSAL).select_related("created_by")
    codes = _visible_entity_codes(user)
    if codes is None:
        return queryset
    if not scope_for(user).allows(Perm.COLLECTION_VIEW):
        return queryset.none()
    return queryset.filter(
        Q(parameters__entity="")
        | Q(parameters__entity__isnull=True)
        | Q(parameters__entity__in=codes)
    )


@dataclass
class RunFigures:
    """What a proposal run holds, counted over the user's accounts."""

    proposed: int = 0
    blocked: int = 0
    excluded: int = 0
    issued: int = 0
    total: Decimal = ZERO
    fee_total: Decimal = ZERO
    by_status_total: dict[str, Decimal] = field(default_factory=dict)

    @property
    def accounts(self) -> int:
        return self.proposed + self.blocked + self.excluded + self.issued

    @property
    def to_issue_total(self) -> Decimal:
        return self.by_status_total.get(ProposalStatus.PROPOSED, ZERO)


def _figures(user, run_ids: list[int]) -> dict[int, RunFigures]:
    figures: dict[int, RunFigures] = defaultdict(RunFigures)
    rows = (
        DunningProposal.objects.filter(run_id__in=run_ids)
        .filter(_accounts_q(user))
        .values("run_id", "status")
        .annotate(n=Count("pk"), total=Sum("total"), fees=Sum("fee_total"))
        .order_by()
    )
    for row in rows:
        fig = figures[row["run_id"]]
        setattr(fig, row["status"], row["n"])
        total = (row["total"] or ZERO).quantize(CENT)
        fig.by_status_total[row["status"]] = total
        if row["status"] != ProposalStatus.BLOCKED:
            fig.total += total
            fig.fee_total += (row["fees"] or ZERO).quantize(CENT)
    return figures


def _activities(run_ids: list[int]) -> dict[int, BatchRun]:
    activities = BatchRun.objects.filter(
        kind=runs.ACTIVITY, parameters__proposal_run__in=run_ids
    ).exclude(state=RunState.CANCELLED)
    return {a.parameters["proposal_run"]: a for a in activities.order_by("pk")}


def proposal_run_list(*, user, limit: int = 100, offset: int = 0) -> list[BatchRun]:
    """The latest proposal runs, each with ``figures`` and ``activity`` (three queries)."""
    runs_ = list(
        proposal_run_queryset(user=user).order_by("-run_date", "-pk")[offset : offset + limit]
    )
    ids = [r.pk for r in runs_]
    figures = _figures(user, ids)
    activities = _activities(ids)
    for run in runs_:
        run.figures = figures.get(run.pk, RunFigures())
        run.activity = activities.get(run.pk)
    return runs_


def proposal_run_get_for_user(*, user, pk: int) -> BatchRun:
    run = proposal_run_queryset(user=user).filter(pk=pk).first()
    if run is None:
        raise NotFound(_("Proposition de relances introuvable."))
    run.figures = _figures(user, [run.pk]).get(run.pk, RunFigures())
    run.activity = _activities([run.pk]).get(run.pk)
    return run


def proposal_list(
    *, user, run: BatchRun, status: str = "", level: int | None = None, search: str = ""
) -> QuerySet[DunningProposal]:
    """A run's proposals for the user's accounts, with their items (filters status, level, text)."""
    queryset = (
        DunningProposal.objects.filter(run=run)
        .filter(_accounts_q(user))
        .select_related("account__party", "level", "procedure", "excluded_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ProposalItem.objects.select_related("open_item", "excluded_by").order_by(
                    "due_date", "pk"
                ),
            )
        )
        .order_by("account__number")
    )
    if status:
        queryset = queryset.filter(status=status)
    if level:
        queryset = queryset.filter(level__sequence=level)
    for term in (search or "").split():
        queryset = queryset.filter(
            Q(account__number__icontains=term)
            | Q(account__party__name__icontains=term)
            | Q(account__party__first_name__icontains=term)
        )
    return queryset


def proposal_page(queryset, page: int | str | None, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(page)


def proposal_get_for_user(*, user, pk: int) -> DunningProposal:
    proposal = (
        DunningProposal.objects.filter(_accounts_q(user))
        .select_related("account__centre", "run")
        .filter(pk=pk, run__kind=runs.PROPOSAL)
        .first()
    )
    if proposal is None:
        raise NotFound(_("Proposition introuvable."))
    return proposal


def proposal_item_get_for_user(*, user, pk: int) -> ProposalItem:
    item = (
        ProposalItem.objects.filter(_accounts_q(user, "proposal__account__centre"))
        .select_related("proposal__account__centre", "proposal__run", "open_item")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise NotFound(_("Poste proposé introuvable."))
    return item


def previous_proposal_run(run: BatchRun) -> BatchRun | None:
    """The latest proposal run before ``run`` on the same entity (its day before, usually)."""
    return (
        BatchRun.objects.filter(
            kind=runs.PROPOSAL,
            state=RunState.DONE,
            parameters__entity=run.parameters.get("entity", ""),
        )
        .filter(Q(run_date__lt=run.run_date) | Q(run_date=run.run_date, pk__lt=run.pk))
        .order_by("-run_date", "-pk")
        .first()
    )


@dataclass
class DiffRow:
    account_id: int
    number: str
    name: str
    level: int | None = None
    previous_level: int | None = None


@dataclass
class RunDiff:
    previous: BatchRun | None
    new: list[DiffRow] = field(default_factory=list)
    gone: list[DiffRow] = field(default_factory=list)
    changed: list[DiffRow] = field(default_factory=list)
    new_count: int = 0
    gone_count: int = 0
    changed_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.new_count or self.gone_count or self.changed_count)


def _levels(user, run_id: int) -> dict[int, int | None]:
    """account id → proposed level (None when blocked) of a run's proposals."""
    return dict(
        DunningProposal.objects.filter(run_id=run_id)
        .filter(_accounts_q(user))
        .values_list("account_id", "level__sequence")
    )


def proposal_run_diff(*, user, run: BatchRun, limit: int = DIFF_LIMIT) -> RunDiff:
    """What changed since the previous proposal run: accounts new, gone, at another level.

    Three queries whatever the size: each run's (account, level) pairs, then the
    names of the accounts listed (``limit`` per group; the counts are exact).
    """
    previous = previous_proposal_run(run)
    diff = RunDiff(previous=previous)
    if previous is None:
        return diff
    now, before = _levels(user, run.pk), _levels(user, previous.pk)
    new_ids = sorted(now.keys() - before.keys())
    gone_ids = sorted(before.keys() - now.keys())
    changed_ids = sorted(a for a in now.keys() & before.keys() if now[a] != before[a])
    diff.new_count, diff.gone_count, diff.changed_count = (
        len(new_ids),
        len(gone_ids),
        len(changed_ids),
    )
    shown = new_ids[:limit] + gone_ids[:limit] + changed_ids[:limit]
    accounts = {
        a.pk: a
        for a in CustomerAccount.objects.filter(pk__in=shown).select_related("party").order_by()
    }

    def row(account_id: int) -> DiffRow:
        account = accounts[account_id]
        return DiffRow(
            account_id=account_id,
            number=account.number,
            name=account.party.display_name,
            level=now.get(account_id),
            previous_level=before.get(account_id),
        )

    diff.new = sorted((row(a) for a in new_ids[:limit]), key=lambda r: r.number)
    diff.gone = sorted((row(a) for a in gone_ids[:limit]), key=lambda r: r.number)
    diff.changed = sorted((row(a) for a in changed_ids[:limit]), key=lambda r: r.number)
    return diff


def dunning_levels(*, run: BatchRun | None = None) -> list[int]:
    """The level ranks that exist (for the level filter)."""
    return sorted(set(DunningLevel.objects.values_list("sequence", flat=True)))


# --- notices -----------------------------------------------------------------------------------


def notice_list(
    *, user, run_id: int | None = None, account: str = "", level: int | None = None
) -> QuerySet[DunningNotice]:
    queryset = (
        DunningNotice.objects.filter(_accounts_q(user))
        .select_related("account__party", "level", "procedure")
        .order_by("-issued_on", "-number")
    )
    if run_id:
        queryset = queryset.filter(Q(run_id=run_id) | Q(proposal__run_id=run_id))
    if account:
        queryset = queryset.filter(account__number__icontains=account.strip())
    if level:
        queryset = queryset.filter(level__sequence=level)
    return queryset


def notice_get_for_user(*, user, pk: int | None = None, number: str | None = None) -> DunningNotice:
    lookup = {"pk": pk} if pk is not None else {"number": number}
    notice = (
        DunningNotice.objects.filter(_accounts_q(user))
        .select_related("account__party", "account__centre", "level", "procedure", "fee_invoice")
        .prefetch_related(
            Prefetch("items", queryset=NoticeItem.objects.order_by("due_date", "pk")),
            "charges",
        )
        .filter(**lookup)
        .first()
    )
    if notice is None:
        raise NotFound(_("Avis de relance introuvable."))
    return notice


def rules_explained(rule_ids) -> list[dict[str, str]]:
    """The catalogue entries of ``rule_ids`` (id, source, summary), in their order."""
    known = {rule["id"]: rule for rule in catalogue()}
    return [
        known.get(i, {"id": i, "source": "", "summary": "", "jurisdiction": ""}) for i in rule_ids
    ]


# --- an account's collection (COLL-3, COLL-13) -------------------------------------------------


def block_get_for_user(*, user, pk: int) -> CollectionBlock:
    block = (
        CollectionBlock.objects.filter(_accounts_q(user))
        .select_related("account__centre")
        .filter(pk=pk)
        .first()
    )
    if block is None:
        raise NotFound(_("Blocage introuvable."))
    return block


def live_block_q(on: dt.date) -> Q:
    return Q(lifted_on__isnull=True, starts_on__lte=on) & (
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )


def overdue_items(account: CustomerAccount, on: dt.date) -> QuerySet[OpenItem]:
    """The account's dunned open items past their due date, with the level each reached."""
    return (
        OpenItem.objects.filter(
            recovered_here(),
            account=account,
            cleared_on__isnull=True,
            open_amount__gt=0,
            kind__in=DUNNED_KINDS,
            due_date__lt=on,
        )
        .select_related("dunning")
        .order_by("due_date", "pk")
    )


@dataclass
class AccountCollection:
    account: CustomerAccount
    debt_case: DebtCase | None
    overdue: list[OpenItem]
    overdue_total: Decimal
    current_level: int
    live_blocks: list[CollectionBlock]
    past_blocks: list[CollectionBlock]
    notices: list[DunningNotice]
    events: list[CollectionEvent]
    active_plan: PaymentPlan | None
    pending_promise: PaymentPromise | None
    #: the live blocks of a live over-indebtedness / collective procedure file: they freeze
    #: the file's items only, not the account (COLL-12); ``reference`` is the file number
    frozen_blocks: list[CollectionBlock] = field(default_factory=list)

    @property
    def holding_blocks(self) -> list[CollectionBlock]:
        """The live blocks that hold the whole account's dunning (COLL-3)."""
        frozen = {b.pk for b in self.frozen_blocks}
        return [b for b in self.live_blocks if b.pk not in frozen]

    @property
    def blocked(self) -> bool:
        return bool(self.holding_blocks or self.active_plan or self.pending_promise)


def account_collection(
    *, user, account: CustomerAccount, notices: int = 10, events: int = 50
) -> AccountCollection:
    """Everything the collection page and the customer page's card show about one debtor.

    ``account`` must come from a scoped selector (``account_get_for_user`` with
    ``Perm.COLLECTION_VIEW``).
    """
    today = clock.today()
    overdue = list(overdue_items(account, today))
    levels = [item.dunning.level for item in overdue if _dunning_of(item) is not None]
    blocks = list(
        CollectionBlock.objects.filter(account=account)
        .select_related("created_by", "lifted_by")
        .order_by("-starts_on", "-pk")
    )
    live = [b for b in blocks if _in_force(b, today)]
    return AccountCollection(
        frozen_blocks=insolvency_file_blocks(account, live),
        account=account,
        debt_case=DebtCase.objects.filter(account=account).first(),
        overdue=overdue,
        overdue_total=sum((i.open_amount for i in overdue), ZERO),
        current_level=max(levels, default=0),
        live_blocks=live,
        past_blocks=[b for b in blocks if b not in live],
        notices=list(
            DunningNotice.objects.filter(account=account)
            .select_related("level")
            .order_by("-issued_on", "-pk")[:notices]
        ),
        events=list(
            CollectionEvent.objects.filter(account=account).select_related("actor", "notice")[
                :events
            ]
        ),
        active_plan=PaymentPlan.objects.filter(account=account, state=PlanState.ACTIVE).first(),
        pending_promise=PaymentPromise.objects.filter(
            account=account, state=PromiseState.PENDING
        ).first(),
    )


def insolvency_file_blocks(
    account: CustomerAccount, live: list[CollectionBlock]
) -> list[CollectionBlock]:
    """The live blocks that follow a live insolvency file of the account (COLL-12).

    Such a block freezes the file's items (the debt prior to the admissibility /
    judgment date), not the account: the same rule as the dunning fetch
    (:func:`robinet.collections.fetch.live_blocks`). A block of these reasons with no
    live file behind it (entered by hand) still holds the account.
    """
    candidates = [b for b in live if b.reason in INSOLVENCY_BLOCK_REASONS]
    if not candidates:
        return []
    files = set(
        InsolvencyFile.objects.filter(account=account)
        .exclude(state=InsolvencyState.CLOSED)
        .values_list("number", flat=True)
    )
    return [b for b in candidates if b.reference in files]


def _dunning_of(item: OpenItem):
    try:
        return item.dunning
    except OpenItem.dunning.RelatedObjectDoesNotExist:
        return None


def _in_force(block: CollectionBlock, on: dt.date) -> bool:
    return (
        block.lifted_on is None
        and block.starts_on <= on
        and (block.ends_on is None or block.ends_on >= on)
    )


def item_levels(items: list[OpenItem]) -> list[tuple[OpenItem, int]]:
    return [(item, getattr(_dunning_of(item), "level", 0)) for item in items]


# --- procedures and rules (COLL-1, COLL-4) -----------------------------------------------------


def procedure_list() -> list[DunningProcedure]:
    return list(
        DunningProcedure.objects.prefetch_related(
            "classes", Prefetch("levels", queryset=DunningLevel.objects.order_by("sequence"))
        ).order_by("-is_default", "code")
    )


def rule_catalogue() -> dict[str, list[dict[str, str]]]:
    """The legal rules of each jurisdiction (id, source, summary)."""
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for rule in catalogue():
        grouped[rule["jurisdiction"]].append(rule)
    return dict(grouped)
