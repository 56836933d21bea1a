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
