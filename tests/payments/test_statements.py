"""PAY-5: bank statement import (camt.053, CFONB 120), booking of matched credits, refusals."""

from decimal import Decimal

import pytest

from robinet.core.exceptions import ApplicationError, PermissionDenied
from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.core.models.imports import ImportFile
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments import bank_statements as service
from robinet.payments.models import (
    BankStatement,
    EntryPayment,
    EntryStatus,
    Payment,
    PaymentMeans,
    StatementEntry,
)
from tests.payments.statement_setup import camt, cfonb, credit, invoices


def _nothing_imported():
    assert not BankStatement.objects.exists()
    assert not StatementEntry.objects.exists()
    assert not Payment.objects.exists()
    assert not ImportFile.objects.filter(kind=service.IMPORT_KIND).exists()


def _import(cashier, data, name="releve.xml"):
    return service.statement_import(actor=cashier, source=data, filename=name)


def test_pay5_credit_naming_an_invoice_is_booked_as_a_transfer_on_it(billed, cashier):
    first, second = invoices(billed)
    data = camt(
        credit(first.total_incl_vat, remittance=f"Facture {first.number}", debtor_name="X"),
        credit("3.00", debtor_name="INCONNU"),
        debits=[Decimal("50.00")],
    )
    outcome = _import(cashier, data)
    assert (outcome.booked, outcome.unallocated) == (1, 1)
    assert outcome.booked_total == first.total_incl_vat
    statement = outcome.statements[0]
    assert (statement.credit_count, statement.debit_count) == (2, 1)
    booked = statement.entries.get(status=EntryStatus.BOOKED)
    payment = Payment.objects.get()
    assert payment.means == PaymentMeans.TRANSFER
    assert payment.external_reference == booked.reference
    assert payment.invoice_id == first.pk
    assert payment.account_id == billed.pk
    assert EntryPayment.objects.get().payment_id == payment.pk
    assert booked.confidence == 100
    assert booked.signals["rule"] == "reference"
    assert OpenItem.objects.get(invoice=first).open_amount == 0
    assert OpenItem.objects.get(invoice=second).open_amount == second.total_incl_vat
    waiting = statement.entries.get(status=EntryStatus.UNALLOCATED)
    assert waiting.account_id is None
    assert waiting.signals["reason"] == "no_match"


def test_pay5_customer_number_and_camt_001_02_are_read(billed, cashier):
    data = camt(credit("20.00", remittance=f"client {billed.number}"), version="001.02")
    outcome = _import(cashier, data)
    assert outcome.booked == 1
    assert Payment.objects.get().account_id == billed.pk


def test_pay5_known_iban_and_name_match_the_account(billed, cashier):
    billed.iban = "FR7630004000031234567890143"
    billed.save(update_fields=["iban"])
    first, second = invoices(billed)
    outcome = _import(
        cashier,
        camt(
            credit(second.total_incl_vat, debtor_iban="FR7630004000031234567890143"),
            credit(first.total_incl_vat, debtor_name=billed.party.display_name),
        ),
    )
    entries = list(outcome.statements[0].entries.order_by("line"))
    assert [e.signals["rule"] for e in entries] == ["iban", "name"]
    assert all(e.account_id == billed.pk for e in entries)
    assert not OpenItem.objects.filter(account=billed, open_amount__gt=0).exists()


def test_pay5_iban_of_a_payer_booked_before_is_remembered(billed, cashier):
    first, _second = invoices(billed)
    iban = "FR7630004000031234567890143"
    _import(cashier, camt(credit("10.00", remittance=first.number, debtor_iban=iban)))
    outcome = _import(
        cashier,
        camt(credit(first.total_incl_vat - Decimal("10.00"), debtor_iban=iban), statement_id="R2"),
    )
    entry = outcome.statements[0].entries.get()
    assert entry.status == EntryStatus.BOOKED
    assert entry.signals["rule"] == "iban"


def test_pay5_cfonb120_with_complement_records_is_imported(billed, cashier):
    first, _second = invoices(billed)
    data = cfonb(
        credit(first.total_incl_vat, debtor_name="DUPONT", remittance=first.number),
        credit("7.00", debtor_name="SANS REFERENCE"),
    )
    outcome = _import(cashier, data, "releve.txt")
    statement = outcome.statements[0]
    assert statement.format == "cfonb120"
    assert (outcome.booked, outcome.unallocated) == (1, 1)
    entry = statement.entries.get(status=EntryStatus.BOOKED)
    assert entry.debtor_name == "DUPONT"
    assert first.number in entry.remittance


def test_pay5_same_file_twice_is_refused_and_changes_nothing(billed, cashier):
    data = camt(credit("5.00", remittance=billed.number))
    _import(cashier, data)
    with pytest.raises(AlreadyImported):
        _import(cashier, data)
    assert Payment.objects.count() == 1
    assert BankStatement.objects.count() == 1


def test_pay5_same_statement_id_in_another_file_is_refused(billed, cashier):
    _import(cashier, camt(credit("5.00", remittance=billed.number)))
    with pytest.raises(ApplicationError) as error:
        _import(cashier, camt(credit("6.00", remittance=billed.number)))
    assert error.value.code == "statement_already_imported"
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<Document><BkToCstmrStmt><Stmt>", "XML mal formé"),
        (camt(credit("5.00"), iban="FR7610107001011234567890129"), "compte d'encaissement"),
        (camt(credit("5.00"), currency="USD"), "seuls les euros"),
        (b"<Document><Other/></Document>", "Format de relevé non reconnu"),
    ],
    ids=["malformed", "another_creditor_account", "wrong_currency", "not_a_statement"],
)
def test_pay5_bad_files_are_refused_whole_with_a_clear_error(billed, cashier, data, expected):
    with pytest.raises(ApplicationError) as error:
        _import(cashier, data)
    text = error.value.message + " ".join(str(i) for i in getattr(error.value, "issues", []))
    assert expected in text
    _nothing_imported()


def test_pay5_truncated_cfonb_line_is_named(billed, cashier):
    lines = cfonb(credit("5.00", debtor_name="A"), credit("6.00")).decode("latin-1").split("\r\n")
    lines[3] = lines[3][:60]  # the second movement (04), cut
    with pytest.raises(InvalidImportFile) as error:
        _import(cashier, "\r\n".join(lines).encode("latin-1"), "releve.txt")
    assert [(i.line, "tronquée" in i.message) for i in error.value.issues] == [(4, True)]
    _nothing_imported()


def test_pay5_batch_entry_whose_transactions_do_not_add_up_is_refused(billed, cashier):
    data = (
        camt(credit("5.00"))
        .replace(b"</Refs>", b'</Refs><Amt Ccy="EUR">2.00</Amt>')
        .replace(
            b"<NtryDtls><TxDtls>", b'<NtryDtls><TxDtls><Amt Ccy="EUR">4.00</Amt></TxDtls><TxDtls>'
        )
    )
    with pytest.raises(InvalidImportFile) as error:
        _import(cashier, data)
    assert "totalisent" in str(error.value.issues[0])
    _nothing_imported()


def test_pay5_import_needs_the_import_permission(billed, org, make_user):
    reader = make_user("lecteur", Role.CUSTOMER_OFFICER, org.centres[0])
    with pytest.raises(PermissionDenied):
        _import(reader, camt(credit("5.00", remittance=billed.number)))
    _nothing_imported()


def test_pay5_import_refuses_booking_on_a_centre_the_officer_does_not_cover(billed, org, make_user):
    elsewhere = make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[3])
    with pytest.raises(PermissionDenied):
        _import(elsewhere, camt(credit("5.00", remittance=billed.number)))
    _nothing_imported()
