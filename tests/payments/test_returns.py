"""Direct-debit returns and rejects (PAY-4): pain.002 and camt.054 imports."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robinet.core.audit import AuditEvent
from robinet.core.exceptions import PermissionDenied, ValidationFailed
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.payments import camt054, pain002, returns
from robinet.payments.models import (
    BankReturnFile,
    PaymentMeans,
    PaymentReversal,
    ReturnItem,
    ReturnOutcome,
)
from robinet.payments.reason_codes import is_accepted, label
from robinet.payments.services import payment_record
from tests.customers import factories as customers
from tests.payments.bankfiles import camt054 as camt054_doc
from tests.payments.bankfiles import pain002 as pain002_doc


def _debit(account, e2e, amount="30.00", on=dt.date(2026, 2, 5)):
    return payment_record(
        actor=None,
        account=account,
        means=PaymentMeans.DIRECT_DEBIT,
        amount=Decimal(amount),
        received_on=on,
        external_reference=e2e,
        check_permission=False,
    )


def _open_invoices_total(account):
    return sum(
        i.open_amount for i in OpenItem.objects.filter(account=account, kind=OpenItemKind.INVOICE)
    )


def _nothing_imported():
    return not BankReturnFile.objects.exists() and not PaymentReversal.objects.exists()


@pytest.fixture
def debits(billed):
    billed.direct_debit = True
    billed.save(update_fields=["direct_debit"])
    return [_debit(billed, f"E2E-{n}", on=dt.date(2026, 2, n)) for n in (1, 2, 3)]


def test_pay_4_round_trip_exactly_the_rejected_and_returned_payments_are_reversed(
    billed, debits, cashier
):
    """PAY-4: a pain.002 rejecting one and a camt.054 returning another, with accepted items
    too (ACCP/ACSC, reason 0000) → exactly those two payments reversed, invoices reopened."""
    owed_before = _open_invoices_total(billed)
    report = pain002_doc(
        [("E2E-1", "ACCP", "", "30.00"), ("E2E-2", "RJCT", "AM04", "30.00")], msg_id="R1"
    )
    outcome = returns.return_file_import(actor=cashier, data=report, filename="rapport.xml")
    assert [i.end_to_end_id for i in outcome.reversed] == ["E2E-2"]
    assert [i.end_to_end_id for i in outcome.accepted] == ["E2E-1"]

    notice = camt054_doc(
        [("E2E-1", "", "30.00"), ("E2E-3", "MD06", "30.00"), ("E2E-1X", "", "12.00")],
        msg_id="N1",
    )
    outcome = returns.return_file_import(actor=cashier, data=notice, filename="avis.xml")
    assert [i.end_to_end_id for i in outcome.reversed] == ["E2E-3"]

    reversed_refs = set(
        PaymentReversal.objects.values_list("payment__external_reference", flat=True)
    )
    assert reversed_refs == {"E2E-2", "E2E-3"}
    reversal = PaymentReversal.objects.get(payment__external_reference="E2E-2")
    assert reversal.reason_code == "AM04"
    assert "Provision insuffisante" in reversal.reason
    item = ReturnItem.objects.get(end_to_end_id="E2E-3")
    assert item.outcome == ReturnOutcome.REVERSED
    assert item.reason_label.startswith("Rembours")
    # The invoices those two payments had paid are open again (dunning sees them).
    assert _open_invoices_total(billed) == owed_before + Decimal("60.00")


def test_pay_4_repeated_rejects_end_the_direct_debit_with_an_audit_event(billed, debits, cashier):
    """PAY-4: after ROBINET_DIRECT_DEBIT_MAX_REJECTS (2) consecutive rejects, direct debit stops."""
    returns.return_file_import(
        actor=cashier,
        data=pain002_doc([("E2E-3", "RJCT", "AM04", "30.00")], msg_id="A"),
        filename="a.xml",
    )
    billed.refresh_from_db()
    assert billed.direct_debit is True  # one reject: not yet
    outcome = returns.return_file_import(
        actor=cashier,
        data=pain002_doc([("E2E-2", "RJCT", "AC04", "30.00")], msg_id="B"),
        filename="b.xml",
    )
    billed.refresh_from_db()
    assert billed.direct_debit is False
    assert outcome.direct_debit_stopped == [billed.number]
    assert AuditEvent.objects.filter(verb="direct_debit_stopped").count() == 1


def test_pay_4_a_reject_between_two_paid_debits_is_not_consecutive(billed, debits, cashier):
    returns.return_file_import(
        actor=cashier,
        data=pain002_doc([("E2E-1", "RJCT", "AM04", "30.00"), ("E2E-3", "RJCT", "AM04", "30.00")]),
        filename="r.xml",
    )
    billed.refresh_from_db()
    assert returns.consecutive_rejects(billed) == 1  # E2E-2, between them, was paid
    assert billed.direct_debit is True


def test_pay_4_coll_1_reject_fee_on_professionals_only(org, billed, debits, cashier, settings):
    """COLL-1: a reject fee is billed to a professional, never to an individual."""
    from robinet.billing.fees import seed_price_list

    seed_price_list(valid_from=dt.date(2026, 1, 1))
    pro = customers.company(org.centres[0])
    _debit(pro, "PRO-1", amount="80.00")
    outcome = returns.return_file_import(
        actor=cashier,
        data=pain002_doc([("PRO-1", "RJCT", "AM04", "80.00"), ("E2E-1", "RJCT", "AM04", "30.00")]),
        filename="r.xml",
    )
    assert outcome.fees == 1
    by_ref = {i.end_to_end_id: i for i in outcome.reversed}
    assert by_ref["PRO-1"].fee_invoice is not None
    assert by_ref["PRO-1"].fee_invoice.total_incl_vat == Decimal("15.00")
    assert by_ref["E2E-1"].fee_invoice is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<Document><CstmrPmtStsRpt><GrpHdr>", "mal formé"),
        (pain002_doc([("E2E-2", "RJCT", "AM04", "30.00")], currency="USD"), "devise USD"),
        (pain002_doc([("E2E-9", "RJCT", "AM04", "30.00")]), "aucun prélèvement"),
        (pain002_doc([("E2E-2", "RJCT", "", "30.00")]), "sans code motif"),
        (pain002_doc([("E2E-2", "RJCT", "AM04", "31.00")]), "montant 31.00"),
        (camt054_doc([("E2E-2", "AM04", "30.00")], iban="FR7630006000011234567890189"), "concerne"),
        (b'<?xml version="1.0"?><Document xmlns="urn:x"><Other/></Document>', "non reconnu"),
    ],
    ids=["malformed", "currency", "unknown-e2e", "no-reason", "amount", "other-account", "type"],
)
def test_pay_4_bad_files_are_refused_whole_with_a_clear_error(debits, cashier, document, message):
    """PAY-4: malformed XML, wrong currency, unknown end-to-end id, another creditor account…
    → a clear error naming the operation, and nothing changed (even the valid items)."""
    if message in ("aucun prélèvement", "sans code motif", "montant 31.00", "devise USD"):
        # A valid reject in the same file must not be half-written either.
        document = document.replace(
            b"</OrgnlPmtInfAndSts>",
            b"<TxInfAndSts><OrgnlEndToEndId>E2E-1</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
            b"<StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf><OrgnlTxRef><Amt>"
            b'<InstdAmt Ccy="EUR">30.00</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>'
            b"</OrgnlPmtInfAndSts>",
        )
    with pytest.raises(ValidationFailed) as error:
        returns.return_file_import(actor=cashier, data=document, filename="x.xml")
    assert message in " ".join(error.value.fields["file"])
    assert _nothing_imported()


def test_pay_4_the_same_file_twice_is_refused_and_changes_nothing(debits, cashier):
    document = pain002_doc([("E2E-2", "RJCT", "AM04", "30.00")])
    returns.return_file_import(actor=cashier, data=document, filename="r.xml")
    with pytest.raises(returns.ReturnFileAlreadyImported, match="déjà été importé"):
        returns.return_file_import(actor=cashier, data=document, filename="r.xml")
    # Same message id, other bytes: also a re-import.
    with pytest.raises(returns.ReturnFileAlreadyImported):
        returns.return_file_import(actor=cashier, data=document + b"\n", filename="r2.xml")
    assert BankReturnFile.objects.count() == 1
    assert PaymentReversal.objects.count() == 1


def test_pay_4_a_reject_of_a_payment_already_reversed_is_recorded_not_reversed_twice(
    debits, cashier
):
    returns.return_file_import(
        actor=cashier, data=pain002_doc([("E2E-2", "RJCT", "AM04", "30.00")]), filename="a.xml"
    )
    outcome = returns.return_file_import(
        actor=cashier, data=camt054_doc([("E2E-2", "AM04", "30.00")]), filename="b.xml"
    )
    assert [i.end_to_end_id for i in outcome.already_reversed] == ["E2E-2"]
    assert PaymentReversal.objects.count() == 1


def test_pay_4_only_direct_debit_payments_are_looked_up(billed, cashier):
    payment_record(
        actor=None,
        account=billed,
        means=PaymentMeans.TRANSFER,
        amount=Decimal("30.00"),
        external_reference="E2E-T",
        check_permission=False,
    )
    with pytest.raises(ValidationFailed) as error:
        returns.return_file_import(
            actor=cashier, data=pain002_doc([("E2E-T", "RJCT", "AM04", "30")]), filename="t.xml"
        )
    assert "aucun prélèvement" in error.value.fields["file"][0]
    assert not PaymentReversal.objects.exists()


def test_pay_4_import_needs_the_import_permission(debits, org, make_user):
    from robinet.organisation.roles import Role

    viewer = make_user("lecteur", Role.AUDITOR, org.centres[0])
    with pytest.raises(PermissionDenied):
        returns.return_file_import(
            actor=viewer, data=pain002_doc([("E2E-2", "RJCT", "AM04", "30")]), filename="r.xml"
        )
    assert _nothing_imported()


def test_pay_4_detect_recognises_both_types():
    assert pain002.detect(pain002_doc([("A", "ACCP", "", "1")]))
    assert camt054.detect(camt054_doc([("A", "", "1")]))
    assert not pain002.detect(camt054_doc([("A", "", "1")]))
    assert returns.detect(camt054_doc([("A", "", "1")]))
    assert not returns.detect(b"<Document><BkToCstmrStmt/></Document>")


def test_pay_4_readers_ignore_namespaces_and_versions():
    """Any pain.002 version (or none at all) is read by local names."""
    old = pain002_doc([("A", "RJCT", "MD01", "12.50")]).replace(
        b"pain.002.001.10", b"pain.002.001.03"
    )
    bare = old.replace(b' xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"', b"")
    for document in (old, bare):
        (entry,) = pain002.parse(document).entries
        assert (entry.end_to_end_id, entry.reason_code, entry.amount) == (
            "A",
            "MD01",
            Decimal("12.50"),
        )
        assert not entry.accepted


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ACCP", "ACSC", "RJCT", "ACTC"]),
            st.sampled_from(["", "0000", "AM04", "MD01", "AC04", "MS02"]),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_pay_4_property_accepted_items_are_never_reversals(items):
    """PAY-4 (property): a pain.002 entry is a reject exactly when RJCT with a reason other
    than 0000; ACCP/ACSC/ACTC or reason 0000 are accepted, whatever the mix."""
    rows = [(f"E{n}", status, reason, amount) for n, (status, reason, amount) in enumerate(items)]
    valid = [r for r in rows if not (r[1] == "RJCT" and r[2] == "")]
    if not valid:
        return
    message = pain002.parse(pain002_doc(valid))
    assert len(message.entries) == len(valid)
    for entry, (_e2e, status, reason, amount) in zip(message.entries, valid, strict=True):
        assert entry.amount == amount
        assert entry.accepted == (status != "RJCT" or reason == "0000")
        assert entry.accepted == is_accepted(status, reason)


def test_pay_4_reason_codes_have_french_labels():
    assert label("AM04") == "Provision insuffisante"
    assert label("MD01") == "Absence de mandat"
    assert "ZZ99" in label("ZZ99")
    for code in ("AC04", "AC06", "AM04", "MD01", "MD06", "MS02", "MS03", "SL01", "RR01"):
        assert "inconnu" not in label(code)


def test_pay_4_command_imports_and_refuses_a_bad_file_with_exit_error(debits, tmp_path):
    from django.core.management import CommandError, call_command

    good = tmp_path / "rapport.xml"
    good.write_bytes(pain002_doc([("E2E-2", "RJCT", "AM04", "30.00"), ("E2E-1", "ACCP", "", "30")]))
    out = io.StringIO()
    call_command("bank_returns", "import", str(good), stdout=out)
    assert "1 règlement(s) annulé(s), 1 accepté(s)" in out.getvalue()
    assert "AM04 Provision insuffisante" in out.getvalue()
    bad = tmp_path / "mauvais.xml"
    bad.write_bytes(pain002_doc([("E2E-3", "RJCT", "AM04", "30.00")], msg_id="X", currency="GBP"))
    with pytest.raises(CommandError, match="devise GBP"):
        call_command("bank_returns", "import", str(bad), stdout=io.StringIO())
    assert PaymentReversal.objects.count() == 1
