"""Services and fees from the price list (BILL-7, COLL-1), and the single-invoice writer.

A billing officer bills one or more items of the price list
(:class:`~robinet.billing.models.PriceListItem`) to an account: an invoice
of kind ``fees``, numbered in the FAC series like every invoice (BILL-6,
gapless, the number taken inside the issuing transaction), immutable, with
its open item. Its lines print under « Autres prestations » (or the heading
the item names) and a credit note corrects it as any other invoice.

COLL-1: an individual is never billed an item that is not flagged
``allowed_for_individuals`` (recovery, reminder, reject or file fees need an
enforceable title — CPCE L111-8; other fees only where the service rules
provide for them).

:func:`invoice_issue_lines` is shared with :mod:`robinet.billing.works`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from robinet.billing.choices import InvoiceKind, PriceItemKind, Series
from robinet.billing.models import Invoice, InvoiceLine, PriceListItem
from robinet.billing.writer import NUMBER_WIDTH
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.core.money import round_money
from robinet.core.numbering import format_number, next_number
from robinet.customers.choices import CustomerClass
from robinet.ledger.services import book_invoice
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

MAX_QUANTITY = Decimal("100000")


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _require(actor, perm: str, entity=None) -> None:
    if actor is not None:
        require(actor, perm, entity)


# --- lines and VAT (BILL-3 rounding points) --------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line to issue: already priced, amount rounded to the cent (may be negative)."""

    code: str
    label: str
    service: str
    beneficiary: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount_excl_vat: Decimal
    vat_rate: Decimal
    kind: str = "service"


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Per line, rounded half-up to the cent (the only rounding of a line)."""
    return round_money(quantity * unit_price)


def vat_breakdown(lines: Iterable) -> list[dict]:
    """VAT per rate on the sum of the lines of that rate, rounded once (BILL-3)."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[Decimal(line.vat_rate)] += line.amount_excl_vat
    return [
        {"rate": str(rate), "base": str(base), "amount": str(round_money(base * rate / 100))}
        for rate, base in sorted(bases.items())
    ]


def totals(vat: list[dict]) -> tuple[Decimal, Decimal, Decimal]:
    excl = sum((Decimal(v["base"]) for v in vat), Decimal(0))
    tax = sum((Decimal(v["amount"]) for v in vat), Decimal(0))
    return excl, tax, excl + tax


def line_from_item(item: PriceListItem, quantity: Decimal) -> Line:
    return Line(
        code=item.code,
        label=item.label,
        service=item.service,
        beneficiary=item.beneficiary,
        quantity=quantity,
        unit=item.unit,
        unit_price=item.unit_price,
        amount_excl_vat=line_amount(quantity, item.unit_price),
        vat_rate=item.vat_rate,
        kind=item.kind,
    )


# --- the single-invoice writer (BILL-6) ------------------------------------------------------


def invoice_issue_lines(
    *,
    actor,
    kind: str,
    account,
    lines: Sequence[Line],
    issue_date: dt.date,
    contract=None,
    service_point=None,
    quote=None,
    reason: str = "",
) -> Invoice:
    """Issue one invoice with its lines and its open item, in the caller's transaction.

    The FAC number is taken here, inside the transaction that writes the
    invoice: a failure gives it back (gapless, BILL-6).
    """
    if not transaction.get_connection().in_atomic_block:  # pragma: no cover - programming error
        raise RuntimeError("invoice_issue_lines runs inside the issuing transaction")
    vat = vat_breakdown(lines)
    total_excl, total_vat, total_incl = totals(vat)
    if total_excl < 0 or total_vat < 0:
        raise ApplicationError(_("Le total d'une facture ne peut être négatif."), code="negative")
    year = issue_date.year
    sequence = next_number(Series.INVOICE, year)
    number = format_number(Series.INVOICE, year, sequence, width=NUMBER_WIDTH)
    due = issue_date + dt.timedelta(days=account.payment_terms_days)
    invoice = Invoice(
        number=number,
        series=Series.INVOICE,
        year=year,
        sequence=sequence,
        kind=kind,
        account=account,
        contract=contract,
        service_point=service_point,
        quote=quote,
        period_start=issue_date,
        period_end=issue_date,
        issue_date=issue_date,
        due_date=due,
        volume=Decimal(0),
        total_excl_vat=total_excl,
        total_vat=total_vat,
        total_incl_vat=total_incl,
        fixed_incl_vat=Decimal(0),
        vat_breakdown=vat,
        tariff_periods=[],
        reason=reason[:255],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    invoice.save()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            component_code=line.code[:40],
            label=line.label[:160],
            service=line.service,
            beneficiary=line.beneficiary,
            component_kind=line.kind,
            tariff_code="",
            period_start=issue_date,
            period_end=issue_date,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            amount_excl_vat=line.amount_excl_vat,
            vat_rate=line.vat_rate,
        )
        for position, line in enumerate(lines, start=1)
    )
    book_invoice(invoice)
    return invoice


# --- price list ------------------------------------------------------------------------------


def price_list(*, kind: str | None = None, on: dt.date | None = None) -> QuerySet[PriceListItem]:
    """Items in force on ``on`` (today by default), of one kind if given."""
    on = on or clock.today()
    items = PriceListItem.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on
    )
    if kind:
        items = items.filter(kind=kind)
    return items.order_by("code")


def items_for(codes: Iterable[str], *, kind: str, on: dt.date) -> dict[str, PriceListItem]:
    """The items of ``codes`` in force on ``on``; unknown or inactive codes are refused."""
    codes = list(codes)
    found = {i.code: i for i in PriceListItem.objects.filter(code__in=codes)}
    errors = []
    for code in codes:
        item = found.get(code)
        if item is None:
            errors.append(_("Article inconnu : %(c)s.") % {"c": code})
        elif item.kind != kind:
            errors.append(
                _("L'article %(c)s n'est pas de nature « %(k)s ».")
                % {"c": code, "k": PriceItemKind(kind).label}
            )
        elif not item.is_active_on(on):
            errors.append(_("L'article %(c)s n'est pas en vigueur à cette date.") % {"c": code})
    if errors:
        raise ValidationFailed({"items": errors})
    return found


def parse_quantity(value, field: str = "quantity") -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: [_("Quantité invalide.")]}) from None
    if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY:
        raise ValidationFailed({field: [_("La quantité doit être positive.")]})
    return quantity


def check_individuals(account, items: Iterable[PriceListItem]) -> None:
    """COLL-1: an individual is billed only the items the service rules allow for them."""
    if account.customer_class != CustomerClass.INDIVIDUAL:
        return
    refused = [item for item in items if not item.allowed_for_individuals]
    if refused:
        raise ApplicationError(
            _(
                "Facturation refusée : %(items)s ne peut pas être facturé à un particulier "
                "(COLL-1 : pas de frais de recouvrement, de relance ou de rejet sans titre "
                "exécutoire ; les autres frais seulement si le règlement de service les prévoit)."
            )
            % {"items": ", ".join(f"« {i.label} »" for i in refused)},
            code="fee_not_allowed_for_individuals",
            fields={
                "items": [
                    _("Non facturable à un particulier : %(c)s") % {"c": i.code} for i in refused
                ]
            },
            http_status=422,
        )


# --- fees invoice ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeRequest:
    code: str
    quantity: Decimal = Decimal(1)


@transaction.atomic
def fees_invoice_issue(
    *,
    actor,
    account,
    items: Sequence[FeeRequest | tuple[str, object]],
    contract=None,
    issue_date: dt.date | None = None,
    reason: str = "",
) -> Invoice:
    """Bill price-list fees to an account: one ``fees`` invoice (BILL-7, BILL-6, COLL-1)."""
    _require(actor, Perm.FEES_MANAGE, account.centre)
    requests = [i if isinstance(i, FeeRequest) else FeeRequest(i[0], i[1]) for i in items]
    if not requests:
        raise ValidationFailed({"items": [_("Choisissez au moins un article.")]})
    issue_date = issue_date or clock.today()
    if contract is not None and contract.account_id != account.pk:
        raise ValidationFailed({"contract": [_("Ce contrat n'est pas celui de ce client.")]})
    quantities = [parse_quantity(r.quantity) for r in requests]
    found = items_for([r.code for r in requests], kind=PriceItemKind.FEE, on=issue_date)
    check_individuals(account, found.values())
    lines = [
        line_from_item(found[r.code], quantity)
        for r, quantity in zip(requests, quantities, strict=True)
    ]
    invoice = invoice_issue_lines(
        actor=actor,
        kind=InvoiceKind.FEES,
        account=account,
        lines=lines,
        issue_date=issue_date,
        contract=contract,
        service_point=getattr(contract, "service_point", None),
        reason=reason,
    )
    audit.record(
        actor=actor,
        verb="fees_invoice_issued",
        target=invoice,
        subject=account,
        data={
            "number": invoice.number,
            "items": [r.code for r in requests],
            "total": invoice.total_incl_vat,
        },
    )
    return invoice


# --- seed ------------------------------------------------------------------------------------

#: A typical price list (amounts excl. VAT, as many French services publish them).
TYPICAL_ITEMS = (
    # code, label, kind, unit, unit price, VAT, individuals, deposit %, legal basis
    ("FRAIS-ACCES", "Frais d'accès au service", "fee", "unit", "45.00", "20", True, "0",
     "Règlement de service"),
    ("FRAIS-RDV-MANQUE", "Déplacement sans rendez-vous honoré", "fee", "unit", "50.00", "20",
     True, "0", "Règlement de service (si prévu)"),
    ("FRAIS-FERMETURE", "Fermeture du branchement à la demande de l'abonné", "fee", "unit",
     "38.00", "20", True, "0", "Règlement de service"),
    ("FRAIS-OUVERTURE", "Réouverture du branchement", "fee", "unit", "38.00", "20", True, "0",
     "Règlement de service"),
    ("FRAIS-ETALONNAGE", "Vérification du compteur sur banc (compteur juste)", "fee", "unit",
     "95.00", "20", True, "0", "Règlement de service"),
    ("FRAIS-DUPLICATA", "Duplicata de facture", "fee", "unit", "5.00", "20", True, "0", ""),
    ("FRAIS-RECOUVREMENT", "Indemnité forfaitaire pour frais de recouvrement", "fee", "unit",
     "40.00", "0", False, "0", "Code de commerce L441-10, D441-5 (professionnels)"),
    ("FRAIS-REJET", "Frais de rejet de prélèvement", "fee", "unit", "15.00", "0", False, "0",
     "Professionnels uniquement (CPCE L111-8)"),
    ("TRX-BRANCHEMENT", "Branchement neuf d'eau potable (jusqu'à 10 m)", "works", "unit",
     "1450.00", "10", True, "30", "Bordereau des travaux"),
    ("TRX-ML-SUPP", "Mètre linéaire de branchement supplémentaire", "works", "m", "85.00",
     "10", True, "30", "Bordereau des travaux"),
    ("TRX-DEPLACEMENT-CPT", "Déplacement de compteur", "works", "unit", "420.00", "10", True,
     "0", "Bordereau des travaux"),
    ("TRX-REGARD", "Fourniture et pose d'un regard de comptage", "works", "unit", "310.00",
     "10", True, "0", "Bordereau des travaux"),
    ("TRX-BRANCHEMENT-EU", "Branchement au réseau d'eaux usées", "works", "unit", "2100.00",
     "10", True, "30", "Bordereau des travaux"),
)  # fmt: skip


def seed_price_list(*, valid_from: dt.date | None = None) -> list[PriceListItem]:
    """Create the typical items that do not exist yet (idempotent; for the demo and new sites)."""
    valid_from = valid_from or dt.date(clock.today().year, 1, 1)
    created = []
    existing = set(PriceListItem.objects.values_list("code", flat=True))
    for code, label, kind, unit, price, vat, individuals, deposit, basis in TYPICAL_ITEMS:
        if code in existing:
            continue
        created.append(
            PriceListItem.objects.create(
                code=code,
                label=label,
                kind=kind,
                unit=unit,
                unit_price=Decimal(price),
                vat_rate=Decimal(vat),
                allowed_for_individuals=individuals,
                deposit_percent=Decimal(deposit),
                legal_basis=basis,
                valid_from=valid_from,
            )
        )
    return created
