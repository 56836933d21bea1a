"""Demo counter activity (PAY-2, PAY-9) on an already-billed demo database.

:func:`seed_demo` replays, through the cash-desk services, the last working
days at the counters of two centres: customers come and pay part or all of
their oldest open bill in cash, by cheque or by card; each day is closed with
the cash counted (one day short of 5 €); the cheques of past days go on a
deposit slip per centre; treasury records what each centre transmitted for
its closed days (one transmission short, so the PAY-9 report shows a
difference). Today is left open at the first centre with a few payments and
a cheque not yet deposited.

A counter only takes payments on the day: to replay a past day, the demo
runs the services with the clock set to that day (:func:`_as_of`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import random
from collections.abc import Iterator
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from robinet.core import clock
from robinet.core.money import round_money
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm
from robinet.payments import cash_selectors, cashdesk
from robinet.payments.models import CashDay, PaymentMeans

PAST_DAYS = 5
CENTRES = 2
PAYMENTS_PER_DAY = (3, 7)
BANKS = ("Crédit Mutuel", "CIC Est", "Banque Populaire", "Caisse d'Épargne", "La Banque Postale")
BANK_ACCOUNT = "Trésor public — compte de la régie"


@contextlib.contextmanager
def _as_of(day: dt.date) -> Iterator[None]:
    """The services see ``day`` as today (noon, local time)."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
    with clock.as_of(moment):
        yield


def _working_days_before(today: dt.date, count: int) -> list[dt.date]:
    days, day = [], today
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def _officer(centre: Entity):
    User = get_user_model()
    preferred = ("gestion", "recouvrement", "responsable", "admin")
    users = sorted(
        User.objects.filter(is_active=True).order_by("pk")[:200],
        key=lambda u: (preferred.index(u.username) if u.username in preferred else 99, u.pk),
    )
    return next((u for u in users if scope_for(u).covers(Perm.PAYMENT_TAKE, centre)), None)


def _debtors(centre: Entity, limit: int) -> list[CustomerAccount]:
    """Accounts of ``centre`` with an open invoice, in account order."""
    ids = (
        OpenItem.objects.filter(
            account__centre=centre, kind=OpenItemKind.INVOICE, open_amount__gt=0
        )
        .values_list("account_id", flat=True)
        .order_by("account_id")
        .distinct()[:limit]
    )
    return list(CustomerAccount.objects.filter(pk__in=list(ids)).order_by("pk"))


def _amount(account: CustomerAccount, rng: random.Random) -> Decimal:
    owed = OpenItem.objects.filter(
        account=account, kind=OpenItemKind.INVOICE, open_amount__gt=0
    ).aggregate(total=Sum("open_amount"))["total"] or Decimal("20.00")
    share = rng.choice((Decimal(1), Decimal(1), Decimal("0.5"), Decimal("0.25")))
    return max(round_money(owed * share), Decimal("5.00"))


def _take(centre, officer, account, rng: random.Random) -> None:
    means = rng.choices(
        (PaymentMeans.CASH, PaymentMeans.CHEQUE, PaymentMeans.CARD), weights=(5, 3, 2)
    )[0]
    cheque = {}
    if means == PaymentMeans.CHEQUE:
        cheque = {
            "cheque_number": f"{rng.randrange(1000000, 9999999)}",
            "cheque_bank": rng.choice(BANKS),
            "drawer": account.party.display_name[:120],
        }
    cashdesk.counter_payment_take(
        actor=officer,
        centre=centre,
        account=account,
        means=means,
        amount=_amount(account, rng),
        check_permission=False,
        **cheque,
    )


def seed_demo(today: dt.date) -> dict:
    """Seed the counters' last days, deposit slips and transmissions; return the counts."""
    rng = random.Random(today.toordinal())
    centres = list(Entity.objects.filter(kind=EntityKind.CENTRE).order_by("pk")[:CENTRES])
    counts = {"cash_days": 0, "counter_payments": 0, "deposit_slips": 0, "transmissions": 0}
    past = _working_days_before(today, PAST_DAYS)
    for c_index, centre in enumerate(centres):
        officer = _officer(centre)
        debtors = _debtors(centre, limit=(PAST_DAYS + 1) * PAYMENTS_PER_DAY[1])
        if officer is None or not debtors:
            continue
        queue = itertools.cycle(debtors)  # a customer may come back another day
        for d_index, day in enumerate([*past, today]):
            if day == today and c_index > 0:
                continue  # today: only the first centre's counter is open
            if CashDay.objects.filter(centre=centre, day=day).exists():
                continue  # already seeded
            with _as_of(day):
                for _ in range(rng.randint(*PAYMENTS_PER_DAY)):
                    account = next(queue)
                    _take(centre, officer, account, rng)
                    counts["counter_payments"] += 1
                cash_day = cashdesk.cash_day_open(
                    actor=officer, centre=centre, check_permission=False
                )
                counts["cash_days"] += 1
                if day == today:
                    continue
                expected = cash_selectors.day_totals(cash_day)["cash"]
                short = Decimal("5.00") if (c_index, d_index) == (0, 1) else Decimal(0)
                cash_day = cashdesk.cash_day_close(
                    actor=officer,
                    day=cash_day,
                    counted_cash=max(expected - short, Decimal(0)),
                    check_permission=False,
                )
            if day == past[-1] or not cash_day.reported_total:
                continue  # the last closed day is not transmitted yet
            transmitted = cash_day.reported_total
            if (c_index, d_index) == (1, 2):
                transmitted -= Decimal("10.00")  # a PAY-9 difference to investigate
            if transmitted > 0:
                with _as_of(day + dt.timedelta(days=1)):
                    cashdesk.cash_transmission_record(
                        actor=officer,
                        day=cash_day,
                        amount=transmitted,
                        reference=f"VRS-{centre.code}-{day:%Y%m%d}",
                        check_permission=False,
                    )
                counts["transmissions"] += 1
        with _as_of(past[-1]):
            if cash_selectors.pending_cheques(centre).filter(received_on__lt=today).exists():
                cashdesk.cheque_slip_create(
                    actor=officer,
                    centre=centre,
                    bank_account_label=BANK_ACCOUNT,
                    payments=list(
                        cash_selectors.pending_cheques(centre).filter(received_on__lt=today)
                    ),
                    check_permission=False,
                )
                counts["deposit_slips"] += 1
    return counts
