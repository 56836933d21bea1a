"""Hostile legacy customer files (issue 13, ARCHITECTURE principle 5, CUST-2…10): a customers,
service points or contracts CSV with random bytes changed, cut or inserted, or made of random
cells, is either imported whole or refused with a clean error naming the line and column —
never a crash, never half a file written."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.core.models.imports import ImportFile
from robinet.customers.imports import import_contracts, import_customers, import_service_points
from robinet.customers.models import Contract, CustomerAccount, Meter, Party, ServicePoint
from tests.customers.test_imports import CONTRACTS, CUSTOMERS, SERVICE_POINTS
from tests.fuzzing import damage, import_or_refuse

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
IMPORTERS = {
    "customers": (import_customers, CUSTOMERS),
    "service_points": (import_service_points, SERVICE_POINTS),
    "contracts": (import_contracts, CONTRACTS),
}


def _counts() -> tuple[int, ...]:
    return (
        ImportFile.objects.count(),
        Party.objects.count(),
        CustomerAccount.objects.count(),
        ServicePoint.objects.count(),
        Meter.objects.count(),
        Contract.objects.count(),
    )


def _import_or_refuse(importer, data: bytes) -> ApplicationError | None:
    result, refusal, before = import_or_refuse(
        lambda: importer(data, filename="reprise.csv"), _counts
    )
    if refusal is not None:
        return refusal
    after = _counts()
    assert after[0] == before[0] + 1
    created = sum(after[1:]) - sum(before[1:])
    assert created == sum(result.created.values())  # every line, nothing else
    return None


@pytest.fixture
def points(org):
    """The customers and service points the contracts file refers to."""
    import_customers(CUSTOMERS.encode(), filename="clients.csv")
    import_service_points(SERVICE_POINTS.encode(), filename="pds.csv")


@st.composite
def mutated(draw, sample: bytes) -> bytes:
    return damage(
        draw,
        sample,
        [
            b"9" * 40,
            b"\xc2\xb2",
            b";",
            b'"',
            b"\n",
            b"\x00",
            b"-1",
            b"31/02/2025",
            b"0001-01-01",
            b"x" * 300,
        ],
    )


@FUZZ
@given(kind=st.sampled_from(["customers", "service_points"]), data=st.data())
def test_issue_13_a_damaged_customer_or_service_point_file_is_refused_cleanly_or_imported_whole(
    org, kind, data
):
    importer, sample = IMPORTERS[kind]
    _import_or_refuse(importer, data.draw(mutated(sample.encode())))


@FUZZ
@given(data=st.data())
def test_issue_13_cust_10_a_damaged_contracts_file_is_refused_cleanly_or_imported_whole(
    org, points, data
):
    _import_or_refuse(import_contracts, data.draw(mutated(CONTRACTS.encode())))


_CELL = st.one_of(
    st.sampled_from(
        ["", "CT11", "CT99", "person", "company", "individual", "professional", "oui", "peut-être",
         "2019-04-01", "31/02/2025", "9" * 40, "1" * 17, "²", "P000000501", "100000001",
         "main_residence", "67000", "67482", "FR7630006000011234567890189", "FR76", "-5", "x" * 300]
    ),
    st.text(alphabet="0123456789-/ éAZaz", max_size=20),
)  # fmt: skip


@FUZZ
@given(
    kind=st.sampled_from(["customers", "service_points", "contracts"]),
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=20), min_size=0, max_size=4),
)
def test_issue_13_a_file_of_random_cells_is_refused_cleanly_or_imported_whole(
    org, points, kind, rows
):
    importer, sample = IMPORTERS[kind]
    header = sample.split("\n", 1)[0]
    body = "\n".join(";".join(c.replace(";", ",").replace('"', "") for c in r) for r in rows)
    _import_or_refuse(importer, (header + "\n" + body + "\n").encode())


@pytest.mark.parametrize(
    ("kind", "line", "field"),
    [
        ("customers", CUSTOMERS.replace("100000001", "9" * 40), "number"),
        ("customers", CUSTOMERS.replace("100000001", "1" * 17), "number"),
        ("service_points", SERVICE_POINTS.replace("P000000501", "P" + "5" * 30), "reference"),
        ("service_points", SERVICE_POINTS.replace("I20AA000001", "I" * 21), "meter_serial"),
    ],
    ids=["customer-40-digits", "customer-17", "service-point-reference", "meter-serial"],
)
def test_issue_13_an_overlong_legacy_number_is_refused_naming_its_column(org, kind, line, field):
    """Longer than its column: refused on the line (a 40-digit number used to overflow the
    number sequence, and PostgreSQL refuses what does not fit)."""
    importer, _sample = IMPORTERS[kind]
    refusal = _import_or_refuse(importer, line.encode())
    assert isinstance(refusal, InvalidImportFile)
    assert (2, field) in {(i.line, i.field) for i in refusal.issues}


def test_issue_13_an_overlong_contract_number_is_refused_naming_its_column(org, points):
    data = CONTRACTS.replace("customer_number;", "number;customer_number;").replace(
        "100000001;P", "A" + "1" * 20 + ";100000001;P"
    )
    refusal = _import_or_refuse(import_contracts, data.encode())
    assert (2, "number") in {(i.line, i.field) for i in refusal.issues}


def test_issue_13_a_superscript_in_a_legacy_number_is_no_crash(org):
    """``"²".isdigit()`` is true but ``int("²")`` fails: the sequence ignores such characters."""
    assert (
        _import_or_refuse(import_customers, CUSTOMERS.replace("100000001", "10²").encode()) is None
    )
    assert CustomerAccount.objects.filter(number="10²").exists()


def test_issue_13_the_unmutated_samples_import_whole(org):
    for kind in ("customers", "service_points", "contracts"):
        importer, sample = IMPORTERS[kind]
        assert _import_or_refuse(importer, sample.encode()) is None
