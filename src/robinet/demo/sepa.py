"""Demo SEPA direct debit (PAY-3), on an already-billed database.

:func:`seed_demo`, through the real services (no permission check, no actor):

1. a mandate for every account on direct debit or paying monthly (BILL-10)
   with an IBAN (the generator's IBANs are valid French test IBANs), signed
   when the account was opened (at most three years ago); one in twenty later
   changed bank (an amendment);
2. one direct-debit run for a past collection date — the TARGET2 business day
   on or after ten days ago —, made "a week before" with :func:`clock.as_of`,
   so its pain.008 can be downloaded from *Prélèvements SEPA*: the invoices
   due and the monthly payers' instalments due (their plans were enrolled two
   months before); it is settled (PAY-3) when its settlement date has passed.

Idempotent: accounts that already have a mandate and a date that already has
a run are left alone.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from robinet.core import clock
from robinet.core.exceptions import ApplicationError
from robinet.customers.models import CustomerAccount
from robinet.payments import sepa, target2
from robinet.payments.models import DebitKind, DirectDebitRun, Mandate

#: the bank a customer moves to, for the amended mandates (a valid test IBAN)
NEW_BANK_IBAN = "FR7630006000011234567890189"


def seed_demo(today: dt.date) -> dict:
    """Seed mandates and one past collection file; returns counts to print."""
    today = min(today, clock.today())
    counts = {
        "sepa_mandates": 0,
        "sepa_amendments": 0,
        "sepa_runs": 0,
        "sepa_debits": 0,
        "sepa_instalments": 0,
    }
    with_mandate = set(Mandate.objects.values_list("account_id", flat=True))
    accounts = (
        CustomerAccount.objects.filter(Q(direct_debit=True) | Q(monthly_payment=True))
        .exclude(iban="")
        .select_related("party", "centre")
        .order_by("pk")
    )
    for n, account in enumerate(accounts):
        if account.pk in with_mandate:
            continue
        signed_on = max(account.opened_on, today - dt.timedelta(days=3 * 365))
        try:
            mandate = sepa.mandate_create(
                actor=None, account=account, signed_on=min(signed_on, today),
                check_permission=False,
            )  # fmt: skip
        except ApplicationError:
            continue  # an IBAN the generator got wrong stays without mandate
        counts["sepa_mandates"] += 1
        if n % 20 == 7:
            counts["sepa_amendments"] += len(
                sepa.mandate_amend(
                    actor=None, mandate=mandate, iban=NEW_BANK_IBAN, check_permission=False
                )
            )
    collection_date = target2.next_business_day(today - dt.timedelta(days=10))
    if not DirectDebitRun.objects.filter(collection_date=collection_date).exists():
        made_at = dt.datetime.combine(collection_date - dt.timedelta(days=7), dt.time(10))
        try:
            with clock.as_of(timezone.make_aware(made_at)):
                run = sepa.debit_run_create(
                    actor=None, collection_date=collection_date, check_permission=False
                )
        except ApplicationError:
            run = None  # nothing due then
        if run is not None:
            counts["sepa_runs"] += 1
            counts["sepa_debits"] += run.item_count
            counts["sepa_instalments"] += run.items.filter(kind=DebitKind.BUDGET).count()
            if run.settles_on < today:
                sepa.debit_runs_settle(
                    actor=None, run=run, on=run.settles_on, check_permission=False
                )
    return counts
