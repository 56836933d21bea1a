"""Reads of billing: invoices and their documents, held bills, runs, simulation (BILL-4…11)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from stdnum.fr import siren as siren_number
from stdnum.fr import tva

import robinet
from robinet.billing import documents as doc
from robinet.billing.choices import BILL_KINDS, HeldBillStatus, InvoiceKind
from robinet.billing.models import HeldBill, Invoice
from robinet.billing.runs import KIND as RUN_KIND
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.core.models import BatchRun
from robinet.core.models.runs import ItemStatus
from robinet.customers.choices import CLASSES_WITH_SIRET, CustomerClass
from robinet.customers.models import Contract
from robinet.organisation.access import require, scope_for
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm
from robinet.tariffs import pricing
from robinet.tariffs.models import TariffVersion
from robinet.tariffs.selectors import priced, tariffs_by_commune

CENT = Decimal("0.01")
PUBLIC_CLASSES = (CustomerClass.LOCAL_AUTHORITY, CustomerClass.ADMINISTRATION)
LATE_PAYMENT_MENTIONS = (
    "En cas de retard de paiement, des pénalités au taux de trois fois le taux d'intérêt "
    "légal sont exigibles, ainsi qu'une indemnité forfaitaire pour frais de recouvrement "
    "de 40 € (articles L441-10 et D441-5 du code de commerce). Pas d'escompte pour "
    "paiement anticipé."
)
ESTIMATION_METHOD = _("estimation d'après la consommation moyenne (METER-3)")


def _centre_filter(user, perm: str, field: str) -> Q:
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return Q(**{f"{field}__in": scope.centre_ids(perm)})


# --- invoices -------------------------------------------------------------------------------


def invoice_list(*, user, perm: str = Perm.BILLING_VIEW) -> QuerySet[Invoice]:
    """Invoices and credit notes of the accounts in the user's centres."""
    if user is not None:
        require(user, perm)
        return Invoice.objects.filter(_centre_filter(user, perm, "account__centre_id"))
    return Invoice.objects.all()


def invoice_search(
    *,
    user,
    number: str = "",
    account: str = "",
    kind: str = "",
    run_id: int | None = None,
    period_end: dt.date | None = None,
) -> QuerySet[Invoice]:
    invoices = invoice_list(user=user).select_related("account__party")
    if number:
        invoices = invoices.filter(number=number.strip().upper())  # invoice_number_upper_case
    if account:
        invoices = invoices.filter(account__number=account.strip())
    if kind:
        invoices = invoices.filter(kind=kind)
    if run_id:
        invoices = invoices.filter(run_id=run_id)
    if period_end:
        invoices = invoices.filter(period_end=period_end)
    return invoices.order_by("-issue_date", "-id")


def invoice_get_for_user(*, user, number: str, perm: str = Perm.BILLING_VIEW) -> Invoice:
    invoice = (
        invoice_list(user=user, perm=perm)
        .select_related(
            "account__party",
            "account__centre",
            "contract",
            "service_point",
            "credited_invoice",
            "abnormal_notice",
        )
        .filter(number=number)
        .first()
    )
    if invoice is None:
        raise NotFound(_("Facture introuvable."))
    return invoice


def account_invoices(account) -> QuerySet[Invoice]:
    return account.invoices.order_by("-issue_date", "-id")


def credit_notes_of(invoice: Invoice) -> QuerySet[Invoice]:
    return invoice.credit_notes.order_by("issue_date", "id")


# --- documents (BILL-8) ---------------------------------------------------------------------


def seller() -> doc.Seller:
    u = settings.ROBINET_UTILITY
    return doc.Seller(
        name=u["name"],
        legal_form=u["legal_form"],
        address_lines=tuple(line for line in u["address"].split("\n") if line),
        postcode=u["postcode"],
        city=u["city"],
        siren=u["siren"],
        siret=u["siret"],
        vat_number=u["vat_number"],
        phone=u["phone"],
        opening_hours=u["opening_hours"],
        emergency_phone=u["emergency_phone"],
        email=u["email"],
        website=u["website"],
        mediator=doc.Mediator(
            name=u["mediator_name"],
            address_lines=(u["mediator_address"],),
            postcode=u["mediator_postcode"],
            city=u["mediator_city"],
            website=u["mediator_website"],
        ),
        iban=u["iban"],
        bic=u["bic"],
        sepa_creditor_id=u["sepa_creditor_id"],
    )


def _vat_number(siren: str) -> str:
    """The intra-community VAT number follows from the SIREN (key = (12 + 3 × (SIREN mod 97)) mod 97)."""
    if not siren_number.is_valid(siren):
        return ""
    number = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    return number if tva.is_valid(number) else ""


def buyer(account) -> doc.Buyer:
    party = account.party
    name = " ".join(p for p in (party.civility, party.first_name, party.name) if p).strip()
    professional = account.customer_class in CLASSES_WITH_SIRET or bool(party.siret)
    public = account.customer_class in PUBLIC_CLASSES
    siret = party.siret or ""
    siren = siret[:9]
    return doc.Buyer(
        name=name,
        account_number=account.number,
        address_lines=tuple(
            line for line in (party.address_line, party.address_complement) if line
        ),
        postcode=party.postcode,
        city=party.city,
        country=party.country or "FR",
        is_professional=professional and not public,
        siren=siren,
        siret=siret,
        vat_number="" if public else _vat_number(siren),
        public_sector=public,
        chorus_service_code=account.chorus_service_code,
        chorus_commitment_number=account.chorus_commitment_number,
        email=party.email,
    )


def _document_lines(invoice: Invoice) -> tuple[doc.DocumentLine, ...]:
    """The invoice lines, whose amounts add up to each VAT base (EN 16931 BR-CO-10).

    Under the *unit price incl. VAT* and *total* roundings (BILL-1b) the
    stored line amounts may differ from the base of their rate by a few
    cents: the difference goes to the largest line of that rate.
    """
    lines = list(invoice.lines.order_by("position"))
    amounts = {line.pk: line.amount_excl_vat for line in lines}
    bases = {Decimal(v["rate"]): Decimal(v["base"]) for v in invoice.vat_breakdown}
    by_rate: dict[Decimal, list] = defaultdict(list)
    for line in lines:
        by_rate[line.vat_rate].append(line)
    for rate, rate_lines in by_rate.items():
        gap = bases.get(rate, Decimal(0)) - sum(amounts[x.pk] for x in rate_lines)
        if gap:
            largest = max(rate_lines, key=lambda x: abs(amounts[x.pk]))
            amounts[largest.pk] += gap
    return tuple(
        doc.DocumentLine(
            code=line.component_code,
            label=line.label,
            service=line.service,
            beneficiary=line.beneficiary,
            period_start=line.period_start,
            period_end=line.period_end,
            quantity=line.quantity.normalize() if line.quantity else line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            amount_excl_vat=amounts[line.pk],
            vat_rate=line.vat_rate.normalize(),
            vat_exemption_reason=_("TVA non applicable (article 256 B du CGI)")
            if line.vat_rate == 0
            else "",
        )
        for line in lines
    )


def consumption_history(invoice: Invoice, count: int = 6) -> tuple[doc.ConsumptionPoint, ...]:
    """Volumes of the contract's last bills, for the chart on the bill (METER-6)."""
    rows = (
        Invoice.objects.filter(
            contract_id=invoice.contract_id,
            kind__in=BILL_KINDS,
            period_end__lte=invoice.period_end,
        )
        .order_by("-period_end", "-generation")
        .values_list("period_start", "period_end", "volume")
    )
    seen, points = set(), []
    for start, end, volume in rows:
        if start in seen:
            continue
        seen.add(start)
        points.append(doc.ConsumptionPoint(f"{start:%m/%y}–{end:%m/%y}", volume))
        if len(points) >= count:
            break
    return tuple(reversed(points))


def invoice_document(invoice: Invoice) -> doc.InvoiceDocument:
    """What the PDF and Factur-X show for an issued invoice or credit note (BILL-8)."""
    account = invoice.account
    sp = invoice.service_point
    lines = _document_lines(invoice)
    vat = tuple(
        doc.VatAmount(Decimal(v["rate"]).normalize(), Decimal(v["base"]), Decimal(v["amount"]))
        for v in invoice.vat_breakdown
    )
    readings = None
    if invoice.old_index is not None and invoice.new_index is not None:
        readings = doc.Readings(
            old_index=int(invoice.old_index),
            old_date=invoice.old_read_on,
            new_index=int(invoice.new_index),
            new_date=invoice.new_read_on,
            estimated=invoice.estimated,
            estimation_method=ESTIMATION_METHOD if invoice.estimated else "",
        )
    meter = None
    if invoice.meter_serial and sp is not None:
        diameter = (
            sp.meters.filter(serial=invoice.meter_serial)
            .values_list("diameter_mm", flat=True)
            .first()
        )
        meter = doc.MeterInfo(invoice.meter_serial, diameter or 15)
    labels = dict(
        TariffVersion.objects.filter(
            code__in=[p["tariff"] for p in invoice.tariff_periods]
        ).values_list("code", "label")
    )
    periods = tuple(
        doc.TariffPeriod(
            label=labels.get(p["tariff"], p["tariff"]),
            code=p["tariff"],
            start=dt.date.fromisoformat(p["start"]),
            end=dt.date.fromisoformat(p["end"]),
            volume=Decimal(p["volume"]),
        )
        for p in invoice.tariff_periods
    )
    the_seller = seller()
    the_buyer = buyer(account)
    credit = None
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        original = invoice.credited_invoice
        credit = doc.CreditNoteReference(original.number, original.issue_date, invoice.reason)
    direct_debit = account.direct_debit and bool(account.iban)
    payment = doc.PaymentInfo(
        direct_debit=direct_debit,
        iban=the_seller.iban,
        bic=the_seller.bic,
        mandate_reference=f"RUM-{account.number}" if direct_debit else "",
        debit_date=invoice.due_date if direct_debit else None,
        transfer_reference=f"{account.number} {invoice.number}",
    )
    litre = invoice.price_per_litre_incl_vat
    return doc.InvoiceDocument(
        kind="credit_note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "invoice",
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        seller=the_seller,
        buyer=the_buyer,
        service_point=doc.ServicePointInfo(
            sp.reference,
            " ".join(p for p in (sp.street_number, sp.street) if p) + f", {sp.postcode} {sp.city}",
        )
        if sp is not None
        # BILL-7 fees and works invoices without a service point: the account and its address
        else doc.ServicePointInfo(
            account.number,
            ", ".join(p for p in (account.party.address_line, account.party.postcode) if p)
            + f" {account.party.city}",
        ),
        meter=meter,
        readings=readings,
        tariff_periods=periods,
        lines=lines,
        vat=vat,
        total_excl_vat=invoice.total_excl_vat,
        total_vat=invoice.total_vat,
        total_incl_vat=invoice.total_incl_vat,
        volume=invoice.volume,
        fixed_incl_vat=invoice.fixed_incl_vat,
        price_per_litre_incl_vat=litre.quantize(Decimal("0.00001"), ROUND_HALF_UP)
        if litre is not None
        else None,
        price_per_m3_incl_vat=invoice.price_per_m3_incl_vat,
        payment=payment,
        credit_note_of=credit,
        consumption_history=consumption_history(invoice) if invoice.kind in BILL_KINDS else (),
        abnormal_consumption_notice=invoice.abnormal_notice.text
        if invoice.abnormal_notice_id
        else None,
        late_payment_mentions=LATE_PAYMENT_MENTIONS if the_buyer.needs_facturx else "",
    )


def invoice_pdf(invoice: Invoice, *, rendered: Path | None = None) -> tuple[bytes, str]:
    """The document a customer receives: Factur-X for professionals and public bodies.

    Rendering is deterministic (same document, same bytes), so the bytes are cached under a
    digest of the document's data: a bill opened again costs its queries, not a new render,
    and any change of what the document says changes the key. ``rendered``: a folder
    where a rendering run (:mod:`robinet.billing.rendering`) wrote the documents under
    that key, read before rendering.
    """
    document, facturx, key = _document_and_key(invoice)
    filename = f"{invoice.number}-facturx.pdf" if facturx else f"{invoice.number}.pdf"
    cache = caches[DOCUMENT_CACHE]
    content = cache.get(key)
    if content is None and rendered is not None:
        path = rendered / rendered_file_name(key)
        content = path.read_bytes() if path.is_file() else None
    if content is None:
        content = _render(document, facturx)
        cache.set(key, content)
    return content, filename


def invoice_pdf_file(invoice: Invoice, folder: Path) -> bool:
    """Write the invoice's document into ``folder`` under its key, unless it is there
    already (a resumed rendering run); True when it was rendered now."""
    document, facturx, key = _document_and_key(invoice)
    path = folder / rendered_file_name(key)
    if path.is_file():
        return False
    content = _render(document, facturx)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(content)
    os.replace(partial, path)  # never a half-written document under its final name
    return True


def rendered_file_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest() + ".pdf"


def _render(document: doc.InvoiceDocument, facturx: bool) -> bytes:
    return (doc.render_facturx if facturx else doc.render_pdf)(document)


def _document_and_key(invoice: Invoice) -> tuple[doc.InvoiceDocument, bool, str]:
    document = invoice_document(invoice)
    facturx = document.buyer.needs_facturx
    return document, facturx, _document_key("facturx" if facturx else "pdf", document)


DOCUMENT_CACHE = "documents"


def _document_key(kind: str, document: doc.InvoiceDocument) -> str:
    # The dataclasses are frozen and hold only values, so their repr is the whole document.
    digest = hashlib.sha256(repr(document).encode()).hexdigest()
    return f"invoice-{kind}:{robinet.__version__}:{digest}"


def invoice_facturx_xml(invoice: Invoice) -> bytes:
    return doc.facturx_xml(invoice_document(invoice))


# --- held bills (BILL-5) --------------------------------------------------------------------


def held_bill_worklist(
    *,
    user,
    reason: str = "",
    centre_id: int | None = None,
    older_than_days: int | None = None,
    status: str = HeldBillStatus.HELD,
    today: dt.date | None = None,
) -> QuerySet[HeldBill]:
    held = HeldBill.objects.all()
    if user is not None:
        require(user, Perm.BILLING_VIEW)
        held = held.filter(_centre_filter(user, Perm.BILLING_VIEW, "centre_id"))
    if status:
        held = held.filter(status=status)
    if reason:
        held = held.filter(reason_codes__contains=reason)
    if centre_id:
        held = held.filter(centre_id=centre_id)
    if older_than_days and today:
        held = held.filter(created_at__date__lte=today - dt.timedelta(days=older_than_days))
    return held.select_related("contract", "account__party", "centre").order_by("created_at", "id")


def held_bill_counts(*, user) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for codes in held_bill_worklist(user=user).values_list("reason_codes", flat=True):
        for code in codes.split(","):
            counts[code] += 1
    return dict(counts)


def held_bill_get_for_user(*, user, pk: int) -> HeldBill:
    held = held_bill_worklist(user=user, status="").filter(pk=pk).first()
    if held is None:
        raise NotFound(_("Facture bloquée introuvable."))
    return held


# --- runs (BILL-4) --------------------------------------------------------------------------


def run_list(*, user) -> QuerySet[BatchRun]:
    """Billing runs of the user's scope: a run of an entity for those who cover it, a run
    of the whole utility for those who cover every region."""
    runs = BatchRun.objects.filter(kind=RUN_KIND).order_by("-created_at", "-id")
    if user is None:
        return runs
    scope = require(user, Perm.BILLING_VIEW)
    if scope.is_superuser:
        return runs
    entities = {e.code: e for e in Entity.objects.all()}
    regions = [e for e in entities.values() if e.parent_id is None]
    visible = []
    for pk, parameters in runs.values_list("pk", "parameters"):
        code = (parameters or {}).get("entity")
        if code:
            allowed = scope.covers(Perm.BILLING_VIEW, entities.get(code))
        else:
            allowed = all(scope.covers(Perm.BILLING_VIEW, region) for region in regions)
        if allowed:
            visible.append(pk)
    return runs.filter(pk__in=visible)


def run_get_for_user(*, user, pk: int) -> BatchRun:
    run = run_list(user=user).filter(pk=pk).first()
    if run is None:
        raise NotFound(_("Facturation introuvable."))
    return run


def run_report(run: BatchRun) -> dict[str, Any]:
    """Counts, totals and the per-contract outcomes of a billing run."""
    invoices = Invoice.objects.filter(run=run)
    totals = invoices.aggregate(
        count=Count("id"),
        excl=Sum("total_excl_vat"),
        vat=Sum("total_vat"),
        incl=Sum("total_incl_vat"),
        volume=Sum("volume"),
    )
    held = HeldBill.objects.filter(run=run)
    items = run.items.exclude(status=ItemStatus.OK).order_by("status", "target_id")
    outcome_counts: dict[str, int] = defaultdict(int)
    for status, code in run.items.values_list("status", "error_code"):
        if status == ItemStatus.SKIPPED and code.startswith("held:"):
            outcome_counts["held"] += 1
        elif status == ItemStatus.SKIPPED:
            outcome_counts["skipped"] += 1
        elif status == ItemStatus.FAILED:
            outcome_counts["failed"] += 1
    contracts = dict(
        Contract.objects.filter(pk__in=[i.target_id for i in items[:500]]).values_list(
            "pk", "number"
        )
    )
    return {
        "run": run,
        "invoices": totals["count"] or 0,
        "total_excl_vat": totals["excl"] or Decimal("0.00"),
        "total_vat": totals["vat"] or Decimal("0.00"),
        "total_incl_vat": totals["incl"] or Decimal("0.00"),
        "volume": totals["volume"] or Decimal("0.000"),
        "held": held.count(),
        "billed_contracts": run.succeeded,
        "held_contracts": outcome_counts["held"],
        "skipped_contracts": outcome_counts["skipped"],
        "failed_contracts": outcome_counts["failed"],
        "items": [
            {
                "contract_id": i.target_id,
                "contract": contracts.get(i.target_id, str(i.target_id)),
                "status": i.status,
                "code": i.error_code,
                "message": i.message,
            }
            for i in items[:500]
        ],
    }


# --- simulation (BILL-11) -------------------------------------------------------------------


def simulate(
    *,
    tariff_code: str,
    volume: Decimal,
    start: dt.date,
    end: dt.date,
    diameter_mm: int,
    dwellings: int = 1,
    social: bool = False,
    services: frozenset[str] | None = None,
) -> pricing.Bill:
    """A bill computed by the run's engine without being issued, on one tariff."""
    version = TariffVersion.objects.filter(code=tariff_code).first()
    if version is None:
        raise ValidationFailed({"tariff": [_("Tarif inconnu : %(c)s") % {"c": tariff_code}]})
    return _price([priced(version)], volume, start, end, diameter_mm, dwellings, social, services)


def contract_simulation(
    *,
    contract: Contract,
    volume: Decimal,
    start: dt.date,
    end: dt.date,
    social: bool = False,
    versions: list | None = None,
) -> pricing.Bill:
    """What the contract would pay for a hypothetical volume (the officer answering a customer).

    ``versions``: the tariff versions of the contract's commune over [start, end], when the
    caller loaded them already (a bulk enrolment); else they are loaded here.
    """
    from robinet.billing.engine import ContractFacts, services_of

    sp = contract.service_point
    meter = sp.meters.filter(removed_on__isnull=True).order_by("-installed_on").first()
    if meter is None:
        raise ValidationFailed({"contract": [_("Aucun compteur posé sur ce point de desserte.")]})
    if versions is not None:
        tariffs = versions
    else:
        tariffs = tariffs_by_commune([sp.commune_insee], start=start, end=end).get(
            sp.commune_insee, []
        )
    facts = ContractFacts(
        contract_id=contract.pk,
        account_id=contract.account_id,
        centre_id=0,
        service_point_id=sp.pk,
        customer_class="",
        commune_insee=sp.commune_insee,
        start_date=contract.start_date,
        end_date=contract.end_date,
        water=contract.water,
        sanitation=contract.sanitation,
        dwellings=sp.dwellings,
        diameter_mm=meter.diameter_mm,
        payment_terms_days=0,
    )
    return _price(
        tariffs, volume, start, end, meter.diameter_mm, sp.dwellings, social, services_of(facts)
    )


# Bounds of a simulation: a bill is a period of days, not a millennium.
SIMULATION_YEARS = (1900, 2199)
SIMULATION_MAX_DAYS = 3660
SIMULATION_MAX_VOLUME = Decimal("999999999")


def _price(tariffs, volume, start, end, diameter_mm, dwellings, social, services) -> pricing.Bill:
    errors: dict[str, list[str]] = {}
    low, high = SIMULATION_YEARS
    for name, day in (("from", start), ("to", end)):
        if not low <= day.year <= high:
            errors[name] = [_("Date hors des années %(a)s à %(b)s.") % {"a": low, "b": high}]
    if end < start:
        errors["to"] = [_("La fin de période précède son début.")]
    elif (end - start).days >= SIMULATION_MAX_DAYS:
        errors["to"] = [_("Une simulation couvre au plus dix ans.")]
    if not volume.is_finite() or volume < 0:
        errors["volume"] = [_("Le volume ne peut pas être négatif.")]
    elif volume > SIMULATION_MAX_VOLUME:
        errors["volume"] = [_("Volume hors limites.")]
    if diameter_mm <= 0:
        errors["diameter"] = [_("Diamètre invalide.")]
    if errors:
        raise ValidationFailed(errors)
    request = pricing.BillRequest(
        period_start=start,
        period_end=end,
        volume=volume,
        diameter_mm=diameter_mm,
        dwellings=max(dwellings, 1),
        social=social,
        **({"services": services} if services is not None else {}),
    )
    try:
        return pricing.price(tariffs, request)
    except pricing.PricingError as exc:
        raise ValidationFailed({"tariff": [exc.message]}, exc.message) from None
