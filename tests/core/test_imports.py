"""Import helpers (ARCHITECTURE principle 5: parse and validate whole, then write once;
errors name line and field; the same file twice is detected by its hash)."""

import codecs
import datetime as dt
import io

import pytest
import time_machine
from django.db import transaction

from robinet.core.imports import (
    AlreadyImported,
    ImportErrors,
    ImportIssue,
    InvalidImportFile,
    decode_text,
    ensure_not_imported,
    file_sha256,
    read_csv,
    record_import,
    sniff_delimiter,
)
from robinet.core.models import AuditEvent, ImportFile

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
CSV_FR = "siret;raison sociale;montant\n12345678900011;Boulangerie Émile;1 234,56\n"


# --- hashing ----------------------------------------------------------------------


def test_file_sha256_of_bytes_path_and_file_object(tmp_path):
    data = CSV_FR.encode()
    path = tmp_path / "clients.csv"
    path.write_bytes(data)
    handle = io.BytesIO(data)
    handle.seek(5)
    assert file_sha256(b"") == EMPTY_SHA256
    assert file_sha256(data) == file_sha256(path) == file_sha256(str(path))
    assert file_sha256(handle) != file_sha256(data)  # from the current position…
    assert handle.tell() == 5  # …and the position is left as it was
    handle.seek(0)
    assert file_sha256(handle) == file_sha256(data)
    assert file_sha256(data + b" ") != file_sha256(data)


# --- duplicates -------------------------------------------------------------------


@pytest.mark.django_db
def test_duplicate_file_is_detected_with_the_earlier_date(make_user):
    clerk = make_user("clerk")
    sha = file_sha256(CSV_FR.encode())
    ensure_not_imported("customers", sha)  # first time: fine

    with time_machine.travel(dt.datetime(2026, 3, 12, 9, 15, tzinfo=dt.UTC), tick=False):
        record = record_import(
            kind="customers",
            sha256=sha,
            filename="/tmp/uploads/clients mars.csv",
            rows=1,
            actor=clerk,
            outcome={"created": 1, "total": "1234.56"},
        )
    assert record.filename == "clients mars.csv"  # no server path kept
    assert record.imported_by == clerk
    assert AuditEvent.objects.filter(verb="import.recorded", actor=clerk).count() == 1

    with pytest.raises(AlreadyImported) as refused:
        ensure_not_imported("customers", sha)
    message = str(refused.value)
    assert "12/03/2026 à 10:15" in message  # local time (Europe/Paris)
    assert "clients mars.csv" in message
    assert refused.value.code == "already_imported"
    assert refused.value.http_status == 409
    assert refused.value.earlier == record

    ensure_not_imported("bank_statement", sha)  # another kind of import: independent


@pytest.mark.django_db
def test_record_import_refuses_a_second_record_and_keeps_the_transaction_usable():
    sha = file_sha256(b"x")
    record_import(kind="readings", sha256=sha, filename="a.csv", rows=3)
    with transaction.atomic():
        with pytest.raises(AlreadyImported):
            record_import(kind="readings", sha256=sha, filename="b.csv", rows=3)
        # the savepoint was rolled back, the caller's transaction still works
        assert ImportFile.objects.filter(sha256=sha).count() == 1


@pytest.mark.django_db
def test_a_forced_reimport_is_recorded_as_the_next_repeat_of_the_file():
    """Principle 5: ``--force`` re-imports a file already imported; each import stays on
    record (repeat 0, 1, 2…) and an unforced one is still refused."""
    sha = file_sha256(b"z")
    first = record_import(kind="readings", sha256=sha, filename="a.csv", rows=3)
    again = record_import(kind="readings", sha256=sha, filename="a.csv", rows=3, force=True)
    third = record_import(kind="readings", sha256=sha, filename="a.csv", rows=3, force=True)
    assert [first.repeat, again.repeat, third.repeat] == [0, 1, 2]
    with pytest.raises(AlreadyImported):
        record_import(kind="readings", sha256=sha, filename="a.csv", rows=3)
    fresh = record_import(kind="customers", sha256=sha, filename="a.csv", rows=3, force=True)
    assert fresh.repeat == 0  # forcing a file never imported is a first import


@pytest.mark.django_db
def test_the_customer_import_with_force_imports_the_same_file_again(org):
    """CUST-1, principle 5: the same bytes, forced, are imported (not refused)."""
    from robinet.customers.imports import import_customers
    from robinet.customers.models import CustomerAccount

    data = (
        "centre;kind;civility;name;first_name;customer_class\n"
        f"{org.centres[0].code};person;Mme;Reprise;Anne;individual\n"
    ).encode()
    import_customers(data, filename="clients.csv")
    with pytest.raises(AlreadyImported):
        import_customers(data, filename="clients.csv")
    import_customers(data, filename="clients.csv", force=True)
    assert CustomerAccount.objects.filter(party__name="Reprise").count() == 2
    assert ImportFile.objects.filter(kind="customers").count() == 2


@pytest.mark.django_db(transaction=True)
def test_rolled_back_import_leaves_no_trace():
    sha = file_sha256(b"y")

    def failing_import():
        with transaction.atomic():
            record_import(kind="readings", sha256=sha, filename="a.csv", rows=3)
            raise ZeroDivisionError  # the write phase fails after the record

    with pytest.raises(ZeroDivisionError):
        failing_import()
    ensure_not_imported("readings", sha)  # can be imported again


# --- errors -----------------------------------------------------------------------


def test_import_errors_are_sorted_by_line_and_complete():
    errors = ImportErrors()
    assert not errors
    errors.raise_if_any()  # nothing to report
    errors.add(12, "siret", "SIRET invalide")
    errors.add(3, "montant", "montant négatif")
    errors.add(12, "date", "date impossible")
    errors.add(None, None, "le total ne correspond pas")
    errors.add(3, None, "ligne incomplète")
    assert len(errors) == 5

    with pytest.raises(InvalidImportFile) as refused:
        errors.raise_if_any()
    issues = refused.value.issues
    assert [(i.line, i.field) for i in issues] == [
        (None, None),
        (3, "montant"),
        (3, None),
        (12, "siret"),
        (12, "date"),
    ]
    assert str(refused.value).splitlines() == [
        "fichier : le total ne correspond pas",
        "ligne 3, colonne montant : montant négatif",
        "ligne 3 : ligne incomplète",
        "ligne 12, colonne siret : SIRET invalide",
        "ligne 12, colonne date : date impossible",
    ]
    assert refused.value.code == "invalid_import_file"
    assert refused.value.data["errors"][3] == {
        "line": 12,
        "field": "siret",
        "message": "SIRET invalide",
    }


def test_import_issue_str():
    assert str(ImportIssue(12, "siret", "SIRET invalide")) == (
        "ligne 12, colonne siret : SIRET invalide"
    )


# --- encodings and delimiters ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_FR.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + CSV_FR.encode("utf-8"), "utf-8-sig"),
        (CSV_FR.encode("cp1252"), "cp1252"),  # Excel on French Windows
        (CSV_FR.encode("utf-16"), "utf-16"),  # Excel "Unicode text" (with BOM)
    ],
)
def test_encodings_are_recognised_case(data, encoding):
    reader = read_csv(data, required=["siret"])
    assert reader.encoding == encoding
    assert [row["raison sociale"] for _, row in reader] == ["Boulangerie Émile"]


@pytest.mark.parametrize(
    "data",
    [
        b"siret;nom\n\x81\x8d\x90;x\n",  # bytes undefined in both UTF-8 and Windows-1252
        "siret;nom\n".encode("utf-16-le"),  # UTF-16 without BOM: NULs everywhere
    ],
)
def test_bad_encoding_is_refused_case(data):
    with pytest.raises(InvalidImportFile) as refused:
        read_csv(data, required=["siret"])
    assert str(refused.value).startswith("fichier : encodage non reconnu")


def test_decode_text_keeps_accents():
    text, encoding = decode_text("é".encode("cp1252"))
    assert (text, encoding) == ("é", "cp1252")


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ("seule", ";"), ("a;b,c", ";")],
)
def test_sniff_delimiter_case(header, delimiter):
    assert sniff_delimiter(header) == delimiter


def test_comma_separated_file_with_quoted_decimal_commas():
    reader = read_csv(b'siret,montant\n12345678900011,"1 234,56"\n', required=["siret", "montant"])
    assert reader.delimiter == ","
    assert list(reader) == [(2, {"siret": "12345678900011", "montant": "1 234,56"})]


# --- header checks -------------------------------------------------------------------


def test_missing_required_columns_are_named():
    with pytest.raises(InvalidImportFile) as refused:
        read_csv(CSV_FR.encode(), required=["siret", "iban", "date d'effet"])
    assert str(refused.value).splitlines() == [
        "ligne 1, colonne iban : colonne obligatoire absente.",
        "ligne 1, colonne date d'effet : colonne obligatoire absente.",
    ]


def test_headers_match_ignoring_case_and_spaces_and_take_the_importer_names():
    data = "\ufeff SIRET ;Raison  Sociale;Montant;Commentaire\n1;A;2;x\n".encode()
    reader = read_csv(data, required=["siret", "raison sociale"], optional=["montant", "iban"])
    assert reader.headers == ["SIRET", "Raison  Sociale", "Montant", "Commentaire"]
    assert list(reader) == [
        (
            2,
            {
                "siret": "1",
                "raison sociale": "A",
                "montant": "2",
                "Commentaire": "x",
                "iban": "",  # optional and absent
            },
        )
    ]


def test_duplicate_and_empty_files_are_refused():
    with pytest.raises(InvalidImportFile, match="colonne en double"):
        read_csv(b"siret;SIRET\n1;2\n", required=["siret"])
    with pytest.raises(InvalidImportFile, match="vide"):
        read_csv(b"", required=["siret"])
    with pytest.raises(InvalidImportFile, match="vide"):
        read_csv(b";;\n1;2;3\n")


# --- rows and line numbers ---------------------------------------------------------


def test_line_numbers_are_spreadsheet_rows():
    data = (
        b"siret;nom;note\r\n"
        b"1;Alpha;ok\r\n"
        b"\r\n"  # an empty row: skipped, still counted
        b";;\r\n"  # a row of empty cells: skipped too
        b'2;"Beta\r\nsur deux lignes";ok\r\n'  # one spreadsheet row over two text lines
        b"3;Gamma\r\n"  # a short row is padded
        b"4;Delta;ok;en trop\r\n"  # an extra non-empty cell is an error
    )
    errors = ImportErrors()
    reader = read_csv(data, required=["siret", "nom"], errors=errors)
    rows = list(reader)
    assert [(line, row["siret"]) for line, row in rows] == [(2, "1"), (5, "2"), (6, "3"), (7, "4")]
    assert rows[1][1]["nom"] == "Beta\r\nsur deux lignes"
    assert rows[2][1]["note"] == ""
    assert [str(i) for i in errors] == ["ligne 7 : 4 valeurs pour 3 colonnes."]
    assert reader.errors is errors


def test_whole_file_validation_collects_every_error_before_writing():
    """The importer pattern: read all rows, add errors, raise once with all of them."""
    data = b"siret;montant\n123;10\nabc;-5\n456;x\n"
    reader = read_csv(data, required=["siret", "montant"])
    for line, row in reader:
        if not row["siret"].isdigit():
            reader.errors.add(line, "siret", "SIRET invalide")
        if not row["montant"].lstrip("-").isdigit():
            reader.errors.add(line, "montant", "montant illisible")
        elif row["montant"].startswith("-"):
            reader.errors.add(line, "montant", "montant négatif")
    with pytest.raises(InvalidImportFile) as refused:
        reader.errors.raise_if_any()
    assert str(refused.value).splitlines() == [
        "ligne 3, colonne siret : SIRET invalide",
        "ligne 3, colonne montant : montant négatif",
        "ligne 4, colonne montant : montant illisible",
    ]
