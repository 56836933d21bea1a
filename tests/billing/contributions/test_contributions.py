"""Municipal contributions to projects, with their agreements (BILL-7)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.billing import contributions
from robinet.billing.choices import AgreementStatus, InvoiceKind
from robinet.billing.models import ContributionInstalment, Invoice
from robinet.core.exceptions import ApplicationError, InvalidTransition, PermissionDenied
from robinet.core.models import AuditEvent
from robinet.ledger.models import OpenItem
from tests.billing.contributions.conftest import DATES, agreement, signed
from tests.customers import factories as customers

pytestmark = pytest.mark.django_db


def test_bill_7_agreement_with_equal_instalments(municipality):
    # given a municipality, when an agreement of 10,000.01 € is spread over three dates
    created = agreement(municipality, total_excl_vat="10000.01")
    # then it is a numbered draft whose instalments add up to the total (last takes the cents)
    assert created.number == "CONV-2026-00001"
    assert created.status == AgreementStatus.DRAFT
    amounts = [i.amount_excl_vat for i in created.instalments.order_by("position")]
    assert amounts == [Decimal("3333.33"), Decimal("3333.33"), Decimal("3333.35")]
    assert [i.due_date for i in created.instalments.order_by("position")] == DATES
    assert AuditEvent.objects.filter(verb="contribution_agreement_created").count() == 1


def test_bill_7_schedule_must_add_up_to_the_total(municipality):
    # explicit amounts that do not add up are refused, the field named, nothing written
    with pytest.raises(ApplicationError) as refused:
        agreement(municipality, amounts=["10000", "10000", "5000"])
    assert "instalments" in refused.value.fields
    assert "25000" in " ".join(refused.value.fields["instalments"])
    assert not ContributionInstalment.objects.exists()
    # explicit (date, amount) pairs that do add up are kept
    created = agreement(
        municipality,
        due_dates=(),
        instalments=[(dt.date(2026, 2, 1), "20000"), (dt.date(2027, 2, 1), "10000")],
    )
    assert created.instalments.count() == 2


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("vat_rate", {"vat_rate": "7"}),
        ("total_excl_vat", {"total_excl_vat": "-5"}),
        ("service", {"service": "electricity"}),
        ("project", {"project": " "}),
    ],
    ids=["vat_rate_case", "total_case", "service_case", "project_case"],
)
def test_bill_7_agreement_fields_are_checked(municipality, field, values):
    with pytest.raises(ApplicationError) as refused:
        agreement(municipality, **values)
    assert field in refused.value.fields


def test_bill_7_only_a_local_authority_contributes(org):
    company = customers.company(org.centres[0])
    with pytest.raises(ApplicationError) as refused:
        agreement(company)
    assert "account" in refused.value.fields


def test_bill_7_only_signed_agreements_are_invoiced(municipality):
    draft = agreement(municipality)
    with pytest.raises(InvalidTransition):
        contributions.agreement_invoice_due(actor=None, agreement=draft)
    with pytest.raises(ApplicationError) as refused:
        contributions.agreement_sign(actor=None, agreement=draft, deliberation="")
    assert "deliberation" in refused.value.fields
    assert not Invoice.objects.exists()


def test_bill_7_instalments_due_are_invoiced_once_with_open_items(municipality):
    # given a signed agreement with instalments due on 15/01 and 01/03 (today 10/03) and 01/06
    current = signed(municipality, vat_rate="20")
    # when the instalments due are invoiced
    invoices = contributions.agreement_invoice_due(actor=None, agreement=current)
    # then one contribution invoice per due instalment, numbered in FAC, each with its open item
    assert [i.number for i in invoices] == ["FAC-2026-0000001", "FAC-2026-0000002"]
    first = invoices[0]
    assert first.kind == InvoiceKind.CONTRIBUTION
    assert (first.contract_id, first.service_point_id) == (None, None)
    assert (first.total_excl_vat, first.total_vat, first.total_incl_vat) == (
        Decimal("10000.00"),
        Decimal("2000.00"),
        Decimal("12000.00"),
    )
    assert first.due_date == dt.date(2026, 4, 9)  # the account's 30 days
    line = first.lines.get()
    assert line.service == "water"
    assert "CONV-2026-00001" in line.label
    assert OpenItem.objects.get(invoice=first).open_amount == Decimal("12000.00")
    # and a second call bills nothing more
    assert contributions.agreement_invoice_due(actor=None, agreement=current) == []
    assert Invoice.objects.count() == 2
    # up to June, the last instalment is billed
    (last,) = contributions.agreement_invoice_due(
        actor=None, agreement=current, up_to=dt.date(2026, 6, 30)
    )
    assert last.number == "FAC-2026-0000003"


def test_bill_7_followup_after_a_partial_payment(municipality):
    current = signed(municipality)
    first, second = contributions.agreement_invoice_due(actor=None, agreement=current)
    # a payment of 4,000 € on the first invoice (no payment module yet: the open item is reduced)
    OpenItem.objects.filter(invoice=first).update(open_amount=Decimal("6000.00"))
    figures = contributions.followup_of(current)
    assert figures.total_incl_vat == Decimal("30000.00")
    assert figures.invoiced == Decimal("20000.00")
    assert figures.to_invoice == Decimal("10000.00")
    assert figures.paid == Decimal("4000.00")
    assert figures.outstanding == Decimal("16000.00")
    assert (figures.invoiced_instalments, figures.instalments) == (2, 3)


def test_bill_7_close_once_everything_is_invoiced(municipality):
    current = signed(municipality)
    contributions.agreement_invoice_due(actor=None, agreement=current)
    with pytest.raises(ApplicationError) as refused:
        contributions.agreement_close(actor=None, agreement=current)
    assert refused.value.code == "instalments_to_invoice"
    contributions.agreement_invoice_due(actor=None, agreement=current, up_to=dt.date(2026, 6, 1))
    closed = contributions.agreement_close(actor=None, agreement=current)
    assert (closed.status, closed.closed_on) == (AgreementStatus.CLOSED, dt.date(2026, 3, 10))
    with pytest.raises(InvalidTransition):
        contributions.agreement_invoice_due(actor=None, agreement=closed)


def test_bill_7_invoice_stays_immutable(municipality):
    current = signed(municipality)
    invoice = contributions.agreement_invoice_due(actor=None, agreement=current)[0]
    with pytest.raises(ApplicationError):
        invoice.save()
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_invoice SET total_vat = 1 WHERE id = %s", [invoice.pk])


def test_bill_7_permission_refused(municipality, auditor):
    with pytest.raises(PermissionDenied):
        agreement(municipality, actor=auditor)
    current = signed(municipality)
    with pytest.raises(PermissionDenied):
        contributions.agreement_invoice_due(actor=auditor, agreement=current)
    assert not Invoice.objects.exists()


def test_bill_7_contribution_invoice_goes_to_chorus_pro_as_factur_x(municipality):
    from robinet.billing import selectors

    current = signed(municipality)
    invoice = contributions.agreement_invoice_due(actor=None, agreement=current)[0]
    content, filename = selectors.invoice_pdf(invoice)
    assert content.startswith(b"%PDF")
    assert filename.endswith("-facturx.pdf")
    xml = selectors.invoice_facturx_xml(invoice).decode()
    assert "SERV-EAU-01" in xml
    assert "EJ2026-000451" in xml
