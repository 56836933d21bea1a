"""Reads of external agencies (COLL-8, ORG-4).

Officers' reads are scoped to the accounts of their centres
(``Perm.COLLECTION_VIEW``); an agency user's reads
(:func:`portal_assignments`, :func:`portal_assignment_get`) return only the live
assignments of *its* agency and nothing else — any other id is "not found".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.collections.fetch import DUNNED_KINDS, recovered_here
from robinet.collections.models import (
    AgencyAssignment,
    AgencyMember,
    AgencyReport,
    AssignmentState,
    CollectionAgency,
    CollectionBlock,
    PaymentPlan,
    PaymentPromise,
    ReportKind,
)
from robinet.collections.rules.france import (
    CONSUMER_TIME_BAR_YEARS,
    PROFESSIONAL_CLASSES,
    PROFESSIONAL_TIME_BAR_YEARS,
    add_years,
)
from robinet.collections.selectors import live_block_q
from robinet.core import clock
from robinet.core.exceptions import NotFound, PermissionDenied
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")


def time_barred(customer_class: str, due_date: dt.date, on: dt.date) -> bool:
    """COLL-10: consumer debts 2 years after the due date, professional ones 5 years."""
    years = (
        PROFESSIONAL_TIME_BAR_YEARS
        if customer_class in PROFESSIONAL_CLASSES
        else CONSUMER_TIME_BAR_YEARS
    )
    return on >= add_years(due_date, years)


# --- agencies and their figures ----------------------------------------------------------------


def _scoped(user, field: str = "account__centre") -> Q:
    if user is None:  # the system (demo, batch): everything
        return Q()
    return scope_for(user).entity_filter(Perm.COLLECTION_VIEW, field)


@dataclass
class AgencyFigures:
    live_count: int = 0
    live_amount: Decimal = ZERO
    assigned_amount: Decimal = ZERO
    collected: Decimal = ZERO
    commission: Decimal = ZERO

    @property
    def recovery_rate(self) -> Decimal | None:
        """Collected over everything ever assigned, in %."""
        if not self.assigned_amount:
            return None
        return (self.collected * 100 / self.assigned_amount).quantize(Decimal("0.1"))


def agency_figures(*, user, agencies: Iterable[CollectionAgency]) -> dict[int, AgencyFigures]:
    ids = [a.pk for a in agencies]
    figures = {pk: AgencyFigures() for pk in ids}
    assignments = AgencyAssignment.objects.filter(_scoped(user), agency_id__in=ids)
    for row in assignments.values("agency_id").annotate(
        total=Sum("amount"),
        live=Count("pk", filter=Q(state=AssignmentState.ASSIGNED)),
        live_amount=Sum("amount", filter=Q(state=AssignmentState.ASSIGNED)),
    ):
        f = figures[row["agency_id"]]
        f.assigned_amount = row["total"] or ZERO
        f.live_count = row["live"]
        f.live_amount = row["live_amount"] or ZERO
    reports = AgencyReport.objects.filter(
        _scoped(user, "assignment__account__centre"), agency_id__in=ids
    )
    for row in reports.values("agency_id").annotate(
        collected=Sum("amount", filter=Q(kind=ReportKind.PAYMENT)), commission=Sum("commission")
    ):
        f = figures[row["agency_id"]]
        f.collected = row["collected"] or ZERO
        f.commission = row["commission"] or ZERO
    return figures


def agency_list(*, user, active_only: bool = False) -> list[CollectionAgency]:
    """Agencies with ``figures`` (over the accounts the user may see)."""
    agencies = CollectionAgency.objects.select_related("operator").order_by("code")
    if active_only:
        agencies = agencies.filter(active=True)
    agencies = list(agencies)
    figures = agency_figures(user=user, agencies=agencies)
    for agency in agencies:
        agency.figures = figures[agency.pk]
    return agencies


def agency_get(*, code: str) -> CollectionAgency:
    agency = CollectionAgency.objects.select_related("operator").filter(code=code).first()
    if agency is None:
        raise NotFound(_("Agence introuvable."))
    return agency


def agency_get_for_user(*, user, code: str) -> CollectionAgency:
    """An officer reads any agency; an agency user only its own (else not found)."""
    agency = agency_get(code=code)
    scope = scope_for(user)
    if scope.allows(Perm.COLLECTION_VIEW) or scope.allows(Perm.AGENCY_MANAGE):
        return agency
    if agency_of_user(user) == agency:
        return agency
    raise NotFound(_("Agence introuvable."))


def assignment_list(*, user, agency: CollectionAgency, state: str = "") -> QuerySet:
    qs = (
        AgencyAssignment.objects.filter(_scoped(user), agency=agency)
        .select_related("account__party", "account__centre", "created_by")
        .order_by("-assigned_on", "-pk")
    )
    if state:
        qs = qs.filter(state=state)
    return qs


def report_list(*, user, agency: CollectionAgency, limit: int = 200) -> list[AgencyReport]:
    return list(
        AgencyReport.objects.filter(_scoped(user, "assignment__account__centre"), agency=agency)
        .select_related("assignment__account")
        .order_by("-reported_on", "-pk")[:limit]
    )


def assignment_get_for_user(*, user, pk: int) -> AgencyAssignment:
    assignment = (
        AgencyAssignment.objects.filter(_scoped(user), pk=pk)
        .select_related("agency", "account__party", "account__centre")
        .first()
    )
    if assignment is None:
        raise NotFound(_("Dette confiée introuvable."))
    return assignment


# --- the agency's own view (ORG-4) -------------------------------------------------------------


def agency_of_user(user) -> CollectionAgency | None:
    """The agency an external agency user works for (None for anyone else)."""
    if not getattr(user, "pk", None):
        return None
    member = AgencyMember.objects.select_related("agency").filter(user_id=user.pk).first()
    return member.agency if member else None


def _portal_agency(user) -> CollectionAgency:
    if not scope_for(user).allows(Perm.AGENCY_WORK):
        raise PermissionDenied(_("Réservé aux agences de recouvrement."))
    agency = agency_of_user(user)
    if agency is None:
        raise PermissionDenied(_("Votre compte n'est rattaché à aucune agence."))
    return agency


def portal_assignments(*, user) -> tuple[CollectionAgency, QuerySet]:
    """ORG-4: the live assignments of the user's agency, nothing else."""
    agency = _portal_agency(user)
    qs = (
        AgencyAssignment.objects.filter(agency=agency, state=AssignmentState.ASSIGNED)
        .select_related("account__party")
        .prefetch_related("items__open_item")
        .order_by("assigned_on", "pk")
    )
    return agency, qs


def portal_assignment_get(*, user, pk: int) -> AgencyAssignment:
    _agency, qs = portal_assignments(user=user)
    assignment = qs.filter(pk=pk).first()
    if assignment is None:
        raise NotFound(_("Dette confiée introuvable."))
    return assignment


# --- selection rules (COLL-8) ------------------------------------------------------------------


@dataclass
class Candidate:
    account: CustomerAccount
    items: list[OpenItem] = field(default_factory=list)
    total: Decimal = ZERO
    level: int = 0
    oldest_due: dt.date | None = None

    @property
    def age_days(self) -> int:
        return (clock.today() - self.oldest_due).days if self.oldest_due else 0


def held_account_ids(account_ids: Iterable[int], on: dt.date) -> set[int]:
    """Accounts whose dunning is held otherwise (block, plan, promise) or already assigned."""
    ids = list(account_ids)
    held = set(
        CollectionBlock.objects.filter(live_block_q(on), account_id__in=ids).values_list(
            "account_id", flat=True
        )
    )
    held |= set(
        PaymentPlan.objects.filter(account_id__in=ids, state="active").values_list(
            "account_id", flat=True
        )
    )
    held |= set(
        PaymentPromise.objects.filter(account_id__in=ids, state="pending").values_list(
            "account_id", flat=True
        )
    )
    held |= set(
        AgencyAssignment.objects.filter(
            account_id__in=ids, state=AssignmentState.ASSIGNED
        ).values_list("account_id", flat=True)
    )
    return held


def assignable_items(accounts: Iterable[CustomerAccount], on: dt.date) -> dict[int, Candidate]:
    """Per account, its overdue dunned items that are not time-barred (COLL-10)."""
    by_id = {a.pk: a for a in accounts}
    result: dict[int, Candidate] = {}
    items = (
        OpenItem.objects.filter(
            recovered_here(),
            account_id__in=list(by_id),
            cleared_on__isnull=True,
            open_amount__gt=0,
            kind__in=DUNNED_KINDS,
            due_date__lt=on,
        )
        .select_related("dunning")
        .order_by("due_date", "pk")
    )
    for item in items:
        account = by_id[item.account_id]
        if time_barred(account.customer_class, item.due_date, on):
            continue
        candidate = result.setdefault(item.account_id, Candidate(account=account))
        candidate.items.append(item)
        candidate.total += item.open_amount
        dunning = getattr(item, "dunning", None) if _has_dunning(item) else None
        candidate.level = max(candidate.level, dunning.level if dunning else 0)
        if candidate.oldest_due is None or item.due_date < candidate.oldest_due:
            candidate.oldest_due = item.due_date
    return result


def _has_dunning(item: OpenItem) -> bool:
    try:
        item.dunning  # noqa: B018 - the reverse one-to-one may be absent
    except OpenItem.dunning.RelatedObjectDoesNotExist:
        return False
    return True


def assignment_candidates(
    *,
    user,
    min_amount: Decimal = ZERO,
    min_level: int = 0,
    min_age_days: int = 0,
    classes: Iterable[str] = (),
    entity=None,
    on: dt.date | None = None,
    limit: int = 500,
) -> list[Candidate]:
    """Overdue accounts the rules select and that nothing else holds (COLL-8, COLL-3).

    ``entity`` narrows to a subtree; the user's centres (``Perm.AGENCY_MANAGE``)
    always bound the search. Biggest debts first.
    """
    on = on or clock.today()
    accounts = CustomerAccount.objects.select_related("party", "centre")
    if user is not None:
        accounts = accounts.filter(scope_for(user).entity_filter(Perm.AGENCY_MANAGE, "centre"))
    if entity is not None:
        accounts = accounts.filter(centre__path__startswith=entity.path)
    classes = [c for c in classes if c]
    if classes:
        accounts = accounts.filter(customer_class__in=classes)
    overdue_ids = (
        OpenItem.objects.filter(
            recovered_here(),
            cleared_on__isnull=True,
            open_amount__gt=0,
            kind__in=DUNNED_KINDS,
            due_date__lt=on,
        )
        .values("account_id")
        .distinct()
    )
    accounts = list(accounts.filter(pk__in=overdue_ids))
    held = held_account_ids([a.pk for a in accounts], on)
    candidates = assignable_items([a for a in accounts if a.pk not in held], on)
    selected = [
        c
        for c in candidates.values()
        if c.total > 0
        and c.total >= (min_amount or ZERO)
        and c.level >= (min_level or 0)
        and (on - c.oldest_due).days >= (min_age_days or 0)
    ]
    selected.sort(key=lambda c: (-c.total, c.account.number))
    return selected[:limit]


def collected_by_assignment(assignment_ids: Iterable[int]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        AgencyReport.objects.filter(assignment_id__in=list(assignment_ids), kind=ReportKind.PAYMENT)
        .values("assignment_id")
        .annotate(total=Sum("amount"))
    ):
        totals[row["assignment_id"]] = row["total"] or ZERO
    return totals


def agency_members(*, agency: CollectionAgency) -> list[AgencyMember]:
    """The users linked to ``agency`` (ORG-4), by username."""
    return list(
        AgencyMember.objects.filter(agency=agency).select_related("user").order_by("user__username")
    )


def linkable_users(*, agency: CollectionAgency) -> list:
    """Active users holding the external-agency role and not linked to ``agency`` yet.

    A user linked to another agency is listed too: linking moves it (one agency per user).
    """
    from django.contrib.auth import get_user_model

    from robinet.organisation.roles import Role

    return list(
        get_user_model()
        .objects.filter(is_active=True, role_assignments__role=Role.EXTERNAL_AGENCY)
        .exclude(agency_member__agency=agency)
        .select_related("agency_member__agency")
        .distinct()
        .order_by("username")
    )
