"""Reads of the counter cash desk (PAY-2, PAY-9): days, their payments, deposit slips,
the transmissions report. Every list is scoped to the user's centres (ORG-2)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.core.exceptions import NotFound
from robinet.core.money import round_money
from robinet.ledger.models import Allocation, OpenItemKind
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm
from robinet.payments.models import (
    CashDay,
    CashTransmission,
    ChequeDepositSlip,
    Payment,
    PaymentMeans,
)

ZERO = Decimal("0.00")

#: The bank export of a deposit slip: one line per cheque, in this order (docs/domain/cash-desk.md).
SLIP_CSV_COLUMNS = ("slip_number", "cheque_number", "bank", "drawer", "amount", "date")


def centres_for(*, user, perm: str = Perm.PAYMENT_TAKE) -> QuerySet[Entity]:
    """The centres where ``user`` holds ``perm`` (a counter for PAYMENT_TAKE)."""
    return (
        Entity.objects.filter(kind=EntityKind.CENTRE)
        .filter(scope_for(user).entity_filter(perm))
        .order_by("name")
    )


def centre_get_for_user(*, user, pk, perm: str = Perm.PAYMENT_TAKE) -> Entity:
    centre = (
        centres_for(user=user, perm=perm).filter(pk=pk).first() if str(pk).isdecimal() else None
    )
    if centre is None:
        raise NotFound(_("Centre introuvable."))
    return centre


def cash_day_list(
    *,
    user,
    centre: Entity | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    closed: bool | None = None,
) -> QuerySet[CashDay]:
    days = CashDay.objects.filter(scope_for(user).entity_filter(Perm.PAYMENT_VIEW, "centre"))
    if centre is not None:
        days = days.filter(centre=centre)
    if start is not None:
        days = days.filter(day__gte=start)
    if end is not None:
        days = days.filter(day__lte=end)
    if closed is not None:
        days = days.filter(closed_at__isnull=not closed)
    return days.select_related("centre", "opened_by", "closed_by").order_by("-day", "centre__name")


def cash_day_get_for_user(*, user, pk: int) -> CashDay:
    day = cash_day_list(user=user).filter(pk=pk).first()
    if day is None:
        raise NotFound(_("Journée de caisse introuvable."))
    return day


def cash_day_find(*, centre: Entity, day: dt.date) -> CashDay | None:
    return CashDay.objects.filter(centre=centre, day=day).select_related("centre").first()


def day_payments(day: CashDay) -> QuerySet[Payment]:
    """The payments of ``day``, cancelled ones included (``reversal`` tells), in entry order."""
    return (
        Payment.objects.filter(cash_day_link__cash_day=day)
        .select_related("account__party", "created_by", "reversal", "invoice")
        .order_by("created_at", "pk")
    )


def day_totals(day: CashDay) -> dict[str, Any]:
    """Totals by means of the day's payments that are not cancelled (live, open or closed)."""
    live = Payment.objects.filter(cash_day_link__cash_day=day, reversal__isnull=True)
    by_means = {
        row["means"]: row["total"] for row in live.values("means").annotate(total=Sum("amount"))
    }
    totals = {
        # round_money: SQLite sums decimals with trailing noise
        "cash": round_money(by_means.get(PaymentMeans.CASH) or ZERO),
        "cheque": round_money(by_means.get(PaymentMeans.CHEQUE) or ZERO),
        "card": round_money(by_means.get(PaymentMeans.CARD) or ZERO),
        "count": live.count(),
    }
    totals["all"] = totals["cash"] + totals["cheque"] + totals["card"]
    return totals


def payment_get_for_user(*, user, number: str, perm: str = Perm.PAYMENT_VIEW) -> Payment:
    payment = (
        Payment.objects.filter(scope_for(user).entity_filter(perm, "centre"), number=number)
        .select_related("account__party", "account__centre", "centre", "created_by", "invoice")
        .first()
    )
    if payment is None:
        raise NotFound(_("Règlement introuvable."))
    return payment


def payment_settlements(payment: Payment) -> list[dict[str, Any]]:
    """What ``payment`` settled: the documents its live allocations cleared, with the amounts."""
    allocations = (
        Allocation.objects.filter(
            credit__payment=payment,
            credit__kind=OpenItemKind.PAYMENT,
            reverses__isnull=True,
            reversed_by__isnull=True,
        )
        .exclude(debit__kind=OpenItemKind.REVERSAL)  # a cancelled payment settles nothing
        .select_related("debit__invoice")
        .order_by("pk")
    )
    rows: dict[str, dict[str, Any]] = {}
    for allocation in allocations:
        debit = allocation.debit
        row = rows.setdefault(
            debit.document_number,
            {
                "document": debit.document_number,
                "label": debit.label,
                "due_date": debit.due_date,
                "amount": ZERO,
                "left": debit.open_amount,
            },
        )
        row["amount"] += allocation.amount
    return list(rows.values())


def pending_cheques(centre: Entity) -> QuerySet[Payment]:
    """Cheques received at ``centre``, not cancelled, on no deposit slip yet (oldest first)."""
    return (
        Payment.objects.filter(
            centre=centre,
            means=PaymentMeans.CHEQUE,
            reversal__isnull=True,
            deposit_slip_line__isnull=True,
        )
        .select_related("account__party")
        .order_by("received_on", "number")
    )


def slip_list(*, user, centre: Entity | None = None) -> QuerySet[ChequeDepositSlip]:
    slips = ChequeDepositSlip.objects.filter(
        scope_for(user).entity_filter(Perm.PAYMENT_VIEW, "centre")
    )
    if centre is not None:
        slips = slips.filter(centre=centre)
    return slips.select_related("centre", "created_by").order_by("-deposited_on", "-pk")


def slip_get_for_user(*, user, pk: int) -> ChequeDepositSlip:
    slip = slip_list(user=user).filter(pk=pk).first()
    if slip is None:
        raise NotFound(_("Bordereau introuvable."))
    return slip


def slip_payments(slip: ChequeDepositSlip) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(deposit_slip_line__slip=slip)
        .select_related("account__party")
        .order_by("received_on", "number")
    )


def slip_csv(slip: ChequeDepositSlip) -> str:
    """The bank export: ``;``-separated, a header line, amounts with a dot, ISO dates."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(SLIP_CSV_COLUMNS)
    for payment in slip_payments(slip):
        writer.writerow(
            [
                slip.number,
                payment.cheque_number,
                payment.cheque_bank,
                payment.drawer,
                f"{payment.amount:.2f}",
                payment.received_on.isoformat(),
            ]
        )
    return out.getvalue()


def transmission_report(
    *, user, centre: Entity | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """PAY-9: for each closed day, what the centre reported and what treasury received."""
    days = list(cash_day_list(user=user, centre=centre, start=start, end=end, closed=True))
    received = {
        row["cash_day"]: row
        for row in CashTransmission.objects.filter(cash_day__in=[d.pk for d in days])
        .values("cash_day")
        .annotate(total=Sum("amount"))
    }
    references: dict[int, list[str]] = {}
    for cash_day, reference in (
        CashTransmission.objects.filter(cash_day__in=[d.pk for d in days])
        .values_list("cash_day", "reference")
        .order_by("received_on", "pk")
    ):
        references.setdefault(cash_day, []).append(reference)
    rows = []
    totals = {"reported": ZERO, "transmitted": ZERO, "difference": ZERO}
    for day in sorted(days, key=lambda d: (d.centre.name, d.day)):
        reported = day.reported_total
        transmitted = round_money(received.get(day.pk, {}).get("total") or ZERO)
        difference = transmitted - reported
        rows.append(
            {
                "day": day,
                "centre": day.centre,
                "cash": day.counted_cash,
                "cheque": day.total_cheque,
                "card": day.total_card,
                "reported": reported,
                "transmitted": transmitted,
                "difference": difference,
                "references": references.get(day.pk, []),
            }
        )
        totals["reported"] += reported
        totals["transmitted"] += transmitted
        totals["difference"] += difference
    return {
        "rows": rows,
        "totals": totals,
        "with_difference": sum(1 for r in rows if r["difference"]),
    }


def transmission_report_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["centre", "day", "cash_counted", "cheques", "cards", "reported", "transmitted",
         "difference", "references"]
    )  # fmt: skip
    for row in report["rows"]:
        writer.writerow(
            [
                row["centre"].code,
                row["day"].day.isoformat(),
                f"{row['cash']:.2f}",
                f"{row['cheque']:.2f}",
                f"{row['card']:.2f}",
                f"{row['reported']:.2f}",
                f"{row['transmitted']:.2f}",
                f"{row['difference']:.2f}",
                " ".join(row["references"]),
            ]
        )
    return out.getvalue()


def counter_day_summary(day: CashDay | None) -> dict[str, Any]:
    """Presentation data of a day: its payments and live totals (or the closing figures)."""
    if day is None:
        return {"day": None, "payments": [], "totals": None}
    return {"day": day, "payments": list(day_payments(day)), "totals": day_totals(day)}
