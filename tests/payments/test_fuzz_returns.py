"""Hostile return files (issue 13, PAY-4): a pain.002 or camt.054 with random bytes changed, cut
or inserted, or built from random operations, is either imported whole or refused with a clean
error naming the operation — never a crash, never half a file written."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.billing.models import Invoice
from robinet.core.exceptions import ApplicationError
from robinet.ledger.models import JournalEntry, OpenItem
from robinet.payments import bank_formats, returns
from robinet.payments.models import (
    BankReturnFile,
    PaymentMeans,
    PaymentReversal,
    ReturnItem,
)
from robinet.payments.services import payment_record
from tests.fuzzing import damage, import_or_refuse
from tests.payments.bankfiles import camt054 as camt054_doc
from tests.payments.bankfiles import pain002 as pain002_doc

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def debits(billed):
    billed.direct_debit = True
    billed.save(update_fields=["direct_debit"])
    for n in (1, 2, 3):
        payment_record(
            actor=None, account=billed, means=PaymentMeans.DIRECT_DEBIT, amount=Decimal("30.00"),
            received_on=dt.date(2026, 2, n), external_reference=f"E2E-{n}",
            check_permission=False,
        )  # fmt: skip
    return billed


def samples() -> dict[str, bytes]:
    return {
        "pain002": pain002_doc(
            [("E2E-1", "ACCP", "", "30.00"), ("E2E-2", "RJCT", "AM04", "30.00")], msg_id="R-F"
        ),
        "camt054": camt054_doc([("E2E-1", "", "30.00"), ("E2E-3", "MD06", "30.00")], msg_id="N-F"),
    }


@st.composite
def mutated(draw) -> bytes:
    return damage(
        draw,
        samples()[draw(st.sampled_from(["pain002", "camt054"]))],
        [b"9" * 40, b"-", b"1e999", b"NaN", b"&amp;", b"&#0;", b"&xxe;", b"\xc3("],
        longest_cut=40,
    )


def _counts() -> tuple[int, ...]:
    return (
        BankReturnFile.objects.count(),
        ReturnItem.objects.count(),
        PaymentReversal.objects.count(),
        OpenItem.objects.count(),
        JournalEntry.objects.count(),
        Invoice.objects.count(),
    )


def _import_or_refuse(importer) -> ApplicationError | None:
    """Run ``importer``; an ApplicationError is a clean refusal, anything else fails the test."""
    result, refusal, before = import_or_refuse(importer, _counts)
    if refusal is not None:
        return refusal
    after = _counts()
    assert after[0] == before[0] + 1  # one file recorded…
    added = BankReturnFile.objects.order_by("-pk").first()
    assert after[1] == before[1] + added.items_count  # …with every one of its operations
    return None


@FUZZ
@given(data=mutated())
def test_issue_13_pay_4_a_damaged_return_file_is_refused_cleanly_or_imported_whole(
    debits, cashier, data
):
    _import_or_refuse(
        lambda: bank_formats.import_file(actor=cashier, source=data, filename="retours.xml")
    )


@FUZZ
@given(data=mutated())
def test_issue_13_pay_4_the_return_importer_itself_never_crashes(debits, cashier, data):
    """The same, straight into the return importer (no format detection in between)."""
    _import_or_refuse(
        lambda: returns.return_file_import(actor=cashier, data=data, filename="retours.xml")
    )


_E2E = st.one_of(
    st.sampled_from(["E2E-1", "E2E-2", "E2E-3", "E2E-9", "", "NOTPROVIDED", "E2E-1 "]),
    st.text(alphabet="AZaz09-<&>\"' é", max_size=40),
)
_STATUS = st.sampled_from(["ACCP", "ACSC", "RJCT", "PDNG", "", "rjct", "X" * 30])
_REASON = st.sampled_from(["", "AM04", "MD06", "0000", "AC04", "ZZZZ", "A" * 50])
_AMOUNT = st.sampled_from(
    ["30.00", "30", "31.00", "0", "-30.00", "30.001", "1e3", "9" * 40, "NaN", "Infinity", "abc"]
)


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        return Decimal("1.00")
    return value if value.is_finite() and abs(value) < Decimal("1e20") else Decimal("1.00")


@FUZZ
@given(
    items=st.lists(st.tuples(_E2E, _STATUS, _REASON, _AMOUNT), min_size=0, max_size=5),
    currency=st.sampled_from(["EUR", "USD", ""]),
    msg_id=st.text(alphabet="AZ09-", min_size=0, max_size=50),
)
def test_issue_13_pay_4_a_pain002_of_random_operations_is_refused_cleanly_or_imported_whole(
    debits, cashier, items, currency, msg_id
):
    document = pain002_doc(
        [(e2e, status, reason, _amount(amount)) for e2e, status, reason, amount in items],
        msg_id=msg_id,
        currency=currency,
    )
    # The helper writes amounts through Decimal: put the raw amount text back in.
    for _e2e, _s, _r, amount in items:
        document = document.replace(f">{_amount(amount):.2f}<".encode(), f">{amount}<".encode(), 1)
    _import_or_refuse(
        lambda: returns.return_file_import(actor=cashier, data=document, filename="r.xml")
    )


@FUZZ
@given(
    items=st.lists(st.tuples(_E2E, _REASON, _AMOUNT), min_size=0, max_size=5),
    currency=st.sampled_from(["EUR", "USD", ""]),
    iban=st.sampled_from(["FR7630001007941234567890185", "FR7630006000011234567890189", ""]),
)
def test_issue_13_pay_4_a_camt054_of_random_operations_is_refused_cleanly_or_imported_whole(
    debits, cashier, items, currency, iban
):
    document = camt054_doc(
        [(e2e, reason, _amount(amount)) for e2e, reason, amount in items],
        msg_id="N-RANDOM",
        iban=iban,
        currency=currency,
    )
    for _e2e, _r, amount in items:
        raw = f">{_amount(amount):.2f}<".encode()
        document = document.replace(raw, f">{amount}<".encode(), 2)
    _import_or_refuse(
        lambda: returns.return_file_import(actor=cashier, data=document, filename="n.xml")
    )


def test_issue_13_pay_4_the_unmutated_samples_import_whole(debits, cashier):
    for name, data in samples().items():
        assert (
            _import_or_refuse(
                lambda data=data, name=name: returns.return_file_import(
                    actor=cashier, data=data, filename=name
                )
            )
            is None
        )
    assert PaymentReversal.objects.count() == 2


@pytest.mark.parametrize(
    "document",
    [
        pain002_doc([("E2E-2", "RJCT", "AM04", "30.00")]).replace(b"30.00", b"9" * 40),
        pain002_doc([("E2E-2", "RJCT", "AM04", "30.00")]).replace(b"30.00", b"1E+2"),
        pain002_doc([("E2E-2", "RJCT", "A" * 50, "30.00")], msg_id="R" * 80),
        camt054_doc([("E" * 80, "AM04", "30.00")]),
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Document><CstmrPmtStsRpt><GrpHdr><MsgId>&x;</MsgId></GrpHdr></CstmrPmtStsRpt>"
        b"</Document>",
        b"\xff\xfe<\x00D\x00o\x00c\x00",
        b"",
    ],
    ids=["huge-amount", "exponent", "long-codes", "long-e2e", "external-entity", "utf16", "empty"],
)
def test_issue_13_pay_4_hostile_return_files_are_refused_cleanly(debits, cashier, document):
    refusal = _import_or_refuse(
        lambda: returns.return_file_import(actor=cashier, data=document, filename="x.xml")
    )
    assert refusal is not None


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (pain002_doc([("E2E-2", "RJCT", "AM04", "30.00")], msg_id="R" * 36), "En-tête : MsgId"),
        (pain002_doc([("E2E-2", "RJCT", "AM04XX", "30.00")]), "(E2E-2) : code motif"),
        (camt054_doc([("E2E-3", "MD06", "30.00")], msg_id="N" * 36), "En-tête : MsgId"),
        (camt054_doc([("E2E-3", "MD0600", "30.00")]), "(E2E-3) : code motif"),
        (camt054_doc([("E" * 36, "MD06", "30.00")]), "EndToEndId trop long"),
    ],
    ids=["pain002-msgid", "pain002-reason", "camt054-msgid", "camt054-reason", "camt054-e2e"],
)
def test_issue_13_pay_4_an_overlong_identifier_is_refused_not_cut(debits, cashier, document, named):
    """A message id cut to its column would escape the re-import check, a reason code cut would
    name another reason: the file is refused naming the field (ISO 20022 lengths)."""
    refusal = _import_or_refuse(
        lambda: returns.return_file_import(actor=cashier, data=document, filename="x.xml")
    )
    assert named in " ".join(refusal.fields["file"])
