"""Reading cases, contacts and tasks, scoped to what the user may see (CASE-1…6, CASE-10).

Every list is restricted by ``case.view`` on the case's (or contact's)
centre. The overdue and due-soon lists filter ``status__in=OPEN_STATUSES``
literally so that the database uses the partial indexes
``case_open_due_idx`` / ``case_open_team_due_idx``.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from robinet.cases import deadlines
from robinet.cases.choices import OPEN_STATUSES, TaskStatus
from robinet.cases.models import Case, Contact, Task, Team
from robinet.core import clock
from robinet.core.exceptions import NotFound
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

VIEW = Perm.CASE_VIEW
_OPEN_LITERAL = '"cases_case"."status" IN ({})'.format(
    ", ".join(f"'{status.value}'" for status in OPEN_STATUSES)
)


def _scoped_cases(user) -> QuerySet[Case]:
    return Case.objects.filter(scope_for(user).entity_filter(VIEW, "centre")).select_related(
        "case_type", "account__party", "team", "centre", "assigned_to"
    )


def case_list(
    *,
    user,
    status: str | None = None,
    team: Team | int | None = None,
    nature: str | None = None,
    type_code: str | None = None,
    account=None,
    q: str | None = None,
) -> QuerySet[Case]:
    """Cases the user may see, newest first; ``status="open"`` also matches deferred and paused."""
    cases = _scoped_cases(user)
    if status == "unclosed":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status:
        cases = cases.filter(status=status)
    if team:
        cases = cases.filter(team_id=getattr(team, "pk", team))
    if nature:
        cases = cases.filter(nature=nature)
    if type_code:
        cases = cases.filter(case_type__code=type_code)
    if account is not None:
        if isinstance(account, str):
            cases = cases.filter(account__number=account.strip())
        else:
            cases = cases.filter(account_id=getattr(account, "pk", account))
    if q:
        term = q.strip()
        cases = cases.filter(
            Q(number__iexact=term)
            | Q(subject__icontains=term)
            | Q(account__number=term)
            | Q(account__party__name__icontains=term)
        )
    return cases.order_by("-opened_at", "-id")


def case_get_for_user(*, user, pk: int | None = None, number: str | None = None) -> Case:
    require(user, VIEW)
    cases = _scoped_cases(user).select_related("previous_case", "dunning_block")
    case = (
        cases.filter(pk=pk).first() if pk is not None else cases.filter(number=number or "").first()
    )
    if case is None:
        raise NotFound(_("Dossier introuvable."))
    return case


def _open_by_due(user, team) -> QuerySet[Case]:
    cases = _scoped_cases(user).filter(status__in=OPEN_STATUSES, response_due__isnull=False)
    if connection.vendor == "sqlite":
        # SQLite only uses a partial index when the query repeats its condition with literals
        # (bound parameters do not prove it); PostgreSQL's custom plans see the values.
        cases = cases.extra(where=[_OPEN_LITERAL])  # noqa: S610 - constants, no user input
    if team is not None:
        cases = cases.filter(team_id=getattr(team, "pk", team))
    return cases.order_by("response_due", "id")


def overdue_cases(*, user, now: dt.datetime | None = None, team=None) -> QuerySet[Case]:
    """Open cases whose response deadline has passed (CASE-3), most overdue first."""
    now = now or clock.now()
    return _open_by_due(user, team).filter(response_due__lt=now)


def due_soon_cases(
    *, user, now: dt.datetime | None = None, team=None, department: str | None = None
) -> QuerySet[Case]:
    """Open cases due within the threshold (one working day) but not overdue yet (CASE-3)."""
    now = now or clock.now()
    limit = deadlines.due_soon_threshold(now, department)
    return _open_by_due(user, team).filter(response_due__gte=now, response_due__lt=limit)


def team_tasks(*, user, team: Team | None) -> QuerySet[Task]:
    """The open tasks of a team (of every team with ``None``) (CASE-6), by due date."""
    tasks = Task.objects.filter(status=TaskStatus.OPEN)
    if team is not None:
        tasks = tasks.filter(team=team)
    return (
        tasks.filter(scope_for(user).entity_filter(VIEW, "case__centre"))
        .select_related("case", "case__account__party", "team")
        .order_by("due_at", "id")
    )


def task_get_for_user(*, user, pk: int) -> Task:
    require(user, VIEW)
    task = (
        Task.objects.filter(pk=pk)
        .filter(scope_for(user).entity_filter(VIEW, "case__centre"))
        .select_related("case", "case__centre")
        .first()
    )
    if task is None:
        raise NotFound(_("Tâche introuvable."))
    return task


def open_cases_of(account) -> QuerySet[Case]:
    """The unclosed cases of a customer (contacts attach to them; the portal shows them)."""
    return (
        Case.objects.filter(account=account, status__in=OPEN_STATUSES)
        .select_related("case_type", "team")
        .order_by("-opened_at", "-id")
    )


def contacts_of(account) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(account=account)
        .select_related("case", "recorded_by")
        .order_by("-occurred_at", "-id")
    )


def contact_list(*, user, account=None, unattached: bool = False) -> QuerySet[Contact]:
    contacts = Contact.objects.filter(scope_for(user).entity_filter(VIEW, "centre")).select_related(
        "case", "account"
    )
    if account is not None:
        if isinstance(account, str):
            contacts = contacts.filter(account__number=account.strip())
        else:
            contacts = contacts.filter(account_id=getattr(account, "pk", account))
    if unattached:
        contacts = contacts.filter(case__isnull=True)
    return contacts.order_by("-occurred_at", "-id")


def unattached_contacts(*, user, centre=None) -> QuerySet[Contact]:
    """Contacts recorded without a case (CASE-10 control report), oldest first."""
    contacts = Contact.objects.filter(case__isnull=True).filter(
        scope_for(user).entity_filter(VIEW, "centre")
    )
    if centre is not None:
        contacts = contacts.filter(centre=centre)
    return contacts.select_related("account").order_by("occurred_at", "id")


def contact_get_for_user(*, user, pk: int) -> Contact:
    require(user, VIEW)
    contact = contact_list(user=user).filter(pk=pk).first()
    if contact is None:
        raise NotFound(_("Contact introuvable."))
    return contact


def case_contacts(case: Case) -> QuerySet[Contact]:
    return case.contacts.select_related("recorded_by").order_by("occurred_at", "id")
