"""Reads of the portal's account pages: balance, bills, payments, consumption (PORTAL-1).

Everything starts from the signed-in user's linked accounts (``access``): an
invoice, a payment or a card checkout of another customer is 404, never 403.
The numbers come from the ledger, billing, metering and payments selectors;
nothing is recomputed here but what the pages show side by side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.billing.choices import InvoiceKind
from robinet.billing.models import Invoice
from robinet.core import clock
from robinet.customers.choices import CustomerClass
from robinet.ledger import selectors as ledger
from robinet.ledger.models import OpenItem
from robinet.metering import selectors as metering
from robinet.payments.models import CardTransaction, Payment
from robinet.portal.access import account_for, linked_accounts

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
#: an abnormal-consumption notice older than this is no longer shown on the home page
NOTICE_SHOWN_FOR = dt.timedelta(days=365)
#: periods of the consumption chart (the newest ones)
CHART_PERIODS = 8


def chosen_account(user, number: str = ""):
    """The account the page is about: ``number`` when given (404 if not linked), else the first.

    None when the user has linked no account yet.
    """
    number = (number or "").strip()
    if number:
        return account_for(user, number)
    return linked_accounts(user).first()


# --- balance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    total: Decimal  # what the account owes (negative: in credit)
    due: Decimal  # open debits, whatever their due date
    overdue: Decimal  # open debits past their due date
    credit: Decimal  # open credits not yet set against a debit (positive)
    next_due_date: dt.date | None  # the nearest due date still to come
    next_due_amount: Decimal

    @property
    def to_pay(self) -> Decimal:
        """What paying online settles: the balance when positive."""
        return self.total if self.total > 0 else ZERO


def balance_of(account) -> Balance:
    today = clock.today()
    due = overdue = credit = next_amount = ZERO
    next_date = None
    for item in ledger.open_items(account):
        if item.open_amount < 0:
            credit -= item.open_amount
            continue
        due += item.open_amount
        if item.due_date < today:
            overdue += item.open_amount
        elif next_date is None or item.due_date < next_date:
            next_date, next_amount = item.due_date, item.open_amount
        elif item.due_date == next_date:
            next_amount += item.open_amount
    return Balance(
        total=due - credit,
        due=due,
        overdue=overdue,
        credit=credit,
        next_due_date=next_date,
        next_due_amount=next_amount,
    )


# --- bills -------------------------------------------------------------------------------------


def _status(invoice: Invoice, item: OpenItem | None, today: dt.date) -> tuple[str, str]:
    """(code, label) of a bill for the customer; the label never relies on a colour."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        if item is not None and item.open_amount < 0:
            return "credit", _("Avoir à votre crédit")
        return "settled", _("Avoir imputé")
    if item is None or item.open_amount == 0:
        return "paid", _("Payée")
    if invoice.due_date < today:
        return "overdue", _("En retard")
    if item.open_amount < item.amount:
        return "partial", _("Partiellement payée")
    return "due", _("À payer")


def bill_rows(account) -> list[dict[str, Any]]:
    """Invoices and credit notes of the account, newest first, with what is still open."""
    today = clock.today()
    invoices = list(
        Invoice.objects.filter(account=account)
        .select_related("open_item")
        .order_by("-issue_date", "-id")
    )
    rows = []
    for invoice in invoices:
        item = getattr(invoice, "open_item", None)
        code, label = _status(invoice, item, today)
        rows.append(
            {
                "invoice": invoice,
                "is_credit_note": invoice.kind == InvoiceKind.CREDIT_NOTE,
                # a credit note is money back: shown negative, as on the account statement
                "amount": -abs(invoice.total_incl_vat)
                if invoice.kind == InvoiceKind.CREDIT_NOTE
                else invoice.total_incl_vat,
                "open_amount": item.open_amount if item is not None else ZERO,
                "status": code,
                "status_label": label,
                "payable": code in ("due", "overdue", "partial"),
            }
        )
    return rows


def last_invoice(account) -> Invoice | None:
    return (
        Invoice.objects.filter(account=account)
        .exclude(kind=InvoiceKind.CREDIT_NOTE)
        .order_by("-issue_date", "-id")
        .first()
    )


def invoice_for(user, number: str) -> Invoice:
    """An invoice of one of the user's accounts, or 404."""
    invoice = (
        Invoice.objects.filter(number=number, account__portal_links__user=user)
        .select_related("account")
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_open_amount(invoice: Invoice) -> Decimal:
    item = OpenItem.objects.filter(invoice=invoice).only("open_amount").first()
    return item.open_amount if item is not None else ZERO


def is_professional(account) -> bool:
    """Factur-X is offered to every customer class but individuals."""
    return account.customer_class != CustomerClass.INDIVIDUAL


# --- payments ----------------------------------------------------------------------------------


def payment_rows(account) -> list[Payment]:
    """Payments of the account, newest first (``reversal`` set when cancelled)."""
    return list(ledger.account_payments(account))


def payment_for(user, pk: int) -> Payment:
    payment = (
        Payment.objects.filter(pk=pk, account__portal_links__user=user)
        .select_related("account__party", "centre", "created_by")
        .first()
    )
    if payment is None:
        raise Http404
    return payment


def card_for(user, reference: str) -> CardTransaction:
    card = (
        CardTransaction.objects.filter(
            provider_reference=reference, account__portal_links__user=user
        )
        .select_related("account", "invoice", "payment")
        .first()
    )
    if card is None:
        raise Http404
    return card


# --- consumption (METER-6) and notices (METER-5) -----------------------------------------------


def _litres(m3_per_day: Decimal | None) -> int | None:
    if m3_per_day is None:
        return None
    return int((m3_per_day * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def current_service_point(account):
    """The premises of the account's current contract (else of its latest one)."""
    contracts = account.contracts.select_related("service_point").order_by("-start_date", "-id")
    contract = (
        contracts.filter(Q(end_date__isnull=True) | Q(end_date__gte=clock.today())).first()
        or contracts.first()
    )
    return contract.service_point if contract is not None else None


def consumption_chart(account) -> dict[str, Any] | None:
    """The newest counting periods of the account's premises, with last year's (METER-6)."""
    service_point = current_service_point(account)
    if service_point is None:
        return None
    periods = metering.consumption_series(service_point)[-CHART_PERIODS:]
    if not periods:
        return None
    rows = [
        {
            **period,
            "label": period["end"].strftime("%d/%m/%Y"),
            "daily_litres": _litres(period["daily_average"]),
            "last_year_litres": _litres(period["last_year_daily_average"]),
        }
        for period in periods
    ]
    return {
        "rows": rows,
        "data": {
            "labels": [r["label"] for r in rows],
            "current": [r["daily_litres"] for r in rows],
            "previous": [r["last_year_litres"] for r in rows],
        },
        "service_point": service_point,
    }


def leak_notice(account):
    """The latest abnormal-consumption notice of the past year (METER-5), or None."""
    since = clock.now() - NOTICE_SHOWN_FOR
    return metering.notice_list(account).filter(created_at__gte=since).first()


def open_requests_count(account) -> int:
    from robinet.cases.selectors import open_cases_of

    return open_cases_of(account).count()


# --- the public bill calculator (BILL-11) ------------------------------------------------------

#: meter diameters offered (mm): a house has 15 mm, a small building 20 to 40 mm
DIAMETERS = (15, 20, 25, 30, 40, 50, 60, 80, 100)
#: the reference yearly volume of a household (the RPQS price indicator's 120 m³)
REFERENCE_VOLUME = Decimal(120)
UNITS = {
    "m3": "m³",
    "year": gettext_lazy("an"),
    "month": gettext_lazy("mois"),
    "day": gettext_lazy("jour"),
    "unit": "u",
}


def published_communes(on: dt.date | None = None) -> list[tuple[str, str]]:
    """(INSEE code, "Name (department)") of the communes with a tariff in force on ``on``."""
    from robinet.referential.communes import commune_get
    from robinet.tariffs.models import TariffZone

    on = on or clock.today()
    codes = set(
        TariffZone.objects.filter(valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("commune_insee", flat=True)
    )
    choices = []
    for code in codes:
        commune = commune_get(code)
        label = f"{commune.name} ({commune.department})" if commune is not None else code
        choices.append((code, label))
    return sorted(choices, key=lambda c: (c[1].casefold(), c[0]))


@dataclass(frozen=True)
class Estimate:
    commune: str
    commune_name: str
    tariff_label: str
    start: dt.date
    end: dt.date
    volume: Decimal
    diameter_mm: int
    bill: Any  # robinet.tariffs.pricing.Bill

    @property
    def lines(self) -> list[dict[str, Any]]:
        """The bill's lines with a readable unit (``m3`` → m³, ``year`` → an)."""
        return [{"line": line, "unit": UNITS.get(line.unit, line.unit)} for line in self.bill.lines]


def estimate(*, commune: str, diameter_mm: int, volume: Decimal) -> Estimate:
    """A year's bill at the prices in force today for ``commune`` (``billing.selectors.simulate``).

    The year is the twelve months from today, moved back inside the tariff's
    validity when it ends sooner. Raises ``ValidationFailed`` naming the field.
    """
    from robinet.billing.selectors import simulate
    from robinet.core.exceptions import ValidationFailed
    from robinet.tariffs.models import TariffZone

    today = clock.today()
    zone = (
        TariffZone.objects.filter(commune_insee=commune, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("version")
        .order_by("-valid_from", "-id")
        .first()
    )
    if zone is None:
        raise ValidationFailed({"commune": [_("Aucun tarif publié pour cette commune.")]})
    version = zone.version
    priced = [d for d, _price in _diameter_prices(version)]
    if priced and diameter_mm not in priced:
        raise ValidationFailed(
            {
                "diameter": [
                    _(
                        "Pas de tarif publié pour ce diamètre dans cette commune (diamètres : %(d)s mm)."
                    )
                    % {"d": ", ".join(str(d) for d in sorted(priced))}
                ]
            }
        )
    start = today
    end = _year_after(start)
    if version.valid_to is not None and version.valid_to < end:
        end = version.valid_to
        start = max(version.valid_from, _year_before(end))
    bill = simulate(
        tariff_code=version.code,
        volume=volume,
        start=start,
        end=end,
        diameter_mm=diameter_mm,
    )
    names = dict(published_communes(today))
    return Estimate(
        commune=commune,
        commune_name=names.get(commune, commune),
        tariff_label=version.label,
        start=start,
        end=end,
        volume=volume,
        diameter_mm=diameter_mm,
        bill=bill,
    )


def _diameter_prices(version) -> tuple:
    """The (diameter, price) table of the version's subscription, when it depends on the meter."""
    from robinet.tariffs.selectors import priced

    for component in priced(version).components:
        if component.annual_price_by_diameter:
            return component.annual_price_by_diameter
    return ()


def _year_after(day: dt.date) -> dt.date:
    """The last day of the year starting on ``day`` (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1) - dt.timedelta(days=1)
    except ValueError:
        return dt.date(day.year + 1, 3, 1) - dt.timedelta(days=1)


def _year_before(day: dt.date) -> dt.date:
    """The first day of the year ending on ``day``."""
    try:
        return day.replace(year=day.year - 1) + dt.timedelta(days=1)
    except ValueError:
        return dt.date(day.year - 1, 3, 1)
