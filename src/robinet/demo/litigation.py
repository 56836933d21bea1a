"""Litigation and insolvency files for the demo utility (COLL-9, COLL-12).

Run after the dunning demo (formal notices must exist): two order-for-payment
files at different stages for debtors who received a formal notice (their
birth date and place are filled so that they are identified), an
over-indebtedness file for an individual and a collective procedure
(*redressement judiciaire*) for a professional. Idempotent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from robinet.collections import insolvency as ins
from robinet.collections import litigation as lit
from robinet.collections.models import (
    CollectionBlock,
    DunningNotice,
    InsolvencyFile,
    InsolvencyKind,
    LitigationFile,
    LitigationStage,
)
from robinet.ledger.models import OpenItem

BIRTH_PLACES = ("Strasbourg", "Colmar", "Mulhouse", "Haguenau", "Sélestat")


def _free_debtors(today: dt.date, *, person: bool) -> list:
    """Accounts with overdue debt and no live hold, biggest debts first."""
    held = set(
        CollectionBlock.objects.filter(lifted_on__isnull=True).values_list("account_id", flat=True)
    )
    seen, result = set(), []
    items = (
        OpenItem.objects.filter(open_amount__gt=0, due_date__lt=today)
        .select_related("account__party")
        .order_by("-open_amount")
    )
    for item in items[:2000]:
        account = item.account
        if account.pk in seen or account.pk in held:
            continue
        seen.add(account.pk)
        if (account.party.kind == "person") == person:
            result.append(account)
    return result


def _litigation(today: dt.date) -> int:
    noticed = set(DunningNotice.objects.values_list("account_id", flat=True))
    opened = 0
    for n, account in enumerate(_free_debtors(today, person=True)):
        if opened == 2:
            break
        if account.pk not in noticed or lit.formal_notice_of(account) is None:
            continue
        party = account.party
        if not party.birth_date:
            party.birth_date = dt.date(1960 + n % 30, 1 + n % 12, 1 + n % 27)
            party.birth_place = BIRTH_PLACES[n % len(BIRTH_PLACES)]
            party.save(update_fields=["birth_date", "birth_place"])
        if not lit.account_eligibility(account, on=today).eligible:
            continue
        file = lit.litigation_open(
            account,
            actor=None,
            on=today - dt.timedelta(days=40),
            court="Tribunal judiciaire de Strasbourg",
        )
        opened += 1
        if opened == 2:
            # The second one has moved on: filed, order issued and served.
            for days, stage in (
                (30, LitigationStage.FILED),
                (15, LitigationStage.ORDER_ISSUED),
                (5, LitigationStage.SERVED),
            ):
                lit.litigation_stage(file, stage, None, on=today - dt.timedelta(days=days))
            lit.litigation_cost_add(
                file,
                "bailiff",
                Decimal("48.26"),
                None,
                on=today - dt.timedelta(days=5),
                label="Signification de l'ordonnance",
            )
    return opened


def seed_demo(today: dt.date) -> dict[str, int]:
    """Seed the files; idempotent. Returns counts to print."""
    counts = {"litigation_files": 0, "insolvency_files": 0}
    if LitigationFile.objects.exists() or InsolvencyFile.objects.exists():
        return counts
    counts["litigation_files"] = _litigation(today)
    people = _free_debtors(today, person=True)
    if people:
        ins.insolvency_record(
            people[0],
            InsolvencyKind.OVER_INDEBTEDNESS,
            today - dt.timedelta(days=20),
            None,
            reference="BDF-67-2026-0142",
            administrator="Commission de surendettement du Bas-Rhin",
        )
        counts["insolvency_files"] += 1
    companies = _free_debtors(today, person=False)
    if companies:
        ins.insolvency_record(
            companies[0],
            InsolvencyKind.RECEIVERSHIP,
            today - dt.timedelta(days=35),
            None,
            bodacc_on=today - dt.timedelta(days=28),
            reference="RG 26/00318",
            administrator="SELARL Mandataires associés, Strasbourg",
        )
        counts["insolvency_files"] += 1
    return counts
