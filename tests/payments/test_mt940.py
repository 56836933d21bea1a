"""PAY-5 (MT940 on request): the SWIFT MT940 reader, checked whole, and its import."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.core.models.imports import ImportFile
from robinet.payments import bank_formats, mt940
from robinet.payments import bank_statements as service
from robinet.payments.models import BankStatement, EntryStatus, Payment, StatementEntry
from robinet.payments.statement_samples import SampleCredit
from robinet.payments.statement_samples import mt940 as write_mt940
from tests.payments.statement_setup import DAY, credit, invoices, utility_iban

IBAN = "FR7630004000031234567890143"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "releve-mt940.sta"

GOOD = b"""{1:F01BNPAFRPPAXXX0000000000}{2:O940BNPAFRPPXXXXN}{4:
:20:REL20260212
:25:30004/00003/12345678901/43
:28C:00042/001
:60F:C260211EUR1000,00
:61:2602120212C150,NTRFNONREF//0000123
VIREMENT SEPA RECU
:86:?00VIR SEPA RECU?20EREF+E2E-77 FACTURE FAC-2?21025-000123?31FR7610107001011234
567890129?32DUPONT JEAN
:61:2602120212D20,50NMSCNONREF//0000124
:86:FRAIS
:61:2602120212C12,30NTRFNONREF//0000125
:86:/EREF/NOTPROVIDED/ORDP//NAME/MARTIN PAUL/REMI/USTD//EAU 2025/
:62F:C260212EUR1141,80
-}
"""


def _parse(data: bytes, iban: str = IBAN):
    return mt940.parse(data, expected_iban=iban)


def _issues(data: bytes, iban: str = IBAN) -> list[tuple[int | None, str]]:
    with pytest.raises(InvalidImportFile) as error:
        _parse(data, iban)
    return [(i.line, i.message) for i in error.value.issues]


def test_pay5_mt940_is_recognised_and_read_with_both_kinds_of_86():
    assert mt940.detect(GOOD)
    assert not mt940.detect(b"0130004...")
    [statement] = _parse(GOOD)
    assert statement.format == "mt940"
    assert statement.statement_id == "MT940-REL20260212-00042/001-20260212"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("1000.00"),
        Decimal("1141.80"),
    )
    assert (statement.from_date, statement.to_date) == (dt.date(2026, 2, 11), dt.date(2026, 2, 12))
    assert statement.debit_count == 1
    first, second = statement.credits
    assert first.line == 6
    assert first.amount == Decimal("150.00")
    assert first.debtor_name == "DUPONT JEAN"
    assert first.debtor_iban == "FR7610107001011234567890129"
    assert first.end_to_end_id == "E2E-77"
    assert "FAC-2025-000123" in first.remittance
    assert first.booked_on == first.value_date == dt.date(2026, 2, 12)
    assert second.debtor_name == "MARTIN PAUL"
    assert second.end_to_end_id == ""
    assert second.remittance == "EAU 2025"
    assert len({first.reference, second.reference}) == 2


def test_pay5_mt940_plain_86_and_entry_date_across_the_year():
    data = b"""{4:
:20:X
:25:FR7630004000031234567890143
:28C:1
:60F:D251231EUR10,00
:61:2512310102C10,NTRF
:86:CLIENT 123456789
:62F:C260102EUR0,
-}"""
    [statement] = _parse(data)
    [only] = statement.credits
    assert only.value_date == dt.date(2025, 12, 31)
    assert only.booked_on == dt.date(2026, 1, 2)
    assert only.remittance == "CLIENT 123456789"
    assert statement.opening_balance == Decimal("-10.00")


def _swap(old: bytes, new: bytes) -> bytes:
    assert old in GOOD
    return GOOD.replace(old, new)


@pytest.mark.parametrize(
    ("data", "line", "expected"),
    [
        (_swap(b":62F:C260212EUR1141,80", b":62F:C260212EUR1141,81"), 14, "solde de clôture"),
        (_swap(b":60F:C260211EUR1000,00", b":60F:C260211USD1000,00"), 5, "seuls les euros"),
        (_swap(b":62F:C260212EUR", b":62F:C260212GBP"), 14, "seuls les euros"),
        (
            _swap(b":25:30004/00003/12345678901/43", b":25:FR7610107001011234567890129"),
            3,
            "compte d'encaissement",
        ),
        (_swap(b":61:2602120212C150,NTRF", b":61:2602120212C150.00NTRF"), 6, "mouvement illisible"),
        (_swap(b":61:2602120212C12,30", b":61:2602120212C12,305"), 12, "montant illisible"),
        (_swap(b":61:2602120212D20,50", b":61:2613450212D20,50"), 10, "date illisible"),
        (_swap(b":61:2602120212C12,30", b":61:2602120212C0,00"), 12, "montant nul"),
        (_swap(b":60F:C260211EUR1000,00", b":60F:C26021EUR1000,00"), 5, "solde illisible"),
        (_swap(b":28C:00042/001\n", b""), 2, ":28C:"),
        (_swap(b":60F:C260211EUR1000,00\n", b""), 2, "solde d'ouverture"),
        (_swap(b":62F:C260212EUR1141,80\n", b""), 2, "solde de clôture (:62F:) absent"),
        (_swap(b":86:FRAIS", b":99:FRAIS"), 11, "inconnu"),
        (
            _swap(b":20:REL20260212\n", b":20:REL20260212\n:61:2602120212C1,NTRF\n"),
            3,
            "hors du relevé",
        ),
    ],  # fmt: skip
    ids=[
        "balances_do_not_add_up",
        "opening_not_in_euros",
        "closing_not_in_euros",
        "another_account",
        "amount_with_a_dot",
        "three_decimals",
        "bad_date",
        "zero_credit",
        "short_balance",
        "no_statement_number",
        "no_opening",
        "no_closing",
        "unknown_tag",
        "movement_before_opening",
    ],  # fmt: skip
)
def test_pay5_mt940_malformations_are_named_with_their_line(data, line, expected):
    issues = _issues(data)
    assert any(n == line and expected in message for n, message in issues), issues


def test_pay5_mt940_text_before_any_field_is_named():
    issues = _issues(b"HELLO\n" + GOOD)
    assert issues[0][0] == 1
    assert ":20:" in issues[0][1]


def test_pay5_mt940_every_problem_is_listed_not_only_the_first():
    data = _swap(b"EUR1000,00", b"USD1000,00").replace(b"C12,30", b"C12.30")
    lines = {n for n, _m in _issues(data)}
    assert {5, 12} <= lines


@settings(max_examples=40, deadline=None)
@given(
    amounts=st.lists(
        st.decimals(min_value="0.01", max_value="99999.99", places=2), min_size=1, max_size=8
    ),
    debits=st.lists(st.decimals(min_value="0.01", max_value="999.99", places=2), max_size=3),
    opening=st.decimals(min_value="-5000", max_value="5000", places=2),
    structured=st.booleans(),
)
def test_pay5_mt940_written_then_read_gives_back_every_credit(amounts, debits, opening, structured):
    """Round trip: what the sample writer puts in an MT940 file, the reader gives back."""
    credits = [
        SampleCredit(a, f"PAYEUR {n} AVEC UN NOM ASSEZ LONG POUR DEUX", "FR7610107001011234567890129",
                     f"FACTURE FAC-2025-{n:06d}", f"E2E{n}")
        for n, a in enumerate(amounts, start=1)
    ]  # fmt: skip
    data = write_mt940(iban=IBAN, day=DAY, credits=credits, debits=debits, opening=opening,
                       structured=structured)  # fmt: skip
    [statement] = _parse(data)
    assert [c.amount for c in statement.credits] == amounts
    assert statement.debit_count == len(debits)
    for n, read in enumerate(statement.credits, start=1):
        assert read.debtor_name == credits[n - 1].debtor_name
        assert read.debtor_iban == credits[n - 1].debtor_iban
        assert read.end_to_end_id == f"E2E{n}"
        assert f"FAC-2025-{n:06d}" in read.remittance


def test_pay5_documented_example_is_read():
    [statement] = mt940.parse(EXAMPLE.read_bytes(), expected_iban="FR7630004000031234567890143")
    assert statement.credits
    assert statement.debit_count


# --- import through the service and the command ------------------------------------------------


def _file(*credits, **kwargs) -> bytes:
    kwargs.setdefault("iban", utility_iban())
    kwargs.setdefault("day", DAY)
    return write_mt940(credits=credits, **kwargs)


def test_pay5_mt940_import_matches_books_and_leaves_the_rest_in_the_worklist(billed, cashier):
    first, second = invoices(billed)
    data = _file(
        credit(first.total_incl_vat, remittance=f"FACTURE {first.number}", debtor_name="X"),
        credit(second.total_incl_vat, remittance=f"CLIENT {billed.number}"),
        credit("3.00", debtor_name="INCONNU"),
        debits=[Decimal("9.99")],
    )
    outcome = service.statement_import(actor=cashier, source=data, filename="releve.sta")
    assert (outcome.booked, outcome.unallocated) == (2, 1)
    statement = outcome.statements[0]
    assert statement.format == "mt940"
    assert (statement.credit_count, statement.debit_count) == (3, 1)
    assert Payment.objects.count() == 2
    assert {p.invoice_id for p in Payment.objects.all()} >= {first.pk}
    waiting = StatementEntry.objects.get(status=EntryStatus.UNALLOCATED)
    assert waiting.debtor_name == "INCONNU"
    with pytest.raises(AlreadyImported):
        service.statement_import(actor=cashier, source=data, filename="releve.sta")
    with pytest.raises(ApplicationError) as error:  # the same statement in another file
        service.statement_import(actor=cashier, source=data + b"\r\n", filename="autre.sta")
    assert error.value.code == "statement_already_imported"
    assert BankStatement.objects.count() == 1


def test_pay5_mt940_refused_file_writes_nothing(billed, cashier):
    data = _file(credit("5.00", remittance=billed.number)).replace(b"EUR5,00", b"EUR5,01")
    with pytest.raises(InvalidImportFile):
        service.statement_import(actor=cashier, source=data, filename="releve.sta")
    assert not BankStatement.objects.exists()
    assert not Payment.objects.exists()
    assert not ImportFile.objects.filter(kind=service.IMPORT_KIND).exists()


def test_pay5_mt940_is_in_the_registry_and_the_command_imports_it(billed, tmp_path, capsys):
    assert bank_formats.detect(_file(credit("1.00"))).name == "mt940"
    path = tmp_path / "releve.sta"
    path.write_bytes(_file(credit("4.00", remittance=billed.number)))
    call_command("bank", "import", str(path))
    assert "MT940" in capsys.readouterr().out
    assert BankStatement.objects.get().format == "mt940"
