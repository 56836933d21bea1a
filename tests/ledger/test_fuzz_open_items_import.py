"""Hostile opening-balance files (issue 13, PAY-1): ``import open-items`` with random bytes
changed, cut or inserted, or random cells, either posts the whole file (an open item and a
balanced entry per line) or is refused with a clean error naming the line and column — never a
crash, never half a file written."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core import clock
from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.core.models.imports import ImportFile
from robinet.ledger.imports import import_open_items
from robinet.ledger.models import JournalEntry, JournalLine, OpenItem
from tests.customers import factories
from tests.fuzzing import damage, import_or_refuse

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HEADER = "account;document;date;due_date;amount;label\n"


@pytest.fixture(autouse=True)
def today():
    moment = timezone.make_aware(dt.datetime.combine(dt.date(2026, 2, 15), dt.time(12)))
    with clock.as_of(moment):
        yield


@pytest.fixture
def accounts(org):
    return [factories.person(org.centres[0]), factories.person(org.centres[2])]


def _sample(accounts) -> bytes:
    first, second = accounts
    return (
        HEADER
        + f"{first.number};F2019-0001;2025-11-30;2025-12-15;120,50;Facture ancien système\n"
        + f"{second.number};R2019-0042;20/12/2025;;-15,00;Trop-perçu\n"
    ).encode()


def _counts() -> tuple[int, ...]:
    return (
        ImportFile.objects.count(),
        OpenItem.objects.count(),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
    )


def _import_or_refuse(data: bytes) -> ApplicationError | None:
    result, refusal, before = import_or_refuse(
        lambda: import_open_items(data, filename="soldes.csv"), _counts
    )
    if refusal is not None:
        return refusal
    files, items, entries, _lines = _counts()
    assert files == before[0] + 1
    assert items - before[1] == entries - before[2] == result.rows  # one of each per line
    return None


@st.composite
def mutated(draw, sample: bytes) -> bytes:
    return damage(
        draw, sample, [b"9" * 40, b";", b'"', b"\n", b"\x00", b"-", b"0001-01-01", b"x" * 200]
    )


@FUZZ
@given(data=st.data())
def test_issue_13_pay_1_a_damaged_opening_file_is_refused_cleanly_or_posted_whole(accounts, data):
    _import_or_refuse(data.draw(mutated(_sample(accounts))))


_CELL = st.one_of(
    st.sampled_from(
        ["", "F1", "2025-11-30", "30/11/2025", "31/02/2025", "0001-01-01", "2099-01-01", "10,00",
         "-10,00", "0", "10,001", "9" * 40, "99999999999", "NaN", "x" * 130]
    ),
    st.text(alphabet="0123456789,.-/ éF", max_size=20),
)  # fmt: skip


@FUZZ
@given(rows=st.lists(st.lists(_CELL, min_size=0, max_size=7), min_size=0, max_size=5))
def test_issue_13_pay_1_an_opening_file_of_random_cells_is_refused_cleanly_or_posted_whole(
    accounts, rows
):
    lines = []
    for cells in rows:
        cells = [c.replace(";", ",").replace('"', "") for c in cells]
        if cells:
            cells[0] = accounts[len(lines) % 2].number
        lines.append(";".join(cells))
    _import_or_refuse((HEADER + "\n".join(lines) + "\n").encode())


@pytest.mark.parametrize("amount", ["9" * 40, "-" + "9" * 40])
def test_issue_13_pay_1_a_40_digit_amount_names_its_line_and_column(accounts, amount):
    data = (HEADER + f"{accounts[0].number};F1;2025-11-30;;{amount};\n").encode()
    refusal = _import_or_refuse(data)
    assert isinstance(refusal, InvalidImportFile)
    assert [(i.line, i.field) for i in refusal.issues] == [(2, "amount")]


def test_issue_13_pay_1_the_unmutated_sample_is_posted(accounts):
    assert _import_or_refuse(_sample(accounts)) is None
