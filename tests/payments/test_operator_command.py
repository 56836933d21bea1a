"""PAY-8 from the command line: ``robinet payments import-operator-statement``."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from robinet.payments import operators
from robinet.payments.models import OperatorStatement, Payment, StatementStatus


@pytest.fixture
def operator(cashier):
    return operators.operator_create(
        actor=cashier, code="PAYP", name="Paiement de proximité", kind="operator"
    )


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("payments", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_pay_8_the_command_books_a_statement_matching_the_chosen_transfer(
    operator, cashier, billed, tmp_path
):
    for reference in ("VIR-A", "VIR-B"):
        operators.operator_transfer_record(
            actor=cashier, operator=operator, amount=Decimal("7.50"),
            received_on=dt.date(2026, 2, 12), bank_reference=reference,
        )  # fmt: skip
    path = tmp_path / "releve.csv"
    path.write_text(f"reference;account;amount;paid_on\nC1;{billed.number};7,50;2026-02-10\n")
    out, _err = _run("import-operator-statement", str(path), "--operator", "payp",
                     "--transfer", "VIR-B")  # fmt: skip
    assert "Rapproché : 1 règlement(s) comptabilisé(s)." in out
    statement = OperatorStatement.objects.get()
    assert statement.status == StatementStatus.BOOKED
    assert list(statement.transfers.values_list("bank_reference", flat=True)) == ["VIR-B"]
    with pytest.raises(CommandError, match="déjà été importé"):
        _run("import-operator-statement", str(path), "--operator", "PAYP")


def test_pay_8_the_command_prints_the_differences_and_books_nothing(operator, billed, tmp_path):
    path = tmp_path / "releve.csv"
    path.write_text(f"reference;account;amount;paid_on\nC1;{billed.number};7,50;2026-02-10\n")
    with pytest.raises(CommandError) as error:
        _run("import-operator-statement", str(path), "--operator", "PAYP")
    assert error.value.returncode == 2
    assert not Payment.objects.exists()
    assert OperatorStatement.objects.get().status == StatementStatus.DIFFERENCE


def test_pay_8_the_command_refuses_a_bad_file_naming_the_line(operator, billed, tmp_path):
    path = tmp_path / "releve.csv"
    path.write_text(f"reference;account;amount;paid_on\nC1;{billed.number};7,50;hier\n")
    err = StringIO()
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command(
            "payments", "import-operator-statement", str(path), "--operator", "PAYP",
            stdout=StringIO(), stderr=err,
        )  # fmt: skip
    assert "ligne 2, colonne paid_on" in err.getvalue()
    assert not OperatorStatement.objects.exists()
