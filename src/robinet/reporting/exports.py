"""Every report table as CSV, XLSX or JSON (REP-5), the same cells as on screen.

CSV is the French spreadsheet flavour used across the back office (``;``,
UTF-8 with a BOM, CRLF, decimal comma); XLSX keeps numbers as numbers (money
with two decimals, rates as percentages) so that a controller can add them up;
JSON keeps Decimals as strings to stay exact to the cent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from robinet.reporting.tables import Kind, Table

FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
_NUMBER_FORMATS = {
    Kind.MONEY: "#,##0.00",
    Kind.INT: "#,##0",
    Kind.RATE: "0.0",
    Kind.DECIMAL: "#,##0.00",
    Kind.DATE: "dd/mm/yyyy",
}


def csv_cell(value: Any, kind: str = Kind.TEXT) -> str:
    if value is None:
        return ""
    if kind == Kind.MONEY and isinstance(value, Decimal | int):
        value = Decimal(value).quantize(Decimal("0.01"))
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def to_csv(tables: list[Table]) -> bytes:
    """One block per table (its title, header, rows, totals), blank line between blocks."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow([str(table.title)])
        writer.writerow([str(c.label) for c in table.columns])
        for row in table.all_rows():
            writer.writerow([csv_cell(row.cells.get(c.key), c.kind) for c in table.columns])
    return buffer.getvalue().encode("utf-8")


def _sheet_title(table: Table, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", str(table.key or table.title))[:28] or "Feuille"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:25]} {n}", n + 1
    used.add(title)
    return title


def to_xlsx(tables: list[Table], *, title: str = "") -> bytes:
    """One sheet per table: title line, bold header, typed cells, bold totals, frozen header."""
    workbook = Workbook(write_only=False)
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table, used))
        sheet.append([str(table.title)])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([str(c.label) for c in table.columns])
        for cell in sheet[2]:
            cell.font = bold
        for row in table.all_rows():
            values = []
            for column in table.columns:
                value = row.cells.get(column.key)
                # openpyxl writes Decimals as numbers: no float on the way.
                numeric = isinstance(value, Decimal | int | dt.date) and column.kind != Kind.TEXT
                if value is not None and not numeric:
                    value = str(value)
                values.append(value)
            sheet.append(values)
            line = sheet.max_row
            for position, column in enumerate(table.columns, start=1):
                cell = sheet.cell(row=line, column=position)
                if fmt := _NUMBER_FORMATS.get(column.kind):
                    cell.number_format = fmt
                if row.total:
                    cell.font = bold
        for position, column in enumerate(table.columns, start=1):
            width = max(12, min(48, len(str(column.label)) + 2))
            sheet.column_dimensions[get_column_letter(position)].width = width
        sheet.freeze_panes = "A3"
        for note in table.notes:
            sheet.append([])
            sheet.append([str(note)])
    if title:
        workbook.properties.title = str(title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return str(value)


def to_data(tables: list[Table]) -> list[dict]:
    """The tables as plain JSON-ready data (Decimals as strings)."""
    return [
        {
            "key": table.key,
            "title": str(table.title),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns
            ],
            "rows": [
                {
                    "cells": {c.key: json_value(row.cells.get(c.key)) for c in table.columns},
                    "total": row.total,
                    "level": row.level,
                    "link": row.link,
                }
                for row in table.all_rows()
            ],
            "notes": [str(n) for n in table.notes],
        }
        for table in tables
    ]


def render(definition, params, tables: list[Table], fmt: str) -> tuple[bytes, str, str]:
    """``tables`` as a file: (content, content type, file name ``<report>-<date>.<fmt>``)."""
    import json

    if fmt not in FORMATS:
        raise ValueError(fmt)
    suffix = params.entity.code if params.entity is not None else "tout"
    filename = f"{definition.name}-{suffix}-{params.on:%Y%m%d}.{fmt}"
    if fmt == "csv":
        content = to_csv(tables)
    elif fmt == "xlsx":
        content = to_xlsx(tables, title=str(definition.title))
    else:
        payload = {
            "report": definition.name,
            "title": str(definition.title),
            "params": params.query(),
            "tables": to_data(tables),
        }
        content = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
    return content, CONTENT_TYPES[fmt], filename
