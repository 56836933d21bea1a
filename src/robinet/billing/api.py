"""JSON API of billing (BILL-4…6, BILL-8, BILL-11): the same services and selectors as the screens.

Issued invoices are read only (BILL-6): a correction is a credit note
(``POST /invoices/{number}/credit-notes``), then a rebill. ``PUT``, ``PATCH``
and ``DELETE`` on an invoice answer 405 ``invoice_immutable`` and change nothing.
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing import selectors, services
from robinet.billing.choices import HeldBillStatus
from robinet.core.exceptions import ApplicationError, NotFound, ValidationFailed
from robinet.core.runs import InProcessExecutor
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm
from robinet.tariffs.pricing import bill_to_dict

router = Router(tags=["facturation"])
MAX_PAGE = 500
# Guards of the interface, before the engine: dates a utility bills, volumes a meter counts.
FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_SIMULATED_DAYS = 10 * 366
MAX_VOLUME = Decimal("999999999")


def _check_dates(**dates: dt.date | None) -> dict[str, list[str]]:
    return {
        name: [_("Date hors de la plage admise (%(a)s–%(b)s).") % {"a": FIRST_YEAR, "b": LAST_YEAR}]
        for name, value in dates.items()
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR
    }


def _page(limit: int, offset: int) -> slice:
    offset = max(offset, 0)
    return slice(offset, offset + max(1, min(limit, MAX_PAGE)))


def _binary(media_type: str, description: str) -> dict:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


# --- schemas: simulation (BILL-11) -----------------------------------------------------------


class SimulateIn(Schema):
    """A tariff (with the meter's diameter) or an existing contract (its meter and commune)."""

    tariff: str | None = Field(None, description="Tariff version code (or give a contract)")
    contract: str | None = Field(None, description="Contract number (or give a tariff)")
    volume: Decimal = Field(description="m³ over the period, spread evenly over the days")
    start: dt.date = Field(alias="from", description="First day billed")
    end: dt.date = Field(alias="to", description="Last day billed, inclusive")
    diameter: int | None = Field(None, description="Meter diameter in mm (tariff only)")
    dwellings: int = Field(1, description="Dwellings served (tariff only)")
    social: bool = Field(False, description="Social tariff")
    sanitation: bool = Field(True, description="Collective sanitation billed (tariff only)")


class SimLineOut(Schema):
    component_code: str
    label: str
    service: str
    heading: str
    beneficiary: str
    kind: str
    tariff_code: str
    period_start: dt.date
    period_end: dt.date
    quantity: str
    unit: str
    unit_price: str
    unit_price_incl_vat: str | None
    amount_excl_vat: str
    amount_incl_vat: str | None
    exact_amount_excl_vat: str | None
    vat_rate: str
    block: int | None
    season: int | None
    social: bool
    deduction: bool


class VatOut(Schema):
    rate: str
    base: str
    amount: str


class SimPeriodOut(Schema):
    start: dt.date
    end: dt.date
    tariff_code: str
    days: int
    volume: str


class SimulationOut(Schema):
    """Same keys as ``robinet bill simulate --format json``."""

    lines: list[SimLineOut]
    vat: list[VatOut]
    total_excl_vat: str
    total_vat: str
    total_incl_vat: str
    volume: str
    fixed_incl_vat: str
    price_per_m3_incl_vat: str | None
    price_per_litre_incl_vat: str | None
    rounding: str
    periods: list[SimPeriodOut]


# --- schemas: runs (BILL-4) ------------------------------------------------------------------


class RunIn(Schema):
    period_end: dt.date
    entity: str = Field("", description="Entity code (centre, agency, region); all if empty")
    cycle: str = Field("", description="Billing cycle; all if empty")
    issue_date: dt.date | None = Field(None, description="Issue date (today if empty)")
    execute: bool = Field(True, description="Execute at once, in this request")


class RunItemOut(Schema):
    contract: str
    status: str = Field(description="failed | skipped (held:… codes are held bills)")
    code: str
    message: str


class RunOut(Schema):
    id: int
    state: str
    period_end: dt.date | None
    entity: str
    cycle: str
    run_date: dt.date
    total: int
    processed: int
    succeeded: int
    failed: int
    skipped: int
    progress_percent: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    last_error: str

    @staticmethod
    def resolve_period_end(obj) -> dt.date | None:
        value = obj.parameters.get("period_end")
        return dt.date.fromisoformat(value) if value else None

    @staticmethod
    def resolve_entity(obj) -> str:
        return obj.parameters.get("entity") or ""

    @staticmethod
    def resolve_cycle(obj) -> str:
        return obj.parameters.get("cycle") or ""


class RunDetailOut(RunOut):
    invoices: int
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    volume: Decimal
    held: int
    billed_contracts: int
    held_contracts: int
    skipped_contracts: int
    failed_contracts: int
    items: list[RunItemOut] = Field(description="Contracts not billed, with the reason")


# --- schemas: invoices (BILL-6, BILL-8) ------------------------------------------------------


class InvoiceSummaryOut(Schema):
    number: str
    kind: str = Field(
        description="periodic | final | credit_note | fees | works_deposit | works (BILL-7)"
    )
    account: str = Field(alias="account.number")
    contract: str | None = Field(None, description="None for a fees or works invoice")
    issue_date: dt.date
    due_date: dt.date
    period_start: dt.date
    period_end: dt.date
    volume: Decimal
    estimated: bool
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    credited_invoice: str | None = Field(None, description="For a credit note: the invoice")
    run: int | None = Field(None, alias="run_id")

    @staticmethod
    def resolve_credited_invoice(obj) -> str | None:
        return obj.credited_invoice.number if obj.credited_invoice_id else None

    @staticmethod
    def resolve_contract(obj) -> str | None:
        return obj.contract.number if obj.contract_id else None


class InvoiceLineOut(Schema):
    position: int
    component_code: str
    label: str
    service: str
    beneficiary: str
    component_kind: str
    tariff_code: str
    period_start: dt.date
    period_end: dt.date
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount_excl_vat: Decimal
    vat_rate: Decimal
    block: int | None


class TariffPeriodOut(Schema):
    tariff: str
    start: dt.date
    end: dt.date
    volume: str


class InvoiceOut(InvoiceSummaryOut):
    service_point: str | None = Field(None, description="None for a fees or works invoice")
    generation: int = Field(description="0, then 1, 2… for rebills of the same period")
    meter_serial: str
    old_index: Decimal | None
    old_read_on: dt.date | None
    new_index: Decimal | None
    new_read_on: dt.date | None
    fixed_incl_vat: Decimal
    price_per_m3_incl_vat: Decimal | None
    price_per_litre_incl_vat: Decimal | None
    reason: str
    facturx: bool = Field(description="Professional or public body: Factur-X document")
    lines: list[InvoiceLineOut]
    vat: list[VatOut]
    tariff_periods: list[TariffPeriodOut]
    credit_notes: list[InvoiceSummaryOut]

    @staticmethod
    def resolve_service_point(obj) -> str | None:
        return obj.service_point.reference if obj.service_point_id else None

    @staticmethod
    def resolve_facturx(obj) -> bool:
        return selectors.buyer(obj.account).needs_facturx

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.order_by("position"))

    @staticmethod
    def resolve_vat(obj):
        return obj.vat_breakdown

    @staticmethod
    def resolve_credit_notes(obj):
        return list(
            selectors.credit_notes_of(obj).select_related("account", "contract", "credited_invoice")
        )


class CreditNoteIn(Schema):
    reason: str
    positions: list[int] | None = Field(
        None, description="Line positions to credit; all the lines not yet credited if empty"
    )


# --- schemas: held bills (BILL-5) ------------------------------------------------------------


class HoldReasonOut(Schema):
    code: str
    message: str


class HeldBillOut(Schema):
    id: int
    contract: str = Field(alias="contract.number")
    account: str = Field(alias="account.number")
    centre: str = Field(alias="centre.code")
    period_start: dt.date
    period_end: dt.date
    kind: str
    status: str = Field(description="held | released | cancelled")
    reasons: list[HoldReasonOut]
    volume: Decimal | None
    total_incl_vat: Decimal | None
    simulation: SimulationOut | None = Field(description="The bill as computed, not issued")
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution_note: str
    invoice: str | None = None
    run: int | None = Field(None, alias="run_id")

    @staticmethod
    def resolve_invoice(obj) -> str | None:
        return obj.invoice.number if obj.invoice_id else None


class ReleaseIn(Schema):
    note: str = ""


class BillingCancelIn(Schema):
    note: str = Field(description="Why this period is not billed")


# --- simulation ------------------------------------------------------------------------------


@router.post("/billing/simulate", response=SimulationOut, summary="Simuler une facture")
def simulate(request, payload: SimulateIn):
    """BILL-11: the run's engine, nothing issued; on a tariff, or on an existing contract."""
    require(request.user, Perm.TARIFF_VIEW)
    given = payload.model_fields_set
    errors = _check_dates(**{"from": payload.start, "to": payload.end})
    if not errors and (payload.end - payload.start).days >= MAX_SIMULATED_DAYS:
        errors["to"] = [_("Période trop longue : dix ans au plus.")]
    if abs(payload.volume) > MAX_VOLUME:
        errors["volume"] = [_("Volume trop grand.")]
    if payload.dwellings < 1:
        errors["dwellings"] = [_("Au moins un logement.")]
    if errors:
        raise ValidationFailed(errors)
    if bool(payload.tariff) == bool(payload.contract):
        message = _("Indiquez soit un tarif, soit un abonnement.")
        raise ValidationFailed({"tariff": [message], "contract": [message]})
    if payload.tariff:
        if payload.diameter is None:
            raise ValidationFailed({"diameter": [_("Indiquez le diamètre du compteur (mm).")]})
        services_billed = {"water", "public_bodies", "other"}
        if payload.sanitation:
            services_billed.add("sanitation")
        bill = selectors.simulate(
            tariff_code=payload.tariff,
            volume=payload.volume,
            start=payload.start,
            end=payload.end,
            diameter_mm=payload.diameter,
            dwellings=payload.dwellings,
            social=payload.social,
            services=frozenset(services_billed),
        )
        return bill_to_dict(bill)
    extra = {"diameter", "dwellings", "sanitation"} & given
    if extra:
        message = _("Donné par l'abonnement : ne pas l'indiquer.")
        raise ValidationFailed({name: [message] for name in sorted(extra)})
    try:
        contract = customer_selectors.contract_get_for_user(
            user=request.user, number=payload.contract, perm=Perm.BILLING_VIEW
        )
    except NotFound:
        raise ValidationFailed({"contract": [_("Abonnement introuvable.")]}) from None
    bill = selectors.contract_simulation(
        contract=contract,
        volume=payload.volume,
        start=payload.start,
        end=payload.end,
        social=payload.social,
    )
    return bill_to_dict(bill)


# --- runs ------------------------------------------------------------------------------------


def _run_detail(run) -> SimpleNamespace:
    """The run's columns (the resolvers read its parameters) and its report, flat."""
    report = selectors.run_report(run)
    own = {name: getattr(run, name) for name in RunOut.model_fields if hasattr(run, name)}
    return SimpleNamespace(
        **own, parameters=run.parameters, **{k: v for k, v in report.items() if k != "run"}
    )


@router.post("/billing/runs", response={201: RunDetailOut}, summary="Lancer une facturation")
def run_create(request, payload: RunIn):
    """BILL-4: plan the run; execute it at once (in this request) unless ``execute`` is false."""
    errors = _check_dates(period_end=payload.period_end, issue_date=payload.issue_date)
    if errors:
        raise ValidationFailed(errors)
    run = services.billing_run_create(
        actor=request.user,
        period_end=payload.period_end,
        entity_code=payload.entity.strip(),
        cycle=payload.cycle.strip(),
        issue_date=payload.issue_date,
    )
    if payload.execute:
        run = services.billing_run_execute(
            actor=request.user, run=run, executor=InProcessExecutor()
        )
    return Status(201, _run_detail(run))


@router.get("/billing/runs", response=list[RunOut], summary="Facturations")
def run_list(request, limit: int = 50, offset: int = 0):
    return list(selectors.run_list(user=request.user)[_page(limit, offset)])


@router.get("/billing/runs/{run_id}", response=RunDetailOut, summary="État d'une facturation")
def run_get(request, run_id: int):
    """State, progress, counts, totals and the contracts not billed (with their reason)."""
    return _run_detail(selectors.run_get_for_user(user=request.user, pk=run_id))


@router.post(
    "/billing/runs/{run_id}/execute", response=RunDetailOut, summary="Exécuter une facturation"
)
def run_execute(request, run_id: int):
    """Execute a run created with ``execute: false`` (in this request)."""
    run = selectors.run_get_for_user(user=request.user, pk=run_id)
    run = services.billing_run_execute(actor=request.user, run=run, executor=InProcessExecutor())
    return _run_detail(run)


# --- invoices --------------------------------------------------------------------------------


def _invoice(request, number: str):
    return selectors.invoice_get_for_user(user=request.user, number=number)


@router.get("/invoices", response=list[InvoiceSummaryOut], summary="Factures et avoirs")
def invoice_list(
    request,
    account: str = "",
    kind: str = "",
    run: int | None = None,
    period_end: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
):
    """Most recent first; ``limit`` (at most 500) and ``offset`` page through."""
    invoices = selectors.invoice_search(
        user=request.user, account=account, kind=kind, run_id=run, period_end=period_end
    ).select_related("account", "contract", "credited_invoice")
    return list(invoices[_page(limit, offset)])


@router.get("/invoices/{number}", response=InvoiceOut, summary="Lire une facture")
def invoice_get(request, number: str):
    """Header, lines, VAT per rate, totals and the credit notes that reference it."""
    return _invoice(request, number)


@router.api_operation(
    ["PUT", "PATCH", "DELETE"],
    "/invoices/{number}",
    include_in_schema=False,
)
def invoice_change(request, number: str):
    """BILL-6: issued invoices never change; 405 with the common error body."""
    _invoice(request, number)
    response = JsonResponse(
        {
            "code": "invoice_immutable",
            "message": _("Une facture émise ne se modifie pas : émettez un avoir (BILL-6)."),
            "extra": {"fields": {}},
        },
        status=405,
    )
    response["Allow"] = "GET"
    return response


@router.get(
    "/invoices/{number}/pdf",
    summary="Document PDF (Factur-X pour les professionnels)",
    openapi_extra=_binary("application/pdf", "PDF (PDF/A-3 Factur-X for businesses)"),
)
def invoice_pdf(request, number: str):
    pdf, filename = selectors.invoice_pdf(_invoice(request, number))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.get(
    "/invoices/{number}/facturx",
    summary="XML Factur-X (CII, EN 16931)",
    openapi_extra=_binary("application/xml", "CII XML"),
)
def invoice_facturx(request, number: str):
    """The CII XML of a professional's or public body's invoice; 404 for a household."""
    invoice = _invoice(request, number)
    if not selectors.buyer(invoice.account).needs_facturx:
        raise ApplicationError(
            _("Pas de Factur-X : le client n'est ni un professionnel ni un organisme public."),
            code="facturx_not_applicable",
            http_status=404,
        )
    response = HttpResponse(selectors.invoice_facturx_xml(invoice), content_type="application/xml")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}-factur-x.xml"'
    return response


@router.post(
    "/invoices/{number}/credit-notes", response={201: InvoiceOut}, summary="Émettre un avoir"
)
def credit_note_create(request, number: str, payload: CreditNoteIn):
    """BILL-6: full (no ``positions``) or partial; a line is never credited twice."""
    note = services.credit_note_issue(
        actor=request.user,
        invoice=_invoice(request, number),
        reason=payload.reason,
        positions=payload.positions or None,
    )
    return Status(201, _invoice(request, note.number))


@router.post("/invoices/{number}/rebill", response={201: InvoiceOut}, summary="Refacturer")
def invoice_rebill(request, number: str):
    """After a full credit note: the same period billed again with today's data."""
    invoice = services.invoice_rebill(actor=request.user, invoice=_invoice(request, number))
    return Status(201, _invoice(request, invoice.number))


# --- held bills ------------------------------------------------------------------------------


def _centre_id(code: str) -> int | None:
    if not code:
        return None
    centre = Entity.objects.filter(code=code.strip(), kind=EntityKind.CENTRE).first()
    if centre is None:
        raise ValidationFailed({"centre": [_("Centre inconnu : %(code)s.") % {"code": code}]})
    return centre.pk


def _held(request, held_id: int):
    return selectors.held_bill_get_for_user(user=request.user, pk=held_id)


@router.get("/billing/held", response=list[HeldBillOut], summary="Factures bloquées (BILL-5)")
def held_list(
    request,
    reason: str = "",
    centre: str = "",
    status: str = HeldBillStatus.HELD,
    limit: int = 50,
    offset: int = 0,
):
    """Oldest first. ``status``: held (default), released, cancelled, or empty for all."""
    if status and status not in HeldBillStatus.values:
        raise ValidationFailed({"status": [_("Statut inconnu : %(s)s.") % {"s": status}]})
    held = selectors.held_bill_worklist(
        user=request.user, reason=reason.strip(), centre_id=_centre_id(centre), status=status
    ).select_related("invoice")
    return list(held[_page(limit, offset)])


@router.get("/billing/held/{held_id}", response=HeldBillOut, summary="Lire une facture bloquée")
def held_get(request, held_id: int):
    return _held(request, held_id)


@router.post(
    "/billing/held/{held_id}/release",
    response={201: InvoiceOut},
    summary="Libérer une facture bloquée",
)
def held_release(request, held_id: int, payload: ReleaseIn):
    """Issue the bill now, priced with today's data; threshold controls are overruled."""
    invoice = services.held_bill_release(
        actor=request.user, held=_held(request, held_id), note=payload.note
    )
    return Status(201, _invoice(request, invoice.number))


@router.post(
    "/billing/held/{held_id}/cancel", response=HeldBillOut, summary="Annuler une facture bloquée"
)
def held_cancel(request, held_id: int, payload: BillingCancelIn):
    """This period is never billed (e.g. a duplicate contract); the note is required."""
    services.held_bill_cancel(actor=request.user, held=_held(request, held_id), note=payload.note)
    return _held(request, held_id)
