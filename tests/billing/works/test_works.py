"""Works quotes → acceptance → deposit → works invoice (BILL-7), numbering (BILL-6)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.billing import selectors, services, works
from robinet.billing.choices import InvoiceKind, QuoteStatus
from robinet.billing.models import Invoice, Quote
from robinet.core.exceptions import (
    ApplicationError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from robinet.ledger.models import OpenItem
from tests.billing.works.conftest import signed
from tests.customers import factories as customers

pytestmark = pytest.mark.django_db


@pytest.fixture
def quote(org, price_list, billing_officer):
    """A connection (30 % deposit, 10 % VAT) and a meter box (no deposit) for a third party."""
    account = customers.company(org.centres[0])
    return works.quote_create(
        actor=billing_officer,
        account=account,
        subject="Branchement neuf",
        site_address="4 rue du Moulin, 67000 Strasbourg",
        lines=[("TRX-BRANCHEMENT", 1), ("TRX-ML-SUPP", "3.5"), ("TRX-REGARD", 1)],
    )


def test_quote_totals_number_and_deposit(quote, today):
    # 1450 + 3.5 × 85 = 297.50 + 310 = 2057.50 HT, 10 % VAT
    assert quote.number == f"DEV-{today.year}-000001"
    assert quote.status == QuoteStatus.DRAFT
    assert quote.valid_until == today + dt.timedelta(days=90)
    assert (quote.total_excl_vat, quote.total_vat, quote.total_incl_vat) == (
        Decimal("2057.50"),
        Decimal("205.75"),
        Decimal("2263.25"),
    )
    # deposit 30 % of 1450 (435.00) and of 297.50 (89.25) = 524.25 HT → 576.68 TTC
    assert quote.deposit_incl_vat == Decimal("576.68")
    assert [line.amount_excl_vat for line in quote.lines.order_by("position")] == [
        Decimal("1450.00"),
        Decimal("297.50"),
        Decimal("310.00"),
    ]


def test_quote_pdf_renders(quote):
    pdf, name = works.quote_pdf(quote)
    assert pdf.startswith(b"%PDF")
    assert name == f"{quote.number}.pdf"


def test_accept_then_deposit_then_works_invoice_deducting_it(quote, billing_officer, today):
    # 1. sent, then accepted with the signed copy: a deposit invoice (BILL-7)
    works.quote_send(actor=billing_officer, quote=quote)
    quote = works.quote_accept(actor=billing_officer, quote=quote, signed_document=signed())
    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.signed_document.name.endswith(".pdf")
    deposit = works.deposit_invoice_of(quote)
    assert deposit.kind == InvoiceKind.WORKS_DEPOSIT
    assert deposit.number == f"FAC-{today.year}-0000001"
    assert (deposit.total_excl_vat, deposit.total_incl_vat) == (
        Decimal("524.25"),
        Decimal("576.68"),
    )
    assert OpenItem.objects.get(invoice=deposit).amount == Decimal("576.68")
    # 2. once the works are done, the works invoice deducts the deposit
    invoice = works.works_invoice_issue(
        actor=billing_officer, quote=quote, works_done_on=today - dt.timedelta(days=1)
    )
    assert invoice.kind == InvoiceKind.WORKS
    assert invoice.number == f"FAC-{today.year}-0000002"
    lines = list(invoice.lines.order_by("position"))
    assert lines[-1].label == f"Acompte versé — facture {deposit.number}"
    assert lines[-1].amount_excl_vat == Decimal("-524.25")
    assert invoice.total_excl_vat == Decimal("1533.25")  # 2057.50 − 524.25
    assert invoice.total_incl_vat == Decimal("1686.58")
    # deposit + balance = the quote (to the cent of VAT rounding per document)
    assert deposit.total_incl_vat + invoice.total_incl_vat == Decimal("2263.26")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.INVOICED
    # 3. the documents render (the deduction under « Autres prestations »)
    for document in (deposit, invoice):
        pdf, _name = selectors.invoice_pdf(document)
        assert pdf.startswith(b"%PDF")
    # 4. a quote is invoiced once
    with pytest.raises(InvalidTransition):
        works.works_invoice_issue(actor=billing_officer, quote=quote)


def test_a_credited_deposit_is_not_deducted(quote, billing_officer):
    quote = works.quote_accept(actor=billing_officer, quote=quote, signed_document=signed())
    deposit = works.deposit_invoice_of(quote)
    services.credit_note_issue(actor=billing_officer, invoice=deposit, reason="Acompte annulé")
    invoice = works.works_invoice_issue(actor=billing_officer, quote=quote)
    assert invoice.total_excl_vat == quote.total_excl_vat


def test_no_deposit_when_the_price_list_asks_none(org, price_list, billing_officer):
    account = customers.person(org.centres[0])
    quote = works.quote_create(
        actor=billing_officer, account=account, subject="Compteur", lines=[("TRX-REGARD", 2)]
    )
    quote = works.quote_accept(
        actor=billing_officer, quote=quote, signed_document=signed("scan.jpg", b"\xff\xd8jpeg")
    )
    assert works.deposit_invoice_of(quote) is None
    invoice = works.works_invoice_issue(actor=billing_officer, quote=quote)
    assert invoice.total_incl_vat == Decimal("682.00")
    assert invoice.lines.count() == 1


def test_expired_quote_cannot_be_accepted(quote, billing_officer, today):
    # given a quote past its validity date
    with pytest.raises(ApplicationError) as refused:
        works.quote_accept(
            actor=billing_officer,
            quote=quote,
            signed_document=signed(),
            accepted_on=quote.valid_until + dt.timedelta(days=1),
        )
    assert refused.value.code == "quote_expired"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    assert not quote.signed_document
    assert not Invoice.objects.exists()


def test_quotes_expire_task(quote):
    assert works.quotes_expire(on=quote.valid_until) == 0
    assert works.quotes_expire(on=quote.valid_until + dt.timedelta(days=1)) == 1
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED


def test_acceptance_needs_a_pdf_or_an_image(quote, billing_officer):
    with pytest.raises(ValidationFailed):
        works.quote_accept(actor=billing_officer, quote=quote, signed_document=None)
    with pytest.raises(ValidationFailed):
        works.quote_accept(
            actor=billing_officer, quote=quote, signed_document=signed("devis.exe", b"MZ")
        )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_refused_quote_is_not_invoiced(quote, billing_officer):
    works.quote_refuse(actor=billing_officer, quote=quote, reason="Trop cher")
    with pytest.raises(InvalidTransition):
        works.works_invoice_issue(actor=billing_officer, quote=quote)
    with pytest.raises(InvalidTransition):
        works.quote_accept(actor=billing_officer, quote=quote, signed_document=signed())


def test_fee_items_are_not_quoted_and_an_auditor_cannot_quote(
    org, price_list, billing_officer, auditor
):
    account = customers.company(org.centres[0])
    with pytest.raises(ValidationFailed):
        works.quote_create(
            actor=billing_officer, account=account, subject="x", lines=[("FRAIS-ACCES", 1)]
        )
    with pytest.raises(PermissionDenied):
        works.quote_create(actor=auditor, account=account, subject="x", lines=[("TRX-REGARD", 1)])
    assert not Quote.objects.exists()


def test_quotes_are_scoped_to_the_users_centres(org, quote, make_user):
    from robinet.organisation.roles import Role

    other = make_user("autre", Role.BILLING_OFFICER, org.centres[3])
    assert not works.quote_list(user=other).exists()
    with pytest.raises(Exception):  # noqa: B017, PT011
        works.quote_get_for_user(user=other, number=quote.number)
