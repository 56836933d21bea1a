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
def test_pay_7_invoice_entries_staged_alike_write_what_stage_writes(org):
    """The billing run's path (``stage_invoice_entries``: bills priced alike share their
    lines' shape) writes the entries and lines that ``stage`` writes for each
    ``invoice_entry`` (invoices and credit notes), in the same order, an entry without lines
    dropped as ``stage`` drops it."""
    accounts = [factories.person(org.centres[n % 2]) for n in range(3)]
    alike = [
        posting.invoice_third_parties(
            lines=[("water", "operator", Decimal("10.00")), ("water", "water_agency", amount)],
            vat=[(Decimal("5.5"), Decimal("0.55"))],
            credit_note=credit_note,
        )
        for amount, credit_note in ((Decimal("1.20"), False), (Decimal("3.40"), True))
    ]
    nothing = posting.invoice_third_parties(lines=[], vat=[], credit_note=False)
    invoices = [
        (alike[n % 2] if n != 4 else nothing, accounts[n % 3].pk, accounts[n % 3].centre_id)
        for n in range(9)
    ]
    pieces = [posting.invoice_piece(f"FAC-{n}") for n in range(9)]

    def written(staged):
        ids = staged.write(pieces)
        entries = JournalEntry.objects.filter(pk__in=ids).order_by("pk")
        return [
            (
                e.journal, e.piece_ref, e.label, e.centre_id, e.event,
                list(e.lines.order_by("pk").values_list(
                    "ledger_account", "customer_account_id", "debit", "credit"
                )),
            )
            for e in entries
        ]  # fmt: skip

    alike_path = written(posting.stage_invoice_entries(invoices, issue_date=ON))
    one_by_one = written(
        posting.stage(
            [
                posting.invoice_entry(
                    number="", issue_date=ON, account_id=account_id, centre_id=centre_id,
                    credit_note=third_parties.credit_note, third_parties=third_parties,
                )
                for third_parties, account_id, centre_id in invoices
            ]
        )
    )  # fmt: skip
    assert alike_path == one_by_one
    assert len(alike_path) == 8
    assert "FAC-4" not in {entry[1] for entry in alike_path}
    connection.check_constraints()
