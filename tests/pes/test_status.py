"""The accountant's recovery statuses reconciled on the accounts (issue 7; PAY-1, COLL-11, COLL-13)."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.billing.models import Invoice
from robinet.collections.choices import EventKind
from robinet.collections.fetch import load_facts, load_procedures
from robinet.collections.models import CollectionEvent
from robinet.core.exceptions import PermissionDenied
from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.ledger.models import JournalLine, OpenItem, OpenItemKind
from robinet.payments.models import Payment
from robinet.pes.choices import TitleStatus
from robinet.pes.models import Title, TitleEvent
from robinet.pes.services import pes_export
from robinet.pes.status import status_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def titled(billing_run, chief):
    pes_export(actor=chief, run=billing_run, on=dt.date(2026, 2, 1))
    household = Title.objects.get(account=billing_run.household)
    company = Title.objects.get(account=billing_run.company)
    return household, company


def csv(*lines: str) -> bytes:
    return ("titre;statut;montant;date;reference\n" + "\n".join(lines) + "\n").encode()


def balance(account) -> Decimal:
    return sum(account.open_items.values_list("open_amount", flat=True), Decimal("0.00"))


def test_round_trip_paid_enforcement_written_off(titled, billing_run, chief):
    household, company = titled
    half = (company.amount / 2).quantize(Decimal("0.01"))
    data = csv(
        f"{household.number};payé;{household.amount};10/02/2026;ENC-1",
        f"{company.number};Payé;{half};05/02/2026;",
        f"{company.number};poursuites en cours;;08/02/2026;OTD-77",
        f"{company.number};admis en non-valeur;{company.amount - half};12/02/2026;ANV-2026-4",
    )
    record = status_import(actor=chief, source=data, filename="retour.csv")
    assert record.outcome["paid_count"] == 2
    assert record.outcome["written_off_count"] == 1
    # Paid: a payment "comptable public" cleared the household's invoice.
    payment = Payment.objects.get(account=billing_run.household)
    assert payment.means == "accountant"
    assert payment.amount == household.amount
    assert payment.invoice_id == household.invoice_id
    assert balance(billing_run.household) == 0
    # Written off: a write-off credit item, posted to losses 654.
    write_off = OpenItem.objects.get(account=billing_run.company, kind=OpenItemKind.WRITE_OFF)
    assert write_off.amount == -(company.amount - half)
    assert JournalLine.objects.filter(
        entry__piece_ref=write_off.document_number, ledger_account="654000"
    ).exists()
    assert balance(billing_run.company) == 0
    household.refresh_from_db()
    company.refresh_from_db()
    assert household.status == TitleStatus.PAID
    assert household.paid == household.amount
    assert company.status == TitleStatus.WRITTEN_OFF
    assert company.paid == half
    assert company.reference == "ANV-2026-4"
    assert TitleEvent.objects.filter(import_file=record).count() == 4
    # COLL-13: every line is on the account's timeline.
    events = CollectionEvent.objects.filter(account=billing_run.company, kind=EventKind.ACCOUNTANT)
    assert events.count() == 3
    assert any("poursuites" in e.summary and "OTD-77" in e.summary for e in events)


def test_titled_invoices_are_never_dunned(titled, billing_run):
    facts = load_facts(
        [billing_run.household.pk, billing_run.small.pk],
        on=Invoice.objects.filter(run=billing_run).first().due_date.replace(year=2026),
        procedures=load_procedures(),
    )
    by_account = {f.debtor.account_id: f for f in facts}
    assert by_account[billing_run.household.pk].items == ()
    small = Invoice.objects.get(run=billing_run, account=billing_run.small)
    assert [i.document_number for i in by_account[billing_run.small.pk].items] == [small.number]


def test_same_file_twice_is_refused(titled, chief):
    household, _company = titled
    data = csv(f"{household.number};payé;10,00;10/02/2026;")
    status_import(actor=chief, source=data, filename="a.csv")
    with pytest.raises(AlreadyImported):
        status_import(actor=chief, source=data, filename="b.csv")
    assert Payment.objects.count() == 1


def test_partial_payment_leaves_the_title_partly_paid(titled, chief):
    household, _company = titled
    status_import(
        actor=chief, source=csv(f"{household.number};payé;10,00;10/02/2026;"), filename="a.csv"
    )
    household.refresh_from_db()
    assert household.status == TitleStatus.PARTLY_PAID
    assert household.paid == Decimal("10.00")


def issues(data, chief):
    with pytest.raises(InvalidImportFile) as exc:
        status_import(actor=chief, source=data, filename="bad.csv")
    return [(i.line, i.field) for i in exc.value.issues], str(exc.value)


def test_bad_lines_are_named_and_nothing_is_written(titled, chief):
    household, company = titled
    found, message = issues(
        csv(
            f"{household.number};payé;{household.amount + 1};10/02/2026;",  # 2: above what is due
            "T2026-9999999;payé;1,00;10/02/2026;",  # 3: unknown title
            f"{company.number};réglé;1,00;10/02/2026;",  # 4: unknown status
            f"{company.number};payé;abc;10/02/2026;",  # 5: bad amount
            f"{company.number};payé;;10/02/2026;",  # 6: amount required
            f"{company.number};payé;1,00;31/02/2026;",  # 7: bad date
            f"{company.number};payé;1,00;10/03/2026;",  # 8: future date
            f"{company.number};annulé;;10/02/2026;",  # 9: cancelled while due
            f"{company.number};payé;1,001;10/02/2026;",  # 10: three decimals
            f"{company.number};payé;-1,00;10/02/2026;",  # 11: negative
            f"{company.number};payé;1,00;10/01/2026;",  # 12: before the title
        ),
        chief,
    )
    assert found == [
        (2, "montant"),
        (3, "titre"),
        (4, "statut"),
        (5, "montant"),
        (6, "montant"),
        (7, "date"),
        (8, "date"),
        (9, "statut"),
        (10, "montant"),
        (11, "montant"),
        (12, "date"),
    ]
    assert "ligne 3, colonne titre" in message
    assert not Payment.objects.exists()
    assert not TitleEvent.objects.exists()


def test_cumulated_lines_cannot_exceed_what_is_due(titled, chief):
    household, _company = titled
    found, _message = issues(
        csv(
            f"{household.number};payé;{household.amount};10/02/2026;",
            f"{household.number};admis en non-valeur;1,00;11/02/2026;",
        ),
        chief,
    )
    assert found == [(3, "montant")]


def test_enforcement_on_a_settled_invoice_is_refused(titled, chief):
    household, _company = titled
    found, _message = issues(
        csv(
            f"{household.number};payé;{household.amount};10/02/2026;",
            f"{household.number};poursuites en cours;;11/02/2026;",
        ),
        chief,
    )
    assert found == [(3, "statut")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (1, None)),
        (b"titre;statut\nT2026-0000001;paye\n", (1, "date")),
        (b"titre;statut;date\n", (None, None)),
    ],
)
def test_structural_errors(titled, chief, data, expected):
    found, _message = issues(data, chief)
    assert found[0] == expected


def test_import_needs_the_payment_import_permission(titled, officer):
    household, _company = titled
    with pytest.raises(PermissionDenied):
        status_import(
            actor=officer, source=csv(f"{household.number};payé;1,00;10/02/2026;"), filename="a"
        )


def test_cancelled_after_the_credit_note(titled, billing_run, chief):
    from robinet.billing.services import credit_note_issue

    household, _company = titled
    credit_note_issue(actor=chief, invoice=household.invoice, reason="Erreur de relevé")
    record = status_import(
        actor=chief, source=csv(f"{household.number};annulé;;14/02/2026;AR-1"), filename="a.csv"
    )
    household.refresh_from_db()
    assert household.status == TitleStatus.CANCELLED
    assert record.outcome["cancelled_count"] == 1


def test_a_date_with_a_huge_day_is_invalid_not_a_crash():
    """Found by the status-file fuzz test (issue 13): ``int`` overflowed ``dt.date``."""
    from robinet.pes.status import parse_day

    assert parse_day("9" * 40 + "08/02/2026") is None
    assert parse_day("08/02/2026") == dt.date(2026, 2, 8)
