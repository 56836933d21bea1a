"""PAY-5 demo: a camt.053 made from the open invoices is imported, most credits booked."""

import pytest

from robinet.demo import bank
from robinet.payments import bank_statements
from robinet.payments.models import BankStatement, EntryStatus, Payment, StatementEntry

pytestmark = pytest.mark.django_db


def test_pay5_demo_imports_a_statement_and_writes_a_cfonb_sample(
    billed, today, tmp_path, monkeypatch
):
    monkeypatch.setattr(bank, "VAR_DIR", tmp_path)
    counts = bank.seed_demo(today)
    assert counts["statements"] == BankStatement.objects.count() == 1
    assert counts["booked"] == Payment.objects.count() == 1  # the one account with open bills
    assert counts["unallocated"] == len(bank.UNMATCHED)
    assert StatementEntry.objects.filter(status=EntryStatus.UNALLOCATED).count() == 5
    files = sorted(p.name for p in (tmp_path / "demo" / "bank").iterdir())
    assert files[0].startswith("releve-camt053-")
    assert files[1].startswith("releve-cfonb120-")
    sample = (tmp_path / "demo" / "bank" / files[1]).read_bytes()
    assert bank_statements.parse_statement_file(sample)[0].credits  # a newcomer can import it
    assert bank.seed_demo(today) == {"statements": 0, "booked": 0, "unallocated": 0}


def test_pay5_demo_writes_mt940_and_direct_debit_answers_a_newcomer_can_import(
    billed, today, tmp_path, monkeypatch
):
    """PAY-5 / PAY-4: every sample file of var/demo/bank/ imports with ``robinet bank import``."""
    from django.core.management import call_command

    from robinet.customers.models import CustomerAccount
    from robinet.demo import sepa
    from robinet.payments.models import BankReturnFile, PaymentReversal

    monkeypatch.setattr(bank, "VAR_DIR", tmp_path)
    CustomerAccount.objects.filter(pk=billed.pk).update(
        direct_debit=True, iban="FR1420041010050500013M02606"
    )
    assert sepa.seed_demo(today)["sepa_debits"] == 2
    bank.seed_demo(today)
    folder = tmp_path / "demo" / "bank"
    names = sorted(p.name for p in folder.iterdir())
    assert names[0].startswith("prelevements-")
    assert names[0].endswith("-camt054.xml")
    assert names[1].endswith("-pain002.xml")
    assert names[-1].startswith("releve-mt940-")
    for name in names:
        if name.startswith("releve-camt053"):
            continue  # imported by the demo itself
        call_command("bank", "import", str(folder / name))
    assert BankStatement.objects.filter(format="mt940").count() == 1
    assert BankStatement.objects.filter(format="cfonb120").count() == 1
    assert BankReturnFile.objects.count() == 2
    assert PaymentReversal.objects.count() == 2  # one reject (pain.002), one return (camt.054)
