"""SEPA direct debit (PAY-3), the read side: mandates, runs and their items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.core.exceptions import NotFound
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import sepa
from robinet.payments.models import (
    DebitKind,
    DirectDebitItem,
    DirectDebitRun,
    Mandate,
    Payment,
    PaymentMeans,
)


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
        .select_related(
            "run",
            "account",
            "invoice",
            "mandate",
            "payment__reversal",
            "budget_instalment__plan__contract",
            "plan_instalment__plan",
        )
        .order_by("kind", "sequence", "pk")
    )


def debit_run_kinds(*, run: DirectDebitRun) -> list[dict]:
    """Per kind of debit (invoices, monthly payment, payment plans): count, total, rejected."""
    rows = {
        r["kind"]: r
        for r in DirectDebitItem.objects.filter(run=run)
        .values("kind")
        .annotate(
            count=Count("pk"),
            total=Sum("amount"),
            rejected=Count("pk", filter=Q(payment__reversal__isnull=False)),
        )
        .order_by()
    }
    return [
        {
            "kind": kind.value,
            "label": str(kind.label),
            "count": rows.get(kind.value, {}).get("count", 0),
            "total": Decimal(str(rows.get(kind.value, {}).get("total") or 0)).quantize(
                Decimal("0.01")
            ),
            "rejected": rows.get(kind.value, {}).get("rejected", 0),
        }
        for kind in DebitKind
    ]


def pending_payments() -> QuerySet[Payment]:
    """PAY-3: the direct debits booked but not settled yet (their run not settled, not rejected).

    They have cleared their invoices (no dunning) but are not collected money until
    their run is settled: a collection statement leaves them out until then.
    """
    return Payment.objects.filter(
        means=PaymentMeans.DIRECT_DEBIT,
        direct_debit__isnull=False,  # a debit booked outside a run (taken over) is not pending
        direct_debit__run__settled_on__isnull=True,
        reversal__isnull=True,
    )


def debit_run_preview(*, actor, collection_date: dt.date) -> dict:
    """What a run on ``collection_date`` would collect: count and total (nothing written)."""
    require(actor, Perm.PAYMENT_VIEW)
    amounts = [
        Decimal(str(a)).quantize(Decimal("0.01"))
        for a in sepa.collectable(collection_date).values_list("open_amount", flat=True)
    ]
    budget_amounts = [
        Decimal(str(a)).quantize(Decimal("0.01"))
        for a in sepa.budget_collectable(collection_date).values_list("amount", flat=True)
    ]
    plan_amounts = [d.amount for d in sepa.plan_collectable(collection_date)]
    everything = amounts + budget_amounts + plan_amounts
    return {
        "count": len(everything),
        "total": sum(everything, Decimal("0.00")),
        "invoices": len(amounts),
        "budget": len(budget_amounts),
        "plans": len(plan_amounts),
    }
