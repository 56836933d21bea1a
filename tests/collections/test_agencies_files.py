"""Files exchanged with an agency: export and report import (COLL-8, ORG-4)."""

import csv
import io
from decimal import Decimal

import pytest

from robinet.collections import agency_files
from robinet.collections.models import AgencyReport, CollectionEvent, ReportKind
from robinet.core.imports import AlreadyImported, InvalidImportFile
from tests.collections.agency_fixtures import *  # noqa: F403


def report_file(assignment, *lines: str) -> bytes:
    header = "reference;assignment;account;date;kind;amount;promised_on;commission;note"
    return (
        "\n".join([header, *lines])
        .format(a=assignment.reference, n=assignment.account.number)
        .encode()
    )


def test_coll8_export_one_line_per_account_minimal_data(assigned, agency, collector, debtor):
    data = agency_files.assignment_export(actor=collector, agency=agency)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1
    (row,) = rows
    assert list(row) == list(agency_files.EXPORT_COLUMNS)
    assert row["assignment"] == assigned.reference
    assert row["account"] == debtor.number
    assert row["amount"] == "200.00"
    assert len(row["items"].split("|")) == 2
    # ORG-4 / GDPR: nothing about contracts, meters, consumption or other customers.
    assert "iban" not in data.decode().lower()


def test_org4_agency_exports_only_its_own(assigned, other_agency, other_agency_user):
    data = agency_files.assignment_export(actor=other_agency_user, agency=other_agency)
    assert data.decode("utf-8-sig").strip().count("\n") == 0


def test_coll8_report_import_records_outcomes(assigned, agency, collector, debtor):
    data = report_file(
        assigned,
        "C1;{a};{n};2026-02-20;contact;;;;Joint par téléphone",
        "P1;{a};{n};2026-02-21;promesse;100,00;2026-03-15;;",
        "E1;{a};{n};2026-02-25;encaissement;50.00;;5.00;virement à venir",
    )
    outcome = agency_files.reports_import(
        actor=collector, agency=agency, source=data, filename="cr.csv"
    )
    assert len(outcome.created) == 3
    assert outcome.skipped == 0
    payment = AgencyReport.objects.get(external_reference="E1")
    assert payment.kind == ReportKind.PAYMENT
    assert payment.amount == Decimal("50.00")
    assert payment.commission == Decimal("5.00")
    promise = AgencyReport.objects.get(external_reference="P1")
    assert str(promise.promised_on) == "2026-03-15"
    assert CollectionEvent.objects.filter(account=debtor, kind="agency_reported").count() == 3


def test_coll8_import_errors_name_line_and_field_and_write_nothing(assigned, agency, collector):
    data = report_file(
        assigned,
        "C1;{a};{n};2026-02-20;contact;;;;",
        "P1;{a};{n};2026-02-21;promesse;;;;",
        "X1;AGC-999999;;2026-02-21;contact;;;;",
        "C1;{a};{n};31/02/2026;rappel;-3;;;",
    )
    with pytest.raises(InvalidImportFile) as error:
        agency_files.reports_import(actor=collector, agency=agency, source=data, filename="cr.csv")
    where = {(e["line"], e["field"]) for e in error.value.data["errors"]}
    assert (3, "amount") in where
    assert (3, "promised_on") in where
    assert (4, "assignment") in where
    assert {(5, "date"), (5, "kind"), (5, "amount"), (5, "reference")} <= where
    assert not AgencyReport.objects.exists()


def test_coll8_same_file_twice_is_refused_and_references_are_idempotent(
    assigned, agency, collector
):
    data = report_file(assigned, "C1;{a};{n};2026-02-20;contact;;;;")
    agency_files.reports_import(actor=collector, agency=agency, source=data, filename="a.csv")
    with pytest.raises(AlreadyImported):
        agency_files.reports_import(actor=collector, agency=agency, source=data, filename="a.csv")
    again = report_file(
        assigned, "C1;{a};{n};2026-02-20;contact;;;;", "C2;{a};{n};2026-02-22;injoignable;;;;"
    )
    outcome = agency_files.reports_import(
        actor=collector, agency=agency, source=again, filename="b.csv"
    )
    assert len(outcome.created) == 1
    assert outcome.skipped == 1
    assert AgencyReport.objects.count() == 2


def test_org4_agency_cannot_import_on_another_agency_debt(
    assigned, other_agency, other_agency_user
):
    data = report_file(assigned, "C1;{a};{n};2026-02-20;contact;;;;")
    with pytest.raises(InvalidImportFile) as error:
        agency_files.reports_import(
            actor=other_agency_user, agency=other_agency, source=data, filename="x.csv"
        )
    assert error.value.data["errors"][0]["field"] == "assignment"
