"""Invariants of the data: what must hold whatever happened (``robinet check``).

Each domain app declares its own in an ``invariants`` module (found at start-up,
like the admin's ``admin`` modules): a function that reads the database with
set-based queries and returns the offending rows, at most ``LIMIT`` examples and
their total count. Constraints in the schema already refuse most bad rows; these
are the promises no single row can carry (a sequence without gaps, an entry that
balances, two ledgers that agree). A read, never a write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

LIMIT = 10


@dataclass(frozen=True)
class Violations:
    """What an invariant found: the total count and up to ``LIMIT`` examples, in French."""

    count: int = 0
    examples: tuple[str, ...] = ()

    @classmethod
    def of(cls, rows: list[str], count: int | None = None) -> Violations:
        return cls(len(rows) if count is None else count, tuple(rows[:LIMIT]))


@dataclass(frozen=True)
class Invariant:
    name: str  # "billing.gapless-invoice-numbers"
    title: str  # French, one line
    check: Callable[[], Violations]


@dataclass(frozen=True)
class Outcome:
    invariant: Invariant
    violations: Violations = field(default_factory=Violations)

    @property
    def ok(self) -> bool:
        return self.violations.count == 0


_REGISTRY: dict[str, Invariant] = {}


def invariant(name: str, title: str):
    """Declare ``check`` as an invariant: ``@invariant("ledger.balanced-entries", "…")``."""

    def register(check: Callable[[], Violations]) -> Callable[[], Violations]:
        if name in _REGISTRY and _REGISTRY[name].check is not check:
            raise ValueError(f"invariant {name} declared twice")
        _REGISTRY[name] = Invariant(name, title, check)
        return check

    return register


def invariants() -> list[Invariant]:
    autodiscover_modules("invariants")
    return sorted(_REGISTRY.values(), key=lambda i: i.name)


def run(names: list[str] | None = None) -> list[Outcome]:
    """Check every invariant (or those whose name starts with one of ``names``)."""
    chosen = [i for i in invariants() if not names or any(i.name.startswith(n) for n in names)]
    return [Outcome(i, i.check()) for i in chosen]


def sequence_gaps(rows: list[tuple[str, int, int, int, int]]) -> list[str]:
    """Gapless numbering: each ``(series, year, count, smallest, largest)`` must be 1…count.

    Duplicates are refused by unique constraints, so ``count`` distinct numbers
    from 1 to ``largest`` leave no gap exactly when ``largest == count``.
    """
    found = []
    for series, year, count, smallest, largest in rows:
        if smallest != 1 or largest != count:
            found.append(
                f"{series} {year} : {count} numéros de {smallest} à {largest}"
                f" ({largest - count} manquant(s))"
            )
    return found
