"""Writes on the organisation: entities, users' roles, API tokens."""

import hashlib
import secrets

from django.db import transaction

from robinet.core import audit, clock
from robinet.core.exceptions import ValidationFailed
from robinet.organisation.models import PARENT_KIND, ApiToken, Entity, RoleAssignment, User


def entity_create(*, kind: str, code: str, name: str, parent: Entity | None = None) -> Entity:
    expected_parent = PARENT_KIND.get(kind)
    if (expected_parent is None) != (parent is None) or (
        parent is not None and parent.kind != expected_parent
    ):
        raise ValidationFailed(
            {
                "parent": [
                    "Une région n'a pas de parent ; une agence dépend d'une région ; un centre d'une agence."
                ]
            }
        )
    with transaction.atomic():
        entity = Entity.objects.create(kind=kind, code=code, name=name, parent=parent, path="")
        entity.path = f"{parent.path if parent else '/'}{entity.pk}/"
        entity.save(update_fields=["path"])
    return entity


def role_grant(*, actor, user: User, role: str, entity: Entity) -> RoleAssignment:
    with transaction.atomic():
        assignment, _ = RoleAssignment.objects.get_or_create(user=user, role=role, entity=entity)
        audit.record(
            actor=actor,
            verb="role_granted",
            target=assignment,
            subject=user,
            data={"role": role, "entity": entity.code},
        )
    return assignment


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User) -> str:
    """Create a token for ``user`` and return it in clear (shown once)."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=_hash(key), prefix=key[:8], created_at=clock.now())
    return key


def api_token_authenticate(key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    return token.user
