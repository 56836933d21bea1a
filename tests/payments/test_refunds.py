"""Refunds of credit balances (PAY-6, CUST-6) and their pain.001 file."""

from decimal import Decimal

import pytest
from lxml import etree

from robinet.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from robinet.ledger import selectors as ledger
from robinet.ledger.models import JournalEntry, OpenItem, OpenItemKind
from robinet.payments import pain001, refunds
from robinet.payments.models import PaymentMeans, Refund, RefundStatus
from robinet.payments.services import payment_record

IBAN = "FR7630006000011234567890189"


def _owed(account):
    return sum(
        i.open_amount for i in OpenItem.objects.filter(account=account, cleared_on__isnull=True)
    )


@pytest.fixture
def in_credit(billed):
    """The billed account paid its two invoices and 25.00 too much."""
    payment_record(
        actor=None,
        account=billed,
        means=PaymentMeans.TRANSFER,
        amount=_owed(billed) + Decimal("25.00"),
        check_permission=False,
    )
    billed.iban = IBAN
    billed.save(update_fields=["iban"])
    return billed


def test_pay_6_a_credit_balance_is_proposed_approved_posted_and_exported(in_credit, cashier):
    """PAY-6: proposal for the whole credit, approval posts a refund item allocated against the
    credit (balance back to zero) and a balanced 411/512 entry; export gives a valid pain.001."""
    outcome = refunds.refunds_propose(actor=cashier)
    (refund,) = outcome.proposed
    assert refund.amount == Decimal("25.00")
    assert (refund.iban, refund.bic) == (IBAN, "AGRIFRPPXXX")
    assert refund.status == RefundStatus.PROPOSED

    refunds.refund_approve(actor=cashier, refund=refund)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED
    assert refund.open_item.kind == OpenItemKind.REFUND
    assert ledger.account_balance(in_credit) == 0
    entry = JournalEntry.objects.get(piece_ref=refund.number)
    lines = {line.ledger_account: (line.debit, line.credit) for line in entry.lines.all()}
    assert lines["411000"] == (Decimal("25.00"), Decimal("0"))
    assert lines["512000"] == (Decimal("0"), Decimal("25.00"))

    refund_file = refunds.refunds_export(actor=cashier)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.EXPORTED
    assert refund.file == refund_file
    data = refund_file.content.encode()
    pain001.validate(data)  # ISO 20022 XSD
    root = etree.fromstring(data)
    ns = {"p": pain001.NAMESPACE}
    assert root.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=ns) == "25.00"
    assert root.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == IBAN
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "25.00"
    # Nothing left to export.
    with pytest.raises(ValidationFailed):
        refunds.refunds_export(actor=cashier)


def test_pay_6_no_refund_while_the_party_owes_or_without_a_valid_iban(in_credit, cashier):
    """PAY-6 / CUST-6: a missing or invalid IBAN, or a debt, means no proposal, with the reason."""
    in_credit.iban = "FR7630006000011234567890180"  # bad check digits
    in_credit.save(update_fields=["iban"])
    outcome = refunds.refunds_propose(actor=cashier)
    assert not outcome.proposed
    assert "IBAN" in outcome.skipped[0][1]
    assert not Refund.objects.exists()


def test_cust_6_the_iban_is_checked_again_on_approval(in_credit, cashier):
    (refund,) = refunds.refunds_propose(actor=cashier).proposed
    in_credit.iban = "FR1420041010050500013M02606"
    in_credit.save(update_fields=["iban"])
    with pytest.raises(ValidationFailed) as error:
        refunds.refund_approve(actor=cashier, refund=refund)
    assert "a changé" in error.value.fields["iban"][0]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROPOSED
    assert not OpenItem.objects.filter(kind=OpenItemKind.REFUND).exists()


def test_pay_6_approval_refused_when_the_credit_was_used_meanwhile(in_credit, cashier):
    (refund,) = refunds.refunds_propose(actor=cashier).proposed
    refunds.refund_approve(actor=cashier, refund=refund)
    with pytest.raises(ApplicationError, match="n'est plus à approuver"):
        refunds.refund_approve(actor=cashier, refund=refund)
    # A second proposal: nothing left to refund.
    assert not refunds.refunds_propose(actor=cashier).proposed


def test_pay_6_one_refund_in_progress_per_account(in_credit, cashier):
    refunds.refunds_propose(actor=cashier)
    outcome = refunds.refunds_propose(actor=cashier)
    assert not outcome.proposed
    assert "déjà en cours" in outcome.skipped[0][1]


def test_pay_6_permissions(in_credit, org, make_user):
    from robinet.organisation.roles import Role

    auditor = make_user("lecteur", Role.AUDITOR, org.centres[0])
    with pytest.raises(PermissionDenied):
        refunds.refunds_propose(actor=auditor)
    assert not Refund.objects.exists()


def test_pay_6_pain001_texts_are_reduced_to_the_sepa_character_set():
    assert pain001.sepa_text("Hélène Lefèvre & Fils — Œuvre", 70) == "Helene Lefevre Fils OEuvre"
    assert pain001.sepa_text("", 10) == "NOTPROVIDED"
    assert len(pain001.sepa_text("x" * 200, 70)) == 70


def test_pay_6_an_invalid_file_is_never_produced():
    import datetime as dt

    with pytest.raises(pain001.InvalidTransferFile):
        pain001.build(
            message_id="M",
            created_at=dt.datetime(2026, 2, 15, 12, tzinfo=dt.UTC),
            execution_date=dt.date(2026, 2, 16),
            debtor=pain001.Debtor("Régie", "FR7630001007941234567890185", "BDFEFRPP"),
            transfers=[pain001.Transfer("E", Decimal("1.00"), "X", IBAN, "BAD", "r")],
        )


def test_pay_6_command_proposes_approves_and_writes_the_pain001(in_credit, tmp_path):
    import io

    from django.core.management import call_command

    target = tmp_path / "virements.xml"
    out = io.StringIO()
    call_command(
        "bank_returns", "refunds", "--propose", "--approve-all", "--export", str(target), stdout=out
    )
    assert "1 virement(s)" in out.getvalue()
    pain001.validate(target.read_bytes())
    assert Refund.objects.get().status == RefundStatus.EXPORTED
