"""PAY-1a: billed, collected, credited, owed per beneficiary and service over a period."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from robinet.billing.models import InvoiceLine
from robinet.billing.services import credit_note_issue
from robinet.core.exceptions import PermissionDenied, ValidationFailed
from robinet.ledger import beneficiaries
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record

pytestmark = pytest.mark.django_db

YEAR = (dt.date(2025, 1, 1), dt.date(2026, 12, 31))


def _rows(**filters):
    start, end = filters.pop("period", YEAR)
    return beneficiaries.report(actor=None, start=start, end=end, check_permission=False, **filters)


def _by_key(rows):
    return {(r.beneficiary, r.service): r for r in rows}


def test_pay_1a_billed_is_lines_excl_vat_plus_vat_per_rate(billed):
    rows = _rows()
    invoices = list(billed.invoices.all())
    total = beneficiaries.totals(rows)
    assert total["invoiced"] == sum(i.total_incl_vat for i in invoices)
    assert total["collected"] == total["credited"] == total["written_off"] == 0
    assert total["owed"] == total["billed"] == total["invoiced"]
    operator_water = sum(
        line.amount_excl_vat
        for line in InvoiceLine.objects.filter(
            invoice__in=invoices, beneficiary="operator", service="water"
        )
    )
    assert _by_key(rows)[("operator", "water")].invoiced == operator_water
    vat_rows = [r for r in rows if r.beneficiary == "vat"]
    assert vat_rows
    assert all(r.service.count(".") == 1 for r in vat_rows)  # the rate, e.g. "5.50"


def test_pay_1a_collected_follows_the_payment_shares_and_owed_what_remains(billed, manager):
    first, second = billed.invoices.order_by("due_date", "pk")
    payment_record(
        actor=manager, account=billed, means=PaymentMeans.CASH, amount=first.total_incl_vat
    )
    rows = _rows()
    total = beneficiaries.totals(rows)
    assert total["collected"] == first.total_incl_vat
    assert total["owed"] == second.total_incl_vat
    for row in rows:
        assert row.collected <= row.invoiced
        assert row.owed == row.invoiced - row.collected
    # the period filters on the allocation date: nothing collected in 2025
    assert (
        beneficiaries.totals(_rows(period=(dt.date(2025, 1, 1), dt.date(2025, 12, 31))))[
            "collected"
        ]
        == 0
    )


def test_pay_1a_a_credit_note_counts_negative_in_billed_and_as_credited(billed, manager):
    _first, second = billed.invoices.order_by("due_date", "pk")
    credit_note_issue(actor=manager, invoice=second, reason="Erreur d'index")
    total = beneficiaries.totals(_rows())
    assert total["credit_notes"] == -second.total_incl_vat
    assert total["credited"] == second.total_incl_vat
    assert total["billed"] == total["invoiced"] - second.total_incl_vat
    assert total["owed"] == total["billed"]  # counted once


def test_pay_1a_filters_by_beneficiary_and_service_and_checks_the_period(billed):
    rows = _rows(beneficiary="water_agency")
    assert rows
    assert {r.beneficiary for r in rows} == {"water_agency"}
    assert {r.service for r in _rows(service="water")} == {"water"}
    with pytest.raises(ValidationFailed) as refused:
        _rows(period=(dt.date(2026, 1, 1), dt.date(2025, 1, 1)))
    assert "end" in refused.value.fields
    with pytest.raises(ValidationFailed):
        _rows(beneficiary="mayor")


def test_pay_1a_scope_and_permission(billed, cashier, officer, org):
    assert beneficiaries.report(actor=cashier, start=YEAR[0], end=YEAR[1])
    with pytest.raises(PermissionDenied):
        beneficiaries.report(actor=officer, start=YEAR[0], end=YEAR[1])


def test_pay_1a_csv_and_command(billed):
    text = beneficiaries.to_csv(_rows())
    lines = text.splitlines()
    assert lines[0].split(";") == list(beneficiaries.CSV_HEADER)
    assert lines[-1].startswith("Total;")
    assert "," in lines[-1].split(";")[2]
    out = io.StringIO()
    call_command(
        "accounting", "beneficiaries", "--from", "2025-01-01", "--to", "2026-12-31",
        "--format", "csv", stdout=out,
    )  # fmt: skip
    assert out.getvalue() == text
    out = io.StringIO()
    call_command(
        "accounting", "beneficiaries", "--from", "2025-01-01", "--to", "2026-12-31", stdout=out
    )
    assert "Agence de l'eau" in out.getvalue()
    assert len(lines) > 2
