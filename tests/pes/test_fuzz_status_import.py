"""Hostile recovery-status files from the public accountant (issue 13; PAY-1, COLL-11, COLL-13):
with random bytes changed, cut or inserted, or random cells, the file is either reconciled whole
or refused with a clean error naming the line and column — never a crash, never half a file
written."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.core.models.imports import ImportFile
from robinet.ledger.models import JournalEntry, OpenItem
from robinet.payments.models import Payment
from robinet.pes.models import Title, TitleEvent
from robinet.pes.services import pes_export
from robinet.pes.status import status_import
from tests.fuzzing import damage, import_or_refuse

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HEADER = "titre;statut;montant;date;reference\n"


@pytest.fixture
def titled(billing_run, chief):
    pes_export(actor=chief, run=billing_run, on=dt.date(2026, 2, 1))
    return Title.objects.get(account=billing_run.household), Title.objects.get(
        account=billing_run.company
    )


def _sample(titled) -> bytes:
    household, company = titled
    return (
        HEADER
        + f"{household.number};payé;{household.amount};10/02/2026;ENC-1\n"
        + f"{company.number};poursuites en cours;;08/02/2026;OTD-77\n"
    ).encode()


def _counts() -> tuple[int, ...]:
    return (
        ImportFile.objects.count(),
        TitleEvent.objects.count(),
        Payment.objects.count(),
        OpenItem.objects.count(),
        JournalEntry.objects.count(),
    )


def _import_or_refuse(chief, data: bytes) -> ApplicationError | None:
    result, refusal, before = import_or_refuse(
        lambda: status_import(actor=chief, source=data, filename="retour.csv"), _counts
    )
    if refusal is not None:
        return refusal
    after = _counts()
    assert after[0] == before[0] + 1
    assert after[1] == before[1] + result.rows  # one event per line
    return None


@st.composite
def mutated(draw, sample: bytes) -> bytes:
    return damage(draw, sample, [b"9" * 40, b";", b'"', b"\n", b"\x00", b"/", b"-", b"x" * 60])


@FUZZ
@given(data=st.data())
def test_issue_13_a_damaged_status_file_is_refused_cleanly_or_reconciled_whole(titled, chief, data):
    _import_or_refuse(chief, data.draw(mutated(_sample(titled))))


_CELL = st.one_of(
    st.sampled_from(
        ["", "payé", "Payé", "annulé", "admis en non-valeur", "poursuites en cours", "inconnu",
         "10/02/2026", "2026-02-10", "31/02/2026", "1/1/1", "0/0/0000", "10,00", "0,001", "-1",
         "9" * 40, "NaN", "x" * 50]
    ),
    st.text(alphabet="0123456789,./- éT", max_size=16),
)  # fmt: skip


@FUZZ
@given(rows=st.lists(st.lists(_CELL, min_size=0, max_size=6), min_size=0, max_size=4))
def test_issue_13_a_status_file_of_random_cells_is_refused_cleanly_or_reconciled_whole(
    titled, chief, rows
):
    numbers = [t.number for t in titled]
    lines = []
    for cells in rows:
        cells = [c.replace(";", ",").replace('"', "") for c in cells]
        if cells:
            cells[0] = numbers[len(lines) % 2]
        lines.append(";".join(cells))
    _import_or_refuse(chief, (HEADER + "\n".join(lines) + "\n").encode())


def test_issue_13_a_40_digit_amount_is_refused_naming_its_line(titled, chief):
    household, _company = titled
    data = (HEADER + f"{household.number};payé;{'9' * 40};10/02/2026;\n").encode()
    refusal = _import_or_refuse(chief, data)
    assert isinstance(refusal, InvalidImportFile)
    assert (2, "montant") in {(i.line, i.field) for i in refusal.issues}


def test_issue_13_the_unmutated_status_sample_is_reconciled(titled, chief):
    assert _import_or_refuse(chief, _sample(titled)) is None
