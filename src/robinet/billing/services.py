"""Writes of billing: runs, held bills, credit notes, rebilling (BILL-4…6, BILL-11).

Views, the API and commands call these only. Permissions are checked here
(ARCHITECTURE principle 6); ``actor=None`` is an operator's command.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.billing import engine, rerating, runs
from robinet.billing.choices import BILL_KINDS, HeldBillStatus, InvoiceKind, Series
from robinet.billing.models import HeldBill, Invoice, InvoiceLine
from robinet.billing.periods import BillingPeriod
from robinet.billing.writer import NUMBER_WIDTH, InvoiceWriter
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.core.money import round_money
from robinet.core.numbering import format_number, next_number
from robinet.core.runs import (
    run_approve,
    run_can_be_resumed,
    run_create,
    run_execute,
    run_propose,
    run_resume,
)
from robinet.ledger.services import book_invoice
from robinet.organisation.access import require
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm
from robinet.tariffs.pricing import bill_to_dict
from robinet.tariffs.selectors import TariffCache

#: what a credit note's line copies from the line it credits (its quantity and
#: amount are the credited part, negated)
CREDITED_LINE_FIELDS = tuple(
    f for f in rerating.PRICED_LINE_FIELDS if f not in ("quantity", "amount_excl_vat")
)


def _require(actor, perm: str, entity: Entity | None = None) -> None:
    if actor is not None:
        require(actor, perm, entity)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


# --- runs (BILL-4) --------------------------------------------------------------------------

# Contracts per chunk: per-chunk work (estimates, tariffs, numbering) is a tenth of a
# 500-contract chunk's time, a few percent of a 5,000-contract one (docs/performance.md).
BILLING_CHUNK_SIZE = 5000


def billing_run_create(
    *,
    actor,
    period_end: dt.date,
    entity_code: str = "",
    cycle: str = "",
    issue_date: dt.date | None = None,
    chunk_size: int | None = None,
):
    """A billing run, planned and approved, ready to execute (see :func:`billing_run_execute`)."""
    entity = None
    if entity_code:
        entity = Entity.objects.filter(code=entity_code).first()
        if entity is None:
            raise ValidationFailed({"entity": [_("Entité inconnue : %(c)s") % {"c": entity_code}]})
    if entity is not None:
        _require(actor, Perm.BILLING_RUN, entity)
    else:  # the whole utility: every region
        for region in Entity.objects.filter(parent__isnull=True):
            _require(actor, Perm.BILLING_RUN, region)
        _require(actor, Perm.BILLING_RUN)
    issue_date = issue_date or clock.today()
    if period_end > issue_date:
        raise ValidationFailed(
            {"period_end": [_("La fin de période ne peut pas être postérieure à l'émission.")]}
        )
    with transaction.atomic():
        run = run_create(
            kind=runs.KIND,
            run_date=issue_date,
            parameters={
                "period_end": period_end.isoformat(),
                "entity": entity_code,
                "cycle": cycle,
            },
            chunk_size=chunk_size or BILLING_CHUNK_SIZE,
            actor=_user(actor),
        )
        run_propose(run=run, actor=_user(actor))
        run_approve(run=run, actor=_user(actor))
    return run


def billing_run_resume(*, actor, run, executor=None):
    """Process the chunks of a failed or stalled run that are not done (BILL-4)."""
    _require(actor, Perm.BILLING_RUN)
    if not run_can_be_resumed(run):
        raise InvalidTransition(
            _("Seule une facturation en échec ou interrompue peut être reprise.")
        )
    return run_resume(run=run, actor=_user(actor), executor=executor)


def billing_run_execute(*, actor, run, executor=None, wait: bool = False):
    """Execute the chunks (in-process by default; a Celery executor when configured,
    then ``wait`` for the workers to finish)."""
    _require(actor, Perm.BILLING_RUN)
    return run_execute(run=run, actor=_user(actor), executor=executor, wait=wait)


def billing_run_render(*, actor, run, executor=None, wait: bool = False, execute: bool = True):
    """Render the documents of a finished billing run as PDF files, on the run workers
    (BILL-8, BILL-12): the print export then merges them instead of rendering.
    ``execute=False``: only plan and approve it (the screen starts it after the response)."""
    from robinet.billing import rendering

    _require(actor, Perm.BILLING_RUN)
    render = rendering.render_create(billing_run=run, actor=_user(actor))
    if not execute:
        return render
    return run_execute(run=render, actor=_user(actor), executor=executor, wait=wait)


# --- held bills (BILL-5) --------------------------------------------------------------------


def _locked_held(held: HeldBill) -> HeldBill:
    locked = HeldBill.objects.select_for_update().get(pk=held.pk)
    if locked.status != HeldBillStatus.HELD:
        raise InvalidTransition(_("Cette facture bloquée a déjà été traitée."))
    return locked


def _recompute(held: HeldBill) -> tuple[engine.Outcome, engine.ContractFacts]:
    """The held period priced again with today's readings and tariffs."""
    facts = runs.load_facts([held.contract_id], on=held.period_end)[held.contract_id]
    period = BillingPeriod(held.period_start, held.period_end, final=held.kind == "final")
    readings, pending = runs.load_readings(
        [facts.service_point_id], start=runs.EARLIEST, end=held.period_end
    )
    # From 1 January: the bill closing a year re-rates the whole year (BILL-1c).
    tariffs = TariffCache(
        start=dt.date(held.period_start.year, 1, 1), end=held.period_end
    ).for_communes([facts.commune_insee])
    social = runs._with_social(facts, period)
    versions = tariffs.get(facts.commune_insee, [])
    outcome = engine.compute(
        social,
        period,
        readings=readings.get(facts.service_point_id, []),
        tariffs=versions,
        thresholds=engine.thresholds_for(runs.thresholds_table(), facts.customer_class),
        held_readings=pending.get(facts.service_point_id, []),
        billed_estimates=runs.billed_estimates([held.contract_id]).get(
            held.contract_id, frozenset()
        ),
    )
    prior = runs.load_year_bills([(facts, [period])]).get(facts.contract_id, [])
    return runs.rerate_if_closing(social, outcome, prior=prior, tariffs=versions), facts


# Controls an officer may overrule by releasing: the amount is right, only unusual.
OVERRULABLE = {"amount_above_threshold", "volume_above_threshold"}


@transaction.atomic
def held_bill_reprice(*, actor, held: HeldBill) -> HeldBill:
    """Price a held bill again after a correction (reading, tariff): new reasons, new amounts."""
    _require(actor, Perm.BILLING_CORRECT, held.centre)
    held = _locked_held(held)
    outcome, _facts = _recompute(held)
    held.reasons = [{"code": c, "message": m} for c, m in outcome.reasons]
    held.reason_codes = ",".join(sorted({c for c, _m in outcome.reasons}))[:255]
    held.volume = outcome.volume.volume if outcome.volume else None
    held.total_incl_vat = outcome.bill.total_incl_vat if outcome.bill else None
    held.simulation = bill_to_dict(outcome.bill) if outcome.bill else None
    held.save()
    audit.record(
        actor=actor,
        verb="held_bill_repriced",
        target=held,
        subject=held.contract,
        data={"reasons": held.reason_codes, "total": held.total_incl_vat},
    )
    return held


@transaction.atomic
def held_bill_release(*, actor, held: HeldBill, note: str = "") -> Invoice:
    """Issue a held bill at once (BILL-5), priced with today's data.

    Threshold controls are overruled by the release; a missing tariff, a
    pricing error or an unresolved reading anomaly must be fixed first.
    """
    _require(actor, Perm.BILLING_CORRECT, held.centre)
    held = _locked_held(held)
    invoice = _issue_again(
        held,
        actor=actor,
        refusal=_("La facture ne peut pas être libérée : %(why)s"),
        code="held_bill_blocked",
    )
    held.status = HeldBillStatus.RELEASED
    held.invoice = invoice
    held.resolved_at = clock.now()
    held.resolved_by = _user(actor)
    held.resolution_note = note[:255]
    held.save()
    audit.record(
        actor=actor,
        verb="held_bill_released",
        target=held,
        subject=held.contract,
        data={"invoice": invoice.number, "note": note},
    )
    return invoice


def _issue_again(held: HeldBill, *, actor, refusal: str, code: str, generation: int = 0):
    """Price a period with today's data and issue it at once; thresholds are overruled,
    the other controls must have been cleared."""
    outcome, facts = _recompute(held)
    blocking = [(c, m) for c, m in outcome.reasons if c not in OVERRULABLE]
    if blocking or outcome.bill is None:
        raise ApplicationError(
            refusal % {"why": "; ".join(m for _c, m in blocking) or _("calcul impossible")},
            code=code,
        )
    writer = InvoiceWriter(issue_date=clock.today(), actor=_user(actor))
    writer.add(facts, outcome, generation=generation, abnormal_notice_id=_notice(facts, outcome))
    (invoice_id,) = writer.flush()
    return Invoice.objects.get(pk=invoice_id)


def _notice(facts, outcome) -> int | None:
    from robinet.metering.models import AbnormalConsumptionNotice

    notices = dict(
        AbnormalConsumptionNotice.objects.filter(
            service_point_id=facts.service_point_id
        ).values_list("reading_id", "id")
    )
    return runs.notice_for(outcome, notices)


@transaction.atomic
def held_bill_cancel(*, actor, held: HeldBill, note: str) -> HeldBill:
    """Do not bill this period (e.g. a duplicate contract); it is never billed by a run."""
    _require(actor, Perm.BILLING_CORRECT, held.centre)
    if not note.strip():
        raise ValidationFailed({"note": [_("Indiquez le motif de l'annulation.")]})
    held = _locked_held(held)
    held.status = HeldBillStatus.CANCELLED
    held.resolved_at = clock.now()
    held.resolved_by = _user(actor)
    held.resolution_note = note[:255]
    held.save()
    audit.record(
        actor=actor,
        verb="held_bill_cancelled",
        target=held,
        subject=held.contract,
        data={"note": note},
    )
    return held


# --- credit notes and rebilling (BILL-6) ----------------------------------------------------


def credited_so_far(invoice: Invoice) -> dict[int, tuple[Decimal, Decimal]]:
    """Quantity and amount already credited, per position of the invoice's lines."""
    done: dict[int, tuple[Decimal, Decimal]] = {}
    for position, quantity, amount in InvoiceLine.objects.filter(
        invoice__credited_invoice=invoice,
        invoice__kind=InvoiceKind.CREDIT_NOTE,
        credits_position__isnull=False,
    ).values_list("credits_position", "quantity", "amount_excl_vat"):
        q, a = done.get(position, (Decimal(0), Decimal(0)))
        done[position] = (q + quantity, a + amount)
    return done


def remaining_lines(invoice: Invoice) -> list[tuple[InvoiceLine, Decimal, Decimal]]:
    """Each line with what is left to credit on it (quantity, amount); fully credited ones left out."""
    done = credited_so_far(invoice)
    left = []
    for line in invoice.lines.order_by("position"):
        quantity, amount = done.get(line.position, (Decimal(0), Decimal(0)))
        if line.amount_excl_vat - amount or line.quantity - quantity:
            left.append((line, line.quantity - quantity, line.amount_excl_vat - amount))
    return left


def credited_positions(invoice: Invoice) -> set[int]:
    """Positions of the lines already credited in full."""
    left = {line.position for line, _q, _a in remaining_lines(invoice)}
    return {p for p in invoice.lines.values_list("position", flat=True) if p not in left}


def _vat(lines: Sequence[tuple[Decimal, Decimal]]) -> list[dict]:
    """VAT per rate on the sum of the credited (rate, amount) lines, rounded once (BILL-3)."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for rate, amount in lines:
        bases[rate] += amount
    return [
        {"rate": str(rate), "base": str(base), "amount": str(round_money(base * rate / 100))}
        for rate, base in sorted(bases.items())
    ]


@transaction.atomic
def credit_note_issue(
    *, actor, invoice: Invoice, reason: str, positions: Sequence[int] | None = None
) -> Invoice:
    """A credit note (*avoir*) for the whole invoice or for some of its lines (BILL-6).

    Amounts are those of the credited lines; a line is never credited twice.
    A full credit of an invoice gives back exactly its totals.
    """
    _require(actor, Perm.BILLING_CORRECT, invoice.account.centre)
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        raise ApplicationError(_("Un avoir ne se crédite pas."), code="credit_of_credit_note")
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Indiquez le motif de l'avoir.")]})
    # Serialise the credit notes of one invoice.
    Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("pk").get()
    all_lines = list(invoice.lines.order_by("position"))
    left = remaining_lines(invoice)
    untouched = len(left) == len(all_lines) and not credited_so_far(invoice)
    if positions:
        wanted = set(positions)
        unknown = wanted - {line.position for line in all_lines}
        if unknown:
            raise ValidationFailed(
                {"positions": [_("Lignes inconnues : %(p)s") % {"p": sorted(unknown)}]}
            )
        twice = sorted(wanted - {line.position for line, _q, _a in left})
        if twice:
            raise ValidationFailed(
                {"positions": [_("Ligne(s) déjà créditée(s) : %(p)s") % {"p": twice}]}
            )
        left = [row for row in left if row[0].position in wanted]
    if not left:
        raise ApplicationError(
            _("Cette facture est déjà entièrement créditée."), code="fully_credited"
        )
    full = untouched and len(left) == len(all_lines)
    vat = invoice.vat_breakdown if full else _vat([(line.vat_rate, a) for line, _q, a in left])
    total_excl = sum((Decimal(v["base"]) for v in vat), Decimal(0))
    total_vat = sum((Decimal(v["amount"]) for v in vat), Decimal(0))
    year = clock.today().year
    sequence = next_number(Series.CREDIT_NOTE, year)
    number = format_number(Series.CREDIT_NOTE, year, sequence, width=NUMBER_WIDTH)
    today = clock.today()
    note = Invoice(
        number=number,
        series=Series.CREDIT_NOTE,
        year=year,
        sequence=sequence,
        kind=InvoiceKind.CREDIT_NOTE,
        account_id=invoice.account_id,
        contract_id=invoice.contract_id,
        service_point_id=invoice.service_point_id,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        generation=invoice.generation,
        issue_date=today,
        due_date=today,
        volume=invoice.volume if full else Decimal(0),
        estimated=invoice.estimated,
        meter_serial=invoice.meter_serial,
        total_excl_vat=total_excl,
        total_vat=total_vat,
        total_incl_vat=total_excl + total_vat,
        fixed_incl_vat=Decimal(0),
        vat_breakdown=vat,
        tariff_periods=invoice.tariff_periods if full else [],
        credited_invoice=invoice,
        reason=reason[:255],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    note.save()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=note,
            position=position,
            credits_position=line.position,
            quantity=quantity,
            amount_excl_vat=amount,
            **{f: getattr(line, f) for f in CREDITED_LINE_FIELDS},
        )  # fmt: skip
        for position, (line, quantity, amount) in enumerate(left, start=1)
    )
    book_invoice(note)
    audit.record(
        actor=actor,
        verb="credit_note_issued",
        target=note,
        subject=invoice.account,
        data={"invoice": invoice.number, "amount": note.total_incl_vat, "reason": reason},
    )
    return note


def is_fully_credited(invoice: Invoice) -> bool:
    return invoice.lines.exists() and not remaining_lines(invoice)


@transaction.atomic
def invoice_rebill(*, actor, invoice: Invoice) -> Invoice:
    """After a full credit note, bill the same period again with today's data (BILL-6)."""
    _require(actor, Perm.BILLING_CORRECT, invoice.account.centre)
    if invoice.kind not in BILL_KINDS:
        raise ApplicationError(_("Seule une facture se refacture."), code="not_a_bill")
    if not is_fully_credited(invoice):
        raise ApplicationError(
            _("Émettez d'abord un avoir total de la facture %(n)s.") % {"n": invoice.number},
            code="not_credited",
        )
    latest = (
        Invoice.objects.filter(
            contract_id=invoice.contract_id, period_start=invoice.period_start, kind__in=BILL_KINDS
        )
        .order_by("-generation")
        .first()
    )
    if latest.pk != invoice.pk:
        raise ApplicationError(
            _("Cette période a déjà été refacturée (%(n)s).") % {"n": latest.number},
            code="already_rebilled",
        )
    held = HeldBill(
        contract_id=invoice.contract_id,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        kind=invoice.kind,
    )
    rebilled = _issue_again(
        held,
        actor=actor,
        refusal=_("Refacturation impossible : %(why)s"),
        code="rebill_blocked",
        generation=invoice.generation + 1,
    )
    audit.record(
        actor=actor,
        verb="invoice_rebilled",
        target=rebilled,
        subject=invoice.account,
        data={"replaces": invoice.number},
    )
    return rebilled
