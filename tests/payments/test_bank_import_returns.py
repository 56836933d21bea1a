"""PAY-4 through the one bank import: ``robinet bank import`` recognises a pain.002 and a
camt.054 of returns beside the statements, and reverses exactly the rejected debits."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from robinet.payments import bank_formats
from robinet.payments.models import PaymentMeans, PaymentReversal
from robinet.payments.services import payment_record
from tests.payments.bankfiles import camt054 as camt054_doc
from tests.payments.bankfiles import pain002 as pain002_doc


def test_pay_4_return_files_are_recognised_before_statements():
    names = [f.name for f in bank_formats.formats()]
    assert names.index("pain002") < names.index("camt053")
    assert bank_formats.detect(pain002_doc([("E", "ACCP", "", "1.00")])).name == "pain002"
    assert bank_formats.detect(camt054_doc([("E", "", "1.00")])).name == "camt054"


@pytest.mark.django_db
def test_pay_4_bank_import_command_reverses_the_rejected_debit(billed, tmp_path):
    for n in (1, 2):
        payment_record(
            actor=None, account=billed, means=PaymentMeans.DIRECT_DEBIT, amount=Decimal("30.00"),
            received_on=dt.date(2026, 2, n), external_reference=f"E2E-{n}",
            check_permission=False,
        )  # fmt: skip
    path = tmp_path / "rapport.xml"
    path.write_bytes(
        pain002_doc([("E2E-1", "ACCP", "", "30.00"), ("E2E-2", "RJCT", "AM04", "30.00")])
    )
    call_command("bank", "import", str(path))
    assert list(PaymentReversal.objects.values_list("payment__external_reference", flat=True)) == [
        "E2E-2"
    ]
