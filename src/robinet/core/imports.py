"""Helpers for atomic, idempotent file imports (ARCHITECTURE principle 5).

The pattern every importer follows::

    sha = file_sha256(data)
    ensure_not_imported("meter_readings", sha)          # early, friendly refusal
    reader = read_csv(data, required=["pdl", "date", "index"])
    errors = reader.errors                               # structural errors so far
    parsed = []
    for line, row in reader:
        ...validate, errors.add(line, "index", _("Index négatif")) ...
    errors.raise_if_any()                                # nothing written yet
    with transaction.atomic(durable=True):
        record_import(kind="meter_readings", sha256=sha, filename=name, rows=len(parsed),
                      actor=actor)                       # first: takes the unique key
        ...bulk_create(parsed)...

The whole file is parsed and validated before anything is written; errors name
the line (as numbered in a spreadsheet: the header is line 1) and the column;
the same file imported twice is refused by its SHA-256, also under concurrency
thanks to the unique key on :class:`~robinet.core.models.ImportFile`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError
from robinet.core.models.imports import ImportFile

Source = str | Path | bytes | BinaryIO

_BLOCK = 1 << 20
DELIMITERS = (";", ",", "\t")


# --- hashing and duplicates -----------------------------------------------


def file_sha256(source: Source) -> str:
    """Hex SHA-256 of a file's bytes (a path, the bytes, or a binary file object)."""
    digest = hashlib.sha256()
    if isinstance(source, bytes | bytearray | memoryview):
        digest.update(source)
    elif isinstance(source, str | Path):
        with open(source, "rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    else:
        position = source.tell() if source.seekable() else None
        while block := source.read(_BLOCK):
            digest.update(block)
        if position is not None:
            source.seek(position)  # leave the file where it was, for the parser
    return digest.hexdigest()


class AlreadyImported(ApplicationError):  # noqa: N818 - reads as a sentence
    """The same file (same bytes) was already imported for this kind."""

    http_status = 409

    def __init__(self, earlier: ImportFile) -> None:
        when = timezone.localtime(earlier.imported_at)
        super().__init__(
            _(
                "Ce fichier a déjà été importé le %(date)s à %(time)s "
                "(« %(filename)s », %(rows)s lignes)."
            )
            % {
                "date": when.strftime("%d/%m/%Y"),
                "time": when.strftime("%H:%M"),
                "filename": earlier.filename,
                "rows": earlier.rows,
            },
            code="already_imported",
            data={
                "import_id": earlier.pk,
                "imported_at": earlier.imported_at.isoformat(),
                "filename": earlier.filename,
            },
        )
        self.earlier = earlier


def ensure_not_imported(kind: str, sha256: str) -> None:
    """Raise :class:`AlreadyImported` (naming the earlier import's date) if seen before."""
    earlier = ImportFile.objects.filter(kind=kind, sha256=sha256).first()
    if earlier is not None:
        raise AlreadyImported(earlier)


def record_import(
    *,
    kind: str,
    sha256: str,
    filename: str,
    rows: int,
    actor=None,
    outcome: Mapping[str, Any] | None = None,
    force: bool = False,
) -> ImportFile:
    """Record the import in the caller's write transaction (call it first in it).

    On PostgreSQL the insert takes the unique key, so a concurrent import of
    the same file waits, then fails here with :class:`AlreadyImported` and its
    transaction (with its data) rolls back. ``force`` records a re-import of a
    file already imported (its next ``repeat``) instead of refusing it.
    """
    repeat = 0
    if force:
        last = (
            ImportFile.objects.filter(kind=kind, sha256=sha256)
            .order_by("-repeat")
            .values_list("repeat", flat=True)
            .first()
        )
        repeat = 0 if last is None else last + 1
    try:
        with transaction.atomic():  # savepoint: the caller's transaction stays usable
            record = ImportFile.objects.create(
                kind=kind,
                sha256=sha256,
                filename=Path(filename).name[:255],
                imported_at=clock.now(),
                imported_by=actor if getattr(actor, "pk", None) else None,
                rows=rows,
                outcome=dict(outcome or {}),
                repeat=repeat,
            )
    except IntegrityError:
        earlier = ImportFile.objects.filter(kind=kind, sha256=sha256).first()
        if earlier is None:
            raise
        raise AlreadyImported(earlier) from None
    audit.record(
        actor=actor,
        verb="import.recorded",
        target=record,
        data={"kind": kind, "filename": record.filename, "rows": rows},
    )
    return record


# --- errors ----------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem in a file: ``line`` as in a spreadsheet (None: the whole file)."""

    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            where = _("fichier")
        elif self.field:
            where = _("ligne %(line)s, colonne %(field)s") % {
                "line": self.line,
                "field": self.field,
            }
        else:
            where = _("ligne %(line)s") % {"line": self.line}
        return f"{where} : {self.message}"


class InvalidImportFile(ApplicationError):
    """The file was refused; ``issues`` lists every problem found, by line."""

    http_status = 422

    def __init__(self, issues: Iterable[ImportIssue]) -> None:
        self.issues = _sorted(issues)
        super().__init__(
            "\n".join(str(issue) for issue in self.issues),
            code="invalid_import_file",
            data={
                "errors": [
                    {"line": i.line, "field": i.field, "message": i.message} for i in self.issues
                ]
            },
        )

    def __str__(self) -> str:
        return self.message


def _sorted(issues: Iterable[ImportIssue]) -> list[ImportIssue]:
    # File-level issues first, then by line; the order found within a line is kept.
    return sorted(issues, key=lambda i: -1 if i.line is None else i.line)


class ImportErrors:
    """Collects every problem of a file, so the user fixes them all in one go."""

    def __init__(self) -> None:
        self._issues: list[ImportIssue] = []

    def add(self, line: int | None, field: str | None, message: str) -> None:
        self._issues.append(ImportIssue(line, field, str(message)))

    def extend(self, other: ImportErrors | Iterable[ImportIssue]) -> None:
        self._issues.extend(other)

    def __iter__(self) -> Iterator[ImportIssue]:
        return iter(_sorted(self._issues))

    def __len__(self) -> int:
        return len(self._issues)

    def __bool__(self) -> bool:
        return bool(self._issues)

    def raise_if_any(self) -> None:
        if self._issues:
            raise InvalidImportFile(self._issues)


# --- CSV -------------------------------------------------------------------


def read_bytes(source: Source) -> bytes:
    """A file's bytes, given as bytes, a path or a binary file object."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def decode_text(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (with or without BOM), UTF-16 with BOM, else
    Windows-1252 (what Excel writes on French Windows). Raises
    :class:`InvalidImportFile` when none fits."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # binary data that happens to decode
            break
        return text, encoding
    raise InvalidImportFile(
        [
            ImportIssue(
                None,
                None,
                _("encodage non reconnu : enregistrez le fichier en CSV UTF-8 ou Windows-1252."),
            )
        ]
    )


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``;`` ``,`` tab in the header line (``;`` on a tie:
    French Excel's choice)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on ties
    return best if counts[best] else ";"


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


class CsvReader:
    """A CSV file decoded, with its header checked; iterate for ``(line, row)``.

    ``row`` maps column names to stripped strings. Columns listed in
    ``required``/``optional`` are matched ignoring case and surrounding spaces,
    and appear in ``row`` under the name the importer gave (optional columns
    absent from the file appear as ``""``); other columns keep the file's
    header. Lines are numbered as in a spreadsheet (header = 1); empty lines
    are skipped but still counted. Rows with more cells than headers are
    recorded in ``errors``.
    """

    def __init__(
        self,
        source: Source,
        *,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
        delimiter: str | None = None,
        errors: ImportErrors | None = None,
    ) -> None:
        self.errors = errors if errors is not None else ImportErrors()
        text, self.encoding = decode_text(read_bytes(source))
        first_line = text.split("\n", 1)[0]
        self.delimiter = delimiter or sniff_delimiter(first_line)
        self._records = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        header = next(self._records, None)
        if not header or not any(cell.strip() for cell in header):
            raise InvalidImportFile([ImportIssue(1, None, _("le fichier est vide."))])
        self.headers = [cell.strip() for cell in header]

        wanted = {_fold(n): n for n in [*optional, *required]}
        issues: list[ImportIssue] = []
        seen: dict[str, int] = {}
        self._keys: list[str] = []
        for position, name in enumerate(self.headers):
            folded = _fold(name)
            if folded in seen and folded:
                issues.append(
                    ImportIssue(
                        1,
                        name,
                        _("colonne en double (colonnes %(a)s et %(b)s).")
                        % {"a": seen[folded] + 1, "b": position + 1},
                    )
                )
            seen.setdefault(folded, position)
            self._keys.append(wanted.get(folded, name))
        for name in required:
            if _fold(name) not in seen:
                issues.append(ImportIssue(1, name, _("colonne obligatoire absente.")))
        if issues:
            raise InvalidImportFile(issues)
        self._missing_optional = [n for n in optional if _fold(n) not in seen]

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = len(self._keys)
        for line, cells in enumerate(self._records, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                self.errors.add(
                    line,
                    None,
                    _("%(cells)s valeurs pour %(columns)s colonnes.")
                    % {"cells": len(cells), "columns": width},
                )
            cells = cells[:width] + [""] * (width - len(cells))
            row = {key: cell.strip() for key, cell in zip(self._keys, cells, strict=True)}
            for name in self._missing_optional:
                row[name] = ""
            yield line, row


def read_csv(
    source: Source,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
    delimiter: str | None = None,
    errors: ImportErrors | None = None,
) -> CsvReader:
    """Open a CSV for import: sniffs encoding and delimiter, checks the header.

    Raises :class:`InvalidImportFile` at once for an unreadable encoding, an
    empty file, a duplicate column or a missing required column (naming it).
    """
    return CsvReader(
        source, required=required, optional=optional, delimiter=delimiter, errors=errors
    )
