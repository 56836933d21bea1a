"""PAY-1 opening balances from a legacy system: ``robinet import open-items FILE.csv``."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from robinet.core.imports import InvalidImportFile
from robinet.ledger import selectors
from robinet.ledger.imports import import_open_items
from robinet.ledger.models import JournalEntry, JournalLine, OpenItem
from robinet.payments.services import payment_record
from tests.customers import factories


@pytest.fixture
def accounts(org):
    return [factories.person(org.centres[0]), factories.person(org.centres[1])]


def _csv(*lines: str) -> bytes:
    return ("account;document;date;due_date;amount;label\n" + "\n".join(lines) + "\n").encode()


def test_pay_1_opening_balances_post_open_items_and_balanced_entries(accounts, tmp_path):
    first, second = accounts
    data = _csv(
        f"{first.number};F2019-0001;2025-11-30;2025-12-15;120,50;Facture ancien système",
        f"{first.number};F2019-0002;2025-12-31;;30.00;",
        f"{second.number};R2019-0042;2025-12-20;;-15,00;Trop-perçu",
    )
    path = tmp_path / "soldes.csv"
    path.write_bytes(data)
    call_command("import", "open-items", str(path))
    assert selectors.account_balance(first) == Decimal("150.50")
    assert selectors.account_balance(second) == Decimal("-15.00")
    assert OpenItem.objects.get(document_number="F2019-0002").due_date.isoformat() == "2025-12-31"
    assert JournalEntry.objects.filter(journal="AN").count() == 3
    customers = JournalLine.objects.filter(ledger_account="411000").aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    assert customers["d"] - customers["c"] == Decimal("135.50")
    # The next payment clears the oldest legacy debt first.
    payment_record(actor=None, account=first, means="transfer", amount=Decimal("100"),
                   check_permission=False)  # fmt: skip
    assert OpenItem.objects.get(document_number="F2019-0001").open_amount == Decimal("20.50")
    with pytest.raises(CommandError, match="déjà été importé"):
        call_command("import", "open-items", str(path))


def test_pay_1_a_bad_opening_file_names_each_line_and_writes_nothing(accounts):
    first, _second = accounts
    data = _csv(
        f"{first.number};F1;2025-11-30;;0;",
        "999999999;F2;2025-11-30;;10;",
        f"{first.number};F3;31/02/2025;;10;",
        f"{first.number};F4;2025-11-30;;10,001;",
        f"{first.number};F5;2025-11-30;;dix;",
        f"{first.number};F6;2025-11-30;;10;",
        f"{first.number};F6;2025-11-30;;10;",
        f"{first.number};;2025-11-30;;10;",
    )
    with pytest.raises(InvalidImportFile) as error:
        import_open_items(data, filename="soldes.csv")
    issues = [(i.line, i.field) for i in error.value.issues]
    assert issues == [
        (2, "amount"),
        (3, "account"),
        (4, "date"),
        (5, "amount"),
        (6, "amount"),
        (8, "document"),
        (9, "document"),
    ]
    assert OpenItem.objects.count() == 0
    assert JournalEntry.objects.count() == 0


def test_pay_1_missing_columns_are_refused(accounts):
    with pytest.raises(InvalidImportFile, match="amount"):
        import_open_items(b"account;document;date\n1;2;2025-01-01\n")
