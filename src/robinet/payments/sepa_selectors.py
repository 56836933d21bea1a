"""SEPA direct debit (PAY-3), the read side: mandates, runs and their items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from robinet.core.exceptions import NotFound
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import sepa
from robinet.payments.models import DirectDebitItem, DirectDebitRun, Mandate


def mandate_list(*, actor, account: CustomerAccount) -> QuerySet[Mandate]:
    """The account's mandates, newest first (``payment.view`` on its centre)."""
    require(actor, Perm.PAYMENT_VIEW, account.centre)
    return Mandate.objects.filter(account=account).order_by("-created_at", "-pk")


def mandate_get(*, actor, pk: int) -> Mandate:
    mandate = Mandate.objects.select_related("account", "account__centre").filter(pk=pk).first()
    if mandate is None:
        raise NotFound(_("Mandat introuvable."))
    require(actor, Perm.PAYMENT_VIEW, mandate.account.centre)
    return mandate


def mandates_visible(*, actor) -> QuerySet[Mandate]:
    """Every mandate of the centres the actor may see (``payment.view``)."""
    scope = require(actor, Perm.PAYMENT_VIEW)
    return (
        Mandate.objects.select_related("account")
        .filter(scope.entity_filter(Perm.PAYMENT_VIEW, "account__centre"))
        .order_by("-created_at", "-pk")
    )


def debit_run_list(*, actor) -> QuerySet[DirectDebitRun]:
    require(actor, Perm.PAYMENT_VIEW)
    return DirectDebitRun.objects.defer("file_content").order_by("-collection_date")


def debit_run_get(*, actor, pk: int) -> DirectDebitRun:
    require(actor, Perm.PAYMENT_VIEW)
    run = DirectDebitRun.objects.filter(pk=pk).first()
    if run is None:
        raise NotFound(_("Remise de prélèvements introuvable."))
    return run


def debit_run_items(*, run: DirectDebitRun) -> QuerySet[DirectDebitItem]:
    return (
        DirectDebitItem.objects.filter(run=run)
        .select_related("account", "invoice", "mandate", "payment")
        .order_by("sequence", "pk")
    )


def debit_run_preview(*, actor, collection_date: dt.date) -> dict:
    """What a run on ``collection_date`` would collect: count and total (nothing written)."""
    require(actor, Perm.PAYMENT_VIEW)
    amounts = [
        Decimal(str(a)).quantize(Decimal("0.01"))
        for a in sepa.collectable(collection_date).values_list("open_amount", flat=True)
    ]
    return {"count": len(amounts), "total": sum(amounts, Decimal("0.00"))}
