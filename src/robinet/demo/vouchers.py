"""Demo vouchers for administrations — *vignettes* (PAY-10), on an already-billed database.

:func:`seed_demo`, through the real services (no permission check, no actor):

1. the printer delivers vouchers of 20, 50 and 100 € to the first region, which
   supplies each of its centres and sets their alert thresholds (one centre is
   left short, so the alert list is not empty);
2. each administration of the region (up to five) gets an agreement for the
   year, signed; most are paid by the Treasury; the first one also has last
   year's agreement, paid and closed;
3. vouchers are handed to the administrations from their centre's stock, one is
   exchanged, a few come back unused, one lost voucher is cancelled;
4. administrations pay their open invoices with vouchers at the counter
   (never more than they owe), through ``payment_record``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Max, Sum

from robinet.core import clock
from robinet.customers.choices import CustomerClass
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.organisation.models import Entity, EntityKind
from robinet.payments import vouchers
from robinet.payments.models import VoucherMovement, VoucherStock

#: vouchers per centre and face value, and the alert threshold (the last centre stays short)
SUPPLY = {20: 60, 50: 120, 100: 40}
THRESHOLD = {20: 20, 50: 40, 100: 10}
#: an agreement's quantities
AGREEMENT = {20: 20, 50: 40, 100: 10}


def _owed(account) -> Decimal:
    total = OpenItem.objects.filter(account=account).aggregate(t=Sum("open_amount"))["t"]
    return total or Decimal(0)


def seed_demo(today: dt.date) -> dict:
    """Seed vouchers on the demo database; returns counts to print."""
    on = min(today, clock.today())
    counts = {
        "voucher_agreements": 0,
        "voucher_movements": 0,
        "voucher_redemptions": 0,
        "voucher_redeemed_amount": Decimal(0),
        "voucher_alerts": 0,
    }
    region = Entity.objects.filter(kind=EntityKind.REGION).order_by("pk").first()
    if region is None:
        return counts
    centres = list(
        Entity.objects.filter(kind=EntityKind.CENTRE, path__startswith=region.path).order_by("pk")
    )
    administrations = list(
        CustomerAccount.objects.filter(
            customer_class=CustomerClass.ADMINISTRATION, centre__path__startswith=region.path
        )
        .select_related("party", "centre")
        .order_by("pk")[:5]
    )
    if not centres:
        return counts
    before = VoucherMovement.objects.count()

    # 1. The printer's delivery, the centres' supplies and thresholds.
    # serials follow the last ones printed (the demo can be seeded again)
    next_serial = {
        d: 1
        + (VoucherMovement.objects.filter(denomination=d).aggregate(m=Max("serial_to"))["m"] or 0)
        for d in SUPPLY
    }
    per_centre: dict[int, dict[int, list[int]]] = {}
    received = []
    for denomination, quantity in SUPPLY.items():
        first = next_serial[denomination]
        received.append((denomination, first, first + quantity * len(centres) + 199))
    vouchers.voucher_receive(
        actor=None, region=region, ranges=received, on=on - dt.timedelta(days=90),
        note="Livraison de l'imprimeur", check_permission=False,
    )  # fmt: skip
    for index, centre in enumerate(centres):
        short = index == len(centres) - 1
        ranges = []
        for denomination, quantity in SUPPLY.items():
            count = quantity // 5 if short else quantity
            first = next_serial[denomination] + index * quantity
            ranges.append((denomination, first, first + count - 1))
            per_centre.setdefault(centre.pk, {})[denomination] = [first, first + count - 1]
            vouchers.voucher_threshold_set(
                actor=None, entity=centre, denomination=denomination,
                threshold=THRESHOLD[denomination], check_permission=False,
            )  # fmt: skip
        vouchers.voucher_transfer(
            actor=None, source=region, destination=centre, ranges=ranges,
            on=on - dt.timedelta(days=80), note="Dotation annuelle", check_permission=False,
        )  # fmt: skip

    # 2. Agreements with the administrations.
    agreements = []
    for index, account in enumerate(administrations):
        if index == 0:
            previous = vouchers.agreement_create(
                actor=None, region=region, year=on.year - 1, administration_account=account,
                quantities={50: 20}, check_permission=False,
            )  # fmt: skip
            previous = vouchers.agreement_sign(
                actor=None, agreement=previous, signed_on=on - dt.timedelta(days=400),
                check_permission=False,
            )  # fmt: skip
            previous = vouchers.agreement_mark_paid(
                actor=None, agreement=previous, paid_on=on - dt.timedelta(days=370),
                treasury_reference=f"DRFIP-{on.year - 1}-{account.pk:05d}", check_permission=False,
            )  # fmt: skip
            vouchers.agreement_close(
                actor=None, agreement=previous, closed_on=on - dt.timedelta(days=30),
                check_permission=False,
            )  # fmt: skip
            counts["voucher_agreements"] += 1
        agreement = vouchers.agreement_create(
            actor=None, region=region, year=on.year, administration_account=account,
            quantities=AGREEMENT, check_permission=False,
        )  # fmt: skip
        agreement = vouchers.agreement_sign(
            actor=None, agreement=agreement, signed_on=on - dt.timedelta(days=75),
            check_permission=False,
        )  # fmt: skip
        if index % 3 != 2:
            agreement = vouchers.agreement_mark_paid(
                actor=None, agreement=agreement, paid_on=on - dt.timedelta(days=45),
                treasury_reference=f"DRFIP-{on.year}-{account.pk:05d}", check_permission=False,
            )  # fmt: skip
        agreements.append((account, agreement))
        counts["voucher_agreements"] += 1

    # 3. Vouchers handed out from the account's centre (or the first centre).
    for account, agreement in agreements:
        centre = account.centre if account.centre_id in per_centre else centres[0]
        stock = per_centre[centre.pk]
        ranges = []
        for denomination, quantity in ((20, 10), (50, 12), (100, 4)):
            first, last = stock[denomination]
            take = min(quantity, last - first + 1)
            if take <= 0:
                continue
            ranges.append((denomination, first, first + take - 1))
            stock[denomination][0] = first + take
        if not ranges:
            continue
        vouchers.voucher_issue(
            actor=None, agreement=agreement, entity=centre, ranges=ranges,
            on=on - dt.timedelta(days=60), check_permission=False,
        )  # fmt: skip
        issued = {d: (a, b) for d, a, b in ranges}
        if account is agreements[0][0] and 20 in issued and 100 in stock:
            # five 20 € exchanged for one 100 €
            a, b = issued[20]
            first, last = stock[100]
            if b - a + 1 >= 5 and first <= last:
                vouchers.voucher_exchange(
                    actor=None, agreement=agreement, entity=centre, taken=[(20, b - 4, b)],
                    given=[(100, first, first)], on=on - dt.timedelta(days=50),
                    check_permission=False,
                )  # fmt: skip
                stock[100][0] = first + 1
                issued[20] = (a, b - 5)
        if len(agreements) > 1 and account is agreements[1][0] and 50 in issued:
            a, b = issued[50]
            vouchers.voucher_return(
                actor=None, agreement=agreement, entity=centre, ranges=[(50, b - 1, b)],
                on=on - dt.timedelta(days=20), note="Non utilisées", check_permission=False,
            )  # fmt: skip
            vouchers.voucher_cancel(
                actor=None, agreement=agreement, ranges=[(50, b - 2, b - 2)],
                reason="Déclarée perdue par l'administration", on=on - dt.timedelta(days=15),
                check_permission=False,
            )  # fmt: skip
            issued[50] = (a, b - 3)

        # 4. Invoices paid by vouchers at the counter (never more than owed).
        owed = _owed(account)
        pay = []
        for denomination in (100, 50, 20):
            if denomination not in issued:
                continue
            a, b = issued[denomination]
            count = min(b - a + 1, int(owed // denomination), 3)
            if count > 0:
                pay.append((denomination, a, a + count - 1))
                owed -= Decimal(denomination) * count
        if pay:
            payment = vouchers.voucher_redeem(
                actor=None, account=account, ranges=pay, received_on=on - dt.timedelta(days=10),
                check_permission=False,
            )  # fmt: skip
            counts["voucher_redemptions"] += 1
            counts["voucher_redeemed_amount"] += payment.amount

    counts["voucher_movements"] = VoucherMovement.objects.count() - before
    counts["voucher_alerts"] = sum(
        1
        for row in VoucherStock.objects.filter(entity__kind=EntityKind.CENTRE)
        if row.below_threshold
    )
    return counts
