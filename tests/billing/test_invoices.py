"""Issued invoices: immutability, credit notes, rebilling, held bills (BILL-5, BILL-6)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from robinet.billing import services
from robinet.billing.models import HeldBill, ImmutableInvoice, Invoice, InvoiceLine
from robinet.billing.selectors import invoice_search
from robinet.core import clock
from robinet.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from robinet.ledger.models import OpenItem
from robinet.ledger.selectors import account_balance
from robinet.organisation.roles import Role
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = pytest.mark.django_db


def test_bill_6_issued_invoice_refuses_orm_changes(billed):
    billed.reason = "changed"
    with pytest.raises(ImmutableInvoice):
        billed.save()
    with pytest.raises(ImmutableInvoice):
        billed.delete()
    with pytest.raises(ImmutableInvoice):
        Invoice.objects.filter(pk=billed.pk).update(reason="x")
    with pytest.raises(ImmutableInvoice):
        InvoiceLine.objects.filter(invoice=billed).delete()


def test_bill_6_database_refuses_updates_of_issued_invoices(billed):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_invoice SET reason = 'x' WHERE id = %s", [billed.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_invoiceline SET amount_excl_vat = 0 WHERE invoice_id = %s",
            [billed.pk],
        )


def test_bill_6_full_credit_note_gives_back_the_totals_and_rebill(billed, manager):
    note = services.credit_note_issue(actor=manager, invoice=billed, reason="Index erroné")
    assert note.number == f"AV-{clock.today().year}-0000001"
    assert note.credited_invoice == billed
    assert (note.total_excl_vat, note.total_vat, note.total_incl_vat) == (
        billed.total_excl_vat,
        billed.total_vat,
        billed.total_incl_vat,
    )
    assert note.lines.count() == billed.lines.count()
    assert OpenItem.objects.get(invoice=note).amount == -billed.total_incl_vat
    assert account_balance(billed.account) == Decimal("0.00")
    with pytest.raises(ApplicationError):
        services.credit_note_issue(actor=manager, invoice=billed, reason="encore")
    again = services.invoice_rebill(actor=manager, invoice=billed)
    assert again.generation == 1
    assert again.period_start == billed.period_start
    assert again.total_incl_vat == billed.total_incl_vat
    with pytest.raises(ApplicationError):
        services.invoice_rebill(actor=manager, invoice=billed)


def test_bill_6_partial_credit_note_never_credits_a_line_twice(billed, manager):
    first = billed.lines.order_by("position").first()
    note = services.credit_note_issue(
        actor=manager, invoice=billed, reason="Geste commercial", positions=[first.position]
    )
    assert note.total_excl_vat == first.amount_excl_vat
    rate = first.vat_rate
    assert note.total_vat == (first.amount_excl_vat * rate / 100).quantize(Decimal("0.01"))
    with pytest.raises(ValidationFailed):
        services.credit_note_issue(
            actor=manager, invoice=billed, reason="encore", positions=[first.position]
        )
    with pytest.raises(ApplicationError):
        services.invoice_rebill(actor=manager, invoice=billed)  # not fully credited


def test_credit_note_needs_reason_and_permission(billed, officer):
    with pytest.raises(PermissionDenied):
        services.credit_note_issue(actor=officer, invoice=billed, reason="x")


def test_bill_5_amount_above_threshold_is_held_then_released(org, tariff, make_user):
    from robinet.billing.models import BillingThreshold

    BillingThreshold.objects.create(
        customer_class="individual", max_amount_incl_vat=Decimal("50"), max_volume_m3=1000
    )
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    read(sp, dt.date(2025, 6, 20), "160")
    factories.run(dt.date(2025, 6, 30))
    held = HeldBill.objects.get()
    assert held.reason_codes == "amount_above_threshold"
    assert held.simulation["total_incl_vat"] == str(held.total_incl_vat)
    assert not Invoice.objects.exists()
    biller = make_user("biller", Role.BILLING_OFFICER, org.centres[0])
    invoice = services.held_bill_release(actor=biller, held=held, note="Vérifié avec le client")
    held.refresh_from_db()
    assert held.status == "released"
    assert held.invoice == invoice
    assert invoice.total_incl_vat > 50
    # The next run does not bill the period again.
    factories.run(dt.date(2025, 6, 30))
    assert Invoice.objects.count() == 1


def test_bill_5_held_reading_anomaly_blocks_release_until_resolved(org, tariff, manager):
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="500")
    held_reading = read(sp, dt.date(2025, 6, 20), "400")  # index decrease: held
    assert held_reading.status == "held"
    factories.run(dt.date(2025, 6, 30))
    held = HeldBill.objects.get()
    assert "reading_anomaly" in held.reason_codes
    with pytest.raises(ApplicationError):
        services.held_bill_release(actor=manager, held=held)
    cancelled = services.held_bill_cancel(actor=manager, held=held, note="Doublon")
    assert cancelled.status == "cancelled"
    factories.run(dt.date(2025, 6, 30))
    assert not Invoice.objects.exists()


def test_runs_are_seen_within_the_users_scope(org, tariff, make_user):
    from robinet.billing import selectors

    whole = factories.run(dt.date(2025, 6, 30))
    local = factories.run(dt.date(2025, 6, 30), entity_code=org.centres[0].code)
    centre_user = make_user("centre", Role.BILLING_OFFICER, org.centres[0])
    other_user = make_user("other", Role.BILLING_OFFICER, org.centres[1])
    region_user = make_user("region", Role.BILLING_OFFICER, org.region)
    assert list(selectors.run_list(user=centre_user)) == [local]
    assert list(selectors.run_list(user=other_user)) == []
    assert set(selectors.run_list(user=region_user)) == {whole, local}


def test_simulation_refuses_absurd_periods_and_volumes(tariff):
    from robinet.billing import selectors

    with pytest.raises(ValidationFailed) as refused:
        selectors.simulate(
            tariff_code=tariff.code,
            volume=Decimal("1e400"),
            start=dt.date(1, 1, 1),
            end=dt.date(9999, 12, 31),
            diameter_mm=15,
        )
    assert {"from", "to", "volume"} <= set(refused.value.fields)


def test_bill_6_a_full_credit_after_a_partial_one_credits_exactly_what_is_left(billed, manager):
    first = billed.lines.order_by("position").first()
    partial = services.credit_note_issue(
        actor=manager, invoice=billed, reason="Geste", positions=[first.position]
    )
    rest = services.credit_note_issue(actor=manager, invoice=billed, reason="Annulation")
    assert partial.total_excl_vat + rest.total_excl_vat == billed.total_excl_vat
    assert rest.lines.count() == billed.lines.count() - 1
    assert services.is_fully_credited(billed)
    assert set(rest.lines.values_list("credits_position", flat=True)) == set(
        billed.lines.exclude(position=first.position).values_list("position", flat=True)
    )


def test_bill_6_invoice_search_finds_a_number_typed_in_lower_case(billed):
    """Numbers are upper case (a database check): the search upper-cases what is typed and
    matches it exactly, through the unique index, instead of comparing every number."""
    assert list(invoice_search(user=None, number=f" {billed.number.lower()} ")) == [billed]


def test_bill_6_an_invoice_number_in_lower_case_is_refused(billed):
    copy = Invoice.objects.get(pk=billed.pk)
    copy.pk, copy.number, copy.sequence = None, "fac-2025-99999999", 99999999
    with pytest.raises(IntegrityError, match="invoice_number_upper_case"), transaction.atomic():
        Invoice.objects.bulk_create([copy])
