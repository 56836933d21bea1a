"""Which centres a report covers, and how per-centre figures add up the tree (REP-4).

Figures are computed per centre by set-based queries; :func:`tree_rows` sums
them to the level just below the chosen entity (a region's agencies, an
agency's centres), so that every report consolidates and drills down the same
way: region → agency → centre → accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.reporting.registry import PERM


def centre_ids(user, entity: Entity | None) -> list[int]:
    """The centres under ``entity`` (all of the user's when None) that ``user`` may report on."""
    mine = scope_for(user).centre_ids(PERM)
    if entity is None:
        return mine
    if entity.kind == EntityKind.CENTRE:
        return [entity.pk] if entity.pk in mine else []
    allowed = set(
        Entity.objects.filter(kind=EntityKind.CENTRE, path__startswith=entity.path).values_list(
            "pk", flat=True
        )
    )
    return [pk for pk in mine if pk in allowed]


def children_of(user, entity: Entity | None) -> list[Entity]:
    """The entities one level below ``entity`` that hold some of the user's centres.

    With no entity, the user's top level: the regions; a perimeter within a
    single region (or agency) starts one level lower, where rows differ.
    """
    if entity is not None and entity.kind == EntityKind.CENTRE:
        return []
    entities = list(Entity.objects.order_by("path"))
    by_pk = {e.pk: e for e in entities}
    centre_paths = [by_pk[c].path for c in centre_ids(user, entity) if c in by_pk]

    def holding(candidates: list[Entity]) -> list[Entity]:
        return [e for e in candidates if any(p.startswith(e.path) for p in centre_paths)]

    if entity is not None:
        return holding([e for e in entities if e.parent_id == entity.pk])
    level = holding([e for e in entities if e.kind == EntityKind.REGION])
    while len(level) == 1 and level[0].kind != EntityKind.CENTRE:
        level = holding([e for e in entities if e.parent_id == level[0].pk])
    return level


def centres_of_child(child: Entity, centre_paths: Mapping[int, str]) -> list[int]:
    return [pk for pk, path in centre_paths.items() if path.startswith(child.path)]


def tree_rows(
    user,
    entity: Entity | None,
    per_centre: Mapping[int, Mapping[str, Any]],
    *,
    combine: Callable[[list[Mapping[str, Any]]], dict[str, Any]] | None = None,
) -> list[tuple[Entity, dict[str, Any]]]:
    """``per_centre`` figures summed for each entity one level below ``entity``.

    ``combine`` turns the figures of several centres into one row (default: sum
    every number; rates must be recomputed by the caller's ``combine`` from
    their summed parts). A centre as ``entity`` gives no rows (drill to accounts).
    """
    combine = combine or sum_figures
    paths = dict(Entity.objects.filter(pk__in=list(per_centre) or [0]).values_list("pk", "path"))
    rows = []
    for child in children_of(user, entity):
        parts = [per_centre[pk] for pk in centres_of_child(child, paths)]
        rows.append((child, combine(parts)))
    return rows


def sum_figures(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum each numeric key over ``parts`` (Decimals stay Decimals, ints stay ints)."""
    total: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


def money_zero() -> Decimal:
    return Decimal("0.00")
