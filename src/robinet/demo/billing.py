"""Two years of bills for the demo utility (BILL-1…6): tariffs, runs, held bills, credit notes.

After the customers and their readings (``readings.py``), :func:`bill`:

1. loads the demo tariffs (``tariffs/*.yaml``) with the tariff service: three
   zones covering every demo commune — a progressive tariff with a social
   option (Strasbourg), a seasonal summer price (Colmar), degressive blocks for
   large consumers (Metz and Thionville) — each with a 2025 and a 2026
   version changing inside a half-year, so bills split at the change (BILL-2);
2. gives a few Strasbourg households the social tariff (SOCIAL_TARIFF
   particularity, some with an end date) and sets the BILL-5 thresholds per
   customer class (households are held above 600 € or 200 m³ a half-year);
3. records that the previous billing system billed everything up to the end
   of the half-year in which the readings start (the data takeover): one
   cancelled held period per contract (``held_bill_cancel``'s meaning: "never
   billed by a run"), so the runs do not catch decades up;
4. runs the real billing run (``billing_run_create`` + ``billing_run_execute``,
   in-process) for each half-year end since, issued five days later: held
   reading anomalies and leaks give held bills naturally;
5. issues a few credit notes: full ones followed by a rebilling, and partial
   ones (the sanitation lines of customers not connected to the sewer).

Everything goes through the billing services but the takeover rows, written
in bulk like the rest of the generator.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from robinet.billing.choices import HeldBillStatus
from robinet.billing.models import BillingThreshold, HeldBill, Invoice, InvoiceLine
from robinet.billing.periods import cycle_end
from robinet.core.exceptions import ApplicationError
from robinet.customers.choices import CustomerClass, ParticularityKind
from robinet.customers.models import Contract, CustomerAccount, Particularity

TARIFF_DIR = Path(__file__).resolve().parent / "tariffs"
ISSUE_DELAY = dt.timedelta(days=5)
# Contracts per chunk of the demo's runs (one transaction each).
CHUNK_SIZE = 10000
SOCIAL_COMMUNES_TARIFF = "STR-PROGRESSIF"
SOCIAL_SHARE = 40  # one household in 40 of the Strasbourg centre

# BILL-5 thresholds per customer class, per bill (a half-year): (amount incl. VAT, m³).
THRESHOLDS = {
    CustomerClass.INDIVIDUAL: ("600", "200"),
    CustomerClass.PROFESSIONAL: ("15000", "6000"),
    CustomerClass.FARMER: ("25000", "10000"),
    CustomerClass.LOCAL_AUTHORITY: ("30000", "10000"),
    CustomerClass.ADMINISTRATION: ("30000", "10000"),
    CustomerClass.SYNDIC: ("40000", "15000"),
    CustomerClass.LARGE_ACCOUNT: ("400000", "100000"),
}

TAKEOVER_REASON = "takeover"
TAKEOVER_MESSAGE = "Période facturée par le système précédent (reprise des données)"


@dataclass
class BillingSummary:
    runs: list = field(default_factory=list)
    takeover: int = 0
    social: int = 0
    credit_notes_full: int = 0
    credit_notes_partial: int = 0
    rebilled: int = 0
    fees_invoices: int = 0
    quotes: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def tariff_files() -> list[Path]:
    return sorted(TARIFF_DIR.glob("*.yaml"))


def load_tariffs() -> int:
    """The demo tariff versions, created once through the tariff service."""
    from robinet.tariffs.models import TariffVersion
    from robinet.tariffs.services import tariff_save

    existing = set(TariffVersion.objects.values_list("code", flat=True))
    created = 0
    for path in tariff_files():
        if path.stem in existing:
            continue
        tariff_save(actor=None, text=path.read_text(encoding="utf-8"))
        created += 1
    return created


def takeover_date(today: dt.date) -> dt.date:
    """The last day billed by the previous system: the end of the half-year the readings start in."""
    from robinet.demo.readings import WINDOW_DAYS

    return cycle_end("semiannual", today - dt.timedelta(days=WINDOW_DAYS))


def period_ends(today: dt.date) -> list[dt.date]:
    """Half-year ends after the takeover whose bills are issued by ``today``."""
    ends = []
    day = takeover_date(today)
    while True:
        day = cycle_end("semiannual", day + dt.timedelta(days=1))
        if day + ISSUE_DELAY > today:
            return ends
        ends.append(day)


def set_thresholds() -> None:
    for customer_class, (amount, volume) in THRESHOLDS.items():
        BillingThreshold.objects.update_or_create(
            customer_class=customer_class,
            defaults={"max_amount_incl_vat": Decimal(amount), "max_volume_m3": Decimal(volume)},
        )


def grant_social_tariff(today: dt.date) -> int:
    """A few households of the social-tariff zone get it; one in four only for a while."""
    from robinet.tariffs.models import TariffZone

    communes = set(
        TariffZone.objects.filter(version__code__startswith=SOCIAL_COMMUNES_TARIFF).values_list(
            "commune_insee", flat=True
        )
    )
    already = Particularity.objects.filter(kind=ParticularityKind.SOCIAL_TARIFF).values(
        "account_id"
    )
    accounts = (
        CustomerAccount.objects.filter(
            customer_class=CustomerClass.INDIVIDUAL,
            contracts__status="active",
            contracts__service_point__commune_insee__in=communes,
        )
        .exclude(pk__in=already)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    start = takeover_date(today) - dt.timedelta(days=90)
    rows = []
    for n, account_id in enumerate(accounts):
        if n % SOCIAL_SHARE:
            continue
        ended = None
        if len(rows) % 4 == 3:  # eligibility not renewed: back to the normal tariff
            ended = cycle_end("semiannual", start + dt.timedelta(days=400))
        rows.append(
            Particularity(
                account_id=account_id,
                kind=ParticularityKind.SOCIAL_TARIFF,
                started_on=start,
                ended_on=ended,
                comment="Tarif social (démonstration)",
            )
        )
    Particularity.objects.bulk_create(rows)
    return len(rows)


def record_takeover(cut: dt.date) -> int:
    """Every contract started by ``cut`` was billed up to it by the previous system."""
    from robinet.billing.writer import json_value
    from robinet.core import clock
    from robinet.core.bulk import allocate_ids, insert_rows

    done = HeldBill.objects.filter(reason_codes=TAKEOVER_REASON).values("contract_id")
    contracts = list(
        Contract.objects.filter(start_date__lte=cut)
        .exclude(pk__in=done)
        .order_by("pk")
        .values_list(
            "pk", "account_id", "service_point_id", "account__centre_id", "start_date", "end_date"
        )
    )
    now = clock.now()
    reasons = [{"code": TAKEOVER_REASON, "message": TAKEOVER_MESSAGE}]
    columns = (
        "id", "contract_id", "account_id", "service_point_id", "centre_id", "period_start",
        "period_end", "kind", "status", "reasons", "reason_codes", "created_at", "resolved_at",
        "resolution_note",
    )  # fmt: skip
    ids = iter(allocate_ids(HeldBill, len(contracts)))
    rows = []
    for pk, account_id, sp_id, centre_id, start, end in contracts:
        final = end is not None and end <= cut
        rows.append(
            (
                next(ids), pk, account_id, sp_id, centre_id, start, end if final else cut,
                "final" if final else "periodic", HeldBillStatus.CANCELLED.value,
                json_value(reasons), TAKEOVER_REASON, now, now, TAKEOVER_MESSAGE,
            )
        )  # fmt: skip
    insert_rows(HeldBill, columns, rows)
    return len(rows)


def ready_to_bill(today: dt.date) -> tuple[int, int]:
    """The demo tariffs, thresholds, social tariffs and the takeover of the earlier billing,
    on generated customers: (social tariffs granted, contracts taken over)."""
    with transaction.atomic():
        load_tariffs()
        set_thresholds()
        social = grant_social_tariff(today)
        takeover = record_takeover(takeover_date(today))
    return social, takeover


def run_bills(
    today: dt.date, *, chunk_size: int = CHUNK_SIZE, log: Callable[[str], None] | None = None
) -> list:
    """One billing run per half-year end since the takeover, issued five days after it."""
    from robinet.billing.services import billing_run_create, billing_run_execute
    from robinet.core.runs import InProcessExecutor

    done = []
    for end in period_ends(today):
        mark = time.perf_counter()
        run = billing_run_create(
            actor=None, period_end=end, issue_date=end + ISSUE_DELAY, chunk_size=chunk_size
        )
        run = billing_run_execute(actor=None, run=run, executor=InProcessExecutor())
        done.append(run)
        if log:
            log(
                f"  facturation au {end:%d/%m/%Y} : {run.succeeded} facturés, "
                f"{run.skipped} ignorés ou bloqués, {run.failed} en échec "
                f"({time.perf_counter() - mark:.1f} s)"
            )
    return done


def _candidates(count: int, *, exclude: set[int], sanitation: bool = False) -> list[Invoice]:
    """Invoices spread over the demo, deterministic: every n-th periodic bill."""
    bills = Invoice.objects.filter(kind="periodic", generation=0, credit_notes__isnull=True)
    if sanitation:
        bills = bills.filter(lines__service="sanitation", lines__component_kind="volume")
    ids = list(bills.order_by("pk").values_list("pk", flat=True).distinct())
    ids = [i for i in ids if i not in exclude]
    if not ids:
        return []
    step = max(1, len(ids) // (count * 3))
    picked = ids[step // 2 :: step][: count * 3]
    return list(Invoice.objects.filter(pk__in=picked).order_by("pk"))


def issue_corrections(invoices: int) -> tuple[int, int, int]:
    """A few credit notes: full ones then rebilled, and partial ones (BILL-6)."""
    from robinet.billing.services import credit_note_issue, invoice_rebill

    count = max(3, min(25, invoices // 1000))
    full = rebilled = partial = 0
    used: set[int] = set()
    for invoice in _candidates(count, exclude=used):
        if full >= count:
            break
        used.add(invoice.pk)
        try:
            with transaction.atomic():
                credit_note_issue(
                    actor=None, invoice=invoice, reason="Index relevé mal saisi : refacturation"
                )
                invoice_rebill(actor=None, invoice=invoice)
        except ApplicationError:
            continue  # e.g. a reading anomaly since: keep the invoice as it is
        full += 1
        rebilled += 1
    for invoice in _candidates(count, exclude=used, sanitation=True):
        if partial >= count:
            break
        positions = list(
            InvoiceLine.objects.filter(invoice=invoice, service="sanitation")
            .order_by("position")
            .values_list("position", flat=True)
        )
        with transaction.atomic():
            credit_note_issue(
                actor=None,
                invoice=invoice,
                reason="Logement non raccordé à l'assainissement collectif",
                positions=positions,
            )
        partial += 1
    return full, partial, rebilled


def works_and_fees(today: dt.date) -> tuple[int, int]:
    """The price list, a few fees invoices and works quotes in every state (BILL-7)."""
    from robinet.billing.fees import fees_invoice_issue, seed_price_list
    from robinet.billing.works import (
        quote_accept,
        quote_create,
        quote_refuse,
        quote_send,
        works_invoice_issue,
    )
    from robinet.customers.models import CustomerAccount

    seed_price_list(valid_from=dt.date(today.year - 2, 1, 1))
    accounts = list(
        CustomerAccount.objects.filter(status="active", contracts__status="active")
        .order_by("pk")
        .distinct()[:40]
    )
    fees = 0
    for account in accounts[:6]:
        fees_invoice_issue(
            actor=None,
            account=account,
            items=[("FRAIS-ACCES", "1")],
            issue_date=today - dt.timedelta(days=20 + fees),
            reason="Ouverture de l'abonnement",
        )
        fees += 1
    quotes = 0
    for n, account in enumerate(accounts[10:18]):
        sp = account.contracts.filter(status="active").first().service_point
        quote = quote_create(
            actor=None,
            account=account,
            subject="Déplacement du compteur en limite de propriété",
            lines=[("TRX-DEPLACEMENT-CPT", "1"), ("TRX-REGARD", "1")],
            service_point=sp,
            issue_date=today - dt.timedelta(days=40 - n),
        )
        quotes += 1
        if n % 4 == 0:
            continue  # draft
        quote_send(actor=None, quote=quote)
        if n % 4 == 1:
            continue  # sent, waiting for the customer
        if n % 4 == 2:
            quote_refuse(actor=None, quote=quote, reason="Le client renonce aux travaux")
            continue
        signed = ContentFile(b"%PDF-1.4\n% devis signe (demonstration)\n", name="devis-signe.pdf")
        quote = quote_accept(
            actor=None,
            quote=quote,
            signed_document=signed,
            accepted_on=today - dt.timedelta(days=10),
        )
        if n >= 7:
            works_invoice_issue(actor=None, quote=quote, works_done_on=today - dt.timedelta(days=3))
    contributions(today)
    leak_reliefs(today)
    monthly_payers(today)
    return fees, quotes


def leak_reliefs(today: dt.date) -> int:
    """Leak-relief requests on bills that carried a METER-5 notice (BILL-9): granted,
    refused, waiting for the plumber's certificate — each in its DEGREVEMENT case, the
    decided ones answered by letter and closed."""
    from robinet.billing.leaks import (
        leak_relief_approve,
        leak_relief_open,
        leak_relief_record_certificate,
        leak_relief_refuse,
    )
    from robinet.core.exceptions import ApplicationError
    from robinet.demo.cases import ensure_teams
    from robinet.metering.case_links import notice_case_open

    ensure_teams()  # the DEGREVEMENT cases go to the contracts team (CASE-6)
    # The bills that showed a METER-5 notice, then the largest household bills of the
    # last run (the cap applies even when the customer was not informed).
    latest = Invoice.objects.filter(kind="periodic").order_by("-issue_date").first()
    bills = list(
        Invoice.objects.filter(abnormal_notice__isnull=False, kind__in=("periodic", "final"))
        .select_related("abnormal_notice")
        .order_by("-issue_date", "pk")[:3]
    )
    if latest is not None:
        bills += list(
            Invoice.objects.filter(
                kind="periodic",
                issue_date=latest.issue_date,
                abnormal_notice__isnull=True,
                service_point__premises_use="main_residence",
                credit_notes__isnull=True,
            ).order_by("-volume", "pk")[: 6 - len(bills)]
        )
    opened = 0
    for n, invoice in enumerate(bills):
        try:
            with transaction.atomic():
                if invoice.abnormal_notice_id:  # the notice started the case (METER-5)
                    notice_case_open(invoice.abnormal_notice)
                request = leak_relief_open(
                    actor=None,
                    invoice=invoice,
                    notice=invoice.abnormal_notice,
                    reference_average=None
                    if invoice.abnormal_notice_id
                    else (invoice.volume / 3).quantize(Decimal("0.01")),
                    reference_basis="" if invoice.abnormal_notice_id else "trois dernières années",
                    opened_on=min(invoice.issue_date + dt.timedelta(days=3), today),
                )
                opened += 1
                if n % 3 == 2:
                    continue  # waiting for the certificate
                leak_relief_record_certificate(
                    actor=None,
                    request=request,
                    certificate=ContentFile(b"%PDF-1.4\n% attestation\n", name="attestation.pdf"),
                    repair_date=min(invoice.issue_date + dt.timedelta(days=5), today),
                    leak_location="Canalisation enterrée entre le compteur et la maison",
                    leak_after_meter=True,
                    appliance_leak=n % 3 == 1,  # a water-heater leak is not eligible
                    received_on=min(invoice.issue_date + dt.timedelta(days=10), today),
                )
                if n % 3 == 0:
                    leak_relief_approve(actor=None, request=request)
                else:
                    leak_relief_refuse(actor=None, request=request)
        except ApplicationError:
            continue  # e.g. a bill outside the deadline: the demo keeps going
    return opened


#: Monthly payers enrolled a year earlier, whose plan the demo settles (BILL-10).
SETTLED_PAYERS = 3
#: The share of the accounts paying monthly, in %.
MONTHLY_SHARE = 25


def _monthly_contracts() -> list:
    """Active contracts of about :data:`MONTHLY_SHARE` % of the accounts, among those the
    generator flags as paying monthly with an IBAN."""
    wanted = round(CustomerAccount.objects.count() * MONTHLY_SHARE / 100)
    accounts: set[int] = set()
    contracts = []
    for contract in (
        Contract.objects.filter(status="active", account__monthly_payment=True)
        .exclude(account__iban="")
        .select_related("account__centre", "service_point")
        .order_by("account_id", "pk")
    ):
        if contract.account_id not in accounts and len(accounts) >= wanted:
            break
        accounts.add(contract.account_id)
        contracts.append(contract)
    return contracts


def monthly_payers(today: dt.date) -> int:
    """The accounts the generator flags as paying monthly (about a quarter) get their plan and
    schedule (BILL-10), enrolled in bulk (``plan_enrol_many``: the tariffs parsed once).

    Enrolled "75 days ago" (``clock.as_of``), so that their first instalments are due
    before the demo's past SEPA run, which collects them (PAY-3). The first
    :data:`SETTLED_PAYERS` were enrolled a year earlier: their year is over, and
    :func:`settle_monthly_payers` settles it once the SEPA run has collected it.
    """
    from django.utils import timezone

    from robinet.billing.budget import plan_enrol_many
    from robinet.core import clock

    def at(days_ago: int) -> dt.datetime:
        return timezone.make_aware(
            dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(10))
        )

    contracts = _monthly_contracts()
    earlier, recent = contracts[:SETTLED_PAYERS], contracts[SETTLED_PAYERS:]
    plans = []
    with clock.as_of(at(440)):
        plans += plan_enrol_many(actor=None, contracts=earlier).plans
    with clock.as_of(at(75)):
        plans += plan_enrol_many(actor=None, contracts=recent).plans
    # The generator's flag on the accounts left out (or refused) would show a monthly
    # payer without a schedule: only the enrolled accounts pay monthly.
    CustomerAccount.objects.filter(monthly_payment=True).exclude(
        pk__in={plan.account_id for plan in plans}
    ).update(monthly_payment=False)
    return len(plans)


def settle_monthly_payers(today: dt.date) -> int:
    """Settle the plans whose 12 months are over (BILL-10): the year's bills minus the
    instalments collected, then the next year's schedule. Run after the SEPA run."""
    from robinet.billing.budget import plan_settle
    from robinet.billing.choices import BudgetPlanStatus
    from robinet.billing.models import BudgetPlan

    settled = 0
    for plan in BudgetPlan.objects.filter(
        status=BudgetPlanStatus.ACTIVE, period_end__lt=today
    ).order_by("pk"):
        try:
            with transaction.atomic():
                plan_settle(actor=None, plan=plan, settled_on=today)
        except ApplicationError:
            continue  # e.g. no bill in its year: the demo keeps going
        settled += 1
    return settled


def contributions(today: dt.date) -> int:
    """A municipality's contribution to a network project, half invoiced (BILL-7)."""
    from robinet.billing.contributions import (
        agreement_create,
        agreement_invoice_due,
        agreement_sign,
    )
    from robinet.customers.models import CustomerAccount

    towns = CustomerAccount.objects.filter(customer_class="local_authority", status="active")
    created = 0
    for n, town in enumerate(towns.order_by("pk")[:2]):
        start = today - dt.timedelta(days=200)
        agreement = agreement_create(
            actor=None,
            account=town,
            project="Renouvellement de la conduite de la rue principale",
            service="water" if n == 0 else "sanitation",
            total_excl_vat=Decimal("48000.00") if n == 0 else Decimal("25000.00"),
            due_dates=[start + dt.timedelta(days=90 * k) for k in range(4)],
            created_on=start - dt.timedelta(days=10),
        )
        agreement_sign(
            actor=None,
            agreement=agreement,
            signed_on=start - dt.timedelta(days=5),
            deliberation=f"Délibération du conseil municipal n° {start.year}-{31 + n}",
        )
        agreement_invoice_due(actor=None, agreement=agreement, up_to=today)
        created += 1
    return created


def bill(
    *,
    today: dt.date,
    chunk_size: int = CHUNK_SIZE,
    corrections: bool = True,
    log: Callable[[str], None] | None = None,
) -> BillingSummary:
    """Tariffs, thresholds, social tariff, takeover, the runs and a few credit notes."""
    summary = BillingSummary()
    started = mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        summary.timings[name] = now - mark
        mark = now

    with transaction.atomic():
        load_tariffs()
        set_thresholds()
        summary.social = grant_social_tariff(today)
        summary.takeover = record_takeover(takeover_date(today))
    lap("setup")
    summary.runs = run_bills(today, chunk_size=chunk_size, log=log)
    lap("runs")
    if corrections:
        invoices = Invoice.objects.filter(kind__in=("periodic", "final")).count()
        summary.credit_notes_full, summary.credit_notes_partial, summary.rebilled = (
            issue_corrections(invoices)
        )
    lap("corrections")
    with transaction.atomic():
        summary.fees_invoices, summary.quotes = works_and_fees(today)
    lap("works and fees")
    summary.seconds = time.perf_counter() - started
    return summary
