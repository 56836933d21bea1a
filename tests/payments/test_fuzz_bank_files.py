"""Hostile bank files (issue 13, PAY-4, PAY-5): a valid camt.053, CFONB 120 or MT940 with random
bytes changed, cut or inserted is either imported whole or refused with a clean error — never
a crash, never half a file written."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.payments import bank_formats
from robinet.payments.models import BankStatement, Payment, StatementEntry
from robinet.payments.statement_samples import mt940
from tests.fuzzing import damage
from tests.payments.statement_setup import DAY, camt, cfonb, credit, utility_iban

pytestmark = pytest.mark.django_db

CREDITS = (
    credit("30.00", debtor_name="DUPONT", remittance="FAC-2026-0000001"),
    credit("12.50", debtor_name="MARTIN"),
)


def samples() -> dict[str, bytes]:
    return {
        "camt.053": camt(*CREDITS),
        "cfonb": cfonb(*CREDITS),
        "mt940": mt940(iban=utility_iban(), day=DAY, credits=CREDITS),
    }


@st.composite
def mutated(draw) -> bytes:
    return damage(
        draw, samples()[draw(st.sampled_from(["camt.053", "cfonb", "mt940"]))], longest_cut=40
    )


def _counts() -> tuple[int, int, int]:
    return BankStatement.objects.count(), StatementEntry.objects.count(), Payment.objects.count()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=mutated())
def test_a_damaged_bank_file_is_refused_cleanly_or_imported_whole(billed, cashier, data):
    before = _counts()
    refusal = None
    try:
        bank_formats.import_file(actor=cashier, source=data, filename="fuzz.dat")
    except ApplicationError as error:
        refusal = error
    if refusal is not None:
        assert str(refusal.message).strip()  # a message for the officer
        assert _counts() == before  # nothing half-written
    else:
        statements, entries, _payments = _counts()
        assert statements > before[0]
        assert entries > before[1]


def test_the_unmutated_samples_import(billed, cashier):
    for name, data in samples().items():
        fmt, _outcome = bank_formats.import_file(actor=cashier, source=data, filename=name)
        assert fmt.name
    assert StatementEntry.objects.count() >= 2


def test_a_camt_on_one_line_imports_each_operation_once(billed, cashier):
    """PAY-5, found by the fuzzing above: a camt.053 without line breaks between its
    operations (as some banks send it) is imported whole, each operation numbered by its
    order, instead of two operations colliding on the same line number."""
    data = camt(*CREDITS).replace(b"\n", b"")
    before = StatementEntry.objects.count()
    bank_formats.import_file(actor=cashier, source=data, filename="une-ligne.xml")
    lines = list(StatementEntry.objects.order_by("line").values_list("line", flat=True))
    assert len(lines) == before + 2
    assert lines[-2:] == [1, 2]


@pytest.mark.parametrize("name", ["cfonb", "mt940"])
def test_a_nul_byte_in_a_payers_name_is_refused_with_its_line(billed, cashier, name):
    """PAY-5, found by the fuzzing above on PostgreSQL (which stores no NUL): a control
    character in a statement's text is refused with its line and column, before anything is
    written, instead of failing in the database."""
    data = samples()[name].replace(b"DUPONT", b"DUP\x00ONT")
    before = _counts()
    with pytest.raises(InvalidImportFile) as refused:
        bank_formats.import_file(actor=cashier, source=data, filename="nul.dat")
    issue = refused.value.issues[0]
    assert issue.line is not None
    assert "0x00" in issue.message
    assert "colonne" in issue.message
    assert _counts() == before


def test_a_nul_byte_in_a_camt_is_refused(billed, cashier):
    """PAY-5: XML forbids NUL; the camt.053 reader refuses it as a damaged file."""
    data = samples()["camt.053"].replace(b"DUPONT", b"DUP\x00ONT")
    before = _counts()
    with pytest.raises(ApplicationError):
        bank_formats.import_file(actor=cashier, source=data, filename="nul.xml")
    assert _counts() == before


def test_transmission_and_end_of_file_marks_are_not_damage(billed, cashier):
    """PAY-5: SWIFT's SOH/ETX around an MT940 and a DOS end-of-file mark after a CFONB 120
    are how some banks send files, not control characters in the text."""
    bank_formats.import_file(
        actor=cashier, source=samples()["cfonb"] + b"\x1a", filename="dos.cfonb"
    )
    bank_formats.import_file(
        actor=cashier, source=b"\x01" + samples()["mt940"] + b"\x03", filename="swift.sta"
    )
    assert BankStatement.objects.count() == 2


def test_a_superscript_digit_in_a_cfonb_amount_is_refused_cleanly(billed, cashier):
    """PAY-5, found by the fuzzing above: « ² » (0xB2 in Latin-1) passes ``str.isdigit`` but
    not ``int``; the amount is now read from ASCII digits only, and the file is refused with
    a message instead of a crash."""
    data = samples()["cfonb"]
    assert b"0000000000125{" in data
    data = data.replace(b"0000000000125{", b"\xb2000000000125{", 1)
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        bank_formats.import_file(actor=cashier, source=data, filename="exposant.dat")
    assert str(refused.value.message).strip()
    assert _counts() == before
