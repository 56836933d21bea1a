"""The collection officer's worklist (COLL-7) and « Noter un appel » (COLL-13).

Thin views: the list reads :func:`robinet.collections.worklist.worklist`
(scoped to the officer's centres, ``collection.view``); a call outcome is
written by :func:`robinet.collections.worklist.contact_record`
(``collection.plans`` on the account's centre). The call form is an htmx
fragment inside the row; without JavaScript it posts and comes back to the list.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.collections import worklist
from robinet.collections.models import NextAction
from robinet.core.exceptions import ApplicationError
from robinet.customers import selectors as customer_selectors
from robinet.customers.choices import CustomerClass
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm

VIEW, MANAGE = Perm.COLLECTION_VIEW, Perm.PLAN_MANAGE


def _int(value: str) -> int | None:
    try:
        return int(value) if value not in ("", None) else None
    except ValueError:
        return None


def _amount(value: str) -> Decimal | None:
    try:
        amount = Decimal(value.replace(",", ".").replace(" ", "")) if value else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() else None


def filters_from(params) -> worklist.Filters:
    action = params.get("action", "")
    customer_class = params.get("class", "")
    return worklist.Filters(
        centre=_int(params.get("centre", "")),
        level=_int(params.get("level", "")),
        customer_class=customer_class if customer_class in CustomerClass.values else "",
        min_amount=_amount(params.get("min_amount", "")),
        action=action if action in NextAction.values else "",
        q=params.get("q", "")[:80],
    )


def _centres(user) -> list[Entity]:
    scope = scope_for(user)
    return [
        e
        for e in Entity.objects.filter(kind=EntityKind.CENTRE).order_by("name")
        if scope.covers(VIEW, e)
    ]


class WorklistView(StaffViewMixin, View):
    permission = VIEW

    def get(self, request):
        filters = filters_from(request.GET)
        page = Paginator(
            worklist.worklist(user=request.user, filters=filters), worklist.PAGE_SIZE
        ).get_page(request.GET.get("page"))
        scope = scope_for(request.user)
        query = request.GET.copy()
        query.pop("page", None)
        model = worklist.current_model()
        for row in page:
            row.can_manage = scope.covers(MANAGE, row.account.centre)
        context = {
            "page": page,
            "filters": filters,
            "params": request.GET,
            "query": query.urlencode(),
            "centres": _centres(request.user),
            "levels": range(0, worklist.max_level() + 1),
            "classes": CustomerClass.choices,
            "actions": NextAction.choices,
            "outcomes": worklist.OUTCOME_CHOICES,
            "model": model,
            "scored_on": page[0].scored_on if page.object_list else None,
            "back": request.get_full_path(),
        }
        return render(request, "collections/worklist/list.html", context)


class ContactCreateView(StaffViewMixin, View):
    """« Noter un appel »: GET the form fragment, POST the outcome."""

    permission = MANAGE

    def _account(self, request, number):
        account = customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=VIEW
        )
        require_covered(request.user, MANAGE, account.centre)
        return account

    def _render(self, request, account, *, data=None, errors=None, done=None, status=200):
        context = {
            "account": account,
            "outcomes": worklist.OUTCOME_CHOICES,
            "data": data or {},
            "errors": errors or {},
            "done": done,
            "back": request.GET.get("back") or request.POST.get("back", ""),
        }
        template = "_contact.html" if request.htmx else "contact.html"
        return render(request, f"collections/worklist/{template}", context, status=status)

    def get(self, request, number):
        return self._render(request, self._account(request, number))

    def post(self, request, number):
        account = self._account(request, number)
        data = request.POST
        errors: dict[str, list[str]] = {}
        next_step_on = None
        if data.get("next_step_on"):
            try:
                next_step_on = dt.date.fromisoformat(data["next_step_on"])
            except ValueError:
                errors["next_step_on"] = [_("Date invalide.")]
        event = None
        if not errors:
            try:
                event = worklist.contact_record(
                    account=account,
                    outcome=data.get("outcome", ""),
                    note=data.get("note", ""),
                    next_step=data.get("next_step", ""),
                    next_step_on=next_step_on,
                    actor=request.user,
                )
            except ApplicationError as exc:
                errors = dict(exc.fields) or {"__all__": [str(exc.message)]}
        if request.htmx:
            if errors:
                return self._render(request, account, data=data, errors=errors, status=422)
            return self._render(request, account, done=event)
        back = data.get("back", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("collections:worklist")
        if errors:
            messages.error(request, " ".join(str(m) for ms in errors.values() for m in ms))
        else:
            messages.success(request, _("Appel noté pour le compte %(n)s.") % {"n": account.number})
        return redirect(back)
