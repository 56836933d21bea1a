"""Two years of payments for the demo bills (PAY-1, PAY-2, PAY-4).

Most customers pay on time (direct debit for those who chose it, transfer
or cheque by post otherwise); some always pay late, some pay part, some
never pay — the late payers that dunning will chase. A few cheques bounce
and are reversed. Everything goes through the real booking path, so the
ledger, the allocations and the shares per beneficiary are those a utility
would have.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.payments.booking import IncomingPayment, book_payments
from robinet.payments.models import Payment, PaymentMeans, PaymentReversal
from robinet.payments.services import payment_reverse

BATCH = 5_000
CENT = Decimal("0.01")


def behaviour(account_id: int) -> str:
    """The same account always behaves the same way (a late payer stays one)."""
    draw = (account_id * 2654435761) % 100
    if draw < 72:
        return "on_time"
    if draw < 84:
        return "late"
    if draw < 90:
        return "partial"
    return "never"


def seed_payments(today: dt.date, seed: int = 20260701) -> dict[str, int]:
    rng = random.Random(seed)
    items = (
        OpenItem.objects.filter(kind=OpenItemKind.INVOICE, open_amount__gt=0, posted_on__lte=today)
        .select_related("account")
        .order_by("due_date", "pk")
    )
    incoming: list[IncomingPayment] = []
    for item in items.iterator(chunk_size=2_000):
        account = item.account
        kind = behaviour(account.pk)
        if kind == "never":
            continue
        if kind == "late":
            received = item.due_date + dt.timedelta(days=rng.randint(20, 75))
        else:
            received = item.posted_on + dt.timedelta(days=rng.randint(3, 14))
        if received > today:
            continue
        amount = item.open_amount
        if kind == "partial":
            amount = (amount * Decimal(rng.randint(40, 80)) / 100).quantize(CENT)
        if amount <= 0:
            continue
        if account.direct_debit:
            means = PaymentMeans.DIRECT_DEBIT
        else:
            means = rng.choices((PaymentMeans.TRANSFER, PaymentMeans.CHEQUE), weights=(60, 40))[0]
        incoming.append(
            IncomingPayment(
                account_id=account.pk,
                centre_id=account.centre_id,
                account_centre_id=account.centre_id,
                means=means,
                amount=amount,
                received_on=received,
                invoice_id=item.invoice_id,
                payer_reference=item.document_number,
                cheque_number=f"{rng.randint(1, 9_999_999):07d}" if means == "cheque" else "",
                cheque_bank="Banque Populaire" if means == "cheque" else "",
            )
        )
    incoming.sort(key=lambda p: (p.received_on, p.account_id))
    for start in range(0, len(incoming), BATCH):
        with transaction.atomic():
            book_payments(incoming[start : start + BATCH])
    # A few cheques bounce (PAY-4): the invoices they paid are open again.
    bounced = 0
    cheques = list(
        Payment.objects.filter(
            means=PaymentMeans.CHEQUE, received_on__lte=today - dt.timedelta(days=30)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for payment_id in rng.sample(cheques, k=min(len(cheques), max(1, len(cheques) // 80))):
        payment = Payment.objects.select_related("account__centre").get(pk=payment_id)
        payment_reverse(
            actor=None,
            payment=payment,
            reason="Chèque impayé — provision insuffisante",
            reason_code="CHQ",
            on=payment.received_on + dt.timedelta(days=9),
            check_permission=False,
        )
        bounced += 1
    return {
        "payments": len(incoming),
        "bounced": bounced,
        "reversals": PaymentReversal.objects.count(),
    }
