"""PAY-5: ``robinet bank import FILE`` recognises camt.053 and CFONB 120; refusals change nothing."""

import pytest
from django.core.management import CommandError, call_command

from robinet.payments import bank_formats
from robinet.payments.models import BankStatement, EntryStatus, Payment, StatementEntry
from tests.payments.statement_setup import camt, cfonb, credit, invoices


def test_pay5_command_imports_a_camt053_and_reports_the_outcome(billed, tmp_path, capsys):
    first, _second = invoices(billed)
    path = tmp_path / "releve.xml"
    path.write_bytes(camt(credit(first.total_incl_vat, remittance=first.number), credit("4.00")))
    call_command("bank", "import", str(path))
    out = capsys.readouterr().out
    assert "camt.053" in out
    assert "1 virement(s) affecté(s)" in out
    assert "1 en instance d'affectation" in out
    assert Payment.objects.count() == 1
    assert StatementEntry.objects.filter(status=EntryStatus.UNALLOCATED).count() == 1


def test_pay5_command_recognises_cfonb120(billed, tmp_path, capsys):
    path = tmp_path / "releve.txt"
    path.write_bytes(cfonb(credit("4.00", remittance=billed.number)))
    call_command("bank", "import", str(path))
    assert "CFONB 120" in capsys.readouterr().out
    assert BankStatement.objects.get().format == "cfonb120"


def test_pay5_command_refuses_an_unknown_file_and_a_truncated_line(billed, tmp_path, capsys):
    path = tmp_path / "autre.csv"
    path.write_bytes(b"reference;amount\n1;2\n")
    with pytest.raises(CommandError, match="non reconnu"):
        call_command("bank", "import", str(path))
    lines = cfonb(credit("4.00")).decode("latin-1").split("\r\n")
    lines[1] = lines[1][:50]
    path.write_bytes("\r\n".join(lines).encode("latin-1"))
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("bank", "import", str(path))
    assert "ligne 2" in capsys.readouterr().err
    assert not BankStatement.objects.exists()


def test_pay5_formats_registry_is_open_to_other_modules():
    names = [f.name for f in bank_formats.formats()]
    assert {"camt053", "cfonb120", "pain002", "camt054"} <= set(names)
    extra = bank_formats.register(
        "test_format", label="Test", detect=lambda data: data.startswith(b"TEST"),
        importer=lambda **kw: "ok", describe=str, order=1,
    )  # fmt: skip
    try:
        assert bank_formats.detect(b"TEST...") is extra
        assert bank_formats.formats()[0] is extra
    finally:
        del bank_formats.DETECTORS["test_format"]
