"""The print-shop export of a billing run (BILL-12, *édition des factures*)."""

import csv
import datetime as dt
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from robinet.billing import printing, selectors, services
from robinet.billing.models import Invoice
from robinet.core.models import BatchRun
from tests.billing import factories
from tests.customers import factories as customer_factories
from tests.metering.factories import read

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 1)


def customer(centre, *, name, first_name="Jean", postcode="67000", city="Strasbourg", **party):
    account = customer_factories.person(
        centre, name=name, first_name=first_name, postcode=postcode, city=city, **party
    )
    sp = customer_factories.service_point(centre)
    customer_factories.moved_in(account, sp, start=START, index="100")
    read(sp, dt.date(2025, 6, 20), "160")
    return account


@pytest.fixture
def run(org, tariff):
    """Four customers billed in one run, created out of postal order."""
    centre = org.centres[0]
    customer(centre, name="Zimmer", postcode="67100")
    customer(centre, name="Adam", postcode="67200", city="Schiltigheim")
    customer(centre, name="Martin", postcode="67000", address_complement="Bâtiment B")
    customer(centre, name="Bauer", postcode="67000", address_line="1 quai Kléber")
    return factories.run(dt.date(2025, 6, 30))


def _rows(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_bill_12_print_file_rows_in_postal_order_with_every_column(run):
    text = printing.print_export_csv(run)
    assert "\r\n" in text
    rows = _rows(text)
    assert list(rows[0]) == list(printing.COLUMNS)
    # postcode, then city, then name
    assert [r["recipient_name"].split()[-1] for r in rows] == ["Bauer", "Martin", "Zimmer", "Adam"]
    assert [r["sequence"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["sort_key"] for r in rows] == sorted(r["sort_key"] for r in rows)
    first = rows[0]
    invoice = Invoice.objects.get(number=first["document_number"])
    assert first["document_kind"] == "periodic"
    assert first["document_label"] == "Facture"
    assert first["issue_date"] == invoice.issue_date.strftime("%d/%m/%Y") == "05/07/2025"
    assert first["due_date"] == invoice.due_date.strftime("%d/%m/%Y")
    assert first["account_number"] == invoice.account.number
    assert first["address_line_1"] == "1 quai Kléber"
    assert (first["postcode"], first["city"], first["country"]) == ("67000", "Strasbourg", "FR")
    assert first["postal_group"] == "67"
    assert first["amount_incl_vat"] == str(invoice.total_incl_vat).replace(".", ",")
    assert first["amount_due"] == first["amount_incl_vat"]
    assert first["payment_means"] == "transfer"
    assert first["transfer_reference"] == f"{invoice.account.number} {invoice.number}"
    cents = int(invoice.total_incl_vat * 100)
    assert first["barcode_payload"] == f"{invoice.account.number}{invoice.number}{cents:010d}"
    assert first["creditor_iban"] == selectors.seller().iban
    assert first["pdf_filename"] == f"{invoice.number}.pdf"
    assert first["first_page"] == ""
    assert first["pages"] == ""
    assert rows[1]["address_line_2"] == "Bâtiment B"


def test_bill_12_a_direct_debit_customer_gets_the_debit_date_and_mandate(org, tariff):
    account = customer(org.centres[0], name="Prélevé")
    account.direct_debit, account.iban = True, "FR7630006000011234567890189"
    account.save(update_fields=["direct_debit", "iban"])
    run = factories.run(dt.date(2025, 6, 30))
    (row,) = _rows(printing.print_export_csv(run))
    invoice = account.invoices.get()
    assert row["payment_means"] == "direct_debit"
    assert row["debit_date"] == invoice.due_date.strftime("%d/%m/%Y")
    assert row["mandate_reference"] == f"RUM-{account.number}"


def test_bill_12_a_run_not_done_is_refused(org, tariff):
    customer(org.centres[0], name="Attente")
    pending = services.billing_run_create(
        actor=None, period_end=dt.date(2025, 6, 30), issue_date=dt.date(2025, 7, 5)
    )
    with pytest.raises(printing.RunNotPrintable, match="n'est pas terminée"):
        printing.print_export_csv(pending)
    BatchRun.objects.filter(pk=pending.pk).update(state="running")
    pending.refresh_from_db()
    with pytest.raises(CommandError, match="n'est pas terminée"):
        call_command("billing", "print-export", str(pending.pk), "-o", "/dev/null",
                     stdout=StringIO())  # fmt: skip


def test_bill_12_merged_pdf_has_every_invoice_page_in_print_order(run, tmp_path):
    csv_path, pdf_path = tmp_path / "edition.csv", tmp_path / "edition.pdf"
    out = StringIO()
    call_command("billing", "print-export", str(run.pk), "-o", str(csv_path),
                 "--pdf", str(pdf_path), stdout=out)  # fmt: skip
    rows = _rows(csv_path.read_text(encoding="utf-8"))
    expected = 0
    for row in rows:
        content, _name = selectors.invoice_pdf(Invoice.objects.get(number=row["document_number"]))
        pages = len(PdfReader(io.BytesIO(content)).pages)
        assert row["first_page"] == str(expected + 1)
        assert row["pages"] == str(pages)
        expected += pages
    merged = PdfReader(str(pdf_path))
    assert len(merged.pages) == expected
    # the merged file follows the CSV: each document's first page carries its number
    for row in rows:
        page = merged.pages[int(row["first_page"]) - 1].extract_text()
        assert row["document_number"] in page
    assert "4 document(s)" in out.getvalue()


def test_bill_12_credit_notes_are_in_the_print_file_with_a_negative_amount_due(run):
    invoice = Invoice.objects.filter(run=run).order_by("number").first()
    note = services.credit_note_issue(actor=None, invoice=invoice, reason="Erreur")
    assert note.run_id is None  # a credit note is not printed with the run: it has its own letter
    rows = _rows(printing.print_export_csv(run))
    assert len(rows) == 4
