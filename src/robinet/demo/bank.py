"""Demo bank statements (PAY-5) on an already-billed demo database.

:func:`seed_demo` writes a camt.053 statement of the utility's account made
from the demo's open invoices — most transfers name their invoice, some only
the customer number, some come from a known IBAN or carry only the payer's
name with the exact amount, a handful match nothing — and imports it through
:func:`~robinet.payments.bank_statements.statement_import`: most credits are
booked, the rest wait in the worklist. It also writes, without importing
them, so a newcomer can import them from the screen or with ``robinet bank
import``: a CFONB 120 and an MT940 statement of the next days (other open
invoices), and the bank's answers to the demo's direct-debit file (the
pain.008 of :mod:`robinet.demo.sepa`): a pain.002 rejecting two of its debits
and accepting two, a camt.054 returning one. All the files are under
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
from robinet.payments.models import BankStatement, DirectDebitRun
from robinet.payments.statement_samples import SampleCredit, camt053, cfonb120, mt940

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
    """Write and import the demo statement of the day before ``today``; write the samples
    (CFONB 120, MT940, pain.002 and camt.054) a newcomer imports."""
    day = today - dt.timedelta(days=1)
    if BankStatement.objects.filter(statement_id=_statement_id(day)).exists():
        return {"statements": 0, "booked": 0, "unallocated": 0}
    rng = random.Random(5)
    iban = settings.ROBINET_UTILITY["iban"]
    pairs = _open_invoices(CREDITS + 20)
    imported, sample, swift = pairs[:CREDITS], pairs[CREDITS : CREDITS + 10], pairs[CREDITS + 10 :]
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
    swift_credits = [
        SampleCredit(item.open_amount, account.party.display_name.upper()[:54],
                     debtor_iban=account.iban, remittance=f"FACTURE {item.invoice.number}")
        for account, item in swift
    ] + [SampleCredit(Decimal("18.90"), "M DURAND", remittance="EAU MAISON")]  # fmt: skip
    (folder / f"releve-mt940-{today:%Y-%m-%d}.sta").write_bytes(
        mt940(iban=iban, day=today, credits=swift_credits, debits=[Decimal("96.00")],
              reference=f"DEMO{today:%Y%m%d}", opening=Decimal("182340.55"))
    )  # fmt: skip
    _write_direct_debit_answers(folder)
    return {
        "statements": len(outcome.statements),
        "booked": outcome.booked,
        "unallocated": outcome.unallocated,
    }


def _write_direct_debit_answers(folder: Path) -> None:
    """The bank's pain.002 and camt.054 for the demo's latest direct-debit file, not imported."""
    from robinet.demo.returns import camt054_document, pain002_document

    run = DirectDebitRun.objects.order_by("-collection_date").first()
    if run is None:
        return
    items = list(run.items.order_by("pk").values_list("end_to_end_id", "amount")[:6])
    returned = items[4:6] if len(items) > 4 else items[1:][-1:]
    rejected = [i for i in items[:4] if i not in returned]
    on = run.collection_date
    statuses = [("RJCT", "AM04"), ("ACSC", ""), ("RJCT", "MD01"), ("ACSC", "")]
    report = [
        (e2e, status, reason, amount)
        for (e2e, amount), (status, reason) in zip(rejected, statuses, strict=False)
    ]
    if report:
        (folder / f"prelevements-{on:%Y-%m-%d}-pain002.xml").write_bytes(
            pain002_document(report, f"{run.message_id[:26]}-RPT", on + dt.timedelta(days=1))
        )
    if returned:
        notice = [
            (e2e, reason, amount)
            for (e2e, amount), reason in zip(returned, ["MD06", ""], strict=False)
        ]
        iban = settings.ROBINET_UTILITY["iban"].replace(" ", "")
        (folder / f"prelevements-{on:%Y-%m-%d}-camt054.xml").write_bytes(
            camt054_document(notice, f"{run.message_id[:26]}-NTF", on + dt.timedelta(days=5), iban)
        )
