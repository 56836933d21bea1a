"""PAY-3: ``robinet sepa debit`` and ``robinet sepa export``."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from robinet.payments import pain008, sepa
from robinet.payments.models import DirectDebitRun, Payment

IBAN = "FR1420041010050500013M02606"


@pytest.fixture
def mandated(billed):
    sepa.mandate_create(
        actor=None, account=billed, signed_on=dt.date(2025, 1, 10), iban=IBAN,
        check_permission=False,
    )  # fmt: skip
    return billed


def test_pay_3_command_writes_a_schema_valid_file(mandated, tmp_path, capsys):
    out = tmp_path / "remise.xml"
    call_command("sepa", "debit", "--collection-date", "2026-02-17", "--out", str(out))
    pain008.validate(out.read_bytes(), "001.08")
    assert "2 prélèvement(s)" in capsys.readouterr().out
    again = tmp_path / "copie.xml"
    call_command("sepa", "export", "--collection-date", "2026-02-17", "--out", str(again))
    assert again.read_bytes() == out.read_bytes()


def test_pay_3_command_version_001_02(mandated, tmp_path):
    out = tmp_path / "remise.xml"
    call_command(
        "sepa", "debit", "--collection-date", "2026-02-17", "--out", str(out),
        "--version", "001.02",
    )  # fmt: skip
    pain008.validate(out.read_bytes(), "001.02")


def test_pay_3_command_refuses_a_target2_holiday_and_writes_nothing(mandated, tmp_path):
    out = tmp_path / "remise.xml"
    with pytest.raises(CommandError, match="TARGET2"):
        call_command("sepa", "debit", "--collection-date", "2026-04-03", "--out", str(out))
    assert not out.exists()
    assert not DirectDebitRun.objects.exists()
    assert not Payment.objects.exists()


def test_pay_3_command_refuses_a_bad_date(mandated, tmp_path):
    with pytest.raises(CommandError, match="Date invalide"):
        call_command(
            "sepa", "debit", "--collection-date", "17/02/2026", "--out", str(tmp_path / "x")
        )


def test_pay_3_command_expires_unused_mandates(mandated, capsys):
    call_command("sepa", "expire-mandates")
    assert "0 mandat(s) expiré(s)" in capsys.readouterr().out
