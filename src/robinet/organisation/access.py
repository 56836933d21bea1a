"""What a user may see and do: roles on entities, scoped to subtrees (ORG-2).

Selectors and services call :func:`scope_for` and :func:`require`; templates
only hide buttons.
"""

import contextlib
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext

from robinet.core.exceptions import PermissionDenied
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import ROLE_PERMISSIONS


@dataclass(frozen=True)
class Scope:
    """For each permission, the entity paths under which the user holds it."""

    user_id: int | None
    is_superuser: bool
    paths_by_perm: dict[str, tuple[str, ...]]
    _centres: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def allows(self, perm: str) -> bool:
        return self.is_superuser or bool(self.paths_by_perm.get(perm))

    def entity_filter(self, perm: str, field: str = "") -> Q:
        """A Q restricting ``field`` (a path to an Entity; "" for Entity itself) to the user's subtrees."""
        if self.is_superuser:
            return Q()
        paths = self.paths_by_perm.get(perm, ())
        if not paths:
            return Q(pk__in=[])
        lookup = f"{field}__path__startswith" if field else "path__startswith"
        query = Q()
        for path in paths:
            query |= Q(**{lookup: path})
        return query

    def covers(self, perm: str, entity: Entity | None) -> bool:
        if self.is_superuser:
            return True
        if entity is None:
            return False
        return any(entity.path.startswith(p) for p in self.paths_by_perm.get(perm, ()))

    def centre_ids(self, perm: str) -> list[int]:
        """Ids of the centres under the user's entities for ``perm`` (cached on the scope)."""
        if perm not in self._centres:
            self._centres[perm] = list(
                Entity.objects.filter(kind=EntityKind.CENTRE)
                .filter(self.entity_filter(perm))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return self._centres[perm]


def scope_for(user) -> Scope:
    cached = getattr(user, "_robinet_scope", None)
    if cached is not None:
        return cached
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        scope = Scope(None, False, {})
    else:
        paths: dict[str, set[str]] = {}
        for role, path in user.role_assignments.values_list("role", "entity__path"):
            for perm in ROLE_PERMISSIONS.get(role, ()):
                paths.setdefault(perm, set()).add(path)
        scope = Scope(
            user.pk, bool(user.is_superuser), {k: tuple(sorted(v)) for k, v in paths.items()}
        )
    with contextlib.suppress(AttributeError):
        user._robinet_scope = scope
    return scope


def can(user, perm: str, entity: Entity | None = None) -> bool:
    """Whether ``user`` holds ``perm`` on ``entity`` (or somewhere, without one): for screens
    that show or hide an action."""
    scope = scope_for(user)
    return scope.covers(perm, entity) if entity is not None else scope.allows(perm)


def require(user, perm: str, entity: Entity | None = None) -> Scope:
    """Raise PermissionDenied unless ``user`` holds ``perm`` (on ``entity`` if given)."""
    scope = scope_for(user)
    if not scope.allows(perm) or (entity is not None and not scope.covers(perm, entity)):
        raise PermissionDenied(
            gettext("Vous n'avez pas l'habilitation nécessaire pour cette action.")
        )
    return scope
