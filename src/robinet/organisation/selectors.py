"""Reads of the organisation."""

from django.db.models import QuerySet

from robinet.organisation.models import RoleAssignment


def role_assignment_list(*, user) -> QuerySet[RoleAssignment]:
    """The roles ``user`` holds, with their entities, in tree order."""
    return (
        RoleAssignment.objects.filter(user=user)
        .select_related("entity")
        .order_by("entity__path", "role")
    )
