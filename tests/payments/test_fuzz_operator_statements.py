"""Hostile operator statements (issue 13, PAY-8): a statement CSV with random bytes changed, cut
or inserted, or made of random cells, is either imported whole (stored with all its lines, booked
or in difference) or refused with a clean error naming the line and column — never a crash,
never half a file written."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.core.models.imports import ImportFile
from robinet.ledger.models import JournalEntry
from robinet.payments import operators
from robinet.payments.models import (
    OperatorKind,
    OperatorStatement,
    OperatorStatementLine,
    Payment,
)
from tests.fuzzing import damage, import_or_refuse

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HEADER = "reference;account;invoice;amount;paid_on\n"


@pytest.fixture
def operator(db, cashier):
    return operators.operator_create(
        actor=cashier, code="PAYP", name="Paiement de proximité", kind=OperatorKind.OPERATOR
    )


@pytest.fixture
def sample(billed, operator, cashier):
    """Two sound lines and the transfer that covers them."""
    first = billed.invoices.order_by("due_date", "pk").first()
    body = (
        HEADER
        + f"R-001;{billed.number};{first.number};12,00;2026-02-10\n"
        + f"R-002;{billed.number};;10,00;10/02/2026\n"
    )
    operators.operator_transfer_record(
        actor=cashier, operator=operator, amount=Decimal("22.00"),
        received_on=dt.date(2026, 2, 12), bank_reference="VIR-1",
    )  # fmt: skip
    return body.encode("utf-8")


def _counts() -> tuple[int, ...]:
    return (
        ImportFile.objects.count(),
        OperatorStatement.objects.count(),
        OperatorStatementLine.objects.count(),
        Payment.objects.count(),
        JournalEntry.objects.count(),
    )


def _import_or_refuse(operator, cashier, data: bytes) -> ApplicationError | None:
    result, refusal, before = import_or_refuse(
        lambda: operators.operator_statement_import(
            actor=cashier, operator=operator, source=data, filename="releve.csv"
        ),
        _counts,
    )
    if refusal is not None:
        return refusal
    after = _counts()
    assert after[:2] == (before[0] + 1, before[1] + 1)
    assert after[2] == before[2] + result.line_count  # every line stored
    booked = result.lines.filter(payment__isnull=False).count()
    assert booked in (0, result.line_count)  # booked whole or not at all
    assert after[3] == before[3] + booked
    return None


@st.composite
def mutated(draw, sample: bytes) -> bytes:
    return damage(
        draw,
        sample,
        [b"9" * 40, b";", b'"', b"\n", b"\r\n", b"\x00", b"1e9", b"-", b"\xef\xbb\xbf"],
    )


@FUZZ
@given(data=st.data())
def test_issue_13_pay_8_a_damaged_statement_is_refused_cleanly_or_imported_whole(
    operator, cashier, sample, data
):
    _import_or_refuse(operator, cashier, data.draw(mutated(sample)))


_CELL = st.one_of(
    st.sampled_from(
        ["", "R-1", "12,00", "12.00", "-5", "0", "0,001", "9" * 40, "1 234,56", "NaN", "inf",
         "2026-02-10", "10/02/2026", "31/02/2026", "2099-01-01", "0001-01-01", "x" * 70]
    ),
    st.text(alphabet="0123456789,.-/ éR;\"", max_size=20),
)  # fmt: skip


@FUZZ
@given(
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=6), min_size=0, max_size=6),
    use_account=st.booleans(),
)
def test_issue_13_pay_8_a_statement_of_random_cells_is_refused_cleanly_or_imported_whole(
    operator, cashier, billed, rows, use_account
):
    lines = []
    for cells in rows:
        cells = list(cells)
        if use_account and len(cells) > 1:
            cells[1] = billed.number
        lines.append(";".join(c.replace(";", ",").replace('"', "") for c in cells))
    _import_or_refuse(operator, cashier, (HEADER + "\n".join(lines) + "\n").encode())


def test_issue_13_pay_8_the_unmutated_sample_is_booked(operator, cashier, sample):
    assert _import_or_refuse(operator, cashier, sample) is None
    assert Payment.objects.filter(means=OperatorKind.OPERATOR).count() == 2


@pytest.mark.parametrize(
    ("amount", "field"),
    [("9" * 40, "amount"), ("99999999999999999999,00", "amount"), ("1e3", "amount")],
)
def test_issue_13_pay_8_an_absurd_amount_names_its_line_and_column(
    operator, cashier, billed, amount, field
):
    data = (HEADER + f"R-1;{billed.number};;{amount};2026-02-10\n").encode()
    refusal = _import_or_refuse(operator, cashier, data)
    assert isinstance(refusal, InvalidImportFile)
    assert (2, field) in {(i.line, i.field) for i in refusal.issues}
