"""Fees invoices from the price list (BILL-7), COLL-1 on individuals, numbering (BILL-6)."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from robinet.billing import fees, selectors, services
from robinet.billing.choices import InvoiceKind
from robinet.billing.models import Invoice, PriceListItem
from robinet.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from robinet.core.models import AuditEvent
from robinet.ledger.models import OpenItem
from tests.customers import factories as customers

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent(price_list):
    # given the typical price list seeded once
    assert "FRAIS-ACCES" in price_list
    # when seeded again, then nothing is added
    assert fees.seed_price_list() == []
    assert PriceListItem.objects.count() == len(fees.TYPICAL_ITEMS)


def test_recovery_fee_refused_on_an_individual_and_nothing_posted(org, price_list, billing_officer):
    # given an individual (COLL-1: no recovery fee without an enforceable title)
    account = customers.person(org.centres[0])
    events = AuditEvent.objects.count()
    # when an officer bills a recovery fee, then it is refused with a clear message
    with pytest.raises(ApplicationError) as refused:
        fees.fees_invoice_issue(
            actor=billing_officer,
            account=account,
            items=[("FRAIS-ACCES", 1), ("FRAIS-RECOUVREMENT", 1)],
        )
    assert refused.value.code == "fee_not_allowed_for_individuals"
    assert "COLL-1" in refused.value.message
    assert "Indemnité forfaitaire pour frais de recouvrement" in refused.value.message
    # and nothing was issued, numbered or posted
    assert not Invoice.objects.exists()
    assert not OpenItem.objects.exists()
    assert AuditEvent.objects.count() == events


def test_recovery_fee_allowed_on_a_professional(org, price_list, billing_officer):
    account = customers.company(org.centres[0])
    invoice = fees.fees_invoice_issue(
        actor=billing_officer, account=account, items=[("FRAIS-RECOUVREMENT", 1)]
    )
    assert invoice.total_incl_vat == Decimal("40.00")


def test_fees_invoice_numbering_lines_and_open_item(org, price_list, billing_officer, today):
    # given an individual and two fees the service rules allow
    account = customers.person(org.centres[0])
    # when billed twice (BILL-6: one gapless FAC series per year)
    first = fees.fees_invoice_issue(
        actor=billing_officer,
        account=account,
        items=[("FRAIS-ACCES", 1), ("FRAIS-DUPLICATA", "2")],
    )
    second = fees.fees_invoice_issue(
        actor=billing_officer, account=account, items=[("FRAIS-RDV-MANQUE", 1)]
    )
    # then
    assert (first.number, second.number) == (
        f"FAC-{today.year}-0000001",
        f"FAC-{today.year}-0000002",
    )
    assert first.kind == InvoiceKind.FEES
    assert first.contract_id is None
    assert first.service_point_id is None
    assert [(x.component_code, x.quantity, x.amount_excl_vat, x.service) for x in
            first.lines.order_by("position")] == [
        ("FRAIS-ACCES", Decimal(1), Decimal("45.00"), "other"),
        ("FRAIS-DUPLICATA", Decimal(2), Decimal("10.00"), "other"),
    ]  # fmt: skip
    assert (first.total_excl_vat, first.total_vat, first.total_incl_vat) == (
        Decimal("55.00"),
        Decimal("11.00"),
        Decimal("66.00"),
    )
    item = OpenItem.objects.get(invoice=first)
    assert (item.amount, item.open_amount, item.document_number) == (
        Decimal("66.00"),
        Decimal("66.00"),
        first.number,
    )
    assert first.due_date == today + __import__("datetime").timedelta(days=15)
    assert AuditEvent.objects.filter(verb="fees_invoice_issued").count() == 2


def test_fees_invoice_is_immutable_and_credited_like_any_invoice(org, price_list, billing_officer):
    account = customers.person(org.centres[0])
    invoice = fees.fees_invoice_issue(
        actor=billing_officer, account=account, items=[("FRAIS-ACCES", 1)]
    )
    with pytest.raises(ApplicationError):
        invoice.save()
    note = services.credit_note_issue(actor=billing_officer, invoice=invoice, reason="Geste")
    assert note.total_incl_vat == invoice.total_incl_vat
    assert note.contract_id is None
    assert OpenItem.objects.get(invoice=note).amount == -invoice.total_incl_vat


def test_fees_pdf_renders_under_other_services(org, price_list, billing_officer):
    account = customers.person(org.centres[0])
    invoice = fees.fees_invoice_issue(
        actor=billing_officer, account=account, items=[("FRAIS-ACCES", 1)]
    )
    document = selectors.invoice_document(invoice)
    assert document.meter is None
    assert document.readings is None
    assert [line.service for line in document.lines] == ["other"]
    pdf, name = selectors.invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    assert name == f"{invoice.number}.pdf"
    # BILL-8's price of water belongs to water bills, not to a fees invoice.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Prix de l'eau" not in text
    assert "Autres prestations" in text


def test_professional_fees_invoice_renders_facturx(org, price_list, billing_officer):
    account = customers.company(org.centres[0])
    invoice = fees.fees_invoice_issue(
        actor=billing_officer, account=account, items=[("FRAIS-ACCES", 1)]
    )
    pdf, name = selectors.invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    assert name.endswith("-facturx.pdf")


def test_unknown_inactive_or_works_items_and_bad_quantities_are_refused(
    org, price_list, billing_officer
):
    account = customers.company(org.centres[0])
    for items in ([("NOPE", 1)], [("TRX-BRANCHEMENT", 1)], [("FRAIS-ACCES", 0)], []):
        with pytest.raises(ValidationFailed):
            fees.fees_invoice_issue(actor=billing_officer, account=account, items=items)
    assert not Invoice.objects.exists()


def test_fees_need_the_permission(org, price_list, auditor):
    account = customers.company(org.centres[0])
    with pytest.raises(PermissionDenied):
        fees.fees_invoice_issue(actor=auditor, account=account, items=[("FRAIS-ACCES", 1)])
    assert not Invoice.objects.exists()


def test_database_still_refuses_updates_after_migration_0003(org, price_list, billing_officer):
    """BILL-6: the triggers of migration 0002 survive the table rebuild of 0003."""
    from django.db import DatabaseError, connection, transaction

    account = customers.person(org.centres[0])
    invoice = fees.fees_invoice_issue(
        actor=billing_officer, account=account, items=[("FRAIS-ACCES", 1)]
    )
    statements = (
        "UPDATE billing_invoice SET reason = 'x' WHERE id = %s",
        "UPDATE billing_invoiceline SET label = 'x' WHERE invoice_id = %s",
    )
    for sql in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [invoice.pk])


def test_a_consumption_bill_still_needs_a_contract_and_a_service_point(
    org, price_list, billing_officer
):
    """The check constraint of migration 0003: only BILL-7 kinds go without a contract."""
    from django.db import IntegrityError, connection, transaction

    account = customers.person(org.centres[0])
    invoice = fees.fees_invoice_issue(
        actor=billing_officer, account=account, items=[("FRAIS-ACCES", 1)]
    )
    columns = [f.column for f in Invoice._meta.concrete_fields if f.column != "id"]
    values = [
        getattr(invoice, f.attname) for f in Invoice._meta.concrete_fields if f.column != "id"
    ]
    row = dict(zip(columns, values, strict=True))
    row.update(kind="periodic", number="FAC-TEST-1", sequence=999, vat_breakdown="[]",
               tariff_periods="[]")  # fmt: skip
    names = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    sql = f"INSERT INTO billing_invoice ({names}) VALUES ({marks})"
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, list(row.values()))
    # the same row as a fees invoice is accepted: the refusal above is the constraint's
    row.update(kind="fees")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, list(row.values()))
