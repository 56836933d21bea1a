"""What dunning does for one account on one date — pure, no database (COLL-2, COLL-3).

:func:`decide` takes plain facts (the account's overdue items with the level
each has reached, its blocks, its class and premises) and a procedure, and
returns a :class:`Decision`: which items step to which level, the level of
the notice, its actions and fees, and the legal rules that shaped it.

The invariants, property-tested in ``tests/collections/test_policy.py``:

* an account with a block in force on the date gets no notice (COLL-3);
* an item's level never goes down and never skips a level (but preventive
  levels, which only apply before the due date);
* a notice cites only items still open, never a time-barred one (COLL-10);
* a notice is never sent before the deadline the previous one gave;
* the jurisdiction's rule pack has the last word (COLL-1, COLL-4): it can
  remove actions and fees or refuse the notice, never add a threat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal

ZERO = Decimal("0")


@dataclass(frozen=True)
class LevelSpec:
    sequence: int
    label: str
    days_after_due: int
    min_amount: Decimal = ZERO
    actions: tuple[str, ...] = ("letter",)
    delay_days: int = 15
    charges_indemnity: bool = False
    charges_interest: bool = False


@dataclass(frozen=True)
class ProcedureSpec:
    code: str
    levels: tuple[LevelSpec, ...]
    jurisdiction: str = "FR"

    def level(self, sequence: int) -> LevelSpec | None:
        for level in self.levels:
            if level.sequence == sequence:
                return level
        return None

    def next_level(self, sequence: int) -> LevelSpec | None:
        """The first level ranked after ``sequence`` (levels never skip)."""
        later = [level for level in self.levels if level.sequence > sequence]
        return min(later, key=lambda level: level.sequence) if later else None


@dataclass(frozen=True)
class ItemFacts:
    id: int
    document_number: str
    posted_on: dt.date
    due_date: dt.date
    open_amount: Decimal
    level: int = 0
    is_invoice: bool = True
    indemnity_charged: bool = False


@dataclass(frozen=True)
class BlockFacts:
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None = None

    def in_force(self, on: dt.date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


@dataclass(frozen=True)
class DebtorFacts:
    account_id: int
    customer_class: str
    main_residence: bool = False
    nec: bool = False
    blocks: tuple[BlockFacts, ...] = ()
    last_notice_on: dt.date | None = None
    last_pay_by: dt.date | None = None
    formal_notice_sent: bool = False


@dataclass(frozen=True)
class Step:
    item_id: int
    document_number: str
    due_date: dt.date
    open_amount: Decimal
    from_level: int
    to_level: int


@dataclass(frozen=True)
class Fee:
    item_id: int
    kind: str  # "indemnity" | "interest"
    amount: Decimal


@dataclass(frozen=True)
class Candidate:
    """A notice being shaped by the rule pack."""

    debtor: DebtorFacts
    on: dt.date
    level: LevelSpec
    steps: tuple[Step, ...]
    actions: tuple[str, ...]
    pay_by: dt.date
    fees: tuple[Fee, ...] = ()
    rules: tuple[str, ...] = ()
    refusal: str = ""  # a rule id with the reason, when the pack refuses the notice
    cutoff_wording_allowed: bool = False
    fsl_information: bool = False
    agency_mentions: bool = False

    @property
    def total(self) -> Decimal:
        return sum((step.open_amount for step in self.steps), ZERO)

    def applied(self, rule_id: str, **changes) -> Candidate:
        """This candidate with ``changes``, ``rule_id`` noted among its rules.

        What ``dataclasses.replace`` gives, without its walk over the fields on
        every call: the rule pack applies four or five rules to each of a run's
        notices (a tenth of a dunning proposal's time went there).
        """
        unknown = changes.keys() - _CANDIDATE_FIELDS
        if unknown:
            raise TypeError(f"Candidate has no field {', '.join(sorted(unknown))}")
        rules = self.rules if rule_id in self.rules else (*self.rules, rule_id)
        changed = object.__new__(Candidate)
        changed.__dict__.update(self.__dict__, rules=rules, **changes)
        return changed


_CANDIDATE_FIELDS = frozenset(f.name for f in fields(Candidate))


@dataclass(frozen=True)
class Decision:
    account_id: int
    blocks: tuple[str, ...] = ()
    candidate: Candidate | None = None
    time_barred: tuple[int, ...] = ()
    reason: str = ""  # why no notice, when there is none

    @property
    def notice(self) -> bool:
        return self.candidate is not None and not self.candidate.refusal and not self.blocks


class RulePack:
    """A jurisdiction's guardrails: time bar and the rules applied to each candidate."""

    code = ""

    def time_barred(self, debtor: DebtorFacts, item: ItemFacts, on: dt.date) -> bool:
        return False

    def rules(self) -> Sequence:
        return ()

    def apply(self, candidate: Candidate, items: dict[int, ItemFacts]) -> Candidate:
        for rule in self.rules():
            candidate = rule.apply(candidate, items)
            if candidate.refusal:
                break
        return candidate


def blocks_in_force(debtor: DebtorFacts, on: dt.date) -> tuple[str, ...]:
    return tuple(sorted({block.reason for block in debtor.blocks if block.in_force(on)}))


def _target(procedure: ProcedureSpec, item: ItemFacts, on: dt.date) -> int:
    """The level the item reaches on ``on``: the next one, when it is due.

    Preventive levels (before the due date) only apply to items not yet due:
    an item already overdue passes them to the first level after the due date.
    """
    nxt = procedure.next_level(item.level)
    while nxt is not None and nxt.days_after_due < 0 and on >= item.due_date:
        nxt = procedure.next_level(nxt.sequence)
    if nxt is not None and on >= item.due_date + dt.timedelta(days=nxt.days_after_due):
        return nxt.sequence
    return item.level


def decide(
    *,
    debtor: DebtorFacts,
    items: Iterable[ItemFacts],
    procedure: ProcedureSpec,
    on: dt.date,
    pack: RulePack,
) -> Decision:
    blocks = blocks_in_force(debtor, on)
    if blocks:
        return Decision(debtor.account_id, blocks=blocks, reason="blocked")
    open_items = [item for item in items if item.open_amount > 0]
    barred = tuple(sorted(i.id for i in open_items if pack.time_barred(debtor, i, on)))
    live = [item for item in open_items if item.id not in barred]
    steps = []
    for item in sorted(live, key=lambda i: (i.due_date, i.id)):
        to_level = _target(procedure, item, on)
        if to_level > item.level or (item.level and item.due_date < on):
            steps.append(
                Step(
                    item.id,
                    item.document_number,
                    item.due_date,
                    item.open_amount,
                    item.level,
                    to_level,
                )
            )
    if not any(step.to_level > step.from_level for step in steps):
        return Decision(debtor.account_id, time_barred=barred, reason="nothing_due")
    if debtor.last_pay_by is not None and on <= debtor.last_pay_by:
        # The previous notice gave the customer until then: wait.
        return Decision(debtor.account_id, time_barred=barred, reason="previous_deadline")
    level = procedure.level(max(step.to_level for step in steps))
    assert level is not None
    total = sum((step.open_amount for step in steps), ZERO)
    if total < level.min_amount:
        return Decision(debtor.account_id, time_barred=barred, reason="below_minimum")
    candidate = Candidate(
        debtor=debtor,
        on=on,
        level=level,
        steps=tuple(steps),
        actions=tuple(level.actions),
        pay_by=on + dt.timedelta(days=level.delay_days),
    )
    candidate = pack.apply(candidate, {item.id: item for item in live})
    return Decision(debtor.account_id, candidate=candidate, time_barred=barred)


@dataclass
class Outcome:
    """Counts of a batch of decisions (for run reports and benches)."""

    notices: int = 0
    blocked: int = 0
    refused: int = 0
    waiting: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, decision: Decision) -> None:
        if decision.notice:
            self.notices += 1
        elif decision.blocks:
            self.blocked += 1
        elif decision.candidate is not None:
            self.refused += 1
        else:
            self.waiting += 1
        key = decision.reason or (decision.candidate.refusal if decision.candidate else "")
        if key:
            self.reasons[key] = self.reasons.get(key, 0) + 1
