"""PAY-8: an operator's statement is validated against the transfer it covers before booking."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.core.exceptions import PermissionDenied, ValidationFailed
from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments import operator_matching as matching
from robinet.payments import operators
from robinet.payments.models import (
    LineOutcome,
    OperatorKind,
    OperatorStatement,
    Payment,
    PaymentMeans,
    StatementStatus,
)

HEADER = "reference;account;invoice;amount;paid_on\n"


def _invoices(account):
    return list(account.invoices.order_by("due_date", "pk"))


def _money(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


@pytest.fixture
def operator(db, cashier):
    return operators.operator_create(
        actor=cashier, code="PAYP", name="Paiement de proximité", kind=OperatorKind.OPERATOR
    )


@pytest.fixture
def statement_file(billed):
    """Two lines: the first invoice in full (named), 10,00 € on the account."""
    first, _second = _invoices(billed)
    body = (
        HEADER
        + f"R-001;{billed.number};{first.number};{_money(first.total_incl_vat)};2026-02-10\n"
        + f"R-002;{billed.number};;10,00;10/02/2026\n"
    )
    return body.encode(), first.total_incl_vat + Decimal("10.00")


def _transfer(operator, cashier, amount, reference="VIR-1"):
    return operators.operator_transfer_record(
        actor=cashier,
        operator=operator,
        amount=amount,
        received_on=dt.date(2026, 2, 12),
        bank_reference=reference,
    )


def _import(operator, cashier, data, name="releve.csv", **kwargs):
    return operators.operator_statement_import(
        actor=cashier, operator=operator, source=data, filename=name, **kwargs
    )


def test_pay_8_a_statement_matching_its_transfer_books_every_line(
    operator, cashier, billed, statement_file
):
    data, total = statement_file
    transfer = _transfer(operator, cashier, total)
    statement = _import(operator, cashier, data)
    assert statement.status == StatementStatus.BOOKED
    assert statement.total == statement.transfer_total == total
    payments = Payment.objects.filter(account=billed).order_by("external_reference")
    assert [p.external_reference for p in payments] == ["PAYP:R-001", "PAYP:R-002"]
    assert {p.means for p in payments} == {PaymentMeans.OPERATOR}
    assert [p.received_on for p in payments] == [dt.date(2026, 2, 10)] * 2
    first = _invoices(billed)[0]
    assert OpenItem.objects.get(invoice=first).open_amount == 0
    assert set(statement.lines.values_list("outcome", flat=True)) == {LineOutcome.BOOKED}
    transfer.refresh_from_db()
    assert transfer.statement_id == statement.pk


def test_pay_8_a_total_mismatch_books_nothing_and_lists_the_difference(
    operator, cashier, billed, statement_file
):
    data, total = statement_file
    _transfer(operator, cashier, total - Decimal("10.00"))
    statement = _import(operator, cashier, data, transfer_references=["VIR-1"])
    assert statement.status == StatementStatus.DIFFERENCE
    assert not Payment.objects.filter(account=billed).exists()
    (difference,) = statement.differences
    assert difference["code"] == matching.TOTAL_MISMATCH
    assert "écart 10,00" in difference["message"]


def test_pay_8_without_its_transfer_nothing_is_booked_until_it_is_recorded(
    operator, cashier, billed, statement_file
):
    data, total = statement_file
    statement = _import(operator, cashier, data)
    assert statement.status == StatementStatus.DIFFERENCE
    assert [d["code"] for d in statement.differences] == [matching.NO_TRANSFER]
    assert not Payment.objects.filter(account=billed).exists()
    _transfer(operator, cashier, total)
    statement = operators.operator_statement_examine(actor=cashier, statement=statement)
    assert statement.status == StatementStatus.BOOKED
    assert Payment.objects.filter(account=billed).count() == 2


def test_pay_8_an_unknown_account_names_the_line_and_books_nothing(
    operator, cashier, billed, statement_file
):
    data, total = statement_file
    data += b"R-003;99999999;;5,00;2026-02-11\n"
    _transfer(operator, cashier, total + Decimal("5.00"))
    statement = _import(operator, cashier, data)
    assert statement.status == StatementStatus.DIFFERENCE
    assert not Payment.objects.exists()
    (difference,) = statement.differences
    assert difference["line"] == 4
    assert difference["message"] == "Ligne 4 : compte client « 99999999 » inconnu."
    line = statement.lines.get(line=4)
    assert line.outcome == LineOutcome.UNKNOWN_ACCOUNT


def test_pay_8_duplicated_lines_and_lines_already_booked_are_differences(
    operator, cashier, billed, statement_file
):
    data, total = statement_file
    _transfer(operator, cashier, total)
    _import(operator, cashier, data)
    # the next statement repeats R-002 (booked) and has R-009 twice
    again = (
        HEADER + f"R-002;{billed.number};;10,00;2026-02-10\n"
        f"R-009;{billed.number};;1,00;2026-02-10\n"
        f"R-009;{billed.number};;1,00;2026-02-10\n"
    ).encode()
    _transfer(operator, cashier, Decimal("12.00"), reference="VIR-2")
    statement = _import(operator, cashier, again, name="releve-2.csv")
    assert statement.status == StatementStatus.DIFFERENCE
    codes = {(d["line"], d["code"]) for d in statement.differences}
    assert codes == {(2, matching.ALREADY_BOOKED), (4, matching.DUPLICATE)}
    assert Payment.objects.filter(account=billed).count() == 2


def test_pay_8_the_same_file_twice_is_refused(operator, cashier, statement_file):
    data, total = statement_file
    _transfer(operator, cashier, total)
    _import(operator, cashier, data)
    with pytest.raises(AlreadyImported):
        _import(operator, cashier, data, name="copie.csv")
    assert OperatorStatement.objects.count() == 1


def test_pay_8_a_malformed_file_is_refused_whole_naming_line_and_column(operator, cashier, billed):
    data = (
        HEADER + f"R-1;{billed.number};;12,50;2026-02-10\n"
        f"R-2;{billed.number};;douze;2026-02-10\n"
        f";{billed.number};;1,00;2026-13-45\n"
    ).encode()
    with pytest.raises(InvalidImportFile) as error:
        _import(operator, cashier, data)
    found = {(i.line, i.field) for i in error.value.issues}
    assert found == {(3, "amount"), (4, "reference"), (4, "paid_on")}
    assert not OperatorStatement.objects.exists()
    # nothing recorded: the corrected file may be imported
    with pytest.raises(InvalidImportFile):
        _import(operator, cashier, b"reference;account;amount\nR;1;2\n")


def test_pay_8_transfers_are_validated_and_need_the_import_permission(
    operator, cashier, org, make_user
):
    with pytest.raises(ValidationFailed) as error:
        operators.operator_transfer_record(
            actor=cashier, operator=operator, amount=Decimal("0"),
            received_on=dt.date(2026, 3, 1), bank_reference="",
        )  # fmt: skip
    assert set(error.value.fields) == {"amount", "bank_reference", "received_on"}
    _transfer(operator, cashier, Decimal("5.00"))
    with pytest.raises(ValidationFailed) as error:
        _transfer(operator, cashier, Decimal("5.00"))
    assert "bank_reference" in error.value.fields
    clerk = make_user("guichet", Role.CUSTOMER_OFFICER, org.centres[0])
    with pytest.raises(PermissionDenied):
        _transfer(operator, clerk, Decimal("5.00"), reference="VIR-X")


# --- the pure rule -------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


@st.composite
def statements(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    lines = [
        matching.StatementLine(
            line=n + 2,
            reference=draw(st.sampled_from(["A", "B", "C", "D", f"R{n}"])),
            amount=draw(cents),
            account_known=draw(st.booleans()) or draw(st.booleans()),
            invoice_known=draw(st.booleans()) or draw(st.booleans()),
            already_booked=draw(st.booleans()) and draw(st.booleans()),
        )
        for n in range(count)
    ]
    transfers = [
        matching.Transfer(key=k, amount=draw(cents))
        for k in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    return lines, transfers


@given(statements(), st.booleans())
def test_pay_8_property_booked_total_never_exceeds_the_transferred_total(case, choose):
    lines, transfers = case
    if transfers and choose:
        result = matching.examine(lines, chosen=transfers)
    else:
        result = matching.examine(lines, candidates=transfers)
    assert result.booked_total <= result.transfer_total
    if result.bookable:
        assert result.booked_total == result.transfer_total == sum(x.amount for x in lines)
        assert all(x.account_known and x.invoice_known and not x.already_booked for x in lines)
        assert len({x.reference for x in lines}) == len(lines)
    else:
        assert result.booked_total == 0


@given(st.lists(cents, min_size=1, max_size=8))
def test_pay_8_property_sound_lines_with_an_equal_transfer_are_booked(amounts):
    lines = [
        matching.StatementLine(line=i + 2, reference=f"R{i}", amount=a)
        for i, a in enumerate(amounts)
    ]
    total = sum(amounts)
    other = matching.Transfer(key="other", amount=total + Decimal("0.01"))
    result = matching.examine(lines, candidates=[other, matching.Transfer("ok", total)])
    assert result.bookable
    assert result.transfers == ["ok"]
    assert result.booked_total == total
