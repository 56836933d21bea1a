"""PAY-7: the FEC (art. A47 A-1 LPF) — columns, formats, numbering, balance check, file name."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from robinet.core.bulk import insert_rows
from robinet.core.exceptions import PermissionDenied, ValidationFailed
from robinet.customers.choices import PartyKind
from robinet.ledger import fec
from robinet.ledger.models import JournalEntry, JournalLine
from robinet.payments.models import PaymentMeans
from robinet.payments.services import payment_record, payment_reverse

pytestmark = pytest.mark.django_db


def _export(year, separator="tab", streaming_copy=None):
    out = io.StringIO()
    count = fec.write(out, year=year, separator=separator, streaming_copy=streaming_copy)
    return out.getvalue(), count


def _lines(text, sep="\t"):
    return [line.split(sep) for line in text.splitlines()]


def test_pay_7_fec_has_the_18_columns_and_one_line_per_journal_line(billed, cashier):
    payment_record(actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal("12.5"))
    text, count = _export(2025)
    rows = _lines(text)
    assert rows[0] == list(fec.COLUMNS)
    assert len(fec.COLUMNS) == 18
    assert count == JournalLine.objects.filter(entry__year=2025).count() == len(rows) - 1
    assert all(len(row) == 18 for row in rows)
    text_2026, _ = _export(2026)
    assert len(_lines(text_2026)) - 1 == JournalLine.objects.filter(entry__year=2026).count()


def test_pay_7_fec_dates_amounts_and_auxiliary_account(billed, cashier):
    payment_record(actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal("1234.5"))
    rows = [dict(zip(fec.COLUMNS, r, strict=True)) for r in _lines(_export(2026)[0])[1:]]
    customer = next(r for r in rows if r["CompteNum"] == "411000")
    cash = next(r for r in rows if r["CompteNum"] == "531000")
    assert customer["Credit"] == "1234,50"
    assert customer["Debit"] == "0,00"
    assert cash["Debit"] == "1234,50"
    assert customer["EcritureDate"] == "20260215"
    assert customer["PieceDate"] == "20260215"
    assert len(customer["ValidDate"]) == 8
    assert customer["CompAuxNum"] == billed.number
    assert billed.party.name in customer["CompAuxLib"]
    assert cash["CompAuxNum"] == cash["CompAuxLib"] == ""
    assert customer["JournalCode"] == "CA"
    assert customer["JournalLib"] == "Caisse"
    assert customer["CompteLib"] == "Clients"
    assert customer["EcritureNum"] == cash["EcritureNum"] == "CA00000001"


def test_pay_7_fec_entries_are_numbered_sequentially_per_journal(billed, cashier):
    for amount in ("5", "6", "7"):
        payment_record(
            actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal(amount)
        )
    for year in (2025, 2026):
        by_journal: dict[str, list[str]] = {}
        for row in _lines(_export(year)[0])[1:]:
            numbers = by_journal.setdefault(row[0], [])
            if not numbers or numbers[-1] != row[2]:
                numbers.append(row[2])
        for journal, numbers in by_journal.items():
            expected = JournalEntry.objects.filter(year=year, journal=journal).count()
            assert numbers == [f"{journal}{n:08d}" for n in range(1, expected + 1)]
        if year == 2026:
            assert by_journal["CA"] == ["CA00000001", "CA00000002", "CA00000003"]
        else:
            assert by_journal["VE"] == ["VE00000001"]


def test_pay_7_every_exported_entry_balances(billed, cashier):
    payment = payment_record(
        actor=cashier, account=billed, means=PaymentMeans.CASH, amount=Decimal("30")
    )
    payment_reverse(actor=cashier, payment=payment, reason="Erreur de caisse")
    entries: dict[str, Decimal] = {}
    for row in _lines(_export(2026)[0])[1:]:
        debit = Decimal(row[11].replace(",", "."))
        credit = Decimal(row[12].replace(",", "."))
        entries[row[2]] = entries.get(row[2], Decimal(0)) + debit - credit
    assert len(entries) == JournalEntry.objects.filter(year=2026).count() == 3
    assert set(entries.values()) == {Decimal(0)}


def test_pay_7_an_unbalanced_entry_refuses_the_export_and_names_it(billed, org, tmp_path):
    # An entry without lines cannot balance (nothing else can be forced past the triggers).
    JournalEntry.objects.create(
        journal="OD", year=2025, number=1, entry_date=dt.date(2025, 5, 1), piece_ref="OD-TEST",
        piece_date=dt.date(2025, 5, 1), label="Test", centre=org.centres[0], event="test",
        created_at=timezone.now(),
    )  # fmt: skip
    with pytest.raises(fec.UnbalancedExport) as refused:
        _export(2025)
    assert "OD00000001 (OD-TEST)" in refused.value.message
    with pytest.raises(fec.UnbalancedExport):
        fec.export(actor=None, year=2025, out=tmp_path / "fec.txt", check_permission=False)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_pay_7_pipe_separator_and_labels_never_break_a_column(billed):
    text, _count = _export(2025, separator="pipe")
    rows = _lines(text, "|")
    assert rows[0][0] == "JournalCode"
    assert all(len(row) == 18 for row in rows)
    assert fec.clean("a|b\tc\nd\\e") == "a b c d e"


def test_pay_7_fec_file_name_uses_the_siren_and_the_closing_date(billed, tmp_path, settings):
    settings.ROBINET_UTILITY = {**settings.ROBINET_UTILITY, "siren": "200 012 345"}
    path, count = fec.export(actor=None, year=2025, out=tmp_path, check_permission=False)
    assert path.name == "200012345FEC20251231.txt"
    assert count > 0
    assert not list(tmp_path.glob("*.partial"))
    settings.ROBINET_UTILITY = {**settings.ROBINET_UTILITY, "siren": ""}
    path, _count = fec.export(
        actor=None, year=2025, out=tmp_path, siren="123456789", check_permission=False
    )
    assert path.name == "123456789FEC20251231.txt"
    with pytest.raises(ValidationFailed) as refused:
        fec.export(actor=None, year=2025, out=tmp_path, siren="12", check_permission=False)
    assert "siren" in refused.value.fields


def test_pay_7_the_fec_needs_accounting_view_on_the_whole_ledger(
    billed, cashier, accountant, tmp_path
):
    with pytest.raises(PermissionDenied):
        fec.export(actor=cashier, year=2025, out=tmp_path / "fec.txt")  # one centre only
    path, _count = fec.export(actor=accountant, year=2025, out=tmp_path / "fec.txt")
    assert path.exists()


def test_pay_7_fec_command_writes_the_file(billed, tmp_path):
    out = io.StringIO()
    call_command("accounting", "fec", "--year", "2025", "--out", str(tmp_path), stdout=out)
    (written,) = tmp_path.iterdir()
    assert written.name.endswith("FEC20251231.txt")
    assert "lignes écrites" in out.getvalue()
    header = written.read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t") == list(fec.COLUMNS)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_pay_7_copy_and_portable_paths_write_the_same_file(billed, cashier, tmp_path):
    payment_record(
        actor=cashier,
        account=billed,
        means=PaymentMeans.CHEQUE,
        amount=Decimal("9.99"),
        cheque_number="7654321",
    )
    for year in (2025, 2026):
        assert _export(year, streaming_copy=True) == _export(year, streaming_copy=False)
        # into a real file, the COPY bytes go straight to the file's buffer
        for streaming_copy in (True, False):
            path = tmp_path / f"{year}-{streaming_copy}.txt"
            with path.open("w", encoding="utf-8", newline="") as handle:
                fec.write(handle, year=year, streaming_copy=streaming_copy)
        copied = (tmp_path / f"{year}-True.txt").read_bytes()
        assert copied == (tmp_path / f"{year}-False.txt").read_bytes()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_pay_7_copy_path_cleans_texts_as_the_portable_path(billed, org):
    """Tabs, pipes, line breaks, backslashes and padding in labels, pieces and holder names:
    the SQL cleaning (run only on the texts that need it) matches ``fec.clean``."""
    party = billed.party
    party.kind, party.first_name, party.name = PartyKind.PERSON, "Jean\r\n", "Dupont\\ "
    party.save()
    _od_entry(
        org, billed, number=900, credit=Decimal("10.00"),
        piece_ref="  OD-900 ", label="\tRemise|n° 3\x1e\x1f  ",
    )  # fmt: skip
    for separator in ("tab", "pipe"):
        copied, count = _export(2025, separator, streaming_copy=True)
        assert (copied, count) == _export(2025, separator, streaming_copy=False)
        sep = fec.SEPARATORS[separator]
        ours = [line for line in _lines(copied, sep) if line[2] == "OD00000900"]
        assert [line[7] for line in ours] == ["Jean   Dupont", ""]
        assert {(line[8], line[10]) for line in ours} == {("OD-900", "Remise n° 3")}


def _od_entry(org, account, *, number, credit, piece_ref, label="Test"):
    """An OD entry of 2025 written past the posting module: the customer's 411 debited
    10.00, 706 credited ``credit``."""
    entry = JournalEntry.objects.create(
        journal="OD", year=2025, number=number, entry_date=dt.date(2025, 5, 1),
        piece_ref=piece_ref, piece_date=dt.date(2025, 5, 1), label=label,
        centre=org.centres[0], event="test", created_at=timezone.now(),
    )  # fmt: skip
    insert_rows(
        JournalLine,
        ("entry_id", "ledger_account", "customer_account_id", "debit", "credit"),
        [(entry.pk, "411000", account.pk, Decimal("10.00"), Decimal("0.00")),
         (entry.pk, "706000", None, Decimal("0.00"), credit)],
    )  # fmt: skip


def _assert_unbalanced_entry_refused(billed, org) -> None:
    """An entry of 10.00 against 9.99, past any trigger: the export is refused, naming it."""
    _od_entry(org, billed, number=7, credit=Decimal("9.99"), piece_ref="OD-7")
    with pytest.raises(fec.UnbalancedExport) as refused:
        _export(2025)
    assert "OD00000007 (OD-7)" in refused.value.message


def test_pay_7_an_entry_whose_lines_differ_refuses_the_export(billed, org):
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL trigger refuses an unbalanced entry at posting")
    _assert_unbalanced_entry_refused(billed, org)


def test_pay_7_postgresql_sums_the_lines_again_only_when_its_balance_trigger_is_off(billed, org):
    """The trigger refuses an unbalanced entry at posting and lines never change: the export
    trusts it while it is on, and sums every entry again when someone has turned it off."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no balance trigger: the export always sums the lines")
    assert fec.balance_guarded()
    connection.check_constraints()  # no key check pending on the table: it can be altered
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER ledger_journalline_balanced")
    assert not fec.balance_guarded()
    _assert_unbalanced_entry_refused(billed, org)


def test_pay_7_fec_command_errors_are_clear(billed, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Écriture impossible"):
        call_command("accounting", "fec", "--year", "2025", "--out", str(tmp_path / "no" / "f.txt"))
    with pytest.raises(CommandError, match="Séparateur|separator|invalid choice"):
        call_command(
            "accounting", "fec", "--year", "2025", "--out", str(tmp_path), "--separator", "comma"
        )


def test_pay_7_fec_piece_of_a_run_entry_is_each_lines_own(run_of_three):
    """Decision 0014: in a billing run's entry the customer lines' PieceRef is their
    invoice's number, the summed lines' the entry's range of numbers; same on both paths."""
    rows = [dict(zip(fec.COLUMNS, r, strict=True)) for r in _lines(_export(2025)[0])[1:]]
    assert len({r["EcritureNum"] for r in rows}) == 1
    customers = [r for r in rows if r["CompteNum"] == "411000"]
    assert [r["PieceRef"] for r in customers] == [i.number for i in run_of_three]
    entry = JournalEntry.objects.get()
    assert {r["PieceRef"] for r in rows if r["CompteNum"] != "411000"} == {entry.piece_ref}
    assert {r["EcritureLib"] for r in rows} == {"Facturation : 3 factures"}
    if connection.vendor == "postgresql":
        assert _export(2025, streaming_copy=True) == _export(2025, streaming_copy=False)
