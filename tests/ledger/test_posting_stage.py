"""PAY-7: the posting module writes an entry's lines first and numbers the entries last
(``posting.stage`` then ``StagedEntries.write``), so that a run holds a journal's gapless
counter only at its very end; ``post`` is the two steps at once, in a transaction."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from robinet.ledger import posting
from robinet.ledger.models import JournalEntry, JournalLine
from tests.customers import factories

ON = dt.date(2025, 5, 1)


def _invoice_entry(org, account_id=None):
    return posting.invoice_entry(
        number="",
        issue_date=ON,
        account_id=account_id,
        centre_id=org.centres[0].pk,
        credit_note=False,
        lines=[("water", "operator", Decimal("10.00"))],
        vat=[(Decimal("5.5"), Decimal("0.55"))],
    )


@pytest.mark.django_db
def test_pay_7_staged_lines_are_written_before_their_entries_are_numbered(org):
    staged = posting.stage([_invoice_entry(org), _invoice_entry(org)])
    assert JournalLine.objects.filter(entry_id__in=staged.ids).count() == 6
    assert not JournalEntry.objects.exists()  # no number taken yet
    ids = staged.write([posting.invoice_piece("FAC-1"), posting.invoice_piece("FAC-2")])
    entries = JournalEntry.objects.filter(pk__in=ids).order_by("number")
    assert [(e.number, e.piece_ref, e.label) for e in entries] == [
        (1, "FAC-1", "Facture FAC-1"),
        (2, "FAC-2", "Facture FAC-2"),
    ]
    connection.check_constraints()  # every line's entry exists, as the commit checks


@pytest.mark.django_db
def test_pay_7_an_entry_without_lines_is_dropped_and_the_pieces_keep_their_places(org):
    empty = posting.EntrySpec(
        journal="VE", entry_date=ON, piece_ref="", label="", centre_id=org.centres[0].pk,
        event="invoice", lines=(),
    )  # fmt: skip
    staged = posting.stage([empty, _invoice_entry(org)])
    (entry_id,) = staged.write([posting.invoice_piece("FAC-0"), posting.invoice_piece("FAC-9")])
    assert JournalEntry.objects.get(pk=entry_id).piece_ref == "FAC-9"


@pytest.mark.django_db(transaction=True)
def test_pay_7_post_outside_a_transaction_opens_its_own(org):
    """Lines before entries would break a deferred key in autocommit: ``post`` makes it atomic."""
    (entry_id,) = posting.post([_invoice_entry(org)])
    entry = JournalEntry.objects.get(pk=entry_id)
    assert entry.lines.count() == 3
    assert sum(line.debit - line.credit for line in entry.lines.all()) == 0


@pytest.mark.django_db
def test_pay_7_a_run_posts_one_entry_per_centre_with_a_customer_line_per_invoice(org):
    """Decision 0014: a billing run's invoices make one sales entry per centre. Each
    invoice debits its customer on a line of its own whose piece is its number; revenue,
    third parties and VAT are credited once per account with the sum of the invoices'
    lines; the entries balance, are numbered in the sales journal, and a centre whose
    invoices are all zero gets none."""
    accounts = [factories.person(org.centres[n % 2]) for n in range(3)]
    alike = posting.invoice_third_parties(
        lines=[("water", "operator", Decimal("10.00")), ("water", "water_agency", Decimal("1.20"))],
        vat=[(Decimal("5.5"), Decimal("0.62"))],
        credit_note=False,
    )
    other = posting.invoice_third_parties(
        lines=[("sanitation", "authority", Decimal("20.00"))],
        vat=[(Decimal("10"), Decimal("2.00"))],
        credit_note=False,
    )
    nothing = posting.invoice_third_parties(lines=[], vat=[], credit_note=False)
    invoices = [
        (alike, accounts[0].pk, accounts[0].centre_id),
        (other, accounts[1].pk, accounts[1].centre_id),
        (alike, accounts[2].pk, accounts[2].centre_id),
        (nothing, accounts[1].pk, accounts[1].centre_id),
        (other, accounts[0].pk, accounts[0].centre_id),
    ]
    staged = posting.stage_invoice_run(invoices, issue_date=ON)
    assert not JournalLine.objects.exists()  # nothing written before the numbers
    ids = staged.write([f"FAC-2025-000000{n}" for n in range(1, 6)])
    entries = list(JournalEntry.objects.filter(pk__in=ids).order_by("number"))
    assert [(e.journal, e.number, e.centre_id, e.event) for e in entries] == [
        ("VE", 1, org.centres[0].pk, "invoice_run"),
        ("VE", 2, org.centres[1].pk, "invoice_run"),
    ]
    first, second = entries
    assert (first.piece_ref, first.label) == (
        "FAC-2025-0000001 à FAC-2025-0000005",
        "Facturation : 3 factures",
    )
    assert (second.piece_ref, second.label) == (
        "FAC-2025-0000002 à FAC-2025-0000004",
        "Facturation : 2 factures",
    )

    def lines(entry):
        return list(
            entry.lines.order_by("pk").values_list(
                "ledger_account", "customer_account_id", "piece_ref", "debit", "credit"
            )
        )

    assert lines(first) == [
        ("706110", None, "", Decimal("0.00"), Decimal("20.00")),
        ("467200", None, "", Decimal("0.00"), Decimal("2.40")),
        ("445711", None, "", Decimal("0.00"), Decimal("1.24")),
        ("467100", None, "", Decimal("0.00"), Decimal("20.00")),
        ("445712", None, "", Decimal("0.00"), Decimal("2.00")),
        ("411000", accounts[0].pk, "FAC-2025-0000001", Decimal("11.82"), Decimal("0.00")),
        ("411000", accounts[2].pk, "FAC-2025-0000003", Decimal("11.82"), Decimal("0.00")),
        ("411000", accounts[0].pk, "FAC-2025-0000005", Decimal("22.00"), Decimal("0.00")),
    ]
    assert [line[:3] for line in lines(second)][-1] == (
        "411000",
        accounts[1].pk,
        "FAC-2025-0000002",
    )
    for entry in entries:
        assert sum(d - c for *_rest, d, c in lines(entry)) == 0
    connection.check_constraints()
    empty = posting.stage_invoice_run(
        [(nothing, accounts[1].pk, accounts[1].centre_id)], issue_date=ON
    )
    assert empty.write(["FAC-2025-0000006"]) == []
