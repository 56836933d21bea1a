"""Portal logins for a dozen demo customers (PORTAL-1), printed by ``robinet demo``.

Chosen to show the portal's cases: customers with bills and payments, one
with a payment plan running, some with open requests, one with a leak alert,
a professional (Factur-X) and a landlord holding two accounts. DEMO ONLY: they
share the published demo password. Idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from robinet.cases.choices import OPEN_STATUSES
from robinet.cases.models import Case
from robinet.collections.choices import PlanState
from robinet.collections.models import PaymentPlan
from robinet.core import clock
from robinet.customers.models import CustomerAccount
from robinet.demo.users import DEMO_PASSWORD
from robinet.metering.models import AbnormalConsumptionNotice
from robinet.portal.models import AccountLink, PortalUser

COUNT = 12


@dataclass(frozen=True)
class PortalDemoUser:
    email: str
    accounts: tuple[str, ...]
    why: str


def _pick() -> list[tuple[CustomerAccount, str]]:
    chosen: list[tuple[CustomerAccount, str]] = []
    taken: set[int] = set()

    def add(queryset, why: str, n: int = 1) -> None:
        for account in queryset.exclude(pk__in=taken).select_related("party")[:n]:
            taken.add(account.pk)
            chosen.append((account, why))

    active = CustomerAccount.objects.filter(status="active", invoices__isnull=False).distinct()
    plans = PaymentPlan.objects.filter(state=PlanState.ACTIVE).values("account_id")
    add(active.filter(pk__in=plans), "échéancier en cours")
    cases = Case.objects.filter(status__in=OPEN_STATUSES).values("account_id")
    add(active.filter(pk__in=cases), "demande en cours", 3)
    notices = AbnormalConsumptionNotice.objects.values("account_id")
    add(active.filter(pk__in=notices), "alerte de fuite")
    add(active.exclude(customer_class="individual"), "professionnel (Factur-X)")
    add(active.filter(customer_class="individual"), "factures et paiements", COUNT)
    return chosen[: COUNT - 1]


def seed_demo() -> list[PortalDemoUser]:
    """Create (or reset) the portal logins; the last one holds two accounts (a landlord)."""
    now = clock.now()
    password = make_password(DEMO_PASSWORD)
    picked = _pick()
    if not picked:
        return []
    spare = (
        CustomerAccount.objects.filter(status="active", invoices__isnull=False)
        .exclude(pk__in=[a.pk for a, _w in picked])
        .distinct()
        .first()
    )
    users = []
    with transaction.atomic():
        for n, (account, why) in enumerate(picked, start=1):
            accounts = [account]
            if n == len(picked) and spare is not None:
                accounts.append(spare)
                why = "propriétaire de deux logements"
            email = f"client{n:02d}@demo.robinet.example"
            user, _created = PortalUser.objects.get_or_create(
                email=email, defaults={"password": password, "created_at": now}
            )
            user.password = password
            user.email_verified_at = user.email_verified_at or now
            user.first_name = account.party.first_name
            user.last_name = account.party.name
            user.is_active, user.failed_logins, user.locked_until = True, 0, None
            user.save()
            for linked in accounts:
                AccountLink.objects.get_or_create(
                    user=user, account=linked, defaults={"linked_at": now, "method": "invoice"}
                )
            users.append(PortalDemoUser(email, tuple(a.number for a in accounts), why))
    return users
