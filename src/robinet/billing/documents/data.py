"""What an invoice document shows: plain frozen dataclasses, no database (BILL-8).

Billing builds one :class:`InvoiceDocument` per issued invoice or credit
note; :mod:`.pdf` and :mod:`.facturx` render it and never look anything up.
Every amount is a ``Decimal`` already rounded to the cent by billing, every
date a ``datetime.date``. A credit note (*avoir*, BILL-6) carries **positive**
amounts: the document kind gives the sign, as in EN 16931 (type code 381).

The constructors check the shape (kinds, services, Decimal not float, totals
that add up) so a rendering never prints an invoice whose figures disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from robinet.core.money import round_money

DocumentKind = Literal["invoice", "credit_note"]
Service = Literal["water", "sanitation", "public_bodies", "other"]
Beneficiary = Literal["operator", "authority", "water_agency", "other"]

KINDS = ("invoice", "credit_note")
SERVICES = ("water", "sanitation", "public_bodies", "other")
BENEFICIARIES = ("operator", "authority", "water_agency", "other")

CENT = Decimal("0.01")


def _decimal(owner: object, name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, Decimal):
        raise TypeError(f"{type(owner).__name__}.{name} must be a Decimal, got {value!r}")


def _date(owner: object, name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, date):
        raise TypeError(f"{type(owner).__name__}.{name} must be a date, got {value!r}")


@dataclass(frozen=True, slots=True)
class Mediator:
    """The consumer mediator (*Médiation de l'eau*), printed on every bill."""

    name: str
    address_lines: tuple[str, ...]
    postcode: str
    city: str
    website: str


@dataclass(frozen=True, slots=True)
class Seller:
    """The utility (operator or public service) issuing the bill."""

    name: str
    legal_form: str  # "Régie publique dotée de l'autonomie financière", "SPL au capital de …"
    address_lines: tuple[str, ...]
    postcode: str
    city: str
    siren: str
    siret: str
    vat_number: str  # FR + 2 key digits + SIREN
    phone: str
    opening_hours: str
    emergency_phone: str
    email: str
    website: str
    mediator: Mediator
    iban: str
    bic: str
    sepa_creditor_id: str  # ICS, for direct debits
    country: str = "FR"


@dataclass(frozen=True, slots=True)
class Buyer:
    """The customer as billed: the account holder and where the bill is sent."""

    name: str
    account_number: str
    address_lines: tuple[str, ...]
    postcode: str
    city: str
    country: str = "FR"
    is_professional: bool = False
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    public_sector: bool = False
    chorus_service_code: str = ""  # BT-10 on Chorus Pro
    chorus_commitment_number: str = ""  # BT-13, *numéro d'engagement*
    email: str = ""

    @property
    def needs_facturx(self) -> bool:
        """Professionals and public bodies get a Factur-X invoice (BILL-8)."""
        return self.is_professional or self.public_sector


@dataclass(frozen=True, slots=True)
class ServicePointInfo:
    reference: str
    address: str


@dataclass(frozen=True, slots=True)
class MeterInfo:
    serial: str
    diameter_mm: int


@dataclass(frozen=True, slots=True)
class Readings:
    """Old and new index (m³). ``estimated`` when the new index is an estimate (METER-3)."""

    old_index: int
    old_date: date
    new_index: int
    new_date: date
    estimated: bool = False
    estimation_method: str = ""

    def __post_init__(self) -> None:
        _date(self, "old_date", self.old_date)
        _date(self, "new_date", self.new_date)
        if self.estimated and not self.estimation_method:
            raise ValueError("an estimated index needs its estimation method (BILL-8)")


@dataclass(frozen=True, slots=True)
class TariffPeriod:
    """A stretch of the billing period under one tariff version, with its volume."""

    label: str
    code: str
    start: date
    end: date
    volume: Decimal

    def __post_init__(self) -> None:
        _date(self, "start", self.start)
        _date(self, "end", self.end)
        _decimal(self, "volume", self.volume)


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One component: one line per beneficiary under its heading (BILL-8)."""

    code: str
    label: str
    service: Service
    beneficiary: Beneficiary
    period_start: date
    period_end: date
    quantity: Decimal
    unit: str  # "m3", "year", "month", "day", "unit"
    unit_price: Decimal  # excl. VAT, up to 6 decimals
    amount_excl_vat: Decimal
    vat_rate: Decimal  # percent: Decimal("5.5")
    vat_exemption_reason: str = ""  # only for a 0 % line (category E)

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}")
        if self.beneficiary not in BENEFICIARIES:
            raise ValueError(f"unknown beneficiary {self.beneficiary!r}")
        for name in ("quantity", "unit_price", "amount_excl_vat", "vat_rate"):
            _decimal(self, name, getattr(self, name))
        _date(self, "period_start", self.period_start)
        _date(self, "period_end", self.period_end)


@dataclass(frozen=True, slots=True)
class VatAmount:
    """VAT for one rate: base (excl. VAT) and tax."""

    rate: Decimal
    base: Decimal
    amount: Decimal

    def __post_init__(self) -> None:
        for name in ("rate", "base", "amount"):
            _decimal(self, name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class PaymentInfo:
    """How to pay: direct debit (mandate, date) or transfer (IBAN/BIC, reference)."""

    direct_debit: bool
    iban: str  # the seller's, for transfers
    bic: str = ""
    mandate_reference: str = ""  # RUM
    debit_date: date | None = None
    transfer_reference: str = ""  # structured reference to write on the transfer

    def __post_init__(self) -> None:
        _date(self, "debit_date", self.debit_date, optional=True)
        if self.direct_debit and not (self.mandate_reference and self.debit_date):
            raise ValueError("a direct debit needs its mandate reference and debit date")


@dataclass(frozen=True, slots=True)
class ConsumptionPoint:
    """One bar of the consumption-history chart (METER-6)."""

    label: str
    volume: Decimal


@dataclass(frozen=True, slots=True)
class CreditNoteReference:
    """The invoice a credit note corrects (BILL-6), for BT-25/BT-26."""

    number: str
    issue_date: date
    reason: str


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """Everything an invoice or credit note shows, already computed and rounded."""

    kind: DocumentKind
    number: str
    issue_date: date
    due_date: date
    period_start: date
    period_end: date
    seller: Seller
    buyer: Buyer
    service_point: ServicePointInfo
    meter: MeterInfo | None
    readings: Readings | None
    tariff_periods: tuple[TariffPeriod, ...]
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatAmount, ...]
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    volume: Decimal  # m³ billed
    fixed_incl_vat: Decimal  # fixed charges (subscriptions) incl. VAT, for BILL-8's litre price
    price_per_litre_incl_vat: Decimal | None
    price_per_m3_incl_vat: Decimal | None
    payment: PaymentInfo
    already_paid: Decimal = Decimal("0.00")
    amount_due: Decimal | None = None  # defaults to total incl. VAT − already paid
    currency: str = "EUR"
    credit_note_of: CreditNoteReference | None = None
    consumption_history: tuple[ConsumptionPoint, ...] = ()
    abnormal_consumption_notice: str | None = None  # METER-5 text
    late_payment_mentions: str = ""  # B2B: penalty rate and the 40 € indemnity
    legal_notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")
        if self.kind == "credit_note" and self.credit_note_of is None:
            raise ValueError("a credit note references the invoice it corrects (BILL-6)")
        for name in ("issue_date", "due_date", "period_start", "period_end"):
            _date(self, name, getattr(self, name))
        for name in (
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
            "volume",
            "fixed_incl_vat",
            "already_paid",
        ):
            _decimal(self, name, getattr(self, name))
        for name in ("price_per_litre_incl_vat", "price_per_m3_incl_vat", "amount_due"):
            _decimal(self, name, getattr(self, name), optional=True)
        if self.amount_due is None:
            object.__setattr__(self, "amount_due", self.total_incl_vat - self.already_paid)
        problems = self.inconsistencies()
        if problems:
            raise ValueError("invoice document does not add up: " + "; ".join(problems))

    def inconsistencies(self) -> list[str]:
        """The EN 16931 sums (BR-CO-10/14/15/16, BR-S-08) the figures must satisfy."""
        problems = []
        lines_total = sum((line.amount_excl_vat for line in self.lines), Decimal(0))
        if lines_total != self.total_excl_vat:
            problems.append(f"lines sum to {lines_total}, total excl. VAT is {self.total_excl_vat}")
        vat_total = sum((v.amount for v in self.vat), Decimal(0))
        if vat_total != self.total_vat:
            problems.append(f"VAT per rate sums to {vat_total}, total VAT is {self.total_vat}")
        if self.total_excl_vat + self.total_vat != self.total_incl_vat:
            problems.append("total excl. VAT + VAT != total incl. VAT")
        for v in self.vat:
            base = sum((x.amount_excl_vat for x in self.lines if x.vat_rate == v.rate), Decimal(0))
            if base != v.base:
                problems.append(f"VAT base at {v.rate} % is {v.base}, lines give {base}")
        if self.total_incl_vat - self.already_paid != self.amount_due:
            problems.append("amount due != total incl. VAT − already paid")
        return problems

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    def lines_of(self, service: Service) -> tuple[DocumentLine, ...]:
        return tuple(line for line in self.lines if line.service == service)


def litre_price(
    total_incl_vat: Decimal, fixed_incl_vat: Decimal, volume: Decimal
) -> Decimal | None:
    """BILL-8: (total incl. VAT − fixed charge incl. VAT) / (m³ × 1000), to 4 decimals.

    ``None`` without volume (a bill of fixed charges only has no litre price).
    Not an amount but a price, so not :func:`round_money`: half-up to 0.0001 €.
    """
    if volume <= 0:
        return None
    return ((total_incl_vat - fixed_incl_vat) / (volume * 1000)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def m3_price(total_incl_vat: Decimal, volume: Decimal) -> Decimal | None:
    """Average price of a m³ incl. VAT, fixed charges included, to the cent."""
    if volume <= 0:
        return None
    return round_money(total_incl_vat / volume)


def vat_breakdown(lines: tuple[DocumentLine, ...]) -> tuple[VatAmount, ...]:
    """VAT per rate, computed on the base per rate (BR-CO-17), rounded half-up."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.vat_rate] = bases.get(line.vat_rate, Decimal(0)) + line.amount_excl_vat
    return tuple(
        VatAmount(rate, base, round_money(base * rate / 100))
        for rate, base in sorted(bases.items())
    )
