"""The billing run (BILL-4): a chunk of contracts loaded in a few queries, priced, issued.

Each chunk (one transaction, see :mod:`robinet.core.runs`):

1. loads the contracts with their account, service point and meter, the
   periods already billed or held, the readings of the window, the pending
   anomalies, the social-tariff particularities, in one query each;
2. creates the estimates the periods need (METER-3), in one call;
3. computes every due period of every contract with the pure engine, in
   order, stopping a contract at its first held period (BILL-5);
4. issues the rest: the chunk's invoice numbers in one step (BILL-6, gapless
   per series and year), invoices, lines and open items written in bulk.

A contract that raises is reported as failed with its reason and the chunk
goes on; the unique (contract, period, generation) key makes a replay
harmless anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import replace

from django.db.models import Max, Q

from robinet.billing import engine
from robinet.billing.choices import BILL_KINDS, HeldBillStatus
from robinet.billing.engine import ContractFacts, ReadingFact, Thresholds
from robinet.billing.models import BillingThreshold, HeldBill, Invoice
from robinet.billing.periods import BillingPeriod, due_periods
from robinet.billing.writer import InvoiceWriter
from robinet.core import clock
from robinet.core.runs import ChunkResult, register_run_kind
from robinet.customers.choices import ContractStatus, ParticularityKind
from robinet.customers.models import Contract, Meter, Particularity
from robinet.metering.choices import ReadingStatus
from robinet.metering.models import AbnormalConsumptionNotice, Reading
from robinet.organisation.models import Entity
from robinet.tariffs.selectors import TariffCache

logger = logging.getLogger(__name__)

KIND = "billing"
# How far back the readings of a chunk are loaded: a contract unbilled for a
# long time is caught up period by period (due_periods limits the count).
EARLIEST = dt.date(1900, 1, 1)


def _period_end(run) -> dt.date:
    return dt.date.fromisoformat(run.parameters["period_end"])


def contracts_due(*, period_end: dt.date, entity: Entity | None = None, cycle: str = ""):
    """Contracts that may have a period to bill up to ``period_end`` (BILL-4 selection)."""
    contracts = Contract.objects.filter(start_date__lte=period_end).filter(
        Q(status=ContractStatus.ACTIVE)
        | Q(end_date__isnull=False)
        & ~Q(invoices__kind="final")
        & ~Q(held_bills__kind="final", held_bills__status=HeldBillStatus.CANCELLED)
    )
    if entity is not None:
        contracts = contracts.filter(account__centre__path__startswith=entity.path)
    if cycle:
        contracts = contracts.filter(billing_cycle=cycle)
    return contracts


def _targets(run):
    entity = None
    if run.parameters.get("entity"):
        entity = Entity.objects.get(code=run.parameters["entity"])
    return (
        contracts_due(
            period_end=_period_end(run), entity=entity, cycle=run.parameters.get("cycle", "")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
        .iterator()
    )


# --- loading --------------------------------------------------------------------------------


def load_facts(contract_ids: list[int], *, on: dt.date) -> dict[int, ContractFacts]:
    rows = Contract.objects.filter(pk__in=contract_ids).values_list(
        "pk",
        "account_id",
        "account__centre_id",
        "service_point_id",
        "account__customer_class",
        "service_point__commune_insee",
        "start_date",
        "end_date",
        "water",
        "sanitation",
        "service_point__dwellings",
        "account__payment_terms_days",
        "billing_cycle",
    )
    rows = list(rows)
    sp_ids = [r[3] for r in rows]
    diameters: dict[int, int] = {}
    for sp_id, diameter in (
        Meter.objects.filter(service_point_id__in=sp_ids, installed_on__lte=on)
        .order_by("installed_on", "pk")
        .values_list("service_point_id", "diameter_mm")
    ):
        diameters[sp_id] = diameter  # the latest fitted meter wins
    account_ids = [r[1] for r in rows]
    social: dict[int, list[tuple]] = defaultdict(list)
    for account_id, started, ended in Particularity.objects.filter(
        account_id__in=account_ids, kind=ParticularityKind.SOCIAL_TARIFF
    ).values_list("account_id", "started_on", "ended_on"):
        social[account_id].append((started, ended))
    facts = {}
    for r in rows:
        facts[r[0]] = ContractFacts(
            contract_id=r[0],
            account_id=r[1],
            centre_id=r[2],
            service_point_id=r[3],
            customer_class=r[4],
            commune_insee=r[5],
            start_date=r[6],
            end_date=r[7],
            water=r[8],
            sanitation=r[9],
            dwellings=r[10],
            payment_terms_days=r[11],
            diameter_mm=diameters.get(r[3]),
            cycle=r[12],
            social_periods=tuple(social.get(r[1], ())),
        )
    return facts


def social_on(facts: ContractFacts, period: BillingPeriod) -> bool:
    """Social tariff when eligible at the period's end (validity dates of the particularity)."""
    return any(
        started <= period.end and (ended is None or ended >= period.end)
        for started, ended in facts.social_periods
    )


def first_days(contract_ids: list[int], facts: dict[int, ContractFacts]) -> dict[int, dt.date]:
    """The first day not yet billed (nor held/cancelled) of each contract."""
    last: dict[int, dt.date] = {}
    for contract_id, end in (
        Invoice.objects.filter(contract_id__in=contract_ids, kind__in=BILL_KINDS)
        .values_list("contract_id")
        .annotate(end=Max("period_end"))
    ):
        last[contract_id] = end
    for contract_id, end in (
        HeldBill.objects.filter(
            contract_id__in=contract_ids,
            status__in=[HeldBillStatus.HELD, HeldBillStatus.CANCELLED],
        )
        .values_list("contract_id")
        .annotate(end=Max("period_end"))
    ):
        last[contract_id] = max(end, last.get(contract_id, end))
    return {
        cid: (last[cid] + dt.timedelta(days=1)) if cid in last else f.start_date
        for cid, f in facts.items()
    }


def load_readings(sp_ids: list[int], *, start: dt.date, end: dt.date):
    """Valid and replaced readings of the window, and the pending anomalies, per point."""
    readings: dict[int, list[ReadingFact]] = defaultdict(list)
    held: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for row in (
        Reading.objects.filter(service_point_id__in=sp_ids, read_on__lte=end, read_on__gte=start)
        .exclude(status=ReadingStatus.REJECTED)
        .order_by("service_point_id", "read_on", "id")
        .values_list(
            "service_point_id",
            "id",
            "read_on",
            "index",
            "source",
            "status",
            "consumption",
            "anomaly",
            "meter__serial",
        )
    ):
        if row[5] == ReadingStatus.HELD:
            held[row[0]].append((row[2], row[7]))
        else:
            readings[row[0]].append(ReadingFact(*row[1:7], meter_serial=row[8]))
    return readings, held


def billed_estimates(contract_ids: list[int]) -> dict[int, frozenset[int]]:
    """Estimated readings each contract was billed on (deducted once replaced, METER-3)."""
    found: dict[int, set[int]] = defaultdict(set)
    for contract_id, reading_id in Invoice.objects.filter(
        contract_id__in=contract_ids, kind__in=BILL_KINDS, estimated=True
    ).values_list("contract_id", "new_reading_id"):
        if reading_id is not None:
            found[contract_id].add(reading_id)
    return {cid: frozenset(ids) for cid, ids in found.items()}


def thresholds_table() -> dict[str, Thresholds]:
    return {
        row.customer_class: Thresholds(row.max_amount_incl_vat, row.max_volume_m3)
        for row in BillingThreshold.objects.all()
    }


# --- estimates ------------------------------------------------------------------------------


def _needs_estimate(
    facts: ContractFacts, period: BillingPeriod, readings: list[ReadingFact]
) -> bool:
    """No reading at all in the period nor since: the meter was not read (METER-3)."""
    if period.final or facts.diameter_mm is None:
        return False
    after = engine.window_start(facts, period)
    if not any(r.status == "valid" and r.read_on <= after for r in readings):
        return False  # nothing to estimate from
    return not any(r.status == "valid" and r.read_on > after for r in readings)


def create_estimates(plan, readings) -> int:
    """Estimated readings at the end of the periods that have none (one call per end date)."""
    from robinet.metering.services import estimate_readings

    by_end: dict[dt.date, list[int]] = defaultdict(list)
    for facts, periods in plan:
        for period in periods:
            if _needs_estimate(facts, period, readings.get(facts.service_point_id, [])):
                by_end[period.end].append(facts.service_point_id)
                break  # the next periods are estimated by the next runs
    created = 0
    for end, sp_ids in by_end.items():
        created += len(estimate_readings(actor=None, service_points=sp_ids, at=end))
    return created


# --- the chunk ------------------------------------------------------------------------------


def bill_contracts(
    contract_ids: list[int],
    *,
    period_end: dt.date,
    issue_date: dt.date,
    run=None,
    actor=None,
    result: ChunkResult | None = None,
) -> ChunkResult:
    result = result if result is not None else ChunkResult()
    facts = load_facts(contract_ids, on=period_end)
    starts = first_days(contract_ids, facts)
    plan = []
    for cid in contract_ids:
        f = facts.get(cid)
        if f is None:
            result.skip(cid, "abonnement introuvable", "not_found")
            continue
        periods = due_periods(
            cycle=f.cycle,
            first_day=starts[cid],
            through=period_end,
            contract_end=f.end_date,
        )
        if not periods:
            result.skip(cid, "rien à facturer pour cette période", "nothing_due")
            continue
        plan.append((f, periods))
    if not plan:
        return result
    sp_ids = [f.service_point_id for f, _ in plan]
    earliest = min(periods[0].start for _, periods in plan)
    readings, held = load_readings(sp_ids, start=EARLIEST, end=period_end)
    if create_estimates(plan, readings):
        readings, held = load_readings(sp_ids, start=EARLIEST, end=period_end)
    estimates = billed_estimates([f.contract_id for f, _ in plan])
    notices = dict(
        AbnormalConsumptionNotice.objects.filter(service_point_id__in=sp_ids).values_list(
            "reading_id", "id"
        )
    )
    tariffs = TariffCache(start=earliest, end=period_end).for_communes(
        f.commune_insee for f, _ in plan
    )
    table = thresholds_table()
    writer = InvoiceWriter(issue_date=issue_date, run=run, actor=actor)
    now = clock.now()
    held_rows: list[HeldBill] = []
    for f, periods in plan:
        try:
            for period in periods:
                outcome = engine.compute(
                    _with_social(f, period),
                    period,
                    readings=readings.get(f.service_point_id, []),
                    tariffs=tariffs.get(f.commune_insee, []),
                    thresholds=engine.thresholds_for(table, f.customer_class),
                    held_readings=held.get(f.service_point_id, []),
                    billed_estimates=estimates.get(f.contract_id, frozenset()),
                )
                if outcome.held:
                    held_rows.append(held_bill(f, outcome, run=run, now=now))
                    codes = ", ".join(sorted({code for code, _ in outcome.reasons}))
                    result.skip(
                        f.contract_id,
                        "; ".join(message for _, message in outcome.reasons),
                        f"held:{codes}"[:64],
                    )
                    break
                writer.add(f, outcome, abnormal_notice_id=notice_for(outcome, notices))
            else:
                result.ok(f.contract_id, f"{len(periods)} facture(s)")
        except Exception as exc:  # one contract never stops the run
            logger.exception("billing contract %s", f.contract_id)
            writer.discard(f.contract_id)
            result.fail(f.contract_id, "error", f"{type(exc).__name__}: {exc}"[:500])
    writer.flush()
    HeldBill.objects.bulk_create(held_rows)
    return result


def notice_for(outcome: engine.Outcome, notices: dict[int, int]) -> int | None:
    """The METER-5 notice of a reading billed here: the bill carries it (BILL-8)."""
    if outcome.volume is None:
        return None
    return next((notices[r] for r in outcome.volume.reading_ids if r in notices), None)


def _with_social(facts: ContractFacts, period: BillingPeriod) -> ContractFacts:
    social = social_on(facts, period)
    return facts if social == facts.social else replace(facts, social=social)


def held_bill(facts: ContractFacts, outcome: engine.Outcome, *, run, now) -> HeldBill:
    from robinet.tariffs.pricing import bill_to_dict

    bill = outcome.bill
    return HeldBill(
        contract_id=facts.contract_id,
        account_id=facts.account_id,
        service_point_id=facts.service_point_id,
        centre_id=facts.centre_id,
        run=run,
        period_start=outcome.period.start,
        period_end=outcome.period.end,
        kind="final" if outcome.period.final else "periodic",
        reasons=[{"code": code, "message": message} for code, message in outcome.reasons],
        reason_codes=",".join(sorted({code for code, _ in outcome.reasons}))[:255],
        volume=outcome.volume.volume if outcome.volume else None,
        total_incl_vat=bill.total_incl_vat if bill else None,
        simulation=bill_to_dict(bill) if bill else None,
        created_at=now,
    )


def _process_chunk(run, ids: list[int]) -> ChunkResult:
    return bill_contracts(
        ids,
        period_end=_period_end(run),
        issue_date=run.run_date,
        run=run,
        actor=run.created_by,
    )


def register() -> None:
    register_run_kind(
        KIND,
        targets=_targets,
        process_chunk=_process_chunk,
        label="Facturation",
        replace=True,
    )
