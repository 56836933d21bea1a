"""Rows of collections a user may see: those of the accounts of their centres."""

from django.db.models import QuerySet

from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm


def scoped(
    queryset: QuerySet,
    user,
    perm: str = Perm.COLLECTION_VIEW,
    field: str = "account__centre_id",
) -> QuerySet:
    """``queryset`` limited to ``user``'s centres for ``perm`` (none: a system caller)."""
    if user is None:
        return queryset
    require(user, perm)
    scope = scope_for(user)
    if scope.is_superuser:
        return queryset
    return queryset.filter(**{f"{field}__in": scope.centre_ids(perm)})
