"""Demo data for card payments (PAY-2) and collection operators' statements (PAY-8).

Runs on an already-billed demo database: a few card payments on accounts with
open invoices (paid, declined, still pending) through the local test
provider's signed callbacks, two collection operators, their transfers, one
statement booked and one left in difference (its transfer not received yet).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings

from robinet.core import clock
from robinet.core.imports import AlreadyImported
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.payments import cards, operators, providers
from robinet.payments.models import CollectionOperator, OperatorKind, StatementStatus

OPERATORS = [
    ("PAYP", "Paiement de proximité (buralistes)", OperatorKind.OPERATOR),
    ("AGREC", "Agence de recouvrement de l'Est", OperatorKind.AGENCY),
]


def _open_invoices(limit: int) -> list[OpenItem]:
    """One open invoice item per account, accounts in number order."""
    found: list[OpenItem] = []
    seen: set[int] = set()
    for account_id in CustomerAccount.objects.order_by("pk").values_list("pk", flat=True):
        item = (
            OpenItem.objects.select_related("account", "invoice")
            .filter(account_id=account_id, kind=OpenItemKind.INVOICE, open_amount__gt=0)
            .order_by("due_date", "pk")
            .first()
        )
        if item is not None and account_id not in seen:
            seen.add(account_id)
            found.append(item)
        if len(found) >= limit:
            break
    return found


def _operator(code: str, name: str, kind: str) -> CollectionOperator:
    existing = CollectionOperator.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return operators.operator_create(
        actor=None, code=code, name=name, kind=kind, check_permission=False
    )


def _card_payments(items: list[OpenItem]) -> dict:
    counts = {"card_paid": 0, "card_declined": 0, "card_pending": 0}
    if providers.TestProvider.name != settings.ROBINET_CARD_PROVIDER:
        return counts  # a real provider is configured: no simulated callbacks
    provider = providers.get_provider()
    outcomes = [providers.PAID, providers.PAID, providers.PAID, providers.DECLINED, None]
    for item, outcome in zip(items, outcomes, strict=False):
        card = cards.card_checkout_start(
            actor=None,
            account=item.account,
            amount=item.open_amount,
            invoice=item.invoice,
            return_url="/payments/cards/return/",
            check_permission=False,
        )
        if outcome is None:
            counts["card_pending"] += 1
            continue
        body, headers = provider.callback_body(
            reference=card.provider_reference, status=outcome, amount=card.amount
        )
        cards.card_callback_receive(provider_name=provider.name, body=body, headers=headers)
        counts["card_paid" if outcome == providers.PAID else "card_declined"] += 1
    return counts


def _statement(
    operator, items: list[OpenItem], paid_on: dt.date, prefix: str
) -> tuple[bytes, Decimal]:
    lines = ["reference;account;invoice;amount;paid_on"]
    total = Decimal("0.00")
    for n, item in enumerate(items, start=1):
        amount = min(item.open_amount, Decimal("50.00"))
        total += amount
        lines.append(
            f"{prefix}-{n:04d};{item.account.number};{item.invoice.number};"
            f"{str(amount).replace('.', ',')};{paid_on:%d/%m/%Y}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8"), total


def seed_demo(today: dt.date) -> dict:
    """Seed card payments and operator statements; returns the counts to print."""
    today = min(today, clock.today())
    items = _open_invoices(12)
    counts = _card_payments(items[:5])
    payp, agrec = (_operator(*spec) for spec in OPERATORS)
    counts.update({"operators": 2, "transfers": 0, "statements_booked": 0, "statements_diff": 0})

    paid_on = today - dt.timedelta(days=3)
    # PAYP: the transfer arrived, the statement matches it → booked.
    data, total = _statement(payp, items[5:9], paid_on, f"PP{paid_on:%y%m%d}")
    if items[5:9]:
        reference = f"VIR-PAYP-{paid_on:%Y%m%d}"
        if not payp.transfers.filter(bank_reference=reference).exists():
            operators.operator_transfer_record(
                actor=None, operator=payp, amount=total, received_on=today,
                bank_reference=reference, check_permission=False,
            )  # fmt: skip
            counts["transfers"] += 1
        try:
            statement = operators.operator_statement_import(
                actor=None, operator=payp, source=data,
                filename=f"payp-{paid_on:%Y%m%d}.csv", check_permission=False,
            )  # fmt: skip
            counts["statements_booked"] += statement.status == StatementStatus.BOOKED
        except AlreadyImported:
            pass
    # AGREC: the statement arrived before its transfer → in difference until it is recorded.
    data, _total = _statement(agrec, items[9:12], paid_on, f"AG{paid_on:%y%m%d}")
    if items[9:12]:
        try:
            statement = operators.operator_statement_import(
                actor=None, operator=agrec, source=data,
                filename=f"agrec-{paid_on:%Y%m%d}.csv", check_permission=False,
            )  # fmt: skip
            counts["statements_diff"] += statement.status == StatementStatus.DIFFERENCE
        except AlreadyImported:
            pass
    return counts
