"""PAY-1 screens: the account statement (screen and PDF), allocation and un-allocation by hand."""

from decimal import Decimal

import pytest

from robinet.ledger.models import Allocation, OpenItem
from robinet.payments.services import payment_record


@pytest.fixture
def paid(billed, cashier):
    payment_record(actor=cashier, account=billed, means="transfer", amount=Decimal("12.34"))
    return billed


def test_pay_1_statement_shows_documents_running_balance_and_pdf(web, paid, cashier):
    web.login(cashier)
    response = web.get("ledger:account-statement", paid.number)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Relevé de compte" in html
    invoices = list(paid.invoices.order_by("pk"))
    assert all(i.number in html for i in invoices)
    assert "ENC-2026-0000001" in html
    pdf = web.get("ledger:account-statement-pdf", paid.number)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_pay_1_statement_filters_and_bad_dates(web, paid, cashier):
    web.login(cashier)
    response = web.get(
        "ledger:account-statement", paid.number, data={"kind": "payment", "open_only": ""}
    )
    html = response.content.decode()
    assert "ENC-2026-0000001" in html
    rows = html.split('id="statement-table"')[1].split("</table>")[0]
    assert not any(i.number in rows for i in paid.invoices.all())
    response = web.get(
        "ledger:account-statement", paid.number, data={"start": "2026-02-01", "end": "2025-01-01"}
    )
    assert "La fin précède le début." in response.content.decode()


def test_pay_1_unallocate_then_allocate_by_hand_on_screen(web, paid, cashier):
    web.login(cashier)
    allocation = Allocation.objects.get()
    response = web.post(
        "ledger:account-unallocate", paid.number, allocation.pk, data={"reason": ""}
    )
    assert Allocation.objects.count() == 1
    response = web.post(
        "ledger:account-unallocate", paid.number, allocation.pk, data={"reason": "Erreur"}
    )
    assert response.status_code == 302
    assert Allocation.objects.count() == 2
    credit = OpenItem.objects.get(kind="payment")
    debit = OpenItem.objects.filter(kind="invoice").order_by("-due_date").first()
    response = web.post(
        "ledger:account-allocate",
        paid.number,
        data={"debit": debit.pk, "credit": credit.pk, "amount": "99999"},
    )
    assert response.status_code == 422
    assert "dépasse" in response.content.decode()
    response = web.post(
        "ledger:account-allocate",
        paid.number,
        data={"debit": debit.pk, "credit": credit.pk, "amount": "12.34"},
    )
    assert response.status_code == 302
    debit.refresh_from_db()
    assert debit.open_amount == debit.amount - Decimal("12.34")


def test_pay_4_reverse_a_payment_on_screen(web, paid, cashier):
    web.login(cashier)
    response = web.post(
        "ledger:payment-reverse", paid.number, "ENC-2026-0000001", data={"reason": "Impayé"}
    )
    assert response.status_code == 302
    assert OpenItem.objects.filter(kind="reversal").count() == 1


def test_pay_1_read_only_users_see_no_allocation_form_and_cannot_post(web, paid, auditor):
    web.login(auditor)
    response = web.get("ledger:account-statement", paid.number)
    assert response.status_code == 200
    assert "allocation-form" not in response.content.decode()
    allocation = Allocation.objects.get()
    response = web.post(
        "ledger:account-unallocate", paid.number, allocation.pk, data={"reason": "x"}
    )
    assert response.status_code == 403
    assert Allocation.objects.count() == 1


def test_pay_1_statement_of_an_account_outside_the_scope_is_not_found(web, paid, org, make_user):
    web.login(make_user("loin", "collection_officer", org.centres[3]))
    assert web.get("ledger:account-statement", paid.number).status_code == 404
