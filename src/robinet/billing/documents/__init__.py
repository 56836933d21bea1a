"""Invoice documents: PDF and Factur-X rendered from a plain dataclass (BILL-8).

Pure: no database, no settings. Billing builds an :class:`InvoiceDocument`;
:func:`render_pdf` gives the customer's PDF, :func:`render_facturx` the
PDF/A-3 with its EN 16931 CII XML for professionals and public bodies.
"""

from .data import (
    Buyer,
    ConsumptionPoint,
    CreditNoteReference,
    DocumentLine,
    InvoiceDocument,
    Mediator,
    MeterInfo,
    PaymentInfo,
    Readings,
    Seller,
    ServicePointInfo,
    TariffPeriod,
    VatAmount,
    litre_price,
    m3_price,
    vat_breakdown,
)
from .facturx import facturx_xml, render_facturx, validate_facturx_xml
from .pdf import render_pdf

__all__ = [
    "Buyer",
    "ConsumptionPoint",
    "CreditNoteReference",
    "DocumentLine",
    "InvoiceDocument",
    "Mediator",
    "MeterInfo",
    "PaymentInfo",
    "Readings",
    "Seller",
    "ServicePointInfo",
    "TariffPeriod",
    "VatAmount",
    "facturx_xml",
    "litre_price",
    "m3_price",
    "render_facturx",
    "render_pdf",
    "validate_facturx_xml",
    "vat_breakdown",
]
