"""The print-shop export of a billing run: *édition des factures* (BILL-12).

The outsourced printer receives, per run, one CSV file with one row per
document (invoice, final bill or credit note) carrying everything needed to
print and post it — recipient and address, document data, amounts, the
payment means and the payment reference / barcode payload — in postal sorting
order (country, postcode, city, name), and on request the run's PDFs merged
into one file in the same order, whose page ranges the CSV gives.

File format (documented column by column in ``docs/domain/billing-statistics.md``):
UTF-8 with a BOM, ``;`` separator, CRLF line ends, decimal comma, dates
``JJ/MM/AAAA``, a header line with the column names of :data:`COLUMNS`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.db.models import Case, IntegerField, Value, When
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from robinet.billing import rendering, selectors
from robinet.billing.choices import InvoiceKind
from robinet.billing.models import Invoice
from robinet.core.exceptions import ApplicationError
from robinet.core.models import BatchRun
from robinet.core.models.runs import RunState

COLUMNS = (
    "sequence",
    "sort_key",
    "postal_group",
    "document_number",
    "document_kind",
    "document_label",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "account_number",
    "centre",
    "recipient_name",
    "recipient_name_complement",
    "address_line_1",
    "address_line_2",
    "postcode",
    "city",
    "country",
    "amount_excl_vat",
    "amount_vat",
    "amount_incl_vat",
    "amount_due",
    "payment_means",
    "debit_date",
    "mandate_reference",
    "transfer_reference",
    "barcode_payload",
    "creditor_iban",
    "creditor_bic",
    "credited_invoice",
    "estimated",
    "facturx",
    "e_invoice",
    "returned_mail",
    "pdf_filename",
    "first_page",
    "pages",
)
KIND_LABELS = {
    InvoiceKind.PERIODIC: "Facture",
    InvoiceKind.FINAL: "Facture de départ",
    InvoiceKind.CREDIT_NOTE: "Avoir",
}


class RunNotPrintable(ApplicationError):
    http_status = 409


@dataclass
class PrintExport:
    """What was written: the number of documents and, with the PDF, of pages."""

    documents: int
    pages: int | None = None


def _french(value: Decimal | None) -> str:
    return "" if value is None else str(value).replace(".", ",")


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def check_printable(run: BatchRun) -> None:
    """Only a finished run is printed: its documents are all issued and numbered."""
    if run.state != RunState.DONE:
        raise RunNotPrintable(
            _(
                "La facturation n° %(n)s n'est pas terminée (état : %(s)s) : "
                "l'édition des factures se fait sur une facturation terminée."
            )
            % {"n": run.pk, "s": run.get_state_display()},
            code="run_not_done",
        )


def print_invoices(run: BatchRun):
    """The run's documents in postal sorting order: France first, then postcode, city,
    name, first name, number (the order of the CSV and of the merged PDF)."""
    return (
        Invoice.objects.filter(run=run)
        .select_related("account__party", "account__centre", "credited_invoice")
        .order_by(
            Case(
                When(account__party__country__in=("FR", ""), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "account__party__country",
            "account__party__postcode",
            Upper("account__party__city"),
            Upper("account__party__name"),
            Upper("account__party__first_name"),
            "number",
        )
    )


def _postal_group(country: str, postcode: str) -> str:
    """Bundle of the postal sorting: the département (``67``, ``2A``, ``971``), or the country."""
    if country not in ("FR", ""):
        return country
    if postcode.startswith("97") or postcode.startswith("98"):
        return postcode[:3]
    if postcode.startswith("20"):  # Corsica: 200xx–201xx is 2A, 202xx–206xx is 2B
        return "2A" if postcode[:3] in ("200", "201") else "2B"
    return postcode[:2]


def print_rows(run: BatchRun) -> Iterator[dict[str, str]]:
    """One row per document of a finished run, in print order (see :data:`COLUMNS`)."""
    check_printable(run)
    the_seller = selectors.seller()
    for sequence, invoice in enumerate(print_invoices(run).iterator(chunk_size=2000), start=1):
        account = invoice.account
        party = account.party
        buyer = selectors.buyer(account)
        country = party.country or "FR"
        credit = invoice.kind == InvoiceKind.CREDIT_NOTE
        direct_debit = account.direct_debit and bool(account.iban) and not credit
        transfer_reference = f"{account.number} {invoice.number}"
        due = -invoice.total_incl_vat if credit else invoice.total_incl_vat
        yield {
            "sequence": str(sequence),
            "sort_key": "|".join(
                (
                    country,
                    party.postcode,
                    party.city.upper(),
                    party.name.upper(),
                    party.first_name.upper(),
                )  # fmt: skip
            ),
            "postal_group": _postal_group(country, party.postcode),
            "document_number": invoice.number,
            "document_kind": invoice.kind,
            "document_label": KIND_LABELS.get(invoice.kind, invoice.kind),
            "issue_date": _date(invoice.issue_date),
            "due_date": _date(invoice.due_date),
            "period_start": _date(invoice.period_start),
            "period_end": _date(invoice.period_end),
            "account_number": account.number,
            "centre": account.centre.code,
            "recipient_name": buyer.name,
            "recipient_name_complement": party.name_complement,
            "address_line_1": party.address_line,
            "address_line_2": party.address_complement,
            "postcode": party.postcode,
            "city": party.city,
            "country": country,
            "amount_excl_vat": _french(invoice.total_excl_vat),
            "amount_vat": _french(invoice.total_vat),
            "amount_incl_vat": _french(invoice.total_incl_vat),
            "amount_due": _french(due),
            "payment_means": "credit"
            if credit
            else ("direct_debit" if direct_debit else "transfer"),
            "debit_date": _date(invoice.due_date) if direct_debit else "",
            "mandate_reference": f"RUM-{account.number}" if direct_debit else "",
            "transfer_reference": transfer_reference,
            "barcode_payload": ""
            if credit
            else f"{account.number}{invoice.number}{int(invoice.total_incl_vat * 100):010d}",
            "creditor_iban": the_seller.iban,
            "creditor_bic": the_seller.bic,
            "credited_invoice": invoice.credited_invoice.number if credit else "",
            "estimated": "oui" if invoice.estimated else "non",
            "facturx": "oui" if buyer.needs_facturx else "non",
            "e_invoice": "oui" if account.e_invoice else "non",
            "returned_mail": "oui" if party.address_invalid_since else "non",
            "pdf_filename": f"{invoice.number}-facturx.pdf"
            if buyer.needs_facturx
            else f"{invoice.number}.pdf",
            "first_page": "",
            "pages": "",
            "_invoice": invoice,
        }


def print_export(run: BatchRun, csv_out: IO[str], pdf_out: IO[bytes] | None = None) -> PrintExport:
    """Write the run's print file to ``csv_out`` (text, opened with ``newline=""``) and, if
    ``pdf_out`` is given, the documents' PDFs merged in the same order, the CSV then giving
    each document's first page and page count in the merged file."""
    from pypdf import PdfReader, PdfWriter

    check_printable(run)
    writer = csv.DictWriter(
        csv_out, fieldnames=COLUMNS, delimiter=";", lineterminator="\r\n", extrasaction="ignore"
    )
    csv_out.write("\ufeff")
    writer.writeheader()
    merged = PdfWriter() if pdf_out is not None else None
    documents = pages = 0
    # Documents a rendering run wrote are read, not rendered again (any that changed is).
    rendered = rendering.folder(run)
    for row in print_rows(run):
        documents += 1
        if merged is not None:
            content, _name = selectors.invoice_pdf(row["_invoice"], rendered=rendered)
            reader = PdfReader(io.BytesIO(content))
            row["first_page"] = str(pages + 1)
            row["pages"] = str(len(reader.pages))
            pages += len(reader.pages)
            merged.append(reader)
        writer.writerow(row)
    if merged is not None:
        merged.write(pdf_out)
        return PrintExport(documents, pages)
    return PrintExport(documents)


def print_export_csv(run: BatchRun) -> str:
    """The print file as a string (the back-office download)."""
    buffer = io.StringIO()
    print_export(run, buffer)
    return buffer.getvalue()
