"""The billing run (BILL-4): a chunk of contracts loaded in a few queries, priced, issued.

At proposal, the contracts due are selected and the last reading recorded
is noted: the basis of the run's estimates (METER-3, see
:class:`~robinet.metering.selectors.EstimateBasis`). Then each chunk (one
transaction, see :mod:`robinet.core.runs`):

1. loads the contracts with their account, service point and meter, the
   periods already billed or held, the readings of the window (from
   ``LOOKBACK`` before the first day billed, the whole history where that
   is not enough), the pending anomalies, the social-tariff particularities,
   in one query each; the run's tariffs are parsed once per process;
2. creates the estimates of the points not read (METER-3), in one call per
   period end, the similar premises' averages read once per process;
3. computes every due period of every contract with the pure engine, in
   order, stopping a contract at its first held period (BILL-5); a request
   already priced under the same tariffs reuses its bill (``engine.price``);
4. issues the rest: the chunk's invoice numbers in one step (BILL-6, gapless
   per series and year), invoices, lines and open items written in bulk.

Chunks of 5,000–10,000 contracts amortise the per-chunk work (see
``docs/performance.md``, "Billing run").

A contract that raises is reported as failed with its reason and the chunk
goes on; the unique (contract, period, generation) key makes a replay
harmless anyway.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q

from robinet.billing import engine, rerating
from robinet.billing.choices import BILL_KINDS, HeldBillStatus
from robinet.billing.engine import ContractFacts, ReadingFact, Thresholds
from robinet.billing.models import BillingThreshold, HeldBill, Invoice, InvoiceLine
from robinet.billing.periods import BillingPeriod, due_periods
from robinet.billing.rerating import PriorBill
from robinet.billing.writer import InvoiceWriter
from robinet.core import clock
from robinet.core.runs import ChunkResult, register_run_kind
from robinet.customers.choices import ContractStatus, ParticularityKind
from robinet.customers.models import Contract, Meter, Particularity
from robinet.metering.choices import ReadingStatus
from robinet.metering.models import AbnormalConsumptionNotice, Reading
from robinet.metering.selectors import EstimateBasis, last_reading_id
from robinet.organisation.models import Entity
from robinet.tariffs.selectors import TariffCache

logger = logging.getLogger(__name__)

KIND = "billing"
# How far back the readings of a chunk are loaded: a contract unbilled for a
# long time is caught up period by period (due_periods limits the count).
EARLIEST = dt.date(1900, 1, 1)

# Seconds spent in each phase of the chunks processed by this process, for
# ``bench/billing_run.py`` (a few clock reads per chunk: always on).
phase_seconds: dict[str, float] = defaultdict(float)


class _Clock:
    def __init__(self) -> None:
        self.mark = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        phase_seconds[phase] += now - self.mark
        self.mark = now


def _period_end(run) -> dt.date:
    return dt.date.fromisoformat(run.parameters["period_end"])


def contracts_due(*, period_end: dt.date, entity: Entity | None = None, cycle: str = ""):
    """Contracts that may have a period to bill up to ``period_end`` (BILL-4 selection)."""
    # One subquery per condition: a negated filter across a relation would test
    # "a final held bill" and "a cancelled held bill" separately.
    final_cancelled = HeldBill.objects.filter(
        contract_id=OuterRef("pk"), kind="final", status=HeldBillStatus.CANCELLED
    )
    final_invoice = Invoice.objects.filter(contract_id=OuterRef("pk"), kind="final")
    contracts = Contract.objects.filter(start_date__lte=period_end).filter(
        Q(status=ContractStatus.ACTIVE)
        | Q(end_date__isnull=False) & ~Exists(final_invoice) & ~Exists(final_cancelled)
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
    period_end, cycle = _period_end(run), run.parameters.get("cycle", "")
    clock_ = _Clock()
    ids = list(
        contracts_due(period_end=period_end, entity=entity, cycle=cycle)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    clock_.lap("select")
    # The estimates are made by the chunks, from the readings recorded by now (METER-3).
    run.parameters["estimate_basis"] = last_reading_id()
    run.save(update_fields=["parameters"])
    return iter(ids)


# --- loading --------------------------------------------------------------------------------


def ids_in(model, field_name: str, ids) -> str:
    """``table.column`` is one of ``ids``, for :meth:`QuerySet.extra`: integers written inline.

    A chunk filters on thousands of ids; Django prepares each parameter of an
    ``__in`` lookup in Python (a third of a chunk's loading time) and SQLite
    caps the parameters of a statement. The ids are ints, so inlining is safe.
    PostgreSQL gets them as one array (``= ANY('{1,2,…}')``): planning an
    ``IN`` list of 10,000 constants takes it 8 ms, the array 2 ms.
    """
    column = model._meta.get_field(field_name).column
    values = ",".join(map(str, map(int, ids)))
    if connection.vendor == "postgresql":
        return f'"{model._meta.db_table}"."{column}" = ANY(\'{{{values}}}\')'
    return f'"{model._meta.db_table}"."{column}" IN ({values or "NULL"})'


def load_facts(contract_ids: list[int], *, on: dt.date) -> dict[int, ContractFacts]:
    rows = Contract.objects.extra(where=[ids_in(Contract, "id", contract_ids)]).values_list(
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
        Meter.objects.filter(installed_on__lte=on)
        .extra(where=[ids_in(Meter, "service_point", sp_ids)])
        .order_by("installed_on", "pk")
        .values_list("service_point_id", "diameter_mm")
    ):
        diameters[sp_id] = diameter  # the latest fitted meter wins
    account_ids = [r[1] for r in rows]
    social: dict[int, list[tuple]] = defaultdict(list)
    for account_id, started, ended in (
        Particularity.objects.filter(kind=ParticularityKind.SOCIAL_TARIFF)
        .extra(where=[ids_in(Particularity, "account", account_ids)])
        .values_list("account_id", "started_on", "ended_on")
    ):
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
        Invoice.objects.filter(kind__in=BILL_KINDS)
        .extra(where=[ids_in(Invoice, "contract", contract_ids)])
        .values_list("contract_id")
        .annotate(end=Max("period_end"))
    ):
        last[contract_id] = end
    for contract_id, end in (
        HeldBill.objects.filter(status__in=[HeldBillStatus.HELD, HeldBillStatus.CANCELLED])
        .extra(where=[ids_in(HeldBill, "contract", contract_ids)])
        .values_list("contract_id")
        .annotate(end=Max("period_end"))
    ):
        last[contract_id] = max(end, last.get(contract_id, end))
    return {
        cid: (last[cid] + dt.timedelta(days=1)) if cid in last else f.start_date
        for cid, f in facts.items()
    }


def load_readings(sp_ids: list[int], *, start: dt.date, end: dt.date):
    """Valid and replaced readings of the window, and the pending anomalies, per point.

    Pending anomalies (held readings) are loaded whatever their date up to
    ``end``: an old one still holds the bill (BILL-5).
    """
    readings: dict[int, list[ReadingFact]] = defaultdict(list)
    held: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    if start > EARLIEST:
        for sp_id, day, why in (
            Reading.objects.filter(status=ReadingStatus.HELD, read_on__lt=start)
            .extra(where=[ids_in(Reading, "service_point", sp_ids)])
            .order_by("service_point_id", "read_on", "id")
            .values_list("service_point_id", "read_on", "anomaly")
        ):
            held[sp_id].append((day, why))
    rows = list(
        Reading.objects.filter(read_on__lte=end, read_on__gte=start)
        .extra(where=[ids_in(Reading, "service_point", sp_ids)])
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
            "meter_id",
        )
    )
    # The serials in a second query by primary key: joined, the planner reads the whole
    # meter table (and the readings with it) instead of probing the indexes.
    serials = dict(
        Meter.objects.extra(where=[ids_in(Meter, "id", {row[8] for row in rows})]).values_list(
            "pk", "serial"
        )
    )
    for row in rows:
        if row[5] == ReadingStatus.HELD:
            held[row[0]].append((row[2], row[7]))
        else:
            readings[row[0]].append(ReadingFact(*row[1:7], meter_serial=serials[row[8]]))
    return readings, held


# Readings of a chunk are loaded from this long before the first day billed:
# enough for the volume of the period (the previous actual reading is usually
# within a year); the points for which it is not get their whole history.
LOOKBACK = dt.timedelta(days=400)


def load_chunk_readings(plan, *, end: dt.date):
    """The readings the periods of ``plan`` need, in two or three queries (see LOOKBACK).

    A period's volume needs the readings after its window start, the last
    valid reading before it and, to deduct replaced estimates, everything
    since the last actual reading before it (``engine.period_volume``). So
    every point whose loaded readings hold no valid actual reading on or
    before its first window start is loaded again from the beginning.
    """
    after: dict[int, dt.date] = {}
    for facts, periods in plan:
        day = engine.window_start(facts, periods[0])
        sp_id = facts.service_point_id
        after[sp_id] = min(day, after.get(sp_id, day))
    cutoff = min(after.values()) - LOOKBACK
    readings, held = load_readings(list(after), start=cutoff, end=end)
    short = [
        sp_id
        for sp_id, day in after.items()
        if not any(
            r.status == "valid" and r.source != "estimate" and r.read_on <= day
            for r in readings.get(sp_id, ())
        )
    ]
    if short:
        full, full_held = load_readings(short, start=EARLIEST, end=end)
        for sp_id in short:
            readings[sp_id] = full.get(sp_id, [])
            held[sp_id] = full_held.get(sp_id, [])
    return readings, held


def _add_estimates(created, readings, held) -> None:
    """The estimates just created, in the loaded readings (no second load)."""
    places = Decimal("0.001")
    for r in created:
        if r.status == ReadingStatus.HELD:
            held[r.service_point_id].append((r.read_on, r.anomaly))
            held[r.service_point_id].sort()
            continue
        facts = readings[r.service_point_id]
        facts.append(
            ReadingFact(
                r.pk,
                r.read_on,
                Decimal(r.index).quantize(places),
                r.source,
                r.status,
                None if r.consumption is None else Decimal(r.consumption).quantize(places),
                meter_serial=r.meter.serial,
            )
        )
        facts.sort(key=lambda f: (f.read_on, f.id))


def billed_estimates(contract_ids: list[int]) -> dict[int, frozenset[int]]:
    """Estimated readings each contract was billed on (deducted once replaced, METER-3)."""
    found: dict[int, set[int]] = defaultdict(set)
    for contract_id, reading_id in (
        Invoice.objects.filter(kind__in=BILL_KINDS, estimated=True)
        .extra(where=[ids_in(Invoice, "contract", contract_ids)])
        .values_list("contract_id", "new_reading_id")
    ):
        if reading_id is not None:
            found[contract_id].add(reading_id)
    return {cid: frozenset(ids) for cid, ids in found.items()}


def load_year_bills(plan) -> dict[int, list[PriorBill]]:
    """BILL-1c: the bills already issued in the year each closing period ends in.

    Only for the contracts with a period closing a year in this plan; the
    latest generation of each period, credited bills left out.
    """
    wanted: dict[int, int] = {}
    for f, periods in plan:
        years = [p.end.year for p in periods if p.final or (p.end.month, p.end.day) == (12, 31)]
        if years:
            wanted[f.contract_id] = min(years)
    if not wanted:
        return {}
    rows = (
        Invoice.objects.filter(
            contract_id__any=list(wanted),
            kind__in=BILL_KINDS,
            period_start__gte=dt.date(min(wanted.values()), 1, 1),
        )
        .exclude(credit_notes__isnull=False)
        .order_by("contract_id", "period_start", "-generation")
        .values_list("pk", "contract_id", "period_start", "period_end", "volume")
    )
    latest: dict[tuple[int, dt.date], tuple] = {}
    for pk, contract_id, start, end, volume in rows:
        if start.year >= wanted[contract_id]:
            latest.setdefault((contract_id, start), (pk, contract_id, start, end, volume))
    lines: dict[int, list] = defaultdict(list)
    # Bills priced alike have the same lines: each distinct line is made once.
    made: dict[tuple, rerating.pricing.Line] = {}
    for invoice_id, *values in (
        InvoiceLine.objects.filter(invoice_id__any=[row[0] for row in latest.values()])
        .order_by("invoice_id", "position")
        .values_list("invoice_id", *rerating.PRICED_LINE_FIELDS)
    ):
        key = tuple(values)
        line = made.get(key)
        if line is None:
            line = made[key] = rerating.prior_line(key)
        lines[invoice_id].append(line)
    found: dict[int, list[PriorBill]] = defaultdict(list)
    for pk, contract_id, start, end, volume in latest.values():
        found[contract_id].append(PriorBill(start, end, volume, tuple(lines[pk])))
    return found


def rerate_if_closing(
    facts: ContractFacts,
    outcome: engine.Outcome,
    *,
    prior: list[PriorBill],
    tariffs,
) -> engine.Outcome:
    """The bill closing a year on a real reading re-rates the year (BILL-1c)."""
    if outcome.held or not rerating.closes_the_year(outcome):
        return outcome
    year = outcome.period.end.year
    same_year = [
        p for p in prior if p.period_start.year == year and p.period_end < outcome.period.start
    ]
    return rerating.rerate(facts, outcome, prior=same_year, tariffs=tariffs)


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


def estimates_needed(plan, readings) -> dict[dt.date, list[int]]:
    """The points to estimate, by date: the end of their first period with no reading."""
    by_end: dict[dt.date, list[int]] = defaultdict(list)
    for facts, periods in plan:
        for period in periods:
            if _needs_estimate(facts, period, readings.get(facts.service_point_id, [])):
                by_end[period.end].append(facts.service_point_id)
                break  # the next periods are estimated by the next runs
    return by_end


def _estimate(by_end: dict[dt.date, list[int]], basis: EstimateBasis | None = None) -> list:
    from robinet.metering.services import estimate_readings

    created = []
    for end, sp_ids in by_end.items():
        created += estimate_readings(
            actor=None, service_points=sorted(set(sp_ids)), at=end, basis=basis
        )
    return created


def create_estimates(plan, readings, basis: EstimateBasis | None = None) -> list:
    """Estimated readings at the end of the periods that have none (one call per end date)."""
    return _estimate(estimates_needed(plan, readings), basis)


_run_bases: dict[tuple, EstimateBasis] = {}


def _estimate_basis(run) -> EstimateBasis | None:
    """The run's estimate basis, its similar-premises totals read once in this process."""
    through = run.parameters.get("estimate_basis") if run is not None else None
    if through is None:
        return None  # a simulation, or a run proposed before the basis was noted
    key = (run.pk, through)
    if key not in _run_bases:
        _run_bases.clear()  # one run at a time per process is the common case
        _run_bases[key] = EstimateBasis(through)
    return _run_bases[key]


def plan_periods(
    contract_ids: list[int],
    facts: dict[int, ContractFacts],
    *,
    period_end: dt.date,
    result: ChunkResult | None = None,
) -> list[tuple[ContractFacts, list[BillingPeriod]]]:
    """The due periods of each contract, in order; the others are reported skipped."""
    starts = first_days(contract_ids, facts)
    plan = []
    for cid in contract_ids:
        f = facts.get(cid)
        if f is None:
            if result is not None:
                result.skip(cid, "abonnement introuvable", "not_found")
            continue
        periods = due_periods(
            cycle=f.cycle,
            first_day=starts[cid],
            through=period_end,
            contract_end=f.end_date,
        )
        if not periods:
            if result is not None:
                result.skip(cid, "rien à facturer pour cette période", "nothing_due")
            continue
        plan.append((f, periods))
    return plan


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
    clock_ = _Clock()
    facts = load_facts(contract_ids, on=period_end)
    plan = plan_periods(contract_ids, facts, period_end=period_end, result=result)
    if not plan:
        clock_.lap("load")
        return result
    sp_ids = [f.service_point_id for f, _ in plan]
    earliest = min(periods[0].start for _, periods in plan)
    readings, held = load_chunk_readings(plan, end=period_end)
    clock_.lap("load")
    _add_estimates(create_estimates(plan, readings, _estimate_basis(run)), readings, held)
    clock_.lap("estimate")
    estimates = billed_estimates([f.contract_id for f, _ in plan])
    notices = dict(
        AbnormalConsumptionNotice.objects.extra(
            where=[ids_in(AbnormalConsumptionNotice, "service_point", sp_ids)]
        ).values_list("reading_id", "id")
    )
    tariffs = _tariffs(run, earliest, period_end).for_communes(f.commune_insee for f, _ in plan)
    year_bills = load_year_bills(plan)
    table = thresholds_table()
    clock_.lap("load")
    writer = InvoiceWriter(issue_date=issue_date, run=run, actor=actor)
    now = clock.now()
    held_rows: list[HeldBill] = []
    for f, periods in plan:
        try:
            prior = list(year_bills.get(f.contract_id, ()))
            for period in periods:
                social = _with_social(f, period)
                outcome = engine.compute(
                    social,
                    period,
                    readings=readings.get(f.service_point_id, []),
                    tariffs=tariffs.get(f.commune_insee, []),
                    thresholds=engine.thresholds_for(table, f.customer_class),
                    held_readings=held.get(f.service_point_id, []),
                    billed_estimates=estimates.get(f.contract_id, frozenset()),
                )
                outcome = rerate_if_closing(
                    social, outcome, prior=prior, tariffs=tariffs.get(f.commune_insee, [])
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
                prior.append(
                    PriorBill(period.start, period.end, outcome.volume.volume, outcome.bill.lines)
                )
            # Billed: not reported (a contract not mentioned succeeded; the kind does not
            # record succeeded items).
        except Exception as exc:  # one contract never stops the run
            logger.exception("billing contract %s", f.contract_id)
            writer.discard(f.contract_id)
            result.fail(f.contract_id, "error", f"{type(exc).__name__}: {exc}"[:500])
    clock_.lap("price")
    HeldBill.objects.bulk_create(held_rows)
    writer.flush()  # last: it takes the gapless numbers, held until the commit
    clock_.lap("write")
    return result


_run_tariffs: dict[tuple, TariffCache] = {}


def _tariffs_fingerprint() -> int:
    """Changes whenever a tariff version is created, replaced or deleted (one small query)."""
    from robinet.tariffs.models import TariffVersion

    rows = TariffVersion.objects.order_by("pk").values_list("pk", "updated_at", "definition")
    return hash(tuple((pk, updated, json.dumps(d, sort_keys=True)) for pk, updated, d in rows))


def _tariffs(run, earliest: dt.date, period_end: dt.date) -> TariffCache:
    """The tariffs of a run, parsed once for all its chunks in this process.

    The parsed versions are kept while the tariff table does not change, so
    that the pricing memo (``engine``) recognises them from chunk to chunk.
    """
    if run is None:
        # From 1 January: the bill closing a year re-rates the whole year (BILL-1c).
        return TariffCache(start=dt.date(earliest.year, 1, 1), end=period_end)
    key = (run.pk, period_end, _tariffs_fingerprint())
    cache = _run_tariffs.get(key)
    if cache is None:
        _run_tariffs.clear()  # one run at a time per process is the common case
        cache = _run_tariffs[key] = TariffCache(start=EARLIEST, end=period_end)
    return cache


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
