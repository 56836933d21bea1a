"""Demo bank statements (PAY-5) on an already-billed demo database.

:func:`seed_demo` writes a camt.053 statement of the utility's account made
from the demo's open invoices — most transfers name their invoice, some only
the customer number, some come from a known IBAN or carry only the payer's
name with the exact amount, a handful match nothing — and imports it through
:func:`~robinet.payments.bank_statements.statement_import`: most credits are
booked, the rest wait in the worklist. It also writes, without importing it,
a CFONB 120 statement of the next days, so a newcomer can import it from the
screen or with ``robinet bank import``. Both files are under
``var/demo/bank/``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from robinet.conf import VAR_DIR
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.payments import bank_statements
from robinet.payments.models import BankStatement
from robinet.payments.statement_samples import SampleCredit, camt053, cfonb120

CREDITS = 60
UNMATCHED = (
    ("ASSOCIATION LES AMIS DU LAVOIR", Decimal("150.00"), "DON FETE DE L EAU"),
    ("SCI DU MOULIN", Decimal("87.45"), "REGLEMENT"),
    ("M OU MME PETITJEAN", Decimal("42.00"), "EAU"),
    ("CPAM DU BAS RHIN", Decimal("12.30"), "REMBOURSEMENT"),
    ("", Decimal("25.00"), "VIREMENT"),
)


def _folder() -> Path:
    folder = VAR_DIR / "demo" / "bank"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _statement_id(day: dt.date) -> str:
    return f"DEMO-{day:%Y%m%d}"


def _open_invoices(limit: int) -> list[tuple[CustomerAccount, OpenItem]]:
    items = (
        OpenItem.objects.filter(invoice__isnull=False, cleared_on__isnull=True, open_amount__gt=0)
        .select_related("account__party", "invoice")
        .order_by("account_id", "due_date", "pk")
    )
    chosen, seen = [], set()
    for item in items.iterator(chunk_size=2000):
        if item.account_id in seen:
            continue
        seen.add(item.account_id)
        chosen.append((item.account, item))
        if len(chosen) >= limit:
            break
    return chosen


def _credits(pairs, rng: random.Random) -> list[SampleCredit]:
    credits = []
    for n, (account, item) in enumerate(pairs):
        name = account.party.display_name.upper()[:70]
        kind = n % 10
        if kind < 6:  # the invoice number, as the bill asks
            credits.append(
                SampleCredit(item.open_amount, name, remittance=f"FACTURE {item.invoice.number}")
            )
        elif kind < 8:  # only the customer number
            credits.append(
                SampleCredit(item.open_amount, name, remittance=f"CLIENT {account.number} EAU")
            )
        elif kind == 8 and account.iban:  # a known IBAN, no reference
            credits.append(SampleCredit(item.open_amount, name, debtor_iban=account.iban))
        else:  # the payer's name and the exact amount, nothing else
            credits.append(SampleCredit(item.open_amount, name, remittance="EAU"))
    for name, amount, text in UNMATCHED:
        credits.append(SampleCredit(amount, name, remittance=text))
    rng.shuffle(credits)
    return credits


def seed_demo(today: dt.date) -> dict:
    """Write and import the demo statement of the day before ``today``; write a CFONB sample."""
    day = today - dt.timedelta(days=1)
    if BankStatement.objects.filter(statement_id=_statement_id(day)).exists():
        return {"statements": 0, "booked": 0, "unallocated": 0}
    rng = random.Random(5)
    iban = settings.ROBINET_UTILITY["iban"]
    pairs = _open_invoices(CREDITS + 10)
    imported, sample = pairs[:CREDITS], pairs[CREDITS:]
    data = camt053(
        statement_id=_statement_id(day),
        iban=iban,
        day=day,
        credits=_credits(imported, rng),
        debits=[Decimal("1250.00"), Decimal("38.40")],
        opening=Decimal("182340.55"),
    )
    folder = _folder()
    path = folder / f"releve-camt053-{day:%Y-%m-%d}.xml"
    path.write_bytes(data)
    outcome = bank_statements.statement_import(
        actor=None, source=data, filename=path.name, check_permission=False
    )
    sample_credits = [
        SampleCredit(item.open_amount, account.party.display_name.upper()[:70],
                     remittance=f"FACTURE {item.invoice.number}")
        for account, item in sample
    ] + [SampleCredit(Decimal("64.00"), "MME FONTAINE", remittance="EAU")]  # fmt: skip
    (folder / f"releve-cfonb120-{today:%Y-%m-%d}.txt").write_bytes(
        cfonb120(iban=iban, start=day, end=today, credits=sample_credits)
    )
    return {
        "statements": len(outcome.statements),
        "booked": outcome.booked,
        "unallocated": outcome.unallocated,
    }
